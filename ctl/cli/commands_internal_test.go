package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"sprinkler/topics"
)

// call is one request a command sent: the command and its arguments as JSON.
type call struct {
	cmd  string
	args string
}

// talk runs ctl with args against a fake agent that answers each command from replies (a
// command missing there fails the test), without a broker: it returns the requests sent, what
// was printed, and the error Run's caller would map to an exit status.
func talk(t *testing.T, replies map[string]any, args ...string) (calls []call, stdout string, err error) {
	t.Helper()
	fns := map[string]func() any{}
	for cmd, r := range replies {
		fns[cmd] = func() any { return r }
	}
	return talkWith(t, fns, args...)
}

// talkWith is talk with a function per command giving each reply as it is asked.
func talkWith(t *testing.T, replies map[string]func() any, args ...string) (calls []call, stdout string, err error) {
	t.Helper()
	return talkIn(t, "", replies, args...)
}

// talkIn is talkWith with stdin, which a script pipes to a command that asks for a password.
func talkIn(t *testing.T, stdin string, replies map[string]func() any, args ...string) (calls []call, stdout string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	a := &app{out: &out, errOut: &errOut, stdin: strings.NewReader(stdin), send: func(_ context.Context, cmd string, req any) (json.RawMessage, error) {
		b, _ := json.Marshal(req)
		calls = append(calls, call{cmd, string(b)})
		fn, ok := replies[cmd]
		if !ok {
			t.Fatalf("ctl %v sent %s, which the test does not answer", args, cmd)
		}
		r := fn()
		if e, ok := r.(error); ok {
			return nil, e
		}
		return json.Marshal(r)
	}}
	root := a.rootCommand(func(string) string { return "" })
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&errOut)
	err = classify(root.ExecuteContext(context.Background()))
	return calls, out.String(), err
}

var (
	at6     = topics.Time{Time: time.Date(2030, 6, 1, 6, 0, 0, 0, time.UTC)}
	at610   = topics.Time{Time: time.Date(2030, 6, 1, 6, 10, 0, 0, time.UTC)}
	auto    = true
	fifteen = 15.0
	one     = 1
)

