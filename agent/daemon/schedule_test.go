package daemon_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sprinkler/agent/clock/clocktest"
	"sprinkler/agent/config"
	"sprinkler/agent/daemon"
	"sprinkler/broker/brokertest"
	"sprinkler/topics"
)

const testProfiles = `
active: summer
profiles:
  - name: summer
    zones:
      - {zone: 1, days: [all], runs: [{at: "06:00", for: 5m}]}
      - {zone: 2, days: [all], runs: [{at: "06:00", for: 5m}]}
      - {zone: 3, days: [all], runs: [{at: "06:00", for: 5m}]}
  - name: winter
    zones:
      - {zone: 4, days: [all], runs: [{at: "07:00", for: 2m}]}
`

func withSchedule(t *testing.T, cfg config.Config) config.Config {
	t.Helper()
	return withProfiles(t, cfg, testProfiles)
}

// withProfiles gives cfg a profile file holding src, in UTC.
func withProfiles(t *testing.T, cfg config.Config, src string) config.Config {
	t.Helper()
	path := filepath.Join(t.TempDir(), "profiles.yaml")
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg.Schedule.File, cfg.Agent.Timezone = path, "UTC"
	return cfg
}

// TestScheduleThroughTheBroker runs a schedule whose windows overlap on three zones with the
// default power budget, and drives the schedule commands and topics as clients would.
func TestScheduleThroughTheBroker(t *testing.T) {
	clk := clocktest.New(time.Date(2026, 6, 1, 5, 0, 0, 0, time.UTC))
	a := start(t, withSchedule(t, testConfig(t, "garden")), clk)
	c := brokertest.Connect(t, brokertest.URL(a.addr))
	c.Subscribe(a.topics.ProfileState(), a.topics.State(), a.topics.ZoneStateFilter(), a.topics.Event())
	c.Await(a.topics.ProfileState(), "summer")
	c.AwaitMsg(a.topics.State(), `"profile":"summer"`, `"next_run":"2026-06-01T06:00:00.000Z"`)

	r := request(t, c, a, "next", "n", `{"id":"n","hours":24}`)
	var next []topics.PlannedRun
	if err := json.Unmarshal(r.Data, &next); err != nil || len(next) != 3 {
		t.Fatalf("next: %s", r.Data)
	}

	clk.Advance(time.Hour) // 06:00: three windows at once, two valves allowed
	c.Await(a.topics.ZoneState(1), topics.StateOpen)
	c.AwaitMsg(a.topics.Event(), `"event_type":"run_queued"`, `"zone":3`, `"source":"schedule:summer"`)
	clk.Advance(500 * time.Millisecond)
	c.Await(a.topics.ZoneState(2), topics.StateOpen)
	if a.bank.On()[2] {
		t.Fatal("three valves open")
	}
	r = request(t, c, a, "activate", "a1", `{"id":"a1","profile":"winter"}`)
	if r.Code != topics.CodeBadRequest || !strings.Contains(r.Error, "in progress") {
		t.Fatalf("activate during a run: %+v", r)
	}
	clk.Advance(5 * time.Minute) // zones 1 and 2 end; zone 3 gets its full 5 minutes
	c.Await(a.topics.ZoneState(3), topics.StateOpen)
	clk.Advance(5 * time.Minute)
	c.Await(a.topics.ZoneState(3), topics.StateClosed)

	c.Publish(a.topics.ProfileSet(), false, "winter")
	c.Await(a.topics.ProfileState(), "winter")
	r = request(t, c, a, "gap", "g", `{"id":"g"}`)
	if !strings.Contains(string(r.Data), `"profile":"winter"`) || !strings.Contains(string(r.Data), `"index":1`) {
		t.Errorf("profile: %s", r.Data)
	}
	c.Publish(a.topics.ProfileSet(), false, "autumn")
	c.AwaitMsg(a.topics.Event(), `"event_type":"command_refused"`, `autumn`)

	for cmd, want := range map[string]string{
		"profiles":   `"name":"summer"`,
		"schedule":   `"zones":[{"zone":4`,
		"rain_delay": `"rain_delay_until":"2026-06-02T06:10:00.500Z"`,
		"sp":         `"auto":false`,
		"rp":         `"auto":true`,
		"mp":         `"name":"winter"`,
	} {
		payload := `{"id":"` + cmd + `"}`
		if cmd == "rain_delay" {
			payload = `{"id":"rain_delay","hours":24}`
		}
		if r := request(t, c, a, cmd, cmd, payload); r.Status != topics.StatusOK || !strings.Contains(string(r.Data), want) {
			t.Errorf("%s: %+v %s", cmd, r, r.Data)
		}
	}
	if r := request(t, c, a, "rain_delay", "bad", `{"id":"bad","hours":-1}`); r.Code != topics.CodeBadRequest {
		t.Errorf("negative rain delay: %+v", r)
	}
}

