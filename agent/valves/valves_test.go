package valves_test

import (
	"log/slog"
	"slices"
	"testing"
	"time"

	"sprinkler/agent/clock/clocktest"
	"sprinkler/agent/relay/relaytest"
	"sprinkler/agent/valves"
	"sprinkler/topics"
)

var t0 = time.Date(2026, 6, 1, 6, 0, 0, 0, time.UTC)

// free are limits that never hold a run back, to test the mechanics alone.
var free = valves.Limits{MaxOpen: 8, Overflow: topics.OverflowQueue, Watchdog: time.Second}

func setup(t testing.TB) (*valves.Controller, *relaytest.Bank, *clocktest.Fake) {
	t.Helper()
	return setupWith(t, free)
}

func setupWith(t testing.TB, l valves.Limits) (*valves.Controller, *relaytest.Bank, *clocktest.Fake) {
	t.Helper()
	zones := make([]valves.Zone, 4)
	for i := range zones {
		zones[i] = valves.Zone{ID: i + 1, Name: "z", Line: 5 + i, DefaultDuration: 10 * time.Minute, MaxDuration: time.Hour}
	}
	return setupZones(t, l, zones)
}

// setupZones returns a controller of zones under limits l, every relay reset, at t0.
func setupZones(t testing.TB, l valves.Limits, zones []valves.Zone) (*valves.Controller, *relaytest.Bank, *clocktest.Fake) {
	t.Helper()
	bank := relaytest.New(len(zones))
	clk := clocktest.New(t0)
	c := valves.New("garden", zones, bank, clk, slog.New(slog.DiscardHandler), valves.Options{Limits: l})
	if err := c.Reset(topics.SourceStartup); err != nil {
		t.Fatal(err)
	}
	return c, bank, clk
}

func TestOpenUsesDefaultAndClosesAtExpiry(t *testing.T) {
	c, bank, clk := setup(t)
	ch, err := c.Open([]int{2}, 0, "ctl")
	if err != nil {
		t.Fatal(err)
	}
	if len(ch) != 1 || ch[0].EndsAt == nil || !ch[0].EndsAt.Equal(t0.Add(10*time.Minute)) {
		t.Fatalf("change %+v", ch)
	}
	if !slices.Equal(bank.On(), []bool{false, true, false, false}) {
		t.Fatalf("relays %v", bank.On())
	}
	clk.Advance(10*time.Minute - time.Millisecond)
	if !c.IsOpen(2) {
		t.Fatal("closed early")
	}
	clk.Advance(time.Millisecond)
	if c.IsOpen(2) || bank.AnyOn() {
		t.Fatal("still open at its end")
	}
	z := c.Snapshot().Zones["2"]
	if z.State != topics.StateClosed || z.Source != topics.SourceTimer || !z.Since.Equal(t0.Add(10*time.Minute)) {
		t.Errorf("after expiry: %+v", z)
	}
}

func TestDurationIsCappedAtMax(t *testing.T) {
	c, _, clk := setup(t)
	ch, err := c.Open([]int{1}, 5*time.Hour, "ctl")
	if err != nil {
		t.Fatal(err)
	}
	if !ch[0].EndsAt.Equal(t0.Add(time.Hour)) || ch[0].Note == "" {
		t.Fatalf("change %+v", ch[0])
	}
	clk.Advance(time.Hour)
	if c.IsOpen(1) {
		t.Fatal("open past max_duration")
	}
}

func TestReopenMovesTheEnd(t *testing.T) {
	c, bank, clk := setup(t)
	if _, err := c.Open([]int{1}, time.Minute, "a"); err != nil {
		t.Fatal(err)
	}
	clk.Advance(30 * time.Second)
	if _, err := c.Open([]int{1}, time.Minute, "b"); err != nil {
		t.Fatal(err)
	}
	clk.Advance(45 * time.Second) // past the first end
	if !c.IsOpen(1) {
		t.Fatal("the first timer closed a renewed run")
	}
	clk.Advance(15 * time.Second)
	if c.IsOpen(1) {
		t.Fatal("open past the renewed end")
	}
	if n := len(bank.Switches()); n != 2+4 { // 4 offs at reset, one on, one off
		t.Errorf("%d relay switches, want 6: %v", n, bank.Switches())
	}
	if clk.Pending() != 0 {
		t.Errorf("%d timers left", clk.Pending())
	}
}

