package daemon_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"sprinkler/agent/clock/clocktest"
	"sprinkler/broker/brokertest"
	"sprinkler/topics"
)

// TestRunOnceThroughTheBroker: a run-once list waters its zones one after the other beside a
// zone that runs already; with preempt it ends that zone first; a bad list changes nothing.
func TestRunOnceThroughTheBroker(t *testing.T) {
	clk := clocktest.New(time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC))
	a := start(t, unlimited(testConfig(t, "garden")), clk)
	c := brokertest.Connect(t, brokertest.URL(a.addr))
	c.Subscribe(a.topics.ZoneStateFilter())
	if r := request(t, c, a, "open", "o", `{"id":"o","zones":[4],"duration_s":3600}`); r.Status != topics.StatusOK {
		t.Fatal(r)
	}
	r := request(t, c, a, "run_once", "r", `{"id":"r","steps":[{"zone":1,"duration_s":600},{"zone":2,"duration_s":300},{"zone":3}]}`)
	var reply topics.RunOnceReply
	if err := json.Unmarshal(r.Data, &reply); err != nil || r.Status != topics.StatusOK || len(reply.Preempted) != 0 || len(reply.Steps) != 3 ||
		reply.Steps[0].State != topics.StateOpen || !strings.Contains(reply.Steps[1].Note, "run-once (zone 1)") {
		t.Fatalf("run_once: %+v %s", r, r.Data)
	}
	if on := a.bank.On(); !on[0] || on[1] || on[2] || !on[3] {
		t.Fatalf("step 1 beside zone 4: %v", on)
	}
	clk.Advance(10 * time.Minute)
	c.Await(a.topics.ZoneState(2), topics.StateOpen)
	if a.bank.On()[0] {
		t.Fatal("step 1 still open")
	}
	clk.Advance(5 * time.Minute)
	c.Await(a.topics.ZoneState(3), topics.StateOpen)

	for _, bad := range []string{
		`{"id":"b","steps":[]}`,
		`{"id":"b","steps":[{"zone":9}]}`,
		`{"id":"b","steps":[{"zone":5},{"zone":5}]}`,
		`{"id":"b","steps":[{"zone":3}]}`, // runs already, and no preempt
		`{"id":"b","steps":[{"zone":5,"duration_s":-1}]}`,
		`{"id":"b","steps":[{"zone":5,"for":"10m"}]}`,
	} {
		if r := request(t, c, a, "run_once", "b", bad); r.Status == topics.StatusOK {
			t.Errorf("%s accepted", bad)
		}
	}
	if on := a.bank.On(); on[4] {
		t.Fatal("a refused list opened zone 5")
	}
	r = request(t, c, a, "run_once", "p", `{"id":"p","steps":[{"zone":5,"duration_s":60}],"preempt":true}`)
	if err := json.Unmarshal(r.Data, &reply); err != nil || len(reply.Preempted) != 2 {
		t.Fatalf("preempt: %s", r.Data)
	}
	c.Await(a.topics.ZoneState(4), topics.StateClosed)
	c.Await(a.topics.ZoneState(5), topics.StateOpen)
}

// TestPauseThroughTheBroker: a pause closes the open zones, keeps their time and the queue,
// holds the schedule's window that falls in it, and everything goes on when it ends; the plain
// pause topics and the request do the same.
func TestPauseThroughTheBroker(t *testing.T) {
	clk := clocktest.New(time.Date(2026, 6, 1, 5, 40, 0, 0, time.UTC))
	cfg := withProfiles(t, unlimited(testConfig(t, "garden")), "active: p\nprofiles:\n  - name: p\n    zones:\n"+
		"      - {zone: 2, days: [all], runs: [{at: \"06:00\", for: 10m}]}\n")
	a := start(t, cfg, clk)
	c := brokertest.Connect(t, brokertest.URL(a.addr))
	c.Subscribe(a.topics.ZoneStateFilter(), a.topics.PauseState(), a.topics.State())
	c.Await(a.topics.PauseState(), "OFF")
	if r := request(t, c, a, "open", "o", `{"id":"o","zones":[1],"duration_s":600}`); r.Status != topics.StatusOK {
		t.Fatal(r)
	}
	clk.Advance(4 * time.Minute) // 05:44, zone 1 has 6 minutes left
	c.Publish(a.topics.PauseSet(), false, "30m")
	c.Await(a.topics.PauseState(), "ON")
	c.Await(a.topics.ZoneState(1), topics.StateClosed)
	c.AwaitMsg(a.topics.State(), `"paused_until":"2026-06-01T06:14:00.000Z"`, `"waits_for":"pause"`)

	r := request(t, c, a, "next", "n", `{"id":"n","hours":1}`)
	if !strings.Contains(string(r.Data), "paused until 06:14:00: starts when the pause ends") {
		t.Errorf("next does not show the pause: %s", r.Data)
	}
	clk.Advance(16 * time.Minute) // 06:00: the window's run waits
	if a.bank.On()[1] {
		t.Fatal("the schedule opened zone 2 in a pause")
	}
	clk.Advance(14 * time.Minute) // 06:14: the pause is over
	c.Await(a.topics.PauseState(), "OFF")
	c.Await(a.topics.ZoneState(1), topics.StateOpen)
	c.Await(a.topics.ZoneState(2), topics.StateOpen)
	// Zone 1 keeps its 6 minutes; zone 2 its whole window.
	c.AwaitMsg(a.topics.State(), `"zone":1,`, `"ends_at":"2026-06-01T06:20:00.000Z"`, `"ends_at":"2026-06-01T06:24:00.000Z"`)

	r = request(t, c, a, "pause", "p", `{"id":"p","duration_s":3600}`)
	var pr topics.PauseReply
	if err := json.Unmarshal(r.Data, &pr); err != nil || !pr.Paused || len(pr.Closed) != 2 || pr.Waiting != 2 {
		t.Fatalf("pause: %+v %s", r, r.Data)
	}
	if r := request(t, c, a, "resume", "r", `{"id":"r"}`); r.Status != topics.StatusOK {
		t.Fatalf("resume: %+v", r)
	}
	c.Await(a.topics.PauseState(), "OFF")
	if r := request(t, c, a, "resume", "x", `{"id":"x"}`); r.Code != topics.CodeBadRequest {
		t.Errorf("resume with no pause: %+v", r)
	}
	for _, bad := range []string{`{"id":"x"}`, `{"id":"x","duration_s":0}`, `{"id":"x","duration_s":90000}`} {
		if r := request(t, c, a, "pause", "x", bad); r.Code != topics.CodeBadRequest {
			t.Errorf("pause %s: %+v", bad, r)
		}
	}
}

