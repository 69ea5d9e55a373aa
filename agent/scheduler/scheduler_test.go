package scheduler_test

import (
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	_ "time/tzdata"

	"sprinkler/agent/clock/clocktest"
	"sprinkler/agent/relay/relaytest"
	"sprinkler/agent/scheduler"
	"sprinkler/agent/valves"
	"sprinkler/topics"
)

var berlin, _ = time.LoadLocation("Europe/Berlin")

// rig is an engine over a real governor with a recording bank and a fake clock.
type rig struct {
	t      *testing.T
	path   string
	clk    *clocktest.Fake
	bank   *relaytest.Bank
	v      *valves.Controller
	e      *scheduler.Engine
	saved  []scheduler.State
	limits valves.Limits
}

const profiles = `
summer:
  active: true
  relay1: {Days: [all], Times: [600, 601], durations: [1.5, 1]}
  relay2: {Days: [all], Times: [600], durations: [5]}
  relay3: {Days: [all], Times: [600], durations: [5]}
  relay4: {Days: [odd], Times: [2000], durations: [10]}
winter:
  active: false
  relay2: {Days: [sun], Times: [700], durations: [3]}
`

func newRig(t *testing.T, start time.Time, limits valves.Limits, st scheduler.State) *rig {
	t.Helper()
	r := &rig{t: t, path: filepath.Join(t.TempDir(), "profiles.yml"), clk: clocktest.New(start), bank: relaytest.New(4), limits: limits}
	if err := os.WriteFile(r.path, []byte(profiles), 0o600); err != nil {
		t.Fatal(err)
	}
	zones := make([]valves.Zone, 4)
	for i := range zones {
		zones[i] = valves.Zone{ID: i + 1, DefaultDuration: 10 * time.Minute, MaxDuration: time.Hour}
	}
	log := slog.New(slog.DiscardHandler)
	r.v = valves.New("garden", zones, r.bank, r.clk, log, valves.Options{Limits: limits})
	if err := r.v.Reset(topics.SourceStartup); err != nil {
		t.Fatal(err)
	}
	var err error
	r.e, err = scheduler.New(scheduler.Options{
		Path: r.path, Zones: zonesOf(1, 2, 3, 4), Location: berlin,
		Clock: r.clk, Valves: r.v, Log: log, Resume: true, State: st,
		Save: func(s scheduler.State) error { r.saved = append(r.saved, s); return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	r.e.Start()
	t.Cleanup(r.e.Stop)
	return r
}

var unlimited = valves.Limits{MaxOpen: 8, Overflow: topics.OverflowQueue, Watchdog: time.Second}

func at(s string) time.Time {
	t, err := time.ParseInLocation(time.DateTime, s, berlin)
	if err != nil {
		panic(err)
	}
	return t
}

// openAt advances the clock to t and returns which zones are open.
func (r *rig) openAt(t time.Time) []bool {
	r.clk.Advance(t.Sub(r.clk.Now()))
	return r.bank.On()
}

func TestWindowsOpenOnTheSecondAndMerge(t *testing.T) {
	r := newRig(t, at("2026-06-01 05:00:00"), unlimited, scheduler.State{})
	if on := r.openAt(at("2026-06-01 05:59:59")); slices.Contains(on, true) {
		t.Fatalf("open early: %v", on)
	}
	if on := r.openAt(at("2026-06-01 06:00:00")); !on[0] || !on[1] || !on[2] {
		t.Fatalf("not open on the second: %v", on)
	}
	// 06:00 for 1.5 min and 06:01 for 1 min are one window, 06:00:00-06:02:00, no glitch.
	switches := len(r.bank.Switches())
	if on := r.openAt(at("2026-06-01 06:01:59")); !on[0] {
		t.Fatal("zone 1 closed inside its merged window")
	}
	if on := r.openAt(at("2026-06-01 06:02:00")); on[0] {
		t.Fatal("zone 1 open past its merged window")
	}
	if got := r.bank.Switches()[switches:]; len(got) != 1 {
		t.Errorf("zone 1 switched %v inside and at the end of its window", got)
	}
	if on := r.openAt(at("2026-06-01 06:05:00")); slices.Contains(on, true) {
		t.Fatalf("open after the windows: %v", on)
	}
	// Zone 4 waters on odd days: not on the 2nd, then on the 3rd.
	if on := r.openAt(at("2026-06-02 20:00:00")); on[3] {
		t.Fatal("zone 4 ran on an even day")
	}
	if on := r.openAt(at("2026-06-03 20:00:00")); !on[3] {
		t.Fatal("zone 4 did not run on an odd day")
	}
}

func TestOddDaysAcrossMonthEnd(t *testing.T) {
	r := newRig(t, at("2026-05-31 19:00:00"), unlimited, scheduler.State{})
	if on := r.openAt(at("2026-05-31 20:00:00")); !on[3] {
		t.Fatal("not on the 31st")
	}
	if on := r.openAt(at("2026-06-01 20:00:00")); !on[3] {
		t.Fatal("not on the 1st, the next odd day")
	}
}

func TestScheduledRunsRespectThePowerBudget(t *testing.T) {
	l := unlimited
	l.MaxOpen, l.Stagger = 2, 500*time.Millisecond
	r := newRig(t, at("2026-06-01 05:00:00"), l, scheduler.State{})
	// Three zones overlap at 06:00: two open, a stagger apart, the third waits for a slot
	// and then waters its whole five minutes.
	if on := r.openAt(at("2026-06-01 06:00:00")); !on[0] || on[1] || on[2] {
		t.Fatalf("at 06:00: %v", on)
	}
	if on := r.openAt(at("2026-06-01 06:00:00").Add(500 * time.Millisecond)); !on[1] || on[2] {
		t.Fatalf("after the stagger: %v", on)
	}
	if on := r.openAt(at("2026-06-01 06:02:00")); on[0] || !on[2] { // zone 1's window ends
		t.Fatalf("at 06:02: %v", on)
	}
	if on := r.openAt(at("2026-06-01 06:06:59")); !on[2] {
		t.Fatalf("zone 3 did not keep its whole duration: %v", on)
	}
	if on := r.openAt(at("2026-06-01 06:07:00")); on[2] {
		t.Fatalf("zone 3 ran past its duration: %v", on)
	}
}

func TestManualRunsWinOverTheSchedule(t *testing.T) {
	r := newRig(t, at("2026-06-01 05:50:00"), unlimited, scheduler.State{})
	if _, err := r.v.Open([]int{2}, 20*time.Minute, "ctl"); err != nil { // until 06:10
		t.Fatal(err)
	}
	r.openAt(at("2026-06-01 06:00:00"))
	if end := r.v.Snapshot().Zones["2"].EndsAt; !end.Equal(at("2026-06-01 06:10:00")) {
		t.Errorf("the schedule changed a manual run's end to %v", end)
	}
	if _, err := r.v.Close([]int{3}, "ctl"); err != nil { // a manual close inside a window
		t.Fatal(err)
	}
	if on := r.openAt(at("2026-06-01 06:04:00")); on[2] {
		t.Fatal("the schedule opened a zone closed by hand inside its window")
	}
}

func TestRainDelayAndAutoOff(t *testing.T) {
	r := newRig(t, at("2026-06-01 05:00:00"), unlimited, scheduler.State{})
	r.e.SetRainDelay(2*time.Hour, "ctl")
	if on := r.openAt(at("2026-06-01 06:00:00")); slices.Contains(on, true) {
		t.Fatalf("ran during a rain delay: %v", on)
	}
	ev, _ := r.v.TakeEvents()
	if !slices.ContainsFunc(ev, func(e topics.Event) bool {
		return e.Type == topics.EventRunSkipped && strings.Contains(e.Message, "rain delay")
	}) {
		t.Errorf("no run_skipped event: %+v", ev)
	}
	if s := r.saved[len(r.saved)-1]; !s.RainDelayUntil.Equal(at("2026-06-01 07:00:00")) {
		t.Errorf("rain delay not saved: %+v", s)
	}
	r.e.SetRainDelay(0, "ctl")
	if on := r.openAt(at("2026-06-02 06:00:00")); !on[0] {
		t.Fatal("cleared rain delay still holds")
	}
	closed, err := r.e.SetAuto(false, "ctl")
	if err != nil || len(closed) != 3 || r.bank.AnyOn() {
		t.Fatalf("stop closed %v (%v), relays %v", closed, err, r.bank.On())
	}
	if on := r.openAt(at("2026-06-03 06:00:00")); slices.Contains(on, true) {
		t.Fatal("ran with automatic runs off")
	}
	if _, err := r.e.SetAuto(true, "ctl"); err != nil {
		t.Fatal(err)
	}
	if on := r.openAt(at("2026-06-04 06:00:00")); !on[0] {
		t.Fatal("did not run after run")
	}
}

func TestActivateRefusedDuringAScheduledRunUnlessForced(t *testing.T) {
	r := newRig(t, at("2026-06-01 05:59:00"), unlimited, scheduler.State{})
	r.openAt(at("2026-06-01 06:00:30"))
	if _, err := r.e.Activate("winter", false, "ctl"); err == nil || !strings.Contains(err.Error(), "in progress") {
		t.Fatalf("activate during a run: %v", err)
	}
	if r.e.Active() != "summer" {
		t.Fatal("the profile changed although refused")
	}
	if _, err := r.e.Activate("1", true, "ctl"); err != nil {
		t.Fatal(err)
	}
	if r.e.Active() != "winter" || r.bank.AnyOn() {
		t.Fatalf("forced: active %s, relays %v", r.e.Active(), r.bank.On())
	}
	if s := r.saved[len(r.saved)-1]; s.Profile != "winter" {
		t.Errorf("active profile not saved: %+v", s)
	}
	if _, err := r.e.Activate("autumn", false, "ctl"); err == nil {
		t.Error("an unknown profile activated")
	}
}

func TestReloadKeepsTheRunningScheduleOnABadFile(t *testing.T) {
	r := newRig(t, at("2026-06-01 05:00:00"), unlimited, scheduler.State{Profile: "summer"})
	if err := os.WriteFile(r.path, []byte("summer:\n  relay1: {Days: [all], Times: [2460], durations: [1]}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := r.e.Reload("ctl")
	if err == nil || !strings.Contains(err.Error(), r.path+":2:") || !strings.Contains(err.Error(), "2460") {
		t.Fatalf("reload of a bad file: %v", err)
	}
	if on := r.openAt(at("2026-06-01 06:00:00")); !on[0] {
		t.Fatal("the running schedule was lost")
	}
	if err := os.WriteFile(r.path, []byte("summer:\n  active: true\n  relay2: {Days: [all], Times: [700], durations: [1]}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := r.e.Reload("ctl"); err != nil {
		t.Fatal(err)
	}
	if on := r.openAt(at("2026-06-02 06:00:00")); on[0] {
		t.Fatal("the old schedule still runs")
	}
	if on := r.openAt(at("2026-06-02 07:00:00")); !on[1] {
		t.Fatal("the new schedule does not run")
	}
}

func TestResumeInsideAWindow(t *testing.T) {
	r := newRig(t, at("2026-06-01 06:03:00"), unlimited, scheduler.State{})
	if end := r.v.Snapshot().Zones["2"].EndsAt; end == nil || !end.Equal(at("2026-06-01 06:05:00")) {
		t.Fatalf("zone 2 after a start inside its window: %+v", r.v.Snapshot().Zones["2"])
	}
	if r.v.IsOpen(1) {
		t.Fatal("zone 1's window was over, yet it opened")
	}
}

// next is the engine's next runs within d, clamped to what a reply holds.
func next(e *scheduler.Engine, d time.Duration) []topics.PlannedRun {
	runs, _ := e.Next(d, true)
	return runs
}

func TestNextAndSchedule(t *testing.T) {
	r := newRig(t, at("2026-06-01 05:00:00"), unlimited, scheduler.State{})
	next, err := r.e.Next(48*time.Hour, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(next) != 3*2+1 || next[0].Zone != 1 || !next[0].Start.Equal(at("2026-06-01 06:00:00")) || !next[0].End.Equal(at("2026-06-01 06:02:00")) {
		t.Fatalf("next: %+v", next)
	}
	s := r.e.Summary(true)
	if s.Profile != "summer" || len(s.Zones) != 4 || len(s.Zones[0].Today) != 1 || s.Zones[3].Next == nil {
		t.Fatalf("schedule: %+v", s)
	}
	var snap topics.Snapshot
	r.e.Decorate(&snap)
	if snap.Profile != "summer" || snap.NextRun == nil || !snap.NextRun.Equal(at("2026-06-01 06:00:00")) {
		t.Errorf("snapshot %+v", snap)
	}
}

// TestDSTStarts runs the engine through both changes of clocks in Berlin: 02:30 is skipped on
// 2026-03-29 and runs at 03:30; on 2026-10-25, 02:30 happens twice and runs once.
func TestDSTStarts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.yml")
	if err := os.WriteFile(path, []byte("p:\n  relay1: {Days: [all], Times: [230], durations: [10]}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		from, want string
		runs       int
	}{
		{"2026-03-29 00:00:00", "2026-03-29T03:30:00+02:00", 1},
		{"2026-10-25 00:00:00", "2026-10-25T02:30:00+02:00", 1},
	} {
		clk := clocktest.New(at(tc.from))
		bank := relaytest.New(1)
		v := valves.New("g", []valves.Zone{{ID: 1, DefaultDuration: time.Minute, MaxDuration: time.Hour}}, bank, clk, slog.New(slog.DiscardHandler), valves.Options{Limits: unlimited})
		e, err := scheduler.New(scheduler.Options{Path: path, Zones: zonesOf(1), Location: berlin, Clock: clk, Valves: v, Log: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		e.Start()
		clk.Advance(12 * time.Hour)
		e.Stop()
		var starts []string
		ev, _ := v.TakeEvents()
		for _, x := range ev {
			if x.Type == topics.EventRunStarted {
				starts = append(starts, x.TS.In(berlin).Format(time.RFC3339))
			}
		}
		if len(starts) != tc.runs || starts[0] != tc.want {
			t.Errorf("from %s: starts %v, want %s", tc.from, starts, tc.want)
		}
	}
}
