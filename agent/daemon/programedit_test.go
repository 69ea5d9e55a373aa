package daemon_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sprinkler/agent/clock/clocktest"
	"sprinkler/broker/brokertest"
	"sprinkler/broker/server"
	"sprinkler/topics"
)

func decode[T any](t *testing.T, r topics.Response) T {
	t.Helper()
	var v T
	if r.Status != topics.StatusOK {
		t.Fatalf("%s: %s [%s]", r.ID, r.Error, r.Code)
	}
	if err := json.Unmarshal(r.Data, &v); err != nil {
		t.Fatalf("%s: %v: %s", r.ID, err, r.Data)
	}
	return v
}

// TestProgramsThroughTheBroker edits the schedule as a client on the phone does: reads a
// program, changes it and puts it back; the schedule runs the new version at once (next),
// Home Assistant's profile list follows a new program, a stale revision and a bad program are
// refused and change nothing, and after a restart the file holds the change.
func TestProgramsThroughTheBroker(t *testing.T) {
	clk := clocktest.New(time.Date(2026, 6, 1, 4, 0, 0, 0, time.UTC))
	cfg := withSchedule(t, testConfig(t, "garden"))
	a := start(t, cfg, clk)
	c := brokertest.Connect(t, brokertest.URL(a.addr))
	c.Subscribe(a.topics.Event(), "homeassistant/device/garden/config")
	c.AwaitMsg("homeassistant/device/garden/config", `"winter"`)

	list := decode[[]topics.ProgramSummary](t, request(t, c, a, "program_list", "l", `{"id":"l"}`))
	if len(list) != 2 || list[0].Name != "summer" || !list[0].Active || list[0].Revision == "" {
		t.Fatalf("program_list: %+v", list)
	}
	doc := decode[topics.ProgramDoc](t, request(t, c, a, "program_get", "g", `{"id":"g","name":"summer"}`))
	if doc.Revision != list[0].Revision || len(doc.Zones) == 0 {
		t.Fatalf("program_get: %+v", doc)
	}
	doc.Zones[0].Runs = []topics.ProgramRun{{At: "05:00", For: "7m"}}
	preview := decode[[]topics.PlannedRun](t, request(t, c, a, "program_preview", "pv", string(mustMarshal(t, map[string]any{"id": "pv", "program": doc, "hours": 2}))))
	if len(preview) != 1 || preview[0].Start.Format("15:04") != "05:00" || preview[0].End.Sub(preview[0].Start.Time) != 7*time.Minute {
		t.Errorf("program_preview: %+v", preview)
	}
	if next := decode[[]topics.PlannedRun](t, request(t, c, a, "next", "n0", `{"id":"n0","hours":2}`)); len(next) > 0 && next[0].Start.Format("15:04") == "05:00" {
		t.Errorf("a preview changed the schedule: %+v", next)
	}
	put := decode[topics.ProgramDoc](t, request(t, c, a, "program_put", "p", string(mustMarshal(t, map[string]any{"id": "p", "program": doc}))))
	if put.Revision == doc.Revision {
		t.Errorf("the revision did not change: %+v", put)
	}
	c.AwaitMsg(a.topics.Event(), `"event_type":"program_changed"`, `put summer`)
	c.Subscribe(a.topics.NextRuns())
	c.AwaitMsg(a.topics.NextRuns(), `"start":"2026-06-01T05:00:00.000Z","end":"2026-06-01T05:07:00.000Z"`) // retained: every client sees it
	next := decode[[]topics.PlannedRun](t, request(t, c, a, "next", "n", `{"id":"n","hours":2}`))
	if len(next) == 0 || next[0].Zone != doc.Zones[0].Zone || next[0].Start.Format("15:04") != "05:00" || next[0].End.Sub(next[0].Start.Time) != 7*time.Minute {
		t.Errorf("next after the put: %+v", next)
	}

	// Another client still holding the old revision is refused, and nothing changes.
	file, _ := os.ReadFile(cfg.Schedule.File)
	doc.About = "stale"
	if r := request(t, c, a, "program_put", "s", string(mustMarshal(t, map[string]any{"id": "s", "program": doc}))); r.Code != topics.CodeConflict {
		t.Errorf("a stale put: %+v", r)
	}
	bad := put
	bad.Zones[0].Runs = []topics.ProgramRun{{At: "05:00", For: "a while"}}
	if r := request(t, c, a, "program_put", "b", string(mustMarshal(t, map[string]any{"id": "b", "program": bad}))); r.Code != topics.CodeBadRequest ||
		!strings.Contains(r.Error, `for: "a while" is not a duration`) {
		t.Errorf("a bad put: %+v", r)
	}
	if r := request(t, c, a, "program_put", "u", `{"id":"u","program":{"name":"x","zones":[],"colour":"red"}}`); r.Code != topics.CodeBadRequest || !strings.Contains(r.Error, `unknown field "colour"`) {
		t.Errorf("an unknown field: %+v", r)
	}
	if now, _ := os.ReadFile(cfg.Schedule.File); string(now) != string(file) {
		t.Error("a refused put changed the file")
	}

	// A new program reaches Home Assistant's list of profiles.
	autumn := topics.ProgramDoc{Name: "autumn", Zones: []topics.ProgramZone{{Zone: 2, Days: []string{"all"}, Runs: []topics.ProgramRun{{At: "08:00", For: "3m"}}}}}
	decode[topics.ProgramDoc](t, request(t, c, a, "program_put", "c", string(mustMarshal(t, map[string]any{"id": "c", "program": autumn}))))
	c.AwaitMsg("homeassistant/device/garden/config", `"autumn"`)
	vs := decode[[]topics.Version](t, request(t, c, a, "program_versions", "v", `{"id":"v"}`))
	if len(vs) != 3 || vs[0].Action != "as found" || vs[1].What != "summer" || vs[2].What != "autumn" || vs[2].By != "admin ("+c.ID()+")" {
		t.Errorf("versions: %+v (client %s)", vs, c.ID())
	}

	if err := a.stop(); err != nil {
		t.Fatal(err)
	}
	a = start(t, cfg, clk)
	c = brokertest.Connect(t, brokertest.URL(a.addr))
	again := decode[topics.ProgramDoc](t, request(t, c, a, "program_get", "g2", `{"id":"g2","name":"summer"}`))
	if again.Revision != put.Revision {
		t.Errorf("after a restart: %+v, want revision %s", again, put.Revision)
	}
	restored := decode[[]topics.ProgramSummary](t, request(t, c, a, "program_restore", "r", `{"id":"r","version":1}`))
	if len(restored) != 2 || restored[0].Revision != list[0].Revision {
		t.Errorf("restore of version 1: %+v, want the list as found %+v", restored, list)
	}

	// Renaming the active program keeps it active, under its new name, everywhere.
	c.Subscribe(a.topics.ProfileState())
	renamed := decode[topics.ProgramDoc](t, request(t, c, a, "program_rename", "rn",
		`{"id":"rn","name":"summer","new_name":"high summer","revision":"`+restored[0].Revision+`"}`))
	c.Await(a.topics.ProfileState(), "high summer")
	if r := request(t, c, a, "program_delete", "d", `{"id":"d","name":"high summer","revision":"`+renamed.Revision+`"}`); r.Code != topics.CodeBadRequest ||
		!strings.Contains(r.Error, "active one") {
		t.Errorf("deleting the active program: %+v", r)
	}
	winter := decode[topics.ProgramDoc](t, request(t, c, a, "program_get", "w", `{"id":"w","name":"winter"}`))
	decode[struct{ Deleted string }](t, request(t, c, a, "program_delete", "d2", `{"id":"d2","name":"winter","revision":"`+winter.Revision+`"}`))
	if l := decode[[]topics.ProgramSummary](t, request(t, c, a, "program_list", "l2", `{"id":"l2"}`)); len(l) != 1 || l[0].Name != "high summer" || !l[0].Active {
		t.Errorf("after rename and delete: %+v", l)
	}

	// A version without the active program makes another active, and says so.
	c.Subscribe(a.topics.Event())
	back := decode[[]topics.ProgramSummary](t, request(t, c, a, "program_restore", "r2", `{"id":"r2","version":1}`))
	if len(back) != 2 || back[0].Name != "summer" || !back[0].Active {
		t.Errorf("restoring a version without high summer: %+v", back)
	}
	c.AwaitMsg(a.topics.Event(), `"event_type":"schedule_loaded"`, `the active profile high summer is not among them: summer is active now`)
}

