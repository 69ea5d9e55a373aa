package valves_test

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"sprinkler/agent/clock"
	"sprinkler/agent/clock/clocktest"
	"sprinkler/agent/relay/relaytest"
	"sprinkler/agent/valves"
	"sprinkler/topics"
)

var safe = valves.Limits{MaxOpen: 2, Overflow: topics.OverflowQueue, Stagger: 500 * time.Millisecond, Watchdog: time.Second}

func since(c *valves.Controller, id int) time.Time {
	return c.Snapshot().Zones[fmt.Sprint(id)].Since.Time
}

func eventTypes(ev []topics.Event) []string {
	var out []string
	for _, e := range ev {
		out = append(out, fmt.Sprintf("%s:%d", e.Type, e.Zone))
	}
	return out
}

func TestBudgetQueuesInRequestOrder(t *testing.T) {
	c, bank, clk := setupWith(t, safe)
	c.TakeEvents()
	ch, err := c.Open([]int{1, 2, 3}, 0, "ctl")
	if err != nil {
		t.Fatal(err)
	}
	states := []string{ch[0].State, ch[1].State, ch[2].State}
	if !slices.Equal(states, []string{topics.StateOpen, topics.StateQueued, topics.StateQueued}) {
		t.Fatalf("states %v", states)
	}
	if !strings.Contains(ch[2].Note, "free slot") || !strings.Contains(ch[1].Note, "apart") {
		t.Errorf("notes %q / %q", ch[1].Note, ch[2].Note)
	}
	if q := c.Snapshot().Queue; len(q) != 2 || q[0].Zone != 2 || q[1].Zone != 3 {
		t.Fatalf("queue %+v", q)
	}
	clk.Advance(500 * time.Millisecond)
	if !slices.Equal(bank.On(), []bool{true, true, false, false}) {
		t.Fatalf("after the stagger: %v", bank.On())
	}
	clk.Advance(time.Minute)
	if c.IsOpen(3) {
		t.Fatal("a third valve opened while two ran")
	}
	if _, err := c.Close([]int{1}, "ctl"); err != nil {
		t.Fatal(err)
	}
	if !c.IsOpen(3) || since(c, 3) != t0.Add(500*time.Millisecond+time.Minute) {
		t.Fatalf("zone 3 did not take the freed slot at once: %v", bank.On())
	}
	// A queued run keeps its whole duration, counted from its start.
	if end := c.Snapshot().Zones["3"].EndsAt; !end.Equal(since(c, 3).Add(10 * time.Minute)) {
		t.Errorf("zone 3 ends at %v", end)
	}
	ev, _ := c.TakeEvents()
	if !slices.Contains(eventTypes(ev), "run_queued:3") || slices.Contains(eventTypes(ev), "run_queued:2") {
		t.Errorf("events %v", eventTypes(ev))
	}
}

func TestBudgetRejects(t *testing.T) {
	l := safe
	l.Overflow = topics.OverflowReject
	c, bank, clk := setupWith(t, l)
	if _, err := c.Open([]int{1, 2}, 0, "ctl"); err != nil {
		t.Fatal(err)
	}
	before := len(bank.Switches())
	c.TakeEvents()
	_, err := c.Open([]int{3}, 0, "ha")
	if topics.CodeOf(err) != topics.CodeBudget || !strings.Contains(err.Error(), "zones 1, 2") {
		t.Fatalf("err %v", err)
	}
	if _, err := c.Open([]int{3, 4}, 0, "ha"); topics.CodeOf(err) != topics.CodeBudget {
		t.Fatalf("err %v", err)
	}
	clk.Advance(time.Second)
	if len(bank.Switches()) != before+1 || c.IsOpen(3) { // only zone 2's staggered turn-on
		t.Fatalf("a refused run moved relays: %v", bank.Switches()[before:])
	}
	ev, _ := c.TakeEvents()
	if !slices.Contains(eventTypes(ev), "run_rejected:3") {
		t.Errorf("events %v", eventTypes(ev))
	}
	// Extending a running zone needs no new slot.
	if _, err := c.Open([]int{1}, time.Hour, "ctl"); err != nil {
		t.Errorf("extending refused: %v", err)
	}
}

