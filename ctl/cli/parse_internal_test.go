package cli

import (
	"bytes"
	"encoding/json"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/chzyer/readline"

	"sprinkler/topics"
)

func TestParseZones(t *testing.T) {
	for _, tc := range []struct {
		args     []string
		allowAll bool
		want     topics.Zones
		err      string
	}{
		{[]string{"3"}, false, topics.ZoneList(3), ""},
		{[]string{"1,2", "5"}, false, topics.ZoneList(1, 2, 5), ""},
		{[]string{"1, 2"}, false, topics.ZoneList(1, 2), ""},
		{[]string{"ALL"}, true, topics.AllZones, ""},
		{[]string{"all"}, false, topics.Zones{}, "only with close"},
		{[]string{"all", "2"}, true, topics.Zones{}, "stands alone"},
		{[]string{"0"}, false, topics.Zones{}, "is not a zone number"},
		{[]string{"x"}, false, topics.Zones{}, "is not a zone number"},
		{nil, false, topics.Zones{}, "at least one zone"},
	} {
		got, err := parseZones(tc.args, tc.allowAll)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || ExitCode(err) != ExitUsage {
				t.Errorf("parseZones(%v): %v; want an error with %q", tc.args, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("parseZones(%v) = %+v, %v; want %+v", tc.args, got, err, tc.want)
		}
	}
}

func TestParseSteps(t *testing.T) {
	steps, err := parseSteps([]string{"1:10m", "2", "3:90s"})
	want := []topics.Step{{Zone: 1, DurationS: 600}, {Zone: 2}, {Zone: 3, DurationS: 90}}
	if err != nil || !reflect.DeepEqual(steps, want) {
		t.Errorf("parseSteps = %+v, %v", steps, err)
	}
	for _, bad := range []string{"0", "x:5m", "1:never", "1:0"} {
		if _, err := parseSteps([]string{bad}); err == nil || ExitCode(err) != ExitUsage {
			t.Errorf("parseSteps(%q) = %v", bad, err)
		}
	}
}

func TestSplitWords(t *testing.T) {
	for line, want := range map[string][]string{
		`open 3 --for 10m`:               {"open", "3", "--for", "10m"},
		`  logs   --grep "relay on"`:     {"logs", "--grep", "relay on"},
		`zone set 2 --name 'Front lawn'`: {"zone", "set", "2", "--name", "Front lawn"},
		``:                               nil,
	} {
		got, err := splitWords(line)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("splitWords(%q) = %q, %v; want %q", line, got, err, want)
		}
	}
	if _, err := splitWords(`logs --grep "unfinished`); err == nil {
		t.Error("an unfinished quote was taken")
	}
}