// TestProgramsNeedAnAdmin: a viewer reads programs and their versions but changes none: the
// broker refuses its change requests (the role's topic ACL), as the agent itself would.
func TestProgramsNeedAnAdmin(t *testing.T) {
	clk := clocktest.New(time.Date(2026, 6, 1, 4, 0, 0, 0, time.UTC))
	cfg := withSchedule(t, testConfig(t, "garden"))
	cfg.Broker.AnonymousRole = server.RoleViewer
	a := start(t, cfg, clk)
	c := brokertest.Connect(t, brokertest.URL(a.addr))
	doc := decode[topics.ProgramDoc](t, request(t, c, a, "program_get", "g", `{"id":"g","name":"summer"}`))
	before, _ := os.ReadFile(cfg.Schedule.File)
	changes := map[string]string{
		"program_put":     string(mustMarshal(t, map[string]any{"id": "x", "program": doc})),
		"program_delete":  `{"id":"x","name":"winter","revision":"` + doc.Revision + `"}`,
		"program_rename":  `{"id":"x","name":"summer","new_name":"s","revision":"` + doc.Revision + `"}`,
		"program_restore": `{"id":"x","version":1}`,
	}
	for cmd, payload := range changes {
		// The broker closes a connection that publishes what its role may not: one client each.
		brokertest.Connect(t, brokertest.URL(a.addr)).Publish(a.topics.Request(cmd), false, payload)
	}
	c = brokertest.Connect(t, brokertest.URL(a.addr))
	if vs := decode[[]topics.Version](t, request(t, c, a, "program_versions", "v", `{"id":"v"}`)); len(vs) != 0 {
		t.Errorf("a viewer's requests made versions: %+v", vs)
	}
	if after, _ := os.ReadFile(cfg.Schedule.File); string(after) != string(before) {
		t.Error("a viewer changed the file")
	}
	if _, err := os.Stat(filepath.Join(cfg.State.Dir, "programs")); !os.IsNotExist(err) {
		t.Errorf("a viewer's requests left versions: %v", err)
	}
}