func TestStaggerSpacesEveryTurnOn(t *testing.T) {
	l := safe
	l.MaxOpen = 4
	c, _, clk := setupWith(t, l)
	if _, err := c.Open([]int{1, 2, 3, 4}, 0, "ctl"); err != nil {
		t.Fatal(err)
	}
	clk.Advance(2 * time.Second)
	for id := 1; id <= 4; id++ {
		if want := t0.Add(time.Duration(id-1) * 500 * time.Millisecond); !since(c, id).Equal(want) {
			t.Errorf("zone %d opened at %v, want %v", id, since(c, id).Sub(t0), want.Sub(t0))
		}
	}
	clk.Advance(10 * time.Second)
	if _, err := c.Open([]int{1}, 0, "ctl"); err != nil { // long after the last turn-on: at once
		t.Fatal(err)
	}
}

func TestMasterValveLeadsAndLags(t *testing.T) {
	l := safe
	l.Master, l.MasterLead, l.MasterLag = 4, 2*time.Second, 5*time.Second
	c, bank, clk := setupWith(t, l)
	if slices.Contains(c.IDs(), 4) {
		t.Error("the master is offered as a zone")
	}
	if _, err := c.Open([]int{4}, 0, "ctl"); topics.CodeOf(err) != topics.CodeBadRequest {
		t.Errorf("opening the master by hand: %v", err)
	}
	if _, err := c.Open([]int{1, 2}, time.Minute, "ctl"); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(bank.On(), []bool{false, false, false, true}) {
		t.Fatalf("the master must open first: %v", bank.On())
	}
	clk.Advance(2 * time.Second)
	if !c.IsOpen(1) || c.IsOpen(2) || !since(c, 1).Equal(t0.Add(2*time.Second)) {
		t.Fatalf("zone 1 after the lead: %v", bank.On())
	}
	clk.Advance(500 * time.Millisecond)
	if !c.IsOpen(2) {
		t.Fatal("the master counted against the budget")
	}
	clk.Advance(time.Minute) // both runs end
	if c.IsOpen(1) || c.IsOpen(2) || !c.IsOpen(4) {
		t.Fatalf("after the runs: %v", bank.On())
	}
	clk.Advance(5*time.Second - time.Millisecond)
	if !c.IsOpen(4) {
		t.Fatal("the master closed before its lag")
	}
	clk.Advance(time.Millisecond)
	if c.IsOpen(4) || bank.AnyOn() {
		t.Fatalf("the master stayed open past its lag: %v", bank.On())
	}
}

// lossy is a clock that loses the timers of one duration, as a bug or a hung goroutine might.
type lossy struct {
	*clocktest.Fake
	lose time.Duration
}

type never struct{}

func (never) Stop() bool { return true }

func (l lossy) AfterFunc(d time.Duration, f func()) clock.Timer {
	if d == l.lose {
		return never{}
	}
	return l.Fake.AfterFunc(d, f)
}

func TestWatchdogForcesOffALostRun(t *testing.T) {
	zones := []valves.Zone{{ID: 1, DefaultDuration: time.Minute, MaxDuration: time.Hour}}
	bank := relaytest.New(1)
	clk := lossy{clocktest.New(t0), 42 * time.Second}
	var ended []topics.RunRecord
	c := valves.New("garden", zones, bank, clk, slog.New(slog.DiscardHandler), valves.Options{Limits: safe,
		Ended: func(r topics.RunRecord) { ended = append(ended, r) }})
	if err := c.Reset(topics.SourceStartup); err != nil {
		t.Fatal(err)
	}
	c.Start()
	defer c.Stop()
	if _, err := c.Open([]int{1}, 42*time.Second, "ctl"); err != nil {
		t.Fatal(err)
	}
	c.TakeEvents()
	clk.Advance(43 * time.Second)
	if !c.IsOpen(1) {
		t.Fatal("the run ended before the watchdog's grace; is its timer not lost?")
	}
	clk.Advance(time.Second)
	if c.IsOpen(1) || bank.AnyOn() {
		t.Fatal("the watchdog left the relay on")
	}
	ev, _ := c.TakeEvents()
	if !slices.Contains(eventTypes(ev), "forced_off:1") {
		t.Errorf("events %v", eventTypes(ev))
	}
	if z := c.Snapshot().Zones["1"]; z.Source != topics.SourceWatchdog {
		t.Errorf("zone 1 %+v", z)
	}
	if len(ended) != 1 || ended[0].Outcome != topics.ReasonForced || ended[0].EndedBy != topics.SourceWatchdog ||
		ended[0].Source != "ctl" || ended[0].PlannedS != 42 || ended[0].ActualS != 44 {
		t.Errorf("the history got %+v", ended)
	}
}

