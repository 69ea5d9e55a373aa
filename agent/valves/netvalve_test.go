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

// TestBatteryValvesHoldNoSlot: a valve on its own batteries opens beside a full power budget,
// without the stagger, in the queue's order or not; the reject policy does not count it.
func TestBatteryValvesHoldNoSlot(t *testing.T) {
	zones := []valves.Zone{
		{ID: 1, Name: "a", Line: 5, DefaultDuration: 10 * time.Minute, MaxDuration: time.Hour},
		{ID: 2, Name: "b", Line: 6, DefaultDuration: 10 * time.Minute, MaxDuration: time.Hour},
		{ID: 3, Name: "tap", Bank: "tap", Device: "zigbee2mqtt tap", OffBudget: true, DefaultDuration: 10 * time.Minute, MaxDuration: time.Hour},
	}
	for _, overflow := range []string{topics.OverflowQueue, topics.OverflowReject} {
		c, bank, _ := setupZones(t, valves.Limits{MaxOpen: 1, Overflow: overflow, Stagger: 5 * time.Second, Watchdog: time.Second}, zones)
		if _, err := c.Open([]int{1}, 0, "ctl"); err != nil {
			t.Fatal(err)
		}
		_, err := c.Open([]int{2}, 0, "ctl")
		if overflow == topics.OverflowReject && err == nil {
			t.Fatal("reject: a second valve on the budget was let in")
		}
		if _, err := c.Open([]int{3}, 0, "ctl"); err != nil {
			t.Fatalf("%s: the battery valve: %v", overflow, err)
		}
		if !slices.Equal(bank.On(), []bool{true, false, true}) {
			t.Fatalf("%s: relays %v: the battery valve opens at once, zone 2 waits", overflow, bank.On())
		}
		if s := c.Snapshot(); s.OpenCount != 2 {
			t.Errorf("open count %d", s.OpenCount)
		}
	}
}

// TestALostRunEnds: a run whose network valve failed or closed by itself ends with the reason
// and the device's message, in the history, and its slot goes to the next run.
func TestALostRunEnds(t *testing.T) {
	zones := []valves.Zone{
		{ID: 1, Name: "roses", Bank: "sonoff", Device: "tasmota roses Power1", DefaultDuration: 10 * time.Minute, MaxDuration: time.Hour},
		{ID: 2, Name: "b", Line: 6, DefaultDuration: 10 * time.Minute, MaxDuration: time.Hour},
	}
	c, bank, _ := setupZones(t, valves.Limits{MaxOpen: 1, Watchdog: time.Second}, zones)
	if _, err := c.Open([]int{1, 2}, 0, "ctl"); err != nil {
		t.Fatal(err)
	}
	c.TakeEvents()
	c.Lost(0, topics.ReasonDevice, "tasmota roses Power1 closed by itself")
	ev, _ := c.TakeEvents()
	i := slices.IndexFunc(ev, func(e topics.Event) bool { return e.Type == topics.EventRunFinished })
	if i < 0 || ev[i].Reason != topics.ReasonDevice || ev[i].Message != "tasmota roses Power1 closed by itself" || ev[i].Source != "device tasmota roses Power1" {
		t.Fatalf("events %+v", ev)
	}
	if !c.IsOpen(2) || c.IsOpen(1) {
		t.Fatalf("the freed slot: relays %v", bank.On())
	}
}

// TestARunThatCannotStartIsInTheHistory: a relay or a device that fails a run's turn-on leaves
// a record of the run, failed, beside the event.
func TestARunThatCannotStartIsInTheHistory(t *testing.T) {
	bank := relaytest.New(2)
	var ended []topics.RunRecord
	zones := []valves.Zone{{ID: 1, Name: "a", Line: 5, DefaultDuration: time.Minute, MaxDuration: time.Hour}, {ID: 2, Name: "b", Line: 6, DefaultDuration: time.Minute, MaxDuration: time.Hour}}
	c := valves.New("garden", zones, bank, clocktest.New(t0), slog.New(slog.DiscardHandler), valves.Options{Limits: valves.Limits{MaxOpen: 1},
		Ended: func(r topics.RunRecord) { ended = append(ended, r) }})
	bank.Fail(1, true)
	if _, err := c.Open([]int{2}, 0, "ctl"); err == nil {
		t.Fatal("a failed relay opened")
	}
	if len(ended) != 1 || ended[0].Zone != 2 || ended[0].Outcome != topics.ReasonFailed || ended[0].ActualS != 0 {
		t.Fatalf("history %+v", ended)
	}
}