func TestScheduleCommandsWithoutASchedule(t *testing.T) {
	a := start(t, testConfig(t, "garden"), nil)
	c := brokertest.Connect(t, brokertest.URL(a.addr))
	if r := request(t, c, a, "profiles", "p", `{"id":"p"}`); r.Code != topics.CodeUnavailable {
		t.Errorf("%+v", r)
	}
}

// TestWaterLevel: a plain water_level/set of 50 halves the runs of a profile that opts in,
// retained as its state and shown by next; at 5 % a ten-minute window becomes 30 s, under
// schedule.min_run, and is skipped with the reason.
func TestWaterLevel(t *testing.T) {
	clk := clocktest.New(time.Date(2026, 6, 1, 5, 50, 0, 0, time.UTC))
	cfg := withProfiles(t, unlimited(testConfig(t, "garden")), "active: p\nprofiles:\n  - name: p\n    water_level: true\n    zones:\n"+
		"      - {zone: 1, days: [all], runs: [{at: \"06:00\", for: 10m}, {at: \"07:00\", for: 10m}]}\n")
	cfg.Schedule.MinRun = time.Minute
	a := start(t, cfg, clk)
	c := brokertest.Connect(t, brokertest.URL(a.addr))
	c.Subscribe(a.topics.WaterLevelState(), a.topics.Event(), a.topics.ZoneState(1))
	c.Await(a.topics.WaterLevelState(), "100")
	c.Publish(a.topics.WaterLevelSet(), false, "50")
	c.Await(a.topics.WaterLevelState(), "50")

	r := request(t, c, a, "next", "n", `{"id":"n","hours":2}`)
	var runs []topics.PlannedRun
	if err := json.Unmarshal(r.Data, &runs); err != nil || len(runs) != 2 || runs[0].End.Sub(runs[0].Start.Time) != 5*time.Minute {
		t.Fatalf("next at 50%%: %s", r.Data)
	}
	clk.Advance(10 * time.Minute) // 06:00
	c.Await(a.topics.ZoneState(1), topics.StateOpen)
	clk.Advance(5 * time.Minute)
	c.Await(a.topics.ZoneState(1), topics.StateClosed)

	if r := request(t, c, a, "water_level", "w", `{"id":"w","percent":5}`); r.Status != topics.StatusOK {
		t.Fatalf("water_level 5: %+v", r)
	}
	clk.Advance(55 * time.Minute) // 07:00
	c.AwaitMsg(a.topics.Event(), `"event_type":"run_skipped"`, `water level 5%`)
	if a.bank.On()[0] {
		t.Error("a 30 s run started under min_run")
	}
	if r := request(t, c, a, "water_level", "x", `{"id":"x","percent":300}`); r.Code != topics.CodeBadRequest {
		t.Errorf("water_level 300: %+v", r)
	}
}