// TestQueueAndPauseSurviveACrash: the queue and a pause are part of what is saved; taken up
// again, the pause holds until its end and then the queue starts in its order, each run with its
// whole length.
func TestQueueAndPauseSurviveACrash(t *testing.T) {
	zones := []valves.Zone{
		{ID: 1, DefaultDuration: time.Minute, MaxDuration: time.Hour},
		{ID: 2, DefaultDuration: time.Minute, MaxDuration: time.Hour},
		{ID: 3, DefaultDuration: time.Minute, MaxDuration: time.Hour},
	}
	limits := valves.Limits{MaxOpen: 1, Overflow: topics.OverflowQueue, Watchdog: time.Second}
	var last valves.Saved
	clk := clocktest.New(t0)
	c := valves.New("garden", zones, relaytest.New(3), clk, slog.New(slog.DiscardHandler),
		valves.Options{Limits: limits, Persist: func(st valves.Saved) error { last = st; return nil }})
	if err := c.Reset(topics.SourceStartup); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Open([]int{1, 2, 3}, 5*time.Minute, "ctl"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Pause(10*time.Minute, "ctl"); err != nil {
		t.Fatal(err)
	}
	if len(last.Runs) != 3 || !last.PausedUntil.Equal(t0.Add(10*time.Minute)) || last.Runs[0].Zone != 1 || last.Runs[2].Zone != 3 {
		t.Fatalf("saved %+v", last)
	}

	// The crash: a new controller on the same saved state, two minutes later.
	clk.Advance(2 * time.Minute)
	bank := relaytest.New(3)
	after := valves.New("garden", zones, bank, clk, slog.New(slog.DiscardHandler), valves.Options{Limits: limits})
	if err := after.Reset(topics.SourceStartup); err != nil {
		t.Fatal(err)
	}
	after.Resume(last)
	if bank.AnyOn() || after.QueueLen() != 3 {
		t.Fatalf("during the pause: relays %v, queue %d", bank.On(), after.QueueLen())
	}
	clk.Advance(8 * time.Minute) // the pause ends
	if on := bank.On(); !on[0] || on[1] || on[2] {
		t.Fatalf("after the pause: relays %v; want zone 1, the queue's head", on)
	}
	clk.Advance(5 * time.Minute)
	if on := bank.On(); on[0] || !on[1] {
		t.Fatalf("zone 1's whole run later: relays %v; want zone 2", on)
	}
	if err := after.Reset(topics.SourceShutdown); err != nil {
		t.Fatal(err)
	}
}

func TestResumeOnlyWhatIsLeft(t *testing.T) {
	var saved [][]valves.Run
	zones := []valves.Zone{
		{ID: 1, DefaultDuration: time.Minute, MaxDuration: time.Hour},
		{ID: 2, DefaultDuration: time.Minute, MaxDuration: 10 * time.Minute},
		{ID: 3, DefaultDuration: time.Minute, MaxDuration: time.Hour},
	}
	clk := clocktest.New(t0)
	c := valves.New("garden", zones, relaytest.New(3), clk, slog.New(slog.DiscardHandler),
		valves.Options{Limits: free, Persist: func(st valves.Saved) error { saved = append(saved, st.Runs); return nil }})
	if err := c.Reset(topics.SourceStartup); err != nil {
		t.Fatal(err)
	}
	c.Resume(valves.Saved{Runs: []valves.Run{
		{Zone: 1, Started: t0.Add(-time.Minute), EndsAt: t0.Add(4 * time.Minute), Source: "ctl"},
		{Zone: 2, Started: t0.Add(-time.Minute), EndsAt: t0.Add(time.Hour), Source: "ctl"},  // longer than the zone allows
		{Zone: 3, Started: t0.Add(-time.Hour), EndsAt: t0.Add(-time.Second), Source: "ctl"}, // over
		{Zone: 9, Started: t0, EndsAt: t0.Add(time.Hour), Source: "ctl"},                    // no such zone
	}})
	s := c.Snapshot()
	if !s.Zones["1"].EndsAt.Equal(t0.Add(4*time.Minute)) || s.Zones["1"].Source != topics.SourceResume {
		t.Errorf("zone 1 %+v", s.Zones["1"])
	}
	if !s.Zones["2"].EndsAt.Equal(t0.Add(10 * time.Minute)) {
		t.Errorf("zone 2 resumed past its maximum: %+v", s.Zones["2"])
	}
	if s.Zones["3"].State != topics.StateClosed {
		t.Errorf("a finished run resumed: %+v", s.Zones["3"])
	}
	last := saved[len(saved)-1]
	if len(last) != 2 || last[0].Zone != 1 || !last[0].EndsAt.Equal(t0.Add(4*time.Minute)) {
		t.Errorf("persisted %+v", last)
	}
	if err := c.Reset(topics.SourceShutdown); err != nil {
		t.Fatal(err)
	}
	if last := saved[len(saved)-1]; len(last) != 0 {
		t.Errorf("a clean stop left runs to resume: %+v", last)
	}
}

// TestInvariantsUnderRandomLoad drives thousands of mixed commands and clock steps, with a
// master valve, the power budget, sequential groups, run-once lists and pauses, and checks the
// safety invariants after every step.
func TestInvariantsUnderRandomLoad(t *testing.T) {
	for _, overflow := range []string{topics.OverflowQueue, topics.OverflowReject} {
		t.Run(overflow, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(len(overflow))))
			l := valves.Limits{MaxOpen: 2, Overflow: overflow, Stagger: 500 * time.Millisecond, Master: 8,
				MasterLead: time.Second, MasterLag: 3 * time.Second, Watchdog: time.Second}
			zones := make([]valves.Zone, 8)
			for i := range zones {
				zones[i] = valves.Zone{ID: i + 1, DefaultDuration: 2 * time.Minute, MaxDuration: 10 * time.Minute, Group: []string{"a", "a", "a", "b", "b", "", "", ""}[i]}
			}
			bank := relaytest.New(8)
			clk := clocktest.New(t0)
			c := valves.New("garden", zones, bank, clk, slog.New(slog.DiscardHandler), valves.Options{Limits: l})
			if err := c.Reset(topics.SourceStartup); err != nil {
				t.Fatal(err)
			}
			c.Start()
			defer c.Stop()
			var masterIdleSince time.Time
			for step := range 5000 {
				ids := []int{1 + rng.IntN(7)}
				if rng.IntN(4) == 0 {
					ids = append(ids, 1+rng.IntN(7))
				}
				d := time.Duration(rng.IntN(900)) * time.Second
				switch rng.IntN(8) {
				case 5:
					_, _, _ = c.RunOnce([]valves.Step{{Zone: ids[0], For: d}, {Zone: 1 + rng.IntN(7), For: d}}, rng.IntN(3) == 0, "r")
				case 6:
					if rng.IntN(3) == 0 {
						_, _, _ = c.Pause(time.Duration(1+rng.IntN(300))*time.Second, "r")
					} else {
						c.Unpause("r")
					}
				case 0, 1:
					_, _ = c.Open(ids, d, "r")
				case 2:
					_, _ = c.Close(ids, "r")
				case 3:
					_, _ = c.Toggle(ids, d, "r")
				case 4, 7:
					clk.Advance(time.Duration(rng.IntN(120_000)) * time.Millisecond)
				}
				now := clk.Now()
				s := c.Snapshot()
				on := bank.On()
				running := 0
				groups := map[string]int{}
				for id := 1; id <= 7; id++ {
					z := s.Zones[fmt.Sprint(id)]
					if on[id-1] != (z.State == topics.StateOpen) {
						t.Fatalf("step %d: zone %d relay %v but state %s", step, id, on[id-1], z.State)
					}
					if !on[id-1] {
						continue
					}
					running++
					if s.PausedUntil != nil {
						t.Fatalf("step %d: zone %d open during a pause", step, id)
					}
					if g := z.Group; g != "" {
						if other, ok := groups[g]; ok {
							t.Fatalf("step %d: zones %d and %d of group %s open together", step, other, id, g)
						}
						groups[g] = id
					}
					if z.EndsAt == nil {
						t.Fatalf("step %d: zone %d open with no run", step, id)
					}
					if !z.EndsAt.After(now) {
						t.Fatalf("step %d: zone %d open past its end %v (now %v)", step, id, z.EndsAt.Time, now)
					}
					if z.EndsAt.Sub(z.Since.Time) > 10*time.Minute {
						t.Fatalf("step %d: zone %d runs longer than its maximum", step, id)
					}
				}
				if running > l.MaxOpen {
					t.Fatalf("step %d: %d valves open, max %d", step, running, l.MaxOpen)
				}
				if running > 0 && !on[7] {
					t.Fatalf("step %d: zones run without the master", step)
				}
				if running == 0 && (len(s.Queue) == 0 || s.PausedUntil != nil) {
					if masterIdleSince.IsZero() {
						masterIdleSince = now
					}
					if on[7] && now.Sub(masterIdleSince) > l.MasterLag+l.Watchdog {
						t.Fatalf("step %d: the master stayed open %v with nothing to water", step, now.Sub(masterIdleSince))
					}
				} else {
					masterIdleSince = time.Time{}
				}
			}
		})
	}
}
