package daemon_test

import (
	"encoding/json"
	"testing"
	"time"

	"sprinkler/agent/clock/clocktest"
	"sprinkler/broker/brokertest"
	"sprinkler/topics"
)

// TestThreeZonesAtOnceQueue asks for three zones at once with max_open 2 through the broker:
// two open a stagger apart, the third waits and takes the first free slot.
func TestThreeZonesAtOnceQueue(t *testing.T) {
	clk := clocktest.New(time.Date(2026, 6, 1, 6, 0, 0, 0, time.UTC))
	a := start(t, testConfig(t, "garden"), clk)
	c := brokertest.Connect(t, brokertest.URL(a.addr))
	c.Subscribe(a.topics.ZoneStateFilter(), a.topics.Event(), a.topics.State())

	r := request(t, c, a, "open", "q", `{"id":"q","zones":[1,2,3],"duration_s":120}`)
	var ch []topics.ZoneChange
	if err := json.Unmarshal(r.Data, &ch); err != nil || len(ch) != 3 {
		t.Fatalf("reply %s", r.Data)
	}
	if ch[0].State != topics.StateOpen || ch[1].State != topics.StateQueued || ch[2].State != topics.StateQueued {
		t.Fatalf("states %+v", ch)
	}
	c.AwaitMsg(a.topics.Event(), `"event_type":"run_queued"`, `"zone":3`)
	c.AwaitMsg(a.topics.State(), `"queue":[{"zone":2`)

	clk.Advance(500 * time.Millisecond)
	c.Await(a.topics.ZoneState(2), topics.StateOpen)
	if a.bank.On()[2] {
		t.Fatal("a third valve opened")
	}
	clk.Advance(120 * time.Second) // zone 1's run ends; zone 3 takes its slot
	c.Await(a.topics.ZoneState(1), topics.StateClosed)
	c.Await(a.topics.ZoneState(3), topics.StateOpen)
	c.AwaitMsg(a.topics.Event(), `"event_type":"run_finished"`, `"zone":1`, `"reason":"finished"`)
	if n := len(a.bank.On()); a.bank.On()[0] || !a.bank.On()[2] || n != 8 {
		t.Fatalf("relays %v", a.bank.On())
	}
}

func TestThreeZonesAtOnceReject(t *testing.T) {
	cfg := testConfig(t, "garden")
	cfg.Safety.Overflow = topics.OverflowReject
	a := start(t, cfg, clocktest.New(time.Date(2026, 6, 1, 6, 0, 0, 0, time.UTC)))
	c := brokertest.Connect(t, brokertest.URL(a.addr))
	c.Subscribe(a.topics.Event())
	if r := request(t, c, a, "open", "a", `{"id":"a","zones":[1,2]}`); r.Status != topics.StatusOK {
		t.Fatalf("%+v", r)
	}
	before := len(a.bank.Switches())
	r := request(t, c, a, "open", "b", `{"id":"b","zones":[3]}`)
	if r.Code != topics.CodeBudget || r.Error == "" {
		t.Fatalf("%+v", r)
	}
	c.AwaitMsg(a.topics.Event(), `"event_type":"run_rejected"`, `"zone":3`)
	if len(a.bank.Switches()) != before {
		t.Error("a refused run switched a relay")
	}
}

// TestOpenWithoutDurationGetsTheDefault opens a zone as Home Assistant's valve does, with a
// plain OPEN, and lets the zone's default duration close it.
func TestOpenWithoutDurationGetsTheDefault(t *testing.T) {
	clk := clocktest.New(time.Date(2026, 6, 1, 6, 0, 0, 0, time.UTC))
	cfg := testConfig(t, "garden")
	cfg.Zones[4].DefaultDuration, cfg.Zones[4].MaxDuration = 3*time.Minute, 5*time.Minute
	a := start(t, cfg, clk)
	c := brokertest.Connect(t, brokertest.URL(a.addr))
	c.Subscribe(a.topics.ZoneState(5))
	c.Publish(a.topics.ZoneSet(5), false, "OPEN")
	c.Await(a.topics.ZoneState(5), topics.StateOpen)
	r := request(t, c, a, "open", "x", `{"id":"x","zones":[5],"duration_s":3600}`)
	var ch []topics.ZoneChange
	_ = json.Unmarshal(r.Data, &ch)
	if len(ch) != 1 || ch[0].Note == "" || !ch[0].EndsAt.Equal(clk.Now().Add(5*time.Minute)) {
		t.Fatalf("an hour on a 5-minute zone: %s", r.Data)
	}
	clk.Advance(5 * time.Minute)
	c.Await(a.topics.ZoneState(5), topics.StateClosed)
}
