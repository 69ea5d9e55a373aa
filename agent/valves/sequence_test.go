package valves_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"sprinkler/agent/clock/clocktest"
	"sprinkler/agent/relay/relaytest"
	"sprinkler/agent/valves"
	"sprinkler/topics"
)

// setupGroups is setupWith for five zones, zone i+1 in groups[i]; zone 5 is the master valve
// when l names it.
func setupGroups(t *testing.T, l valves.Limits, groups ...string) (*valves.Controller, *relaytest.Bank, *clocktest.Fake) {
	t.Helper()
	zones := make([]valves.Zone, 5)
	for i := range zones {
		zones[i] = valves.Zone{ID: i + 1, Line: 5 + i, DefaultDuration: 10 * time.Minute, MaxDuration: time.Hour}
		if i < len(groups) {
			zones[i].Group = groups[i]
		}
	}
	return setupZones(t, l, zones)
}

func TestGroupsRunOneAtATime(t *testing.T) {
	c, bank, clk := setupGroups(t, free, "lawn", "lawn", "beds", "")
	ch, err := c.Open([]int{1, 2, 3, 4}, 0, "ctl")
	if err != nil {
		t.Fatal(err)
	}
	if ch[1].State != topics.StateQueued || !strings.Contains(ch[1].Note, "group lawn (zone 1)") {
		t.Errorf("zone 2: %+v", ch[1])
	}
	if !slices.Equal(bank.On(), []bool{true, false, true, true, false}) {
		t.Fatalf("zones of other groups and without one run side by side: %v", bank.On())
	}
	if q := c.Snapshot().Queue; len(q) != 1 || q[0].Zone != 2 || q[0].WaitsFor != "group lawn (zone 1)" {
		t.Errorf("queue %+v", q)
	}
	clk.Advance(10 * time.Minute)
	if !slices.Equal(bank.On(), []bool{false, true, false, false, false}) {
		t.Fatalf("zone 2 follows zone 1: %v", bank.On())
	}
	if g := c.Snapshot().Zones["2"].Group; g != "lawn" {
		t.Errorf("group in the snapshot: %q", g)
	}
}

func TestRunOnceQueuesBehindWhatRuns(t *testing.T) {
	c, bank, clk := setupGroups(t, safe)
	if _, err := c.Open([]int{4}, 20*time.Minute, "ctl"); err != nil {
		t.Fatal(err)
	}
	ch, preempted, err := c.RunOnce([]valves.Step{{Zone: 1, For: 10 * time.Minute}, {Zone: 2, For: 5 * time.Minute}, {Zone: 3}}, false, "phone")
	if err != nil || len(preempted) != 0 {
		t.Fatal(err, preempted)
	}
	if ch[0].State != topics.StateQueued || !strings.Contains(ch[0].Note, "apart") || !strings.Contains(ch[1].Note, "run-once (zone 1)") {
		t.Errorf("changes %+v", ch)
	}
	clk.Advance(500 * time.Millisecond)
	if !slices.Equal(bank.On(), []bool{true, false, false, true, false}) {
		t.Fatalf("step 1 beside the running zone 4: %v", bank.On())
	}
	clk.Advance(10 * time.Minute)
	if !slices.Equal(bank.On(), []bool{false, true, false, true, false}) {
		t.Fatalf("step 2 after step 1: %v", bank.On())
	}
	clk.Advance(5 * time.Minute)
	if !slices.Equal(bank.On(), []bool{false, false, true, true, false}) {
		t.Fatalf("step 3 after step 2: %v", bank.On())
	}
	if end := c.Snapshot().Zones["3"].EndsAt; !end.Equal(clk.Now().Add(10 * time.Minute)) {
		t.Errorf("step 3 takes the zone's default: ends %v", end)
	}
}

