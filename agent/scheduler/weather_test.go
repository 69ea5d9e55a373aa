package scheduler_test

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"sprinkler/agent/clock/clocktest"
	"sprinkler/agent/relay/relaytest"
	"sprinkler/agent/scheduler"
	"sprinkler/agent/valves"
	"sprinkler/topics"
)

// TestPlantFactorsAndWeatherSkip: at a water level of 120 %, a zone with plant factor 0.5
// runs 60 % of its time, a zone that ignores the level runs as written; a day the weather
// skips, only the zones that follow the level skip.
func TestPlantFactorsAndWeatherSkip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "profiles.yaml")
	src := "active: p\nprofiles:\n  - name: p\n    water_level: true\n    zones:\n" +
		"      - {zone: 1, days: [all], runs: [{at: \"06:00\", for: 10m}]}\n" +
		"      - {zone: 2, days: [all], runs: [{at: \"06:00\", for: 10m}]}\n" +
		"      - {zone: 3, days: [all], runs: [{at: \"06:00\", for: 10m}]}\n"
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	clk := clocktest.New(at("2026-07-01 05:00:00"))
	log := slog.New(slog.DiscardHandler)
	zones := []valves.Zone{{ID: 1, MaxDuration: time.Hour}, {ID: 2, MaxDuration: time.Hour}, {ID: 3, MaxDuration: time.Hour}}
	v := valves.New("garden", zones, relaytest.New(3), clk, log, valves.Options{Limits: unlimited})
	wx := decisions{}
	e, err := scheduler.New(scheduler.Options{Path: path, Zones: fixed{ids: []int{1, 2, 3}, unscaled: map[int]bool{3: true}, factors: map[int]float64{2: 0.5}},
		Location: berlin, Clock: clk, Valves: v, Log: log, Weather: wx})
	if err != nil {
		t.Fatal(err)
	}
	wx["2026-07-01"] = topics.WeatherDay{Level: 120, ComputedAt: topics.Time{Time: clk.Now()}}
	runs := map[int]topics.PlannedRun{}
	for _, p := range next(e, 2*time.Hour) {
		runs[p.Zone] = p
	}
	for zone, want := range map[int]time.Duration{1: 12 * time.Minute, 2: 6 * time.Minute, 3: 10 * time.Minute} {
		if got := runs[zone].End.Sub(runs[zone].Start.Time); got != want || runs[zone].Skipped != "" {
			t.Errorf("zone %d: %v (%q), want %v", zone, got, runs[zone].Skipped, want)
		}
	}
	if runs[2].Note != "water level 60%" || runs[3].Note != "" {
		t.Errorf("notes: %q, %q", runs[2].Note, runs[3].Note)
	}
	wx["2026-07-01"] = topics.WeatherDay{Level: 120, Skip: "rain: 12.0 mm in the last 24 hours", ComputedAt: topics.Time{Time: clk.Now()}}
	for _, p := range next(e, 2*time.Hour) {
		if skipped := p.Skipped != ""; skipped != (p.Zone != 3) {
			t.Errorf("on a day skipped for rain, zone %d: %q", p.Zone, p.Skipped)
		}
	}
}

// decisions is a weather of fixed decisions, by date.
type decisions map[string]topics.WeatherDay

func (d decisions) Decision(date string) (topics.WeatherDay, bool) {
	w, ok := d[date]
	return w, ok
}

// Advise holds every run of a day the decision skips; no zone keeps a balance.
func (d decisions) Advise(_ int, at time.Time) topics.WindowAdvice {
	return topics.WindowAdvice{Hold: d[at.In(berlin).Format(time.DateOnly)].Skip}
}

// TestTheLevelSetByHandAndTheWeathers: the weather's decision for the day is the level in force;
// a level set by hand after it wins until the weather decides again; days without a decision
// keep the level set by hand.
func TestTheLevelSetByHandAndTheWeathers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "profiles.yaml")
	if err := os.WriteFile(path, []byte("active: p\nprofiles:\n  - name: p\n    water_level: true\n    zones:\n      - {zone: 1, days: [all], runs: [{at: \"06:00\", for: 10m}]}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	clk := clocktest.New(at("2026-07-01 03:00:00"))
	log := slog.New(slog.DiscardHandler)
	v := valves.New("garden", []valves.Zone{{ID: 1, MaxDuration: time.Hour}}, relaytest.New(1), clk, log, valves.Options{Limits: unlimited})
	wx := decisions{"2026-07-01": {Level: 150, ComputedAt: topics.Time{Time: clk.Now()}}}
	e, err := scheduler.New(scheduler.Options{Path: path, Zones: zonesOf(1), Location: berlin, Clock: clk, Valves: v, Log: log, Weather: wx})
	if err != nil {
		t.Fatal(err)
	}
	if e.WaterLevel() != 150 {
		t.Errorf("with the weather's decision: %d%%", e.WaterLevel())
	}
	clk.Advance(time.Hour)
	if err := e.SetWaterLevel(80, "alice"); err != nil {
		t.Fatal(err)
	}
	if e.WaterLevel() != 80 {
		t.Errorf("set by hand after the decision: %d%%", e.WaterLevel())
	}
	clk.Advance(time.Hour)
	wx["2026-07-01"] = topics.WeatherDay{Level: 110, ComputedAt: topics.Time{Time: clk.Now()}} // weather compute, later
	if e.WaterLevel() != 110 {
		t.Errorf("decided again after the hand: %d%%", e.WaterLevel())
	}
	delete(wx, "2026-07-01")
	if e.WaterLevel() != 80 {
		t.Errorf("a day without a decision: %d%%, want the level set by hand", e.WaterLevel())
	}
}