// TestEveryCommandSaysWhatItGot: each command of ctl, run with the words a person types, sends
// the request and arguments of the contract and prints the agent's reply readably: the parts
// a person needs are there. No network: the agent is a table.
func TestEveryCommandSaysWhatItGot(t *testing.T) {
	snapshot := topics.Snapshot{Agent: "garden", Profile: "summer", Auto: &auto, NextRun: &at6, PausedUntil: &at610,
		Zones: map[string]topics.ZoneStatus{
			"1": {Zone: 1, Name: "Front lawn", State: topics.StateOpen, Since: &at6, EndsAt: &at610, Source: "ctl-1", Line: 5, Pin: 29},
			"2": {Zone: 2, Name: "Roses", State: topics.StateClosed, Line: 6},
		},
		Queue: []topics.QueuedRun{{Zone: 2, DurationS: 300, Source: "schedule:summer", RequestedAt: at6, WaitsFor: "the power budget"}}}
	zones := []topics.ZoneSettings{{Zone: 3, Name: "Beds", Line: 13, DefaultDurationS: 600, MaxDurationS: 3600, Enabled: true, WaterLevel: true, PlantFactor: 1, Revision: "r3"}}
	site := topics.SiteSettings{Latitude: 50.8, Longitude: 4.35, Timezone: "Europe/Brussels", Revision: "s1"}
	planned := []topics.PlannedRun{{Zone: 1, Start: at6, End: at610, Profile: "summer", Note: "water level 80%"},
		{Zone: 2, Start: at610, End: at610, Profile: "summer", Skipped: "rain delay"}}
	versions := []topics.Version{{Version: 1, TS: at6, By: "file", Action: "as found"}, {Version: 2, TS: at610, By: "alice", Action: "put", What: "summer", Current: true}}
	programs := []topics.ProgramSummary{{Name: "summer", Active: true, Zones: []int{1, 2}, Revision: "p1"}, {Name: "winter", Zones: []int{3}, Revision: "p2"}}
	weather := topics.WeatherReport{Inputs: []topics.WeatherInput{{Quantity: "temperature", Topic: "station/t", Unit: "C", Value: &fifteen, ValueUnit: "°C", At: &at6}},
		Today: &topics.WeatherDay{Date: "2030-06-01", Level: 120, Source: topics.LevelFromWeather},
		Zones: []topics.ZoneBalance{{Zone: 1, Name: "Lawn", Date: "2030-06-01", LostMm: 14.6, RainMm: 11.2, DepletionMm: 9.3, TAWMm: 39, RAWMm: 19.5,
			Next: &topics.PlannedRun{Zone: 1, Start: at6, End: at610}}}}
	sent := map[string]bool{}
	defer func() {
		sent[topics.CmdProgramPut], sent[topics.CmdProgramPreview] = true, true // from a file: programs_internal_test.go
		sent[topics.CmdUserAdd], sent[topics.CmdUserSet] = true, true           // with a password: TestUserCommandsReadThePassword
		for _, c := range topics.Commands {
			if !sent[c.Name] {
				t.Errorf("no case sends %s", c.Name)
			}
		}
	}()
	for _, tc := range []struct {
		args  []string
		reply map[string]any
		sent  []call // nil: not checked
		out   []string
	}{
		{[]string{"status"}, map[string]any{topics.CmdStatus: snapshot}, []call{{topics.CmdStatus, "null"}},
			[]string{"Front lawn", "open", "ctl-1", "Roses", "1 of 2 zones open", "profile summer; automatic runs on", "paused until", "queued 1: zone 2 for 5m0s (schedule:summer", "waits for the power budget"}},
		{[]string{"toggle", "1"}, map[string]any{topics.CmdToggle: []topics.ZoneChange{{Zone: 1, State: topics.StateClosed}}},
			[]call{{topics.CmdToggle, `{"zones":[1]}`}}, []string{"zone 1 closed"}},
		{[]string{"open", "2", "--for", "90s"}, map[string]any{topics.CmdOpen: []topics.ZoneChange{{Zone: 2, State: topics.StateQueued, Note: "waits for the power budget"}}},
			[]call{{topics.CmdOpen, `{"zones":[2],"duration_s":90}`}}, []string{"zone 2 queued; waits for the power budget"}},
		{[]string{"resume"}, map[string]any{topics.CmdResume: topics.PauseReply{Waiting: 2}}, []call{{topics.CmdResume, "null"}}, nil},
		{[]string{"pause", "30m"}, map[string]any{topics.CmdPause: topics.PauseReply{Paused: true, PausedUntil: &at610, Closed: []int{1}, Waiting: 1}},
			[]call{{topics.CmdPause, `{"duration_s":1800}`}}, []string{"1"}},
		{[]string{"limits"}, map[string]any{topics.CmdLimits: topics.Limits{MaxOpen: 2, MaxOpenLimit: 3, Overflow: topics.OverflowQueue, StaggerS: 2, WatchdogS: 10,
			MasterZone: 8, MasterLeadS: 3, MasterLagS: 5, Zones: []topics.ZoneLimit{{Zone: 1, DefaultDurationS: 600, MaxDurationS: 3600}}}},
			[]call{{topics.CmdLimits, "null"}}, []string{"at most 2 valves open at once; beyond it runs wait in a queue", "the power supply allows 3", "stagger: turn-ons at least 2s apart",
				"master valve: zone 8", "watchdog: every 10s", "10m0s", "1h0m0s"}},
		{[]string{"limits", "set", "1"}, map[string]any{topics.CmdLimitsSet: topics.Limits{MaxOpen: 1, Overflow: topics.OverflowReject}},
			[]call{{topics.CmdLimitsSet, `{"max_open":1}`}}, []string{"at most 1 valves", "are refused"}},
		{[]string{"time"}, map[string]any{topics.CmdTime: topics.TimeReply{Weekday: "Saturday", Time: "2030-06-01 06:00:00", Location: "UTC"}},
			[]call{{topics.CmdTime, "null"}}, []string{"Saturday 2030-06-01 06:00:00 (UTC)"}},
		{[]string{"version"}, map[string]any{topics.CmdVersion: topics.VersionReply{Version: "1.2.3", Protocol: 1, Go: "go1.26"}},
			[]call{{topics.CmdVersion, "null"}}, []string{"1.2.3 (contract 1)", "not the agent's own", "go1.26", "unknown"}},
		{[]string{"whoami"}, map[string]any{topics.CmdWhoami: topics.WhoamiReply{ClientID: "ctl-1", Role: topics.RoleViewer}},
			[]call{{topics.CmdWhoami, "null"}}, []string{"ctl-1", "viewer"}},
		{[]string{"clients", "--all"}, map[string]any{topics.CmdClients: []topics.ClientInfo{{ID: "ha", Remote: "10.0.0.2:5000", Listener: "tcp", Username: "home", ConnectedAt: &at6},
			{ID: "gone", Remote: "10.0.0.3:5000", DisconnectedAt: &at610}}},
			[]call{{topics.CmdClients, `{"all":true}`}}, []string{"CLIENT", "ha", "10.0.0.2:5000", "home", "gone"}},
		{[]string{"history", "--zone", "1", "--since", "2d"}, map[string]any{topics.CmdHistory: topics.HistoryReply{Since: at6, Older: 3,
			Runs: []topics.RunRecord{{Zone: 1, Source: "schedule:summer", Owner: topics.OwnerSchedule, Planned: at6, Started: at6, Ended: at610, PlannedS: 600, ActualS: 600, Outcome: topics.ReasonFinished}}}},
			[]call{{topics.CmdHistory, `{"zone":1,"since_s":172800}`}}, []string{"schedule:summer", "finished", "3"}},
		{[]string{"usage", "--by", "week"}, map[string]any{topics.CmdUsage: topics.UsageReply{By: "week", Since: at6,
			Periods: []topics.UsagePeriod{{Start: at6, TotalS: 1800, Zones: map[string]float64{"1": 1200, "2": 600}}}}},
			[]call{{topics.CmdUsage, `{"by":"week","since_s":2592000}`}}, []string{"30"}},
		{[]string{"profiles"}, map[string]any{topics.CmdProfiles: []topics.ProfileInfo{{Index: 0, Name: "summer", Active: true,
			Zones: []topics.ProgramInfo{{Zone: 1, Days: "odd", Runs: []topics.RunInfo{{At: "05:30", DurationS: 600}, {At: "sunset-30m", DurationS: 300, Times: 2, EveryS: 1800}}}}}}},
			[]call{{topics.CmdProfiles, "null"}}, []string{"summer", "odd", "05:30", "sunset-30m"}},
		{[]string{"profile"}, map[string]any{topics.CmdProfile: topics.ScheduleReply{Profile: "summer", Auto: true, WaterLevel: 100}},
			[]call{{topics.CmdProfile, "null"}}, []string{"summer"}},
		{[]string{"activate", "winter", "--force"}, map[string]any{topics.CmdActivate: topics.ScheduleReply{Profile: "winter", Auto: true, WaterLevel: 100}},
			[]call{{topics.CmdActivate, `{"profile":"winter","force":true}`}}, []string{"winter"}},
		{[]string{"rain-delay", "24"}, map[string]any{topics.CmdRainDelay: topics.ScheduleReply{Profile: "summer", RainDelayUntil: &at610}},
			[]call{{topics.CmdRainDelay, `{"hours":24}`}}, []string{"rain delay until"}},
		{[]string{"next", "--hours", "12"}, map[string]any{topics.CmdNext: planned,
			topics.CmdTime: topics.TimeReply{Time: "2030-06-01T06:10:00+14:00", Location: "Pacific/Kiritimati"}},
			[]call{{topics.CmdTime, "null"}, {topics.CmdNext, `{"hours":12}`}},
			[]string{"times in Pacific/Kiritimati, the agent's time zone", "summer", "water level 80%", "rain delay"}},
		{[]string{"schedule"}, map[string]any{topics.CmdSchedule: topics.ScheduleReply{Profile: "summer", Auto: true, WaterLevel: 80, ScalesRuns: true,
			Zones: []topics.ZoneSchedule{{Zone: 1, Name: "Front lawn", Today: planned[:1], Running: true, Next: &at610}}},
			topics.CmdTime: topics.TimeReply{Time: "2030-06-01T06:10:00+14:00", Location: "Pacific/Kiritimati"}},
			[]call{{topics.CmdTime, "null"}, {topics.CmdSchedule, "null"}}, []string{"times in Pacific/Kiritimati", "summer", "Front lawn", "20:00:00-20:10:00", "20:10:00"}},
		{[]string{"skip", "next", "all"}, map[string]any{topics.CmdSkip: []topics.PlannedRun{planned[0]}},
			[]call{{topics.CmdSkip, `{"zones":"all","what":"next"}`}}, []string{"zone 1"}},
		{[]string{"zone", "list"}, map[string]any{topics.CmdZoneList: zones}, []call{{topics.CmdZoneList, "null"}}, []string{"DEFAULT", "Beds", "13", "10m", "1h", "r3"}},
		{[]string{"zone", "set", "3", "--name", "Flower beds", "--plant-factor", "0.5"}, map[string]any{topics.CmdZoneList: zones, topics.CmdZoneSet: zones[0]},
			[]call{{topics.CmdZoneList, "null"}, {topics.CmdZoneSet, `{"zone":3,"name":"Flower beds","plant_factor":0.5,"revision":"r3"}`}}, nil},
		{[]string{"zone", "set", "3", "--soil", "loam", "--root-depth", "0.3", "--precipitation", "12"}, map[string]any{topics.CmdZoneList: zones,
			topics.CmdZoneSet: topics.ZoneSettings{Zone: 3, Name: "Beds", Soil: "loam", RootDepthM: 0.3, PrecipitationMmH: 12, Balance: true}},
			[]call{{topics.CmdZoneList, "null"}, {topics.CmdZoneSet, `{"zone":3,"soil":"loam","root_depth_m":0.3,"precipitation_mm_h":12,"revision":"r3"}`}},
			[]string{"SOIL", "loam 0.3 m, 12 mm/h"}},
		{[]string{"site", "show"}, map[string]any{topics.CmdSiteGet: site}, []call{{topics.CmdSiteGet, "null"}}, []string{"50.8", "4.35", "Europe/Brussels"}},
		{[]string{"site", "set", "--timezone", "Europe/Paris"}, map[string]any{topics.CmdSiteGet: site, topics.CmdSiteSet: topics.SiteSettings{Timezone: "Europe/Paris", Restart: true}},
			[]call{{topics.CmdSiteGet, "null"}, {topics.CmdSiteSet, `{"timezone":"Europe/Paris","revision":"s1"}`}}, []string{"Europe/Paris"}},
		{[]string{"config", "history"}, map[string]any{topics.CmdConfigVersions: versions}, []call{{topics.CmdConfigVersions, "null"}}, []string{"as found", "alice", "summer"}},
		{[]string{"config", "restore", "1"}, map[string]any{topics.CmdConfigRestore: zones}, []call{{topics.CmdConfigRestore, `{"version":1}`}}, []string{"Beds"}},
		{[]string{"user", "list"}, map[string]any{topics.CmdUserList: []topics.UserInfo{{Name: "ha", Role: topics.RoleHomeAssistant, Agents: []string{"garden"}, In: topics.UsersFile}}},
			[]call{{topics.CmdUserList, "null"}}, []string{"NAME", "ha", "homeassistant", "garden", "users_file"}},
		{[]string{"user", "remove", "ha"}, map[string]any{topics.CmdUserRemove: topics.UserInfo{Name: "ha"}}, []call{{topics.CmdUserRemove, `{"name":"ha"}`}}, []string{"removed ha"}},
		{[]string{"program", "list"}, map[string]any{topics.CmdProgramList: programs}, []call{{topics.CmdProgramList, "null"}}, []string{"summer", "winter"}},
		{[]string{"program", "history"}, map[string]any{topics.CmdProgramVersions: versions}, []call{{topics.CmdProgramVersions, "null"}}, []string{"alice", "put"}},
		{[]string{"program", "restore", "2"}, map[string]any{topics.CmdProgramRestore: programs}, []call{{topics.CmdProgramRestore, `{"version":2}`}}, []string{"summer"}},
		{[]string{"program", "rename", "winter", "cold", "--revision", "p2"}, map[string]any{topics.CmdProgramRename: topics.ProgramDoc{Name: "cold", Revision: "p3"}},
			[]call{{topics.CmdProgramRename, `{"name":"winter","new_name":"cold","revision":"p2"}`}}, []string{"cold"}},
		{[]string{"program", "delete", "winter", "--revision", "p2"}, map[string]any{topics.CmdProgramDelete: map[string]string{"deleted": "winter"}},
			[]call{{topics.CmdProgramDelete, `{"name":"winter","revision":"p2"}`}}, []string{"winter"}},
		{[]string{"program", "show", "summer"}, map[string]any{topics.CmdProgramGet: topics.ProgramDoc{Name: "summer", Revision: "p1",
			Zones: []topics.ProgramZone{{Zone: 1, Days: []string{"odd"}, Runs: []topics.ProgramRun{{At: "05:30", For: "10m"}}}}}},
			[]call{{topics.CmdProgramGet, `{"name":"summer"}`}}, []string{"name: summer", "05:30", "10m", "p1"}},
		{[]string{"weather"}, map[string]any{topics.CmdWeather: weather}, []call{{topics.CmdWeather, "{}"}}, []string{"temperature", "15", "°C", "station/t", "120",
			"Lawn: 14.6 mm lost since 2030-06-01, 11.2 mm of rain counted", "depletion 9.3 of 39.0 mm (19.5 readily available)", "for 10m0s"}},
		{[]string{"weather", "compute"}, map[string]any{topics.CmdWeatherCompute: topics.WeatherDay{Date: "2030-06-01", Level: 90, Source: topics.LevelFromWeather}},
			[]call{{topics.CmdWeatherCompute, "null"}}, []string{"90"}},
		{[]string{"et0", "--latitude", "50.8", "--tmin", "12.3", "--tmax", "21.5", "--date", "2030-07-06"}, map[string]any{topics.CmdET0: topics.ET0Result{ET0Mm: 3.88, Method: "hargreaves", Terms: map[string]float64{"ra_mj_m2": 41.09}}},
			[]call{{topics.CmdET0, `{"date":"2030-07-06","latitude_deg":50.8,"elevation_m":0,"tmin_c":12.3,"tmax_c":21.5}`}}, []string{"ET0 3.88 mm/day by hargreaves", "ra_mj_m2"}},
		{[]string{"logs", "--lines", "2", "--grep", "relay"}, map[string]any{topics.CmdLogs: topics.LogReply{Lines: []string{`{"time":"2030-06-01T06:00:00Z","level":"INFO","msg":"relay on","zone":1}`}}},
			[]call{{topics.CmdLogs, `{"lines":2,"grep":["relay"]}`}}, []string{"INFO  relay on zone=1"}},
		{[]string{"errors"}, map[string]any{topics.CmdErrors: topics.LogReply{Lines: []string{}}}, []call{{topics.CmdErrors, `{"lines":50}`}}, nil},
		{[]string{"clear-logs"}, map[string]any{topics.CmdClearLogs: nil}, []call{{topics.CmdClearLogs, "null"}}, nil},
		{[]string{"health"}, map[string]any{topics.CmdHealth: topics.Health{Throttled: "0x0", Problems: []string{}, BrokerClients: &one}},
			[]call{{topics.CmdHealth, "null"}}, []string{"broker clients   1"}},
		{[]string{"run-once", "1:5m", "2"}, map[string]any{topics.CmdRunOnce: topics.RunOnceReply{Steps: []topics.ZoneChange{{Zone: 1, State: topics.StateOpen, EndsAt: &at610}, {Zone: 2, State: topics.StateQueued}}}},
			[]call{{topics.CmdRunOnce, `{"steps":[{"zone":1,"duration_s":300},{"zone":2}]}`}}, []string{"zone 1", "zone 2"}},
		{[]string{"reload"}, map[string]any{topics.CmdReload: []topics.ProfileInfo{{Name: "summer", Active: true}}}, []call{{topics.CmdReload, "null"}}, []string{"summer"}},
		{[]string{"run"}, map[string]any{topics.CmdRun: topics.ScheduleReply{Profile: "summer", Auto: true}}, []call{{topics.CmdRun, "null"}}, []string{"summer"}},
		{[]string{"stop"}, map[string]any{topics.CmdStop: topics.ScheduleReply{Profile: "summer"}}, []call{{topics.CmdStop, "null"}}, []string{"summer"}},
		{[]string{"close", "all"}, map[string]any{topics.CmdClose: []topics.ZoneChange{{Zone: 1, State: topics.StateClosed}}},
			[]call{{topics.CmdClose, `{"zones":"all"}`}}, []string{"zone 1 closed"}},
		{[]string{"water-level", "80"}, map[string]any{topics.CmdWaterLevel: topics.ScheduleReply{Profile: "summer", WaterLevel: 80, ScalesRuns: true}},
			[]call{{topics.CmdWaterLevel, `{"percent":80}`}}, []string{"water level 80%; the active profile summer follows it"}},
		{[]string{"clear-errors"}, map[string]any{topics.CmdClearErrors: nil}, []call{{topics.CmdClearErrors, "null"}}, []string{"error log cleared"}},
		{[]string{"shutdown"}, map[string]any{topics.CmdShutdown: nil}, []call{{topics.CmdShutdown, "null"}}, []string{"every relay is off"}},
		{[]string{"reboot"}, map[string]any{topics.CmdReboot: nil}, []call{{topics.CmdReboot, "null"}}, []string{"will reboot the machine"}},
		{[]string{"fail"}, map[string]any{topics.CmdFail: nil}, []call{{topics.CmdFail, "null"}}, []string{"no error was raised"}},
		{[]string{"commands"}, map[string]any{topics.CmdCommands: topics.Commands}, []call{{topics.CmdCommands, "null"}}, []string{"open", "zone set", "program apply"}},
	} {
		calls, out, err := talk(t, tc.reply, tc.args...)
		for _, c := range calls {
			sent[c.cmd] = true
		}
		if err != nil {
			t.Errorf("%v: %v", tc.args, err)
			continue
		}
		if tc.sent != nil && !equalCalls(calls, tc.sent) {
			t.Errorf("%v sent %v, want %v", tc.args, calls, tc.sent)
		}
		for _, want := range tc.out {
			if !strings.Contains(out, want) {
				t.Errorf("%v printed no %q:\n%s", tc.args, want, out)
			}
		}
	}
}

