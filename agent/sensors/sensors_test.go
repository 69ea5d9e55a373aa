package sensors_test

import (
	"testing"
	"time"

	"sprinkler/agent/clock/clocktest"
	"sprinkler/agent/sensors"
)

var t0 = time.Date(2026, 6, 1, 6, 0, 0, 0, time.UTC)

// TestDelays: the sensor follows its input only after the input kept its level for the
// on-delay (turning active) or the off-delay (turning inactive); a short blip changes nothing.
func TestDelays(t *testing.T) {
	clk := clocktest.New(t0)
	line := sensors.NewSim(true) // a switch to ground with a pull-up: high is dry
	var changes []bool
	s, err := sensors.Open(sensors.Config{Name: "rain", ActiveLow: true, OnDelay: 5 * time.Minute, OffDelay: time.Hour},
		line, clk, func(_ string, active bool) { changes = append(changes, active) })
	if err != nil {
		t.Fatal(err)
	}
	if active, _ := s.State(); active {
		t.Fatal("a dry sensor starts active")
	}
	line.Set(false) // drops
	clk.Advance(2 * time.Minute)
	line.Set(true) // dry again before the on-delay: nothing happened
	clk.Advance(10 * time.Minute)
	if active, _ := s.State(); active || len(changes) != 0 {
		t.Fatalf("a two-minute blip changed the sensor: %v", changes)
	}
	line.Set(false)
	clk.Advance(5*time.Minute - time.Second)
	if active, _ := s.State(); active {
		t.Fatal("active before the on-delay")
	}
	clk.Advance(time.Second)
	if active, since := s.State(); !active || !since.Equal(t0.Add(17*time.Minute)) {
		t.Fatalf("after the on-delay: %v since %v", active, since)
	}
	line.Set(true)
	clk.Advance(59 * time.Minute)
	if active, _ := s.State(); !active {
		t.Fatal("inactive before the off-delay")
	}
	clk.Advance(time.Minute)
	if active, _ := s.State(); active || len(changes) != 2 || !changes[0] || changes[1] {
		t.Fatalf("after the off-delay: %v, changes %v", active, changes)
	}
}

func TestStartsAsTheLineReads(t *testing.T) {
	s, err := sensors.Open(sensors.Config{Name: "soil", OnDelay: time.Hour}, sensors.NewSim(true), clocktest.New(t0), nil)
	if err != nil {
		t.Fatal(err)
	}
	if active, _ := s.State(); !active {
		t.Error("an active-high sensor whose line is high starts inactive")
	}
}