// TestGroupsThroughTheBroker: two zones of one group that the schedule starts together run one
// after the other; a zone of no group runs beside them.
func TestGroupsThroughTheBroker(t *testing.T) {
	clk := clocktest.New(time.Date(2026, 6, 1, 5, 50, 0, 0, time.UTC))
	cfg := unlimited(testConfig(t, "garden"))
	cfg.Zones[0].Group, cfg.Zones[1].Group = "lawn", "lawn"
	cfg = withProfiles(t, cfg, "active: p\nprofiles:\n  - name: p\n    zones:\n"+
		"      - {zone: 1, days: [all], runs: [{at: \"06:00\", for: 10m}]}\n"+
		"      - {zone: 2, days: [all], runs: [{at: \"06:00\", for: 10m}]}\n"+
		"      - {zone: 3, days: [all], runs: [{at: \"06:00\", for: 10m}]}\n")
	a := start(t, cfg, clk)
	c := brokertest.Connect(t, brokertest.URL(a.addr))
	c.Subscribe(a.topics.ZoneStateFilter(), a.topics.State())
	clk.Advance(10 * time.Minute)
	c.Await(a.topics.ZoneState(1), topics.StateOpen)
	c.Await(a.topics.ZoneState(3), topics.StateOpen)
	c.AwaitMsg(a.topics.State(), `"waits_for":"group lawn (zone 1)"`)
	if a.bank.On()[1] {
		t.Fatal("zone 2 opened beside zone 1 of its group")
	}
	clk.Advance(10 * time.Minute)
	c.Await(a.topics.ZoneState(2), topics.StateOpen)
	c.Await(a.topics.ZoneState(1), topics.StateClosed)
}

// TestDayAndSunRulesThroughTheBroker: a program on the last day of the month at sunrise
// starts when next says, on the 30th of June and not before.
func TestDayAndSunRulesThroughTheBroker(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	clk := clocktest.New(time.Date(2026, 6, 28, 12, 0, 0, 0, berlin))
	cfg := unlimited(testConfig(t, "garden"))
	cfg.Site.Latitude, cfg.Site.Longitude = 52.52, 13.405
	cfg = withProfiles(t, cfg, "active: p\nprofiles:\n  - name: p\n    zones:\n"+
		"      - {zone: 1, days: [last], runs: [{at: sunrise-30m, for: 10m}]}\n"+
		"      - {zone: 2, days: every 2 days from 2026-06-01, runs: [{at: \"22:00\", for: 5m, times: 2, every: 30m}]}\n")
	cfg.Agent.Timezone = "Europe/Berlin"
	a := start(t, cfg, clk)
	c := brokertest.Connect(t, brokertest.URL(a.addr))
	c.Subscribe(a.topics.ZoneStateFilter())
	r := request(t, c, a, "next", "n", `{"id":"n","hours":72}`)
	var runs []topics.PlannedRun
	if err := json.Unmarshal(r.Data, &runs); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range runs {
		got = append(got, p.Start.In(berlin).Format("2006-01-02 15:04")+" zone "+string(rune('0'+p.Zone)))
	}
	// Berlin's sunrise on 30 June is at 04:46; the 29th is every other day from the 1st.
	want := "2026-06-29 22:00 zone 2 2026-06-29 22:30 zone 2 2026-06-30 04:16 zone 1"
	if strings.Join(got, " ") != want {
		t.Fatalf("next:\n %s\nwant\n %s", strings.Join(got, " "), want)
	}
	clk.Advance(runs[2].Start.Sub(clk.Now()) - time.Second)
	if a.bank.On()[0] {
		t.Fatal("zone 1 opened early")
	}
	clk.Advance(time.Second)
	c.Await(a.topics.ZoneState(1), topics.StateOpen)
}