// TestShellCompletes: the shell completes commands, their aliases and the local ones, and zone
// numbers after the zone commands (all after close).
func TestShellCompletes(t *testing.T) {
	c := completer([]topics.Command{{Name: topics.CmdOpen, Aliases: []string{"src"}}, {Name: topics.CmdClose}, {Name: topics.CmdStatus}}, []int{1, 2})
	complete := func(line string) []string {
		cands, n := c.Do([]rune(line), len(line))
		var out []string
		for _, r := range cands {
			out = append(out, line[len(line)-n:]+strings.TrimSpace(string(r)))
		}
		return out
	}
	for line, want := range map[string]string{"sta": "status", "sr": "src", "wa": "watch", "open ": "1", "close a": "all"} {
		if got := complete(line); !slicesContains(got, want) {
			t.Errorf("completing %q: %q, want %q among them", line, got, want)
		}
	}
	var _ readline.AutoCompleter = c
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// TestPrintersSayWhatMatters: the readable forms of the replies whose corners the command
// tests do not reach.
func TestPrintersSayWhatMatters(t *testing.T) {
	now := time.Date(2030, 6, 1, 6, 0, 0, 0, time.Local)
	delay := topics.Time{Time: now.Add(24 * time.Hour)}
	var out bytes.Buffer
	printSnapshot(&out, topics.Snapshot{Agent: "garden", Profile: "summer", Auto: new(bool), RainDelayUntil: &delay,
		Zones:   map[string]topics.ZoneStatus{"8": {Zone: 8, Name: "Main", State: topics.StateOpen, Master: true}, "2": {Zone: 2, Name: "Roses", State: topics.StateClosed, Queued: true}},
		NextRun: &topics.Time{Time: time.Date(2030, 6, 2, 4, 0, 0, 0, time.UTC)}}, now, time.FixedZone("Berlin", 2*3600))
	for _, want := range []string{"open (master)", "closed (queued)", "automatic runs off", "rain delay until", "next run 2030-06-02 06:00:00"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("status lacks %q:\n%s", want, out.String())
		}
	}
	for _, tc := range []struct {
		name  string
		print func(*bytes.Buffer, json.RawMessage) error
		data  any
		want  []string
	}{
		{"next, none", wrap(printNext), []topics.PlannedRun{}, []string{"no scheduled runs ahead"}},
		{"next, a timeline", wrap(printNext), []topics.PlannedRun{{Zone: 1, Start: topics.Time{Time: now}, End: topics.Time{Time: now.Add(time.Hour)}, Profile: "summer"}},
			[]string{"ZONE", "summer", "####"}},
		{"water level not followed", wrap(printWaterLevel), topics.ScheduleReply{Profile: "winter", WaterLevel: 80}, []string{"80%", "winter"}},
		{"a pause ended", wrap(printPause), topics.PauseReply{Waiting: 3}, []string{"3"}},
		{"weather days", wrap(printWeather), topics.WeatherReport{Inputs: []topics.WeatherInput{{Quantity: "rain", Topic: "station/r", Stale: true}},
			Days: []topics.WeatherDay{{Date: "2030-05-31", Level: 150, Source: topics.LevelFromWeather}, {Date: "2030-06-01", Level: 0, Source: topics.LevelFromWeather, Skip: "rain: 14 mm"}}},
			[]string{"rain", "station/r", "2030-05-31", "150", "rain: 14 mm"}},
		{"history with litres", wrap(printHistory), topics.HistoryReply{Runs: []topics.RunRecord{{Zone: 2, Source: "ctl-1", Started: topics.Time{Time: now}, Ended: topics.Time{Time: now.Add(time.Minute)},
			ActualS: 60, Outcome: topics.ReasonClosed, Litres: ptr(12.5)}}}, []string{"ctl-1", "12.5"}},
		{"usage by day", wrap(printUsage), topics.UsageReply{By: "day", Periods: []topics.UsagePeriod{{Start: topics.Time{Time: now}, TotalS: 3600, Zones: map[string]float64{"1": 3600}}}},
			[]string{"60"}},
		{"site to restart", wrap(printSite), topics.SiteSettings{Latitude: 1, Longitude: 2, Timezone: "Asia/Tokyo", Restart: true}, []string{"Asia/Tokyo", "start"}},
		{"whoami", wrap(printWhoami), topics.WhoamiReply{ClientID: "me", Role: topics.RoleOperator}, []string{"me", "operator"}},
		{"a program as YAML", wrap(printProgramYAML), summerDoc, []string{"name: summer", "revision: p1", "05:30"}},
	} {
		out.Reset()
		b, _ := json.Marshal(tc.data)
		if err := tc.print(&out, b); err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		for _, want := range tc.want {
			if !strings.Contains(out.String(), want) {
				t.Errorf("%s lacks %q:\n%s", tc.name, want, out.String())
			}
		}
	}
}

// wrap makes a printer of a writer take the test's buffer.
func wrap(print func(w io.Writer, data json.RawMessage) error) func(*bytes.Buffer, json.RawMessage) error {
	return func(b *bytes.Buffer, data json.RawMessage) error { return print(b, data) }
}

func ptr[T any](v T) *T { return &v }