// TestSkip: skip next marks the coming run of a zone, skip today every one left today; the
// marked runs do not start and say why, in next too.
func TestSkip(t *testing.T) {
	clk := clocktest.New(time.Date(2026, 6, 1, 5, 50, 0, 0, time.UTC))
	cfg := withProfiles(t, unlimited(testConfig(t, "garden")), "active: p\nprofiles:\n  - name: p\n    zones:\n"+
		"      - {zone: 1, days: [all], runs: [{at: \"06:00\", for: 10m}, {at: \"07:00\", for: 10m}, {at: \"08:00\", for: 10m}]}\n"+
		"      - {zone: 2, days: [all], runs: [{at: \"06:00\", for: 10m}]}\n")
	a := start(t, cfg, clk)
	c := brokertest.Connect(t, brokertest.URL(a.addr))
	c.Subscribe(a.topics.Event(), a.topics.ZoneStateFilter())
	if r := request(t, c, a, "skip", "s", `{"id":"s","zones":[1]}`); r.Status != topics.StatusOK || !strings.Contains(string(r.Data), `"start":"2026-06-01T06:00:00Z"`) {
		t.Fatalf("skip next: %+v %s", r, r.Data)
	}
	r := request(t, c, a, "next", "n", `{"id":"n","hours":3}`)
	if !strings.Contains(string(r.Data), `skipped on request of`) {
		t.Errorf("next does not show the skip: %s", r.Data)
	}
	clk.Advance(10 * time.Minute) // 06:00: zone 2 runs, zone 1 does not
	c.Await(a.topics.ZoneState(2), topics.StateOpen)
	c.AwaitMsg(a.topics.Event(), `"event_type":"run_skipped"`, `"zone":1`, `skipped on request of`)
	if a.bank.On()[0] {
		t.Fatal("zone 1 ran its skipped run")
	}
	clk.Advance(time.Hour) // 07:00: zone 1 runs again
	c.Await(a.topics.ZoneState(1), topics.StateOpen)
	if r := request(t, c, a, "skip", "t", `{"id":"t","zones":"all","what":"today"}`); r.Status != topics.StatusOK {
		t.Fatal(r)
	}
	clk.Advance(time.Hour) // 08:00: skipped with the rest of today
	c.AwaitMsg(a.topics.Event(), `"event_type":"run_skipped"`, `"zone":1`, `"ts":"2026-06-01T08:00:00.000Z"`)
	if r := request(t, c, a, "skip", "x", `{"id":"x","zones":[1],"what":"tomorrow"}`); r.Code != topics.CodeBadRequest {
		t.Errorf("what tomorrow: %+v", r)
	}
}

