package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"sprinkler/topics"
)

// run runs ctl with args against a broker nobody listens on: what this layer tests is refused,
// or printed, before any network.
func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := func(string) string { return "" }
	err := Run(context.Background(), append([]string{"--broker", "tcp://127.0.0.1:1", "--timeout", "200ms"}, args...), env, nil, &out, &errOut)
	if err != nil {
		errOut.WriteString(err.Error())
	}
	return ExitCode(err), out.String(), errOut.String()
}

// TestUsageErrorsNeedNoNetwork: bad arguments are refused with exit 2 and a message saying
// what is wanted, before ctl dials anything.
func TestUsageErrorsNeedNoNetwork(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"open", "1", "--for", "0"}, "want from 1s to 168h"},
		{[]string{"open", "1", "--for", "banana"}, "is not a duration"},
		{[]string{"pause", "-1m"}, "durations are positive"},
		{[]string{"open", "1", "--fro", "5m"}, "did you mean --for?"},
		{[]string{"open"}, "at least one zone"},
		{[]string{"usage", "--by", "month"}, "want day or week"},
		{[]string{"history", "--since", "soon"}, "want a span"},
		{[]string{"water-level", "lots"}, "whole percent"},
	} {
		code, _, stderr := run(t, tc.args...)
		if code != ExitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, %q; want %d and %q", tc.args, code, stderr, ExitUsage, tc.want)
		}
	}
}

func TestParseFor(t *testing.T) {
	for in, want := range map[string]time.Duration{"90s": 90 * time.Second, "10m": 10 * time.Minute, "1h30m": 90 * time.Minute, "5": 5 * time.Minute, "0.5": 30 * time.Second} {
		if got, err := parseFor("--for", in); err != nil || got != want {
			t.Errorf("parseFor(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"0", "-1m", "200h", "0.001s", "x"} {
		if _, err := parseFor("--for", bad); err == nil {
			t.Errorf("parseFor(%q) accepted", bad)
		}
	}
}

func TestParseSpan(t *testing.T) {
	for in, want := range map[string]time.Duration{"36h": 36 * time.Hour, "7d": 7 * 24 * time.Hour, "2w": 14 * 24 * time.Hour, "1.5d": 36 * time.Hour} {
		if got, err := parseSpan(in); err != nil || got != want {
			t.Errorf("parseSpan(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
}

// TestPrinters: the readable forms of replies, from the contract's payloads alone.
func TestPrinters(t *testing.T) {
	line := readableLog(`{"time":"2026-06-01T06:00:00Z","level":"WARN","msg":"relay on","zone":3,"name":"Back yard","user":""}`)
	if !strings.Contains(line, "WARN  relay on zone=3 name=\"Back yard\" user=\"\"") {
		t.Errorf("log line: %q", line)
	}
	if readableLog("not json") != "not json" {
		t.Error("a line that is not a record was changed")
	}
	menu, _ := json.Marshal([]topics.Command{
		{Name: "open", Group: "zones", Summary: "open zones"},
		{Name: "water_level", Group: "schedule", Summary: "scale"},
		{Name: "close", Group: "zones", Summary: "close zones"},
	})
	var out bytes.Buffer
	if err := printCommands(&out, menu); err != nil {
		t.Fatal(err)
	}
	if strings.Count(out.String(), "zones:") != 1 || !strings.Contains(out.String(), "  water-level") {
		t.Errorf("menu:\n%s", out.String())
	}
	health, _ := json.Marshal(topics.Health{Throttled: "unknown", Problems: []string{"the clock is behind"}})
	out.Reset()
	if err := printHealth(&out, health); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"CPU temperature  unknown", "memory           unknown", "broker clients   unknown", "PROBLEM          the clock is behind"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("health lacks %q:\n%s", want, out.String())
		}
	}
}

// sent runs ctl with args, its requests caught rather than sent: it returns the command and
// the typed arguments each request would carry, and what ctl printed of the reply given.
func sent(t *testing.T, reply any, args ...string) (cmds []string, reqs []any, stdout string) {
	t.Helper()
	var out, errOut bytes.Buffer
	a := &app{out: &out, errOut: &errOut, send: func(_ context.Context, cmd string, req any) (json.RawMessage, error) {
		cmds, reqs = append(cmds, cmd), append(reqs, req)
		return json.Marshal(reply)
	}}
	root := a.rootCommand(func(string) string { return "" })
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&errOut)
	if err := root.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("ctl %v: %v", args, err)
	}
	return cmds, reqs, out.String()
}

// TestCommandsBuildTheirArguments: each command turns its words into the contract's typed
// arguments (the runF pattern: no broker, no agent).
func TestCommandsBuildTheirArguments(t *testing.T) {
	ten := (10 * time.Minute).Seconds()
	for _, tc := range []struct {
		args []string
		cmd  string
		want any
	}{
		{[]string{"open", "3", "--for", "10m"}, topics.CmdOpen, topics.ZoneArgs{Zones: topics.ZoneList(3), DurationS: &ten}},
		{[]string{"close", "all"}, topics.CmdClose, topics.ZoneArgs{Zones: topics.AllZones}},
		{[]string{"pause", "10"}, topics.CmdPause, topics.PauseArgs{DurationS: &ten}},
		{[]string{"skip", "today", "1,2"}, topics.CmdSkip, topics.SkipArgs{Zones: topics.ZoneList(1, 2), What: "today"}},
		{[]string{"run-once", "1:10m", "2", "--preempt"}, topics.CmdRunOnce, topics.RunOnceArgs{Steps: []topics.Step{{Zone: 1, DurationS: ten}, {Zone: 2}}, Preempt: true}},
	} {
		cmds, reqs, _ := sent(t, []topics.ZoneChange{}, append(tc.args, "--json")...) // --json: any reply prints
		if len(cmds) != 1 || cmds[0] != tc.cmd {
			t.Errorf("%v sent %v", tc.args, cmds)
			continue
		}
		got, _ := json.Marshal(reqs[0])
		want, _ := json.Marshal(tc.want)
		if string(got) != string(want) {
			t.Errorf("%v: arguments %s, want %s", tc.args, got, want)
		}
	}
	level := 80
	_, _, out := sent(t, topics.ScheduleReply{Profile: "summer", WaterLevel: level, ScalesRuns: true}, "water-level", "80")
	if out != "water level 80%; the active profile summer follows it\n" {
		t.Errorf("water-level printed %q", out)
	}
}