func TestRunOnceKeepsItsOrderWhenAStepWaitsForItsGroup(t *testing.T) {
	c, bank, clk := setupGroups(t, free, "lawn", "", "lawn")
	if _, err := c.Open([]int{3}, 5*time.Minute, "ctl"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.RunOnce([]valves.Step{{Zone: 1, For: time.Minute}, {Zone: 2, For: time.Minute}}, false, "ctl"); err != nil {
		t.Fatal(err)
	}
	if bank.On()[1] {
		t.Fatal("step 2 went before step 1, which waits for its group")
	}
	clk.Advance(5 * time.Minute)
	if !slices.Equal(bank.On(), []bool{true, false, false, false, false}) {
		t.Fatalf("%v", bank.On())
	}
}

func TestRunOncePreemptsOrRefuses(t *testing.T) {
	c, bank, clk := setupGroups(t, safe)
	if _, err := c.Open([]int{1, 4, 3}, 0, "ctl"); err != nil {
		t.Fatal(err)
	}
	for _, steps := range [][]valves.Step{{{Zone: 1}}, {{Zone: 2}, {Zone: 2}}, {{Zone: 9}}, {{Zone: 5}, {Zone: 0}}, nil} {
		if _, _, err := c.RunOnce(steps, false, "ctl"); err == nil {
			t.Errorf("%v accepted", steps)
		}
	}
	if got := len(c.Snapshot().Queue); got != 2 {
		t.Fatalf("a refused run-once changed the queue: %d", got)
	}
	ch, preempted, err := c.RunOnce([]valves.Step{{Zone: 2, For: time.Minute}, {Zone: 1, For: time.Minute}}, true, "ctl")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(preempted, []int{1, 3, 4}) || !strings.Contains(ch[1].Note, "run-once (zone 2)") {
		t.Errorf("preempted %v, changes %+v", preempted, ch)
	}
	clk.Advance(500 * time.Millisecond)
	if !slices.Equal(bank.On(), []bool{false, true, false, false, false}) {
		t.Errorf("%v", bank.On())
	}
}

func TestPauseKeepsRemainingTimeAndQueue(t *testing.T) {
	l := safe
	l.Master, l.MasterLag = 5, 5*time.Second
	c, bank, clk := setupGroups(t, l)
	if _, err := c.Open([]int{1}, 10*time.Minute, "ctl"); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Second)
	if _, err := c.Open([]int{2, 3}, 10*time.Minute, "ctl"); err != nil {
		t.Fatal(err)
	}
	clk.Advance(4 * time.Minute)
	c.TakeEvents()
	left1 := c.Snapshot().Zones["1"].EndsAt.Sub(clk.Now())
	closed, until, err := c.Pause(30*time.Minute, "phone")
	if err != nil || !slices.Equal(closed, []int{1, 2}) || !until.Equal(clk.Now().Add(30*time.Minute)) {
		t.Fatal(closed, until, err)
	}
	if !slices.Equal(bank.On(), []bool{false, false, false, false, true}) {
		t.Fatalf("zones stay on: %v", bank.On())
	}
	snap := c.Snapshot()
	if snap.PausedUntil == nil || len(snap.Queue) != 3 || snap.Queue[0].Zone != 1 || snap.Queue[1].Zone != 2 || snap.Queue[2].Zone != 3 || snap.Queue[0].WaitsFor != "pause" {
		t.Fatalf("snapshot %+v", snap)
	}
	if left := snap.Queue[0].DurationS; left != left1.Seconds() {
		t.Errorf("zone 1 keeps %vs of %v", left, left1)
	}
	clk.Advance(5 * time.Second)
	if bank.On()[4] {
		t.Error("the master valve stays open through a pause")
	}
	ch, err := c.Open([]int{4}, time.Minute, "ctl")
	if err != nil || ch[0].State != topics.StateQueued || !strings.Contains(ch[0].Note, "paused until") {
		t.Errorf("an open during a pause: %+v %v", ch, err)
	}
	clk.Advance(30 * time.Minute)
	if c.PausedUntil() != (time.Time{}) {
		t.Fatal("still paused")
	}
	clk.Advance(5 * time.Second) // master lead and stagger
	on := bank.On()
	if !on[0] || !on[1] || on[2] || !on[4] {
		t.Fatalf("after the pause: %v", on)
	}
	if end := c.Snapshot().Zones["1"].EndsAt; !end.Equal(since(c, 1).Add(left1)) {
		t.Errorf("zone 1 ends %v, not %v after it went on again at %v", end, left1, since(c, 1))
	}
	ev, _ := c.TakeEvents()
	var types []string
	for _, e := range ev {
		if e.Type == topics.EventPaused || e.Type == topics.EventUnpaused || e.Reason == topics.ReasonPaused {
			types = append(types, e.Type+"/"+e.Reason+"/"+e.Source)
		}
	}
	if strings.Join(types, " ") != "run_finished/paused/phone run_finished/paused/phone paused//phone unpaused//timer" {
		t.Errorf("events %v", types)
	}
}

func TestUnpauseStartsAtOnce(t *testing.T) {
	c, bank, _ := setupGroups(t, free)
	if _, err := c.Open([]int{2}, 10*time.Minute, "ctl"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Pause(time.Hour, "ctl"); err != nil {
		t.Fatal(err)
	}
	if c.Unpause("ctl") != true || !bank.On()[1] {
		t.Fatalf("resume: %v", bank.On())
	}
	if c.Unpause("ctl") {
		t.Error("a second resume found a pause")
	}
	for _, d := range []time.Duration{0, -time.Minute, 25 * time.Hour} {
		if _, _, err := c.Pause(d, "ctl"); err == nil {
			t.Errorf("a pause of %v", d)
		}
	}
}