func TestToggleAndClose(t *testing.T) {
	c, bank, _ := setup(t)
	if _, err := c.Toggle([]int{1, 3}, 0, "x"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Toggle([]int{1, 2}, 0, "x"); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(bank.On(), []bool{false, true, true, false}) {
		t.Fatalf("relays %v", bank.On())
	}
	if _, err := c.Close(c.IDs(), "x"); err != nil {
		t.Fatal(err)
	}
	if bank.AnyOn() {
		t.Fatal("close all left a relay on")
	}
}

func TestRelayFailureChangesNothing(t *testing.T) {
	c, bank, _ := setup(t)
	bank.Fail(2, true) // zone 3
	_, err := c.Open([]int{1, 3}, 0, "x")
	if topics.CodeOf(err) != topics.CodeRelay {
		t.Fatalf("err %v", err)
	}
	if bank.AnyOn() || c.IsOpen(1) || c.IsOpen(3) {
		t.Fatalf("a failed open left zones open: %v", bank.On())
	}
}

func TestExpiryRetriesAFailingRelay(t *testing.T) {
	c, bank, clk := setup(t)
	if _, err := c.Open([]int{4}, time.Minute, "x"); err != nil {
		t.Fatal(err)
	}
	bank.Fail(3, true)
	clk.Advance(time.Minute)
	if !c.IsOpen(4) {
		t.Fatal("reported closed although the relay did not switch")
	}
	bank.Fail(3, false)
	clk.Advance(time.Second)
	if c.IsOpen(4) || bank.AnyOn() {
		t.Fatal("the retry did not close it")
	}
}

func TestEventsAndReset(t *testing.T) {
	c, bank, _ := setup(t)
	c.TakeEvents()
	if _, err := c.Open([]int{1, 2}, 0, "ctl"); err != nil {
		t.Fatal(err)
	}
	if err := c.Reset(topics.SourceShutdown); err != nil {
		t.Fatal(err)
	}
	if bank.AnyOn() {
		t.Fatal("reset left a relay on")
	}
	ev, dropped := c.TakeEvents()
	var types []string
	for _, e := range ev {
		types = append(types, e.Type)
	}
	want := []string{
		topics.EventZoneOpened, topics.EventRunStarted, topics.EventZoneOpened, topics.EventRunStarted,
		topics.EventRunFinished, topics.EventZoneClosed, topics.EventRunFinished, topics.EventZoneClosed,
	}
	if !slices.Equal(types, want) || dropped != 0 {
		t.Errorf("events %v (dropped %d), want %v", types, dropped, want)
	}
	if ev[7].Source != topics.SourceShutdown || ev[1].EndsAt == nil || ev[4].Reason != topics.ReasonShutdown {
		t.Errorf("events %+v", ev)
	}
}

func TestWateredTodayLastRunAndDefaults(t *testing.T) {
	c, _, clk := setup(t)
	clk.Advance(17*time.Hour + 50*time.Minute) // 23:50 UTC, the controller's day in time.Local
	c2 := valves.New("garden", []valves.Zone{{ID: 1, DefaultDuration: time.Minute, MaxDuration: time.Hour}}, relaytest.New(1), clk,
		slog.New(slog.DiscardHandler), valves.Options{Limits: free, Location: time.UTC})
	if _, err := c2.Open([]int{1}, 20*time.Minute, "ctl"); err != nil {
		t.Fatal(err)
	}
	start := clk.Now()
	clk.Advance(5 * time.Minute)
	if s := c2.Snapshot(); s.WateredTodayS != 300 || s.OpenCount != 1 || !s.Zones["1"].LastRun.Equal(start) {
		t.Fatalf("before midnight: %+v", s)
	}
	clk.Advance(15 * time.Minute) // the run ends at 00:10: ten minutes of it count for the new day
	if s := c2.Snapshot(); s.WateredTodayS != 600 || s.OpenCount != 0 {
		t.Fatalf("after midnight: watered %v, open %d", s.WateredTodayS, s.OpenCount)
	}
	if err := c.SetDefault(2, 3*time.Minute); err != nil {
		t.Fatal(err)
	}
	if ch, _ := c.Open([]int{2}, 0, "ha"); !ch[0].EndsAt.Equal(clk.Now().Add(3 * time.Minute)) {
		t.Errorf("the new default was not used: %+v", ch)
	}
	if err := c.SetDefault(2, 2*time.Hour); topics.CodeOf(err) != topics.CodeBadRequest {
		t.Errorf("a default above the maximum: %v", err)
	}
}