// TestTimeline: a quarter hour a column; '#' waters, 'x' is skipped, '.' does not; '|' in the
// scale marks now; a zone a line, in zone order.
func TestTimeline(t *testing.T) {
	day := time.Date(2030, 6, 1, 0, 0, 0, 0, time.Local)
	at := func(h, m int) topics.Time {
		return topics.Time{Time: day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)}
	}
	var out bytes.Buffer
	printTimeline(&out, []topics.PlannedRun{
		{Zone: 3, Start: at(6, 0), End: at(6, 30)},
		{Zone: 1, Start: at(5, 0), End: at(5, 15), Skipped: "rain"},
	}, day.Add(12*time.Hour))
	lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("timeline:\n%s", out.String())
	}
	col := func(line string, h, m int) byte { return line[len("zone 123456789  ")+h*4+m/15] } // labels are 14 wide
	if col(lines[0], 12, 0) != '|' || !strings.HasPrefix(lines[1], "zone 1") || !strings.HasPrefix(lines[2], "zone 3") {
		t.Errorf("the scale or the order:\n%s", out.String())
	}
	if col(lines[1], 5, 0) != 'x' || col(lines[2], 6, 0) != '#' || col(lines[2], 6, 15) != '#' || col(lines[2], 6, 30) != '.' {
		t.Errorf("the marks:\n%s", out.String())
	}
}

// TestMenuSpellsWhatCtlTakes: the menu names each command as ctl spells it (hyphens, and a
// command and its subcommand), its aliases, and its arguments, the optional ones bracketed.
func TestMenuSpellsWhatCtlTakes(t *testing.T) {
	menu, _ := json.Marshal([]topics.Command{
		{Name: topics.CmdRunOnce, Group: "zones", Params: []topics.Param{{Name: "steps", Required: true}, {Name: "preempt"}}},
		{Name: topics.CmdProgramList, Group: "programs"},
		{Name: topics.CmdStatus, Group: "zones", Aliases: []string{"grs"}},
	})
	var out bytes.Buffer
	if err := printCommands(&out, menu); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"run-once", "steps [preempt]", "program list", "grs"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the menu lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Index(out.String(), "programs:") < strings.Index(out.String(), "status") {
		t.Errorf("a group is not listed whole where it first comes:\n%s", out.String())
	}
}

// TestEnvironmentGivesDefaults: the broker, agent and prefix come from SPRINKLER_* where no
// flag names them; a flag wins.
func TestEnvironmentGivesDefaults(t *testing.T) {
	env := map[string]string{"SPRINKLER_BROKER": "tcp://pi.local:1883", "SPRINKLER_AGENT": "shed", "SPRINKLER_MQTT_PREFIX": "garden"}
	a := &app{}
	root := a.rootCommand(func(k string) string { return env[k] })
	if err := root.ParseFlags([]string{"--agent", "orchard"}); err != nil {
		t.Fatal(err)
	}
	if a.broker != "tcp://pi.local:1883" || a.agent != "orchard" || a.prefix != "garden" {
		t.Errorf("broker %q, agent %q, prefix %q", a.broker, a.agent, a.prefix)
	}
}

// TestRunsAndPausesSayWhatHappened: run-once says whether it preempted or queued, a pause what
// it closed and what waits, a resume what goes on, a skip which runs.
func TestRunsAndPausesSayWhatHappened(t *testing.T) {
	until := topics.Time{Time: time.Date(2030, 6, 1, 7, 0, 0, 0, time.Local)}
	for _, tc := range []struct {
		name  string
		print func(w io.Writer, data json.RawMessage) error
		data  any
		want  string
	}{
		{"preempted", printRunOnce, topics.RunOnceReply{Preempted: []int{2, 3}, Steps: []topics.ZoneChange{{Zone: 1, State: topics.StateOpen}}}, "ended the runs of zones 2, 3 first"},
		{"queued", printRunOnce, topics.RunOnceReply{Steps: []topics.ZoneChange{{Zone: 1, State: topics.StateQueued}}}, "the list waits its turn"},
		{"paused", printPause, topics.PauseReply{Paused: true, PausedUntil: &until, Closed: []int{4}, Waiting: 2}, "closed zones 4, their remaining time kept; 2 run(s) wait"},
		{"resumed", printPause, topics.PauseReply{Waiting: 1}, "resumed; 1 run(s) wait their turn"},
		{"nothing to skip", printSkips, []topics.PlannedRun{}, "no scheduled run to skip"},
		{"a day skipped", printSkips, []map[string]any{{"zone": 2, "day": "2030-06-01"}}, "zone 2: every run of 2030-06-01 skipped"},
	} {
		var out bytes.Buffer
		b, _ := json.Marshal(tc.data)
		if err := tc.print(&out, b); err != nil || !strings.Contains(out.String(), tc.want) {
			t.Errorf("%s: %q (%v); want %q", tc.name, out.String(), err, tc.want)
		}
	}
}
