package daemon_test

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"sprinkler/agent/clock/clocktest"
	"sprinkler/agent/config"
	"sprinkler/agent/daemon"
	"sprinkler/broker/brokertest"
	"sprinkler/statefile/disktest"
	"sprinkler/topics"
)

// shippedConfig is the shipped configuration and profiles in a folder of the test's, loaded as
// the agent loads them (with testConfig's environment: loopback, a state folder).
func shippedConfig(t *testing.T) config.Config {
	t.Helper()
	return shippedAs(t, "agent.yaml")
}

// shippedAs is shippedConfig with the shipped configuration file name (an example beside
// agent.yaml, such as agent-weather.yaml).
func shippedAs(t *testing.T, name string) config.Config {
	t.Helper()
	testConfig(t, "garden")
	dir := t.TempDir()
	for _, f := range []string{name, "profiles.yaml"} {
		b, err := os.ReadFile(filepath.Join("../../configs", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("SPRINKLER_RELAYS_DRIVER", "sim")
	t.Setenv("SPRINKLER_AGENT_TIMEZONE", "UTC")
	cfg, err := config.Load(filepath.Join(dir, name), true)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func zoneSet(t *testing.T, c *brokertest.Client, a *agent, id string, args map[string]any) topics.Response {
	t.Helper()
	args["id"] = id
	return request(t, c, a, "zone_set", id, string(mustMarshal(t, args)))
}

// TestZoneSettingsThroughTheBroker renames a zone and changes its runs from a client: the
// configuration file changes in that zone's line alone, Home Assistant's discovery and the
// info name it anew at once, and a restart keeps it; a stale revision, a maximum the schedule
// or a running zone does not fit, and a default above the maximum are refused and change
// nothing.
func TestZoneSettingsThroughTheBroker(t *testing.T) {
	clk := clocktest.New(time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC))
	cfg := shippedConfig(t)
	before, _ := os.ReadFile(cfg.Source)
	a := start(t, cfg, clk)
	c := brokertest.Connect(t, brokertest.URL(a.addr))
	c.Subscribe("homeassistant/device/garden/config", a.topics.Info(), a.topics.Event())
	c.AwaitMsg("homeassistant/device/garden/config", `"Zone 3"`)

	zs := decode[[]topics.ZoneSettings](t, request(t, c, a, "zone_list", "l", `{"id":"l"}`))
	if len(zs) != 8 || zs[2].Name != "Zone 3" || zs[2].Line != 13 || zs[2].MaxDurationS != 3600 || zs[2].Revision == "" {
		t.Fatalf("zone_list: %+v", zs)
	}
	got := decode[topics.ZoneSettings](t, zoneSet(t, c, a, "s", map[string]any{"zone": 3, "name": "Lawn", "max_duration_s": 2400,
		"group": "front", "revision": zs[2].Revision}))
	if got.Name != "Lawn" || got.MaxDurationS != 2400 || got.Group != "front" || got.Revision == zs[2].Revision {
		t.Errorf("zone_set: %+v", got)
	}
	c.AwaitMsg("homeassistant/device/garden/config", `"Lawn"`)
	c.AwaitMsg(a.topics.Info(), `"name":"Lawn"`)
	c.AwaitMsg(a.topics.Event(), `"event_type":"zone_changed"`, `name \"Zone 3\" → \"Lawn\"`)
	after, _ := os.ReadFile(cfg.Source)
	bl, al := strings.Split(string(before), "\n"), strings.Split(string(after), "\n")
	changed := 0
	for i := range bl {
		if bl[i] != al[i] {
			changed++
			if al[i] != "  - {id: 3, name: Lawn, line: 13, default_duration: 10m, max_duration: 40m, group: front}" {
				t.Errorf("line %d became %q", i+1, al[i])
			}
		}
	}
	if changed != 1 || len(al) != len(bl) {
		t.Errorf("%d lines changed, want 1", changed)
	}

	for i, c2 := range []struct {
		args map[string]any
		code topics.Code
		want string
	}{
		{map[string]any{"zone": 3, "name": "Stale", "revision": zs[2].Revision}, topics.CodeConflict, "changed since revision"},
		{map[string]any{"zone": 1, "max_duration_s": 300, "default_duration_s": 300, "revision": zs[0].Revision}, topics.CodeBadRequest, "the schedule does not fit"},
		{map[string]any{"zone": 4, "default_duration_s": 4000, "revision": zs[3].Revision}, topics.CodeBadRequest, "default_duration"},
		{map[string]any{"zone": 9, "name": "x", "revision": "r"}, topics.CodeUnknownZone, "no zone 9"},
	} {
		r := zoneSet(t, c, a, fmt.Sprintf("x%d", i), c2.args)
		if r.Code != c2.code || !strings.Contains(r.Error, c2.want) {
			t.Errorf("%v: %s [%s], want %s with %q", c2.args, r.Error, r.Code, c2.code, c2.want)
		}
	}
	// A zone running for 30 minutes keeps that run: its maximum cannot drop below it now.
	if r := request(t, c, a, "open", "o", `{"id":"o","zones":[6],"duration_s":1800}`); r.Status != topics.StatusOK {
		t.Fatal(r)
	}
	if r := zoneSet(t, c, a, "m", map[string]any{"zone": 6, "max_duration_s": 600, "revision": zs[5].Revision}); r.Code != topics.CodeBadRequest ||
		!strings.Contains(r.Error, "zone 6 runs until") {
		t.Errorf("a maximum below a running run: %+v", r)
	}
	if now, _ := os.ReadFile(cfg.Source); string(now) != string(after) {
		t.Error("a refused change changed the file")
	}

	if err := a.stop(); err != nil {
		t.Fatal(err)
	}
	cfg2, err := config.Load(cfg.Source, true)
	if err != nil {
		t.Fatal(err)
	}
	a = start(t, cfg2, clk)
	c = brokertest.Connect(t, brokertest.URL(a.addr))
	if zs := decode[[]topics.ZoneSettings](t, request(t, c, a, "zone_list", "l2", `{"id":"l2"}`)); zs[2].Name != "Lawn" || zs[2].Group != "front" {
		t.Errorf("after a restart: %+v", zs[2])
	}
}

// TestDisabledZonesAndTheWaterLevel: a disabled zone opens for nobody and its scheduled run
// is skipped with the reason; a zone that ignores the water level keeps its whole run while
// the others of a program that follows it are scaled.
func TestDisabledZonesAndTheWaterLevel(t *testing.T) {
	clk := clocktest.New(time.Date(2026, 6, 2, 12, 0, 0, 0, time.UTC))
	cfg := shippedConfig(t)
	a := start(t, cfg, clk)
	c := brokertest.Connect(t, brokertest.URL(a.addr))
	c.Subscribe(a.topics.Event())
	zs := decode[[]topics.ZoneSettings](t, request(t, c, a, "zone_list", "l", `{"id":"l"}`))
	if !zs[0].Enabled || !zs[4].WaterLevel {
		t.Fatalf("the defaults: %+v", zs)
	}
	decode[topics.ZoneSettings](t, zoneSet(t, c, a, "d", map[string]any{"zone": 1, "enabled": false, "revision": zs[0].Revision}))
	if r := request(t, c, a, "open", "o", `{"id":"o","zones":[1]}`); r.Code != topics.CodeBadRequest || !strings.Contains(r.Error, "zone 1 is disabled") {
		t.Errorf("opening a disabled zone: %+v", r)
	}
	if r := request(t, c, a, "toggle", "t", `{"id":"t","zones":[2,1]}`); r.Code != topics.CodeBadRequest || a.bank.On()[1] {
		t.Errorf("a toggle with a disabled zone: %+v, relays %v", r, a.bank.On())
	}
	if file, _ := os.ReadFile(cfg.Source); !strings.Contains(string(file), "{id: 1, name: Zone 1, line: 5, default_duration: 10m, max_duration: 60m, enabled: false}") {
		t.Errorf("the file does not say zone 1 is disabled:\n%s", file)
	}
	clk.Advance(17*time.Hour + 30*time.Minute) // to 3 June 05:30: summer waters zone 1 on odd days at 05:30
	c.AwaitMsg(a.topics.Event(), `"event_type":"run_skipped","zone":1`, "the zone is disabled")
	if a.bank.On()[0] {
		t.Error("the schedule opened a disabled zone")
	}

	// summer follows the water level now; zone 5 does not.
	summer := decode[topics.ProgramDoc](t, request(t, c, a, "program_get", "g", `{"id":"g","name":"summer"}`))
	summer.WaterLevel = true
	decode[topics.ProgramDoc](t, request(t, c, a, "program_put", "p", string(mustMarshal(t, map[string]any{"id": "p", "program": summer}))))
	decode[topics.ZoneSettings](t, zoneSet(t, c, a, "w", map[string]any{"zone": 5, "water_level": false, "revision": zs[4].Revision}))
	if r := request(t, c, a, "water_level", "lv", `{"id":"lv","percent":50}`); r.Status != topics.StatusOK {
		t.Fatal(r)
	}
	next := decode[[]topics.PlannedRun](t, request(t, c, a, "next", "n", `{"id":"n","hours":48}`))
	lengths := map[int]time.Duration{}
	for _, r := range next {
		if _, seen := lengths[r.Zone]; !seen {
			lengths[r.Zone] = r.End.Sub(r.Start.Time)
		}
	}
	if lengths[1] != 5*time.Minute || lengths[5] != 6*time.Minute {
		t.Errorf("at 50%%, zone 1 (10m) and zone 5 (6m, ignores the level) plan %v and %v: %+v", lengths[1], lengths[5], next)
	}

	// Zone 2's shrubs need less: a plant factor of 0.5 makes its 8 minutes 2 at 50 %.
	zs = decode[[]topics.ZoneSettings](t, request(t, c, a, "zone_list", "l2", `{"id":"l2"}`))
	if zs[1].PlantFactor != 1 {
		t.Errorf("the default plant factor: %v", zs[1].PlantFactor)
	}
	got := decode[topics.ZoneSettings](t, zoneSet(t, c, a, "f", map[string]any{"zone": 2, "plant_factor": 0.5, "revision": zs[1].Revision}))
	if got.PlantFactor != 0.5 {
		t.Errorf("zone_set plant_factor: %+v", got)
	}
	if file, _ := os.ReadFile(cfg.Source); !strings.Contains(string(file), "{id: 2, name: Zone 2, line: 6, default_duration: 10m, max_duration: 60m, plant_factor: 0.5}") {
		t.Errorf("the file does not give zone 2 its plant factor:\n%s", file)
	}
	c.AwaitMsg(a.topics.Event(), `"event_type":"zone_changed"`, "plant factor 1 → 0.5")
	for _, r := range decode[[]topics.PlannedRun](t, request(t, c, a, "next", "n2", `{"id":"n2","hours":200}`)) {
		if r.Zone == 2 && (r.End.Sub(r.Start.Time) != 2*time.Minute || r.Note != "water level 25%") {
			t.Errorf("zone 2 at 50 %% with a plant factor of 0.5: %+v", r)
		}
	}
	if r := zoneSet(t, c, a, "f2", map[string]any{"zone": 2, "plant_factor": 9, "revision": got.Revision}); r.Code != topics.CodeBadRequest || !strings.Contains(r.Error, "plant_factor: 9") {
		t.Errorf("a plant factor of 9: %+v", r)
	}
}

// TestSiteThroughTheBroker: the garden's place, set from a client, lets programs start at
// sunrise at once; clearing it while such a program exists is refused; a time zone is written
// and said to take effect at the next start; a bad one and a stale revision are refused.
func TestSiteThroughTheBroker(t *testing.T) {
	clk := clocktest.New(time.Date(2026, 6, 2, 12, 0, 0, 0, time.UTC))
	cfg := shippedConfig(t)
	os.Unsetenv("SPRINKLER_AGENT_TIMEZONE") // the file's time zone, not the environment's (t.Setenv restores it)
	cfg, err := config.Load(cfg.Source, true)
	if err != nil {
		t.Fatal(err)
	}
	a := start(t, cfg, clk)
	c := brokertest.Connect(t, brokertest.URL(a.addr))
	site := decode[topics.SiteSettings](t, request(t, c, a, "site_get", "g", `{"id":"g"}`))
	dawn := topics.ProgramDoc{Name: "dawn", Zones: []topics.ProgramZone{{Zone: 2, Days: []string{"all"}, Runs: []topics.ProgramRun{{At: "sunrise", For: "5m"}}}}}
	put := func(id string) topics.Response {
		return request(t, c, a, "program_put", id, string(mustMarshal(t, map[string]any{"id": id, "program": dawn})))
	}
	if r := put("p1"); r.Code != topics.CodeBadRequest || !strings.Contains(r.Error, "site.latitude") {
		t.Fatalf("a sunrise program without a site: %+v", r)
	}
	set := func(id string, args map[string]any) topics.Response {
		args["id"] = id
		return request(t, c, a, "site_set", id, string(mustMarshal(t, args)))
	}
	site = decode[topics.SiteSettings](t, set("s1", map[string]any{"latitude": 52.52, "longitude": 13.4, "revision": site.Revision}))
	if site.Latitude != 52.52 || site.Restart {
		t.Errorf("site_set: %+v", site)
	}
	decode[topics.ProgramDoc](t, put("p2"))
	if r := set("s2", map[string]any{"latitude": 0, "longitude": 0, "revision": site.Revision}); r.Code != topics.CodeBadRequest || !strings.Contains(r.Error, "sunrise needs site.latitude") {
		t.Errorf("clearing the site under a sunrise program: %+v", r)
	}
	if r := set("s3", map[string]any{"timezone": "Mars/Olympus", "revision": site.Revision}); r.Code != topics.CodeBadRequest || !strings.Contains(r.Error, "agent.timezone") {
		t.Errorf("a bad time zone: %+v", r)
	}
	tz := decode[topics.SiteSettings](t, set("s4", map[string]any{"timezone": "Europe/Berlin", "revision": site.Revision}))
	if !tz.Restart || tz.Timezone != "Europe/Berlin" {
		t.Errorf("a time zone: %+v", tz)
	}
	if r := set("s5", map[string]any{"latitude": 1, "revision": site.Revision}); r.Code != topics.CodeConflict {
		t.Errorf("a stale revision: %+v", r)
	}
	if file, _ := os.ReadFile(cfg.Source); !strings.Contains(string(file), "  latitude: 52.52     # degrees") || !strings.Contains(string(file), `timezone: Europe/Berlin`) {
		t.Errorf("the file:\n%s", file)
	}
}

// TestPowerBudgetLoweredAtRunTime: an admin lowers max_open below what the configuration
// allows, and the next run waits for the one open; raising it above safety.max_open is
// refused; the lowered budget survives a restart, and restoring it clears it.
func TestPowerBudgetLoweredAtRunTime(t *testing.T) {
	clk := clocktest.New(time.Date(2026, 6, 2, 12, 0, 0, 0, time.UTC))
	cfg := shippedConfig(t)
	cfg.Safety.Stagger = 0
	a := start(t, cfg, clk)
	c := brokertest.Connect(t, brokertest.URL(a.addr))
	l := decode[topics.Limits](t, request(t, c, a, "limits_set", "l1", `{"id":"l1","max_open":1}`))
	if l.MaxOpen != 1 || l.MaxOpenLimit != 2 {
		t.Fatalf("limits_set 1: %+v", l)
	}
	if r := request(t, c, a, "open", "o", `{"id":"o","zones":[2,3]}`); r.Status != topics.StatusOK {
		t.Fatal(r)
	}
	if on := a.bank.On(); !on[1] || on[2] {
		t.Errorf("with a budget of 1, zones 2 and 3: %v", on)
	}
	if r := request(t, c, a, "limits_set", "l2", `{"id":"l2","max_open":3}`); r.Code != topics.CodeBadRequest || !strings.Contains(r.Error, "want 1 to 2") {
		t.Errorf("above safety.max_open: %+v", r)
	}
	if err := a.stop(); err != nil {
		t.Fatal(err)
	}
	a = start(t, cfg, clk)
	c = brokertest.Connect(t, brokertest.URL(a.addr))
	if l := decode[topics.Limits](t, request(t, c, a, "limits", "l3", `{"id":"l3"}`)); l.MaxOpen != 1 {
		t.Errorf("after a restart: %+v", l)
	}
	decode[topics.Limits](t, request(t, c, a, "limits_set", "l4", `{"id":"l4","max_open":2}`))
	if err := a.stop(); err != nil {
		t.Fatal(err)
	}
	a = start(t, cfg, clk)
	c = brokertest.Connect(t, brokertest.URL(a.addr))
	if l := decode[topics.Limits](t, request(t, c, a, "limits", "l5", `{"id":"l5"}`)); l.MaxOpen != 2 {
		t.Errorf("restored, after a restart: %+v", l)
	}
}

// TestConfigVersions: every change of the configuration file through the agent is a version
// naming who made it; restoring the file as found puts the zones' settings back in force at
// once; a version that differs in what needs a restart is refused, with where it is kept.
func TestConfigVersions(t *testing.T) {
	clk := clocktest.New(time.Date(2026, 6, 2, 12, 0, 0, 0, time.UTC))
	cfg := shippedConfig(t)
	found, _ := os.ReadFile(cfg.Source)
	a := start(t, cfg, clk)
	c := brokertest.Connect(t, brokertest.URL(a.addr))
	c.Subscribe("homeassistant/device/garden/config")
	zs := decode[[]topics.ZoneSettings](t, request(t, c, a, "zone_list", "l", `{"id":"l"}`))
	decode[topics.ZoneSettings](t, zoneSet(t, c, a, "z1", map[string]any{"zone": 3, "name": "Lawn", "revision": zs[2].Revision}))
	c.AwaitMsg("homeassistant/device/garden/config", `"Lawn"`)
	vs := decode[[]topics.Version](t, request(t, c, a, "config_versions", "v", `{"id":"v"}`))
	if len(vs) != 2 || vs[0].Action != "as found" || vs[1].Action != "zone" || vs[1].By != "admin ("+c.ID()+")" || !strings.Contains(vs[1].What, `3: name "Zone 3" → "Lawn"`) || !vs[1].Current {
		t.Fatalf("config_versions: %+v", vs)
	}
	decode[[]topics.ZoneSettings](t, request(t, c, a, "config_restore", "r", `{"id":"r","version":1}`))
	c.AwaitMsg("homeassistant/device/garden/config", `"Zone 3"`)
	if now, _ := os.ReadFile(cfg.Source); string(now) != string(found) {
		t.Error("restoring version 1 did not bring back the file as found")
	}
	hand := strings.Replace(string(found), "max_clients: 1024", "max_clients: 512", 1)
	if err := os.WriteFile(cfg.Source, []byte(hand), 0o644); err != nil {
		t.Fatal(err)
	}
	zs = decode[[]topics.ZoneSettings](t, request(t, c, a, "zone_list", "l2", `{"id":"l2"}`))
	decode[topics.ZoneSettings](t, zoneSet(t, c, a, "z2", map[string]any{"zone": 2, "name": "Beds", "revision": zs[1].Revision}))
	vs = decode[[]topics.Version](t, request(t, c, a, "config_versions", "v2", `{"id":"v2"}`))
	if len(vs) != 5 || vs[3].Action != "edited by hand" || vs[3].By != "file" {
		t.Errorf("a hand edit is a version: %+v", vs)
	}
	if r := request(t, c, a, "config_restore", "r2", `{"id":"r2","version":1}`); r.Code != topics.CodeBadRequest || !strings.Contains(r.Error, "other settings than the zones' and the site") {
		t.Errorf("restoring across a hand edit of the broker: %+v", r)
	}
	// A zone's expected flow changes only with a restart too, even in the zones' own lines.
	flow := strings.Replace(hand, "max_clients: 512", "max_clients: 1024", 1)
	flow = strings.Replace(flow, "{id: 8, name: Zone 8, line: 26,", "{id: 8, name: Zone 8, line: 26, expected_lpm: 4,", 1)
	if err := os.WriteFile(cfg.Source, []byte(flow), 0o644); err != nil {
		t.Fatal(err)
	}
	zs = decode[[]topics.ZoneSettings](t, request(t, c, a, "zone_list", "l3", `{"id":"l3"}`))
	decode[topics.ZoneSettings](t, zoneSet(t, c, a, "z3", map[string]any{"zone": 2, "name": "Roses", "revision": zs[1].Revision}))
	if r := request(t, c, a, "config_restore", "r3", `{"id":"r3","version":1}`); r.Code != topics.CodeBadRequest || !strings.Contains(r.Error, "other settings") {
		t.Errorf("restoring across a hand edit of a zone's expected flow: %+v", r)
	}
}

// TestFullDiskRefusesChanges: with the configuration and profile files on a full disk, a
// program put and a zone change are refused with the reason, the files stay whole, and the
// governor keeps the old settings; with room again both go through.
func TestFullDiskRefusesChanges(t *testing.T) {
	clk := clocktest.New(time.Date(2026, 6, 2, 12, 0, 0, 0, time.UTC))
	cfg := shippedConfig(t)
	disk := disktest.Mount(t, "256k")
	for _, f := range []string{"agent.yaml", "profiles.yaml"} {
		b, err := os.ReadFile(filepath.Join(filepath.Dir(cfg.Source), f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(disk, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := config.Load(filepath.Join(disk, "agent.yaml"), true)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(cfg.Source)
	profiles, _ := os.ReadFile(cfg.Schedule.File)
	a := start(t, cfg, clk)
	c := brokertest.Connect(t, brokertest.URL(a.addr))
	zs := decode[[]topics.ZoneSettings](t, request(t, c, a, "zone_list", "l", `{"id":"l"}`))
	doc := decode[topics.ProgramDoc](t, request(t, c, a, "program_get", "g", `{"id":"g","name":"spring"}`))
	doc.About = "on a full disk"
	disktest.Fill(t, disk)
	if r := zoneSet(t, c, a, "z1", map[string]any{"zone": 3, "name": "Lawn", "revision": zs[2].Revision}); r.Code != topics.CodeUnavailable || !strings.Contains(r.Error, "not saved") {
		t.Errorf("a zone change on a full disk: %+v", r)
	}
	if r := request(t, c, a, "program_put", "p1", string(mustMarshal(t, map[string]any{"id": "p1", "program": doc}))); r.Code != topics.CodeUnavailable || !strings.Contains(r.Error, "not saved") {
		t.Errorf("a program on a full disk: %+v", r)
	}
	if now, _ := os.ReadFile(cfg.Source); string(now) != string(before) {
		t.Error("the configuration file changed")
	}
	if now, _ := os.ReadFile(cfg.Schedule.File); string(now) != string(profiles) {
		t.Error("the profile file changed")
	}
	if st := decode[topics.Snapshot](t, request(t, c, a, "status", "s", `{"id":"s"}`)); st.Zones["3"].Name != "Zone 3" {
		t.Errorf("the governor took a change the file did not: %+v", st.Zones["3"])
	}
	disktest.Free(t, disk)
	decode[topics.ZoneSettings](t, zoneSet(t, c, a, "z2", map[string]any{"zone": 3, "name": "Lawn", "revision": zs[2].Revision}))
	decode[topics.ProgramDoc](t, request(t, c, a, "program_put", "p2", string(mustMarshal(t, map[string]any{"id": "p2", "program": doc}))))
}

// syncBuffer is a buffer a logger writes to from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestADefaultRunHasOneHome: a zone's default run set on its duration topic goes into the
// configuration file, as zone_set's would, and the state keeps none; an older agent's state
// that kept one the file does not say is told at start (an event) and let go, so that a hand
// edit of the file is never masked.
func TestADefaultRunHasOneHome(t *testing.T) {
	cfg := shippedConfig(t)
	if err := os.WriteFile(filepath.Join(cfg.State.Dir, "state.json"), []byte(`{"defaults":{"3":720}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	var log syncBuffer
	a := startFull(t, cfg, nil, nil, func(o *daemon.Options) { o.Log = slog.New(slog.NewTextHandler(&log, nil)) })
	if !strings.Contains(log.String(), "not the 12m0s its duration topic once set") {
		t.Errorf("the start did not say the state's default run was let go:\n%s", log.String())
	}
	c := brokertest.Connect(t, brokertest.URL(a.addr))
	c.Subscribe(a.topics.DurationState(2))
	limits := decode[topics.Limits](t, request(t, c, a, "limits", "l", `{"id":"l"}`))
	for _, z := range limits.Zones {
		if z.Zone == 3 && z.DefaultDurationS != cfg.Zones[2].DefaultDuration.Seconds() {
			t.Errorf("zone 3's default run in force: %vs, want the file's %v", z.DefaultDurationS, cfg.Zones[2].DefaultDuration)
		}
	}

	c.Publish(a.topics.DurationSet(2), false, "7")
	c.Await(a.topics.DurationState(2), "7")
	request(t, c, a, "version", "v", `{"id":"v"}`) // the worker took the duration whole before it
	file, err := os.ReadFile(cfg.Source)
	if err != nil || !strings.Contains(string(file), "7m") {
		t.Errorf("the file %s after zone 2's duration topic set 7 minutes (%v):\n%s", cfg.Source, err, file)
	}
	state, _ := os.ReadFile(filepath.Join(cfg.State.Dir, "state.json"))
	if strings.Contains(string(state), `"defaults"`) {
		t.Errorf("the state keeps default runs beside the file:\n%s", state)
	}
}