func equalCalls(a, b []call) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestAgentErrorsExitOne: an error the agent answers exits 1 and says its code; one of the
// network exits 3.
func TestAgentErrorsExitOne(t *testing.T) {
	_, _, err := talk(t, map[string]any{topics.CmdOpen: topics.Errorf(topics.CodeBudget, "two valves are open already")}, "open", "3")
	if ExitCode(err) != ExitAgentError || !strings.Contains(err.Error(), "[power_budget]") {
		t.Errorf("an agent's refusal: exit %d, %v", ExitCode(err), err)
	}
	_, _, err = talk(t, map[string]any{topics.CmdStatus: errors.New("broker unreachable")}, "status")
	if ExitCode(err) != ExitUnavailable {
		t.Errorf("a network failure: exit %d, %v", ExitCode(err), err)
	}
}

// TestUserCommandsReadThePassword: a new password is read (here a script's stdin), sent in the
// request alone, never printed; user set sends only what it was told to change.
func TestUserCommandsReadThePassword(t *testing.T) {
	ha := topics.UserInfo{Name: "ha", Role: topics.RoleHomeAssistant, In: topics.UsersFile}
	reply := map[string]func() any{topics.CmdUserAdd: func() any { return ha }, topics.CmdUserSet: func() any { return ha },
		topics.CmdUserList: func() any { return []topics.UserInfo{ha} }, topics.CmdUserRemove: func() any { return ha }}
	for _, tc := range []struct {
		stdin string
		args  []string
		sent  string
	}{
		{"long enough\n", []string{"user", "add", "ha", "--role", "homeassistant"}, `{"name":"ha","password":"long enough","role":"homeassistant"}`},
		{"", []string{"user", "set", "ha", "--role", "viewer", "--agents", "garden, orchard"}, `{"name":"ha","role":"viewer","agents":["garden","orchard"]}`},
		{"new one here\n", []string{"user", "set", "ha", "--password"}, `{"name":"ha","password":"new one here"}`},
		{"", []string{"user", "set", "ha", "--agents", ""}, `{"name":"ha","agents":[]}`},
		{"", []string{"user", "remove", "ha"}, `{"name":"ha"}`},
	} {
		calls, out, err := talkIn(t, tc.stdin, reply, tc.args...)
		if err != nil || len(calls) != 1 || calls[0].args != tc.sent {
			t.Errorf("%v: sent %v (%v), want %s", tc.args, calls, err, tc.sent)
		}
		if strings.Contains(out, "long enough") || strings.Contains(out, "new one") {
			t.Errorf("%v printed the password: %q", tc.args, out)
		}
	}
	for _, args := range [][]string{{"user", "add", "ha"}, {"user", "set", "ha"}, {"user", "add", "ha", "--role", "viewer"}} {
		if calls, _, err := talkIn(t, "", reply, args...); len(calls) != 0 || ExitCode(err) != ExitUsage {
			t.Errorf("%v: sent %v, exit %d (%v); want a usage error and nothing sent", args, calls, ExitCode(err), err)
		}
	}
}