// startSaved starts an agent on clk whose profile waters zone 1 daily with runs, on a state
// saved at saved, on a system that says whether its clock is synchronised.
func startSaved(t *testing.T, clk *clocktest.Fake, runs, saved string, synced bool) *agent {
	t.Helper()
	cfg := withProfiles(t, testConfig(t, "garden"), "active: summer\nprofiles:\n  - name: summer\n    zones:\n      - {zone: 1, days: [all], runs: ["+runs+"]}\n")
	if err := os.WriteFile(filepath.Join(cfg.State.Dir, "state.json"), []byte(`{"saved":"`+saved+`"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	return startFull(t, cfg, clk, nil, func(o *daemon.Options) { o.ClockSynced = func() bool { return synced } })
}

// TestScheduleWaitsForATrustedClock: the agent starts at 06:00 on a state saved at 07:00, as
// a Raspberry Pi without a real-time clock does after a power cut, and the system does not
// say its clock is synchronised. The 06:05 run does not start; once the clock passes 07:00 the
// schedule runs, and the 07:05 run starts.
func TestScheduleWaitsForATrustedClock(t *testing.T) {
	clk := clocktest.New(time.Date(2026, 6, 1, 6, 0, 0, 0, time.UTC))
	a := startSaved(t, clk, `{at: "06:05", for: 5m}, {at: "07:05", for: 5m}`, "2026-06-01T07:00:00Z", false)
	c := brokertest.Connect(t, brokertest.URL(a.addr))
	c.Subscribe(a.topics.Event(), a.topics.Health())
	c.AwaitMsg(a.topics.Health(), `behind the saved state`)
	if r := request(t, c, a, topics.CmdNext, "n", `{"id":"n","hours":2}`); !strings.Contains(string(r.Data), "the clock is behind the saved state") {
		t.Errorf("next does not say the runs wait for the clock: %s", r.Data)
	}

	clk.Advance(6 * time.Minute) // 06:06
	request(t, c, a, topics.CmdVersion, "v1", `{"id":"v1"}`)
	if a.bank.On()[0] {
		t.Fatal("a scheduled run started on a clock that cannot be trusted")
	}
	clk.Advance(55 * time.Minute) // 07:01: past the saved time
	c.AwaitMsg(a.topics.Event(), `"event_type":"problem_cleared"`)
	clk.Advance(4 * time.Minute) // 07:05
	c.AwaitMsg(a.topics.Event(), `"event_type":"run_started"`, `"zone":1`)
}

// TestSavedTimeAheadIsLetGo: the state was saved in 2036 by a clock that ran ahead; the system
// says its clock (2026) is synchronised. The schedule runs at once, nothing of 2036 resumes,
// and the next save writes the clock's time, not 2036 again.
func TestSavedTimeAheadIsLetGo(t *testing.T) {
	clk := clocktest.New(time.Date(2026, 6, 1, 6, 0, 0, 0, time.UTC))
	a := startSaved(t, clk, `{at: "06:05", for: 5m}`, "2036-01-01T00:00:00Z", true)
	path := filepath.Join(a.cfg.State.Dir, "state.json")
	c := brokertest.Connect(t, brokertest.URL(a.addr))
	c.Subscribe(a.topics.Event())
	clk.Advance(5 * time.Minute) // 06:05
	c.AwaitMsg(a.topics.Event(), `"event_type":"run_started"`, `"zone":1`)
	if r := request(t, c, a, topics.CmdWaterLevel, "w", `{"id":"w","percent":90}`); r.Status != topics.StatusOK {
		t.Fatal(r)
	}
	b, err := os.ReadFile(path)
	if err != nil || !strings.Contains(string(b), `"saved": "2026-06-01T06:05`) {
		t.Errorf("the saved time after a change: %s (%v)", b, err)
	}
}

// TestClientNamedLikeTheScheduleOwnsNothingOfIt: clients whose ids are spelt like each kind of
// owner (the schedule's source "schedule:x", "schedule", "resume", "run_once", "manual") open
// zones; none of their runs is the schedule's: turning automatic runs off leaves them open, the
// state counts no scheduled run, and the history records them as manual.
func TestClientNamedLikeTheScheduleOwnsNothingOfIt(t *testing.T) {
	a := start(t, unlimited(withSchedule(t, testConfig(t, "garden"))), nil)
	c := brokertest.Connect(t, brokertest.URL(a.addr))
	c.Subscribe(a.topics.ZoneStateFilter(), a.topics.State())
	names := []string{"schedule:x", "schedule", "resume", "run_once", "manual"}
	for i, name := range names {
		raw := brokertest.Dial(t, a.addr)
		if code, err := raw.Connect(brokertest.RawOptions{ClientID: name, Keepalive: 60}); err != nil || code != 0 {
			t.Fatalf("connect as %s: %#x, %v", name, code, err)
		}
		raw.Publish(a.topics.ZoneSet(i+1), "OPEN", 0, false, 0)
		c.Await(a.topics.ZoneState(i+1), topics.StateOpen)
	}
	c.AwaitMsg(a.topics.State(), `"source":"admin (manual)"`, `"scheduled_running":false`)
	if r := request(t, c, a, topics.CmdStop, "s", `{"id":"s"}`); r.Status != topics.StatusOK {
		t.Fatalf("stop: %+v", r)
	}
	for i, name := range names {
		if !a.bank.On()[i] {
			t.Errorf("turning automatic runs off closed the run of a client named %q", name)
		}
	}
	if r := request(t, c, a, topics.CmdClose, "c", `{"id":"c","zones":"all"}`); r.Status != topics.StatusOK {
		t.Fatal(r)
	}
	h := decode[topics.HistoryReply](t, request(t, c, a, topics.CmdHistory, "h", `{"id":"h"}`))
	for _, r := range h.Runs {
		if r.Owner != topics.OwnerManual {
			t.Errorf("the run of %s is owned by %q", r.Source, r.Owner)
		}
	}
}