// TestJSONPrintsTheReply: --json prints the agent's reply as it came, for scripts.
func TestJSONPrintsTheReply(t *testing.T) {
	_, out, err := talk(t, map[string]any{topics.CmdTime: topics.TimeReply{Weekday: "Saturday", Time: "06:00", Location: "UTC"}}, "time", "--json")
	var got topics.TimeReply
	if err != nil || json.Unmarshal([]byte(out), &got) != nil || got.Weekday != "Saturday" {
		t.Errorf("--json printed %q (%v)", out, err)
	}
}

// TestEveryContractCommandHasACtlCommand: each command of the contract is a command of ctl, as
// ctlName spells it, so that the menu ctl prints is what a person can type.
func TestEveryContractCommandHasACtlCommand(t *testing.T) {
	a := &app{}
	root := a.rootCommand(func(string) string { return "" })
	for _, c := range topics.Commands {
		words := strings.Fields(ctlName(c.Name))
		found, rest, err := root.Find(words)
		if err != nil || len(rest) > 0 || found == root || found.Name() != words[len(words)-1] {
			t.Errorf("%s: ctl has no %q (found %q, %v)", c.Name, ctlName(c.Name), found.Name(), err)
		}
	}
}

// TestMoreUsageErrors: arguments ctl refuses itself, each with a message that says what is
// wanted, and nothing sent.
func TestMoreUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run-once", "1:forever"}, "is not a duration"},
		{[]string{"run-once", "zone1"}, "want ZONE or ZONE:DURATION"},
		{[]string{"skip", "tomorrow", "1"}, "next or today"},
		{[]string{"status", "extra"}, "unexpected argument"},
		{[]string{"close"}, "at least one zone"},
		{[]string{"toggle", "all"}, "only with close"},
		{[]string{"pause", "forever"}, "is not a duration"},
		{[]string{"rain-delay", "soon"}, "hours"},
		{[]string{"limits", "set", "many"}, "is not a number of valves"},
		{[]string{"et0", "--tmin", "10", "--tmax", "20"}, "--latitude"},
	} {
		calls, _, err := talk(t, nil, tc.args...)
		if ExitCode(err) != ExitUsage || err == nil || !strings.Contains(err.Error(), tc.want) || len(calls) > 0 {
			t.Errorf("%v: exit %d, %v, sent %v; want %q", tc.args, ExitCode(err), err, calls, tc.want)
		}
	}
}
