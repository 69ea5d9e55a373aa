package systemtest

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestAgentSaysWhatItRunsOn starts the agent process where no configuration file is, with the
// page turned off by an empty variable and a misspelt one: it says, once, which file it looked
// for, that the misspelt variable names no key (and the one meant), and serves no page.
func TestAgentSaysWhatItRunsOn(t *testing.T) {
	_, agent := startAgent(t, "garden", "SPRINKLER_WEB_LISTEN=", "SPRINKLER_BROKER_LISTN=127.0.0.1:1")
	agent.stop(t)
	out := agent.out.String()
	if n := strings.Count(out, "no configuration file at "); n != 1 || !strings.Contains(out, "configs/agent.yaml") {
		t.Errorf("the missing configuration file was reported %d times:\n%s", n, out)
	}
	if !strings.Contains(out, "SPRINKLER_BROKER_LISTN names no configuration key") || !strings.Contains(out, "did you mean SPRINKLER_BROKER_LISTEN") {
		t.Errorf("the misspelt variable was not reported:\n%s", out)
	}
	if strings.Contains(out, `msg="web page"`) {
		t.Errorf("SPRINKLER_WEB_LISTEN= did not turn the page off:\n%s", out)
	}
}

// TestUsageAndHistorySpans: usage with its own defaults (30 days) and its help's example
// (12 weeks), and history over a month, are answered (they were refused past 7 days); a span
// longer than history.retention is refused with the limit named.
func TestUsageAndHistorySpans(t *testing.T) {
	url, _ := startAgent(t, "garden")
	for _, args := range [][]string{{"usage"}, {"usage", "--since", "12w", "--by", "week"}, {"history", "--since", "30d"}} {
		if code, stdout, stderr := ctl(t, url, args...); code != 0 {
			t.Errorf("%v: exit %d\n%s%s", args, code, stdout, stderr)
		}
	}
	if code, _, stderr := ctl(t, url, "usage", "--since", "400d"); code == 0 || !strings.Contains(stderr, "history.retention") {
		t.Errorf("a span past the retention: exit %d, %s", code, stderr)
	}
}

// TestHealthShowsEveryField: ctl health prints each field it promises, "unknown" where this
// machine cannot tell (no thermal sensor, say), rather than leaving the line out.
func TestHealthShowsEveryField(t *testing.T) {
	url, _ := startAgent(t, "garden")
	code, stdout, stderr := ctl(t, url, "health")
	if code != 0 {
		t.Fatal(stderr)
	}
	for _, label := range []string{"CPU temperature", "throttled", "uptime", "memory", "disk free", "broker clients", "last error", "problems"} {
		if !strings.Contains(stdout, label) {
			t.Errorf("health lacks %q:\n%s", label, stdout)
		}
	}
}

// TestCtlSeams: the command menu names each heading once and every command as ctl spells it,
// and each exists; version names the broker and the commit; the log reads as text; durations
// out of range, negative ones and misspelt flags are refused with what is wanted; water-level
// answers with the new level.
func TestCtlSeams(t *testing.T) {
	profiles, err := filepath.Abs("../configs/profiles.yaml")
	if err != nil {
		t.Fatal(err)
	}
	url, _ := startAgent(t, "garden", "SPRINKLER_SCHEDULE_FILE="+profiles, quietZone())
	code, menu, stderr := ctl(t, url, "commands")
	if code != 0 {
		t.Fatal(stderr)
	}
	seen := map[string]bool{}
	for _, line := range strings.Split(menu, "\n") {
		if heading, ok := strings.CutSuffix(strings.TrimSpace(line), ":"); ok && !strings.HasPrefix(line, " ") {
			if seen[heading] {
				t.Errorf("heading %q twice in the menu", heading)
			}
			seen[heading] = true
			continue
		}
		if f := strings.Fields(line); len(f) > 0 {
			if code, _, stderr := ctl(t, url, f[0], "--help"); code != 0 {
				t.Errorf("the menu names %q, which ctl does not have: %s", f[0], stderr)
			}
		}
	}
	for _, name := range []string{"run-once", "water-level", "rain-delay", "whoami"} {
		if !strings.Contains(menu, "  "+name+" ") {
			t.Errorf("the menu does not name %s as ctl spells it:\n%s", name, menu)
		}
	}
	if _, out, _ := ctl(t, url, "version"); !regexp.MustCompile(`(?m)^broker +mochi-mqtt`).MatchString(out) || !regexp.MustCompile(`(?m)^sprinklerctl +[0-9]`).MatchString(out) || !strings.Contains(out, "commit ") {
		t.Errorf("version:\n%s", out)
	}
	if _, out, _ := ctl(t, url, "logs", "--lines", "5"); out == "" || strings.HasPrefix(out, "{") || !strings.Contains(out, " INFO ") {
		t.Errorf("logs are not readable lines:\n%s", out)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"open", "1", "--for", "0"}, "want from 1s to 168h"},
		{[]string{"open", "1", "--for", "9999h"}, "want from 1s to 168h"},
		{[]string{"pause", "-1m"}, "durations are positive"},
		{[]string{"open", "1", "--fro", "5m"}, "--for"},
	} {
		if code, _, stderr := ctl(t, url, tc.args...); code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, %q; want 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
	if code, out, stderr := ctl(t, url, "water-level", "80"); code != 0 || !strings.Contains(out, "water level 80%") {
		t.Errorf("water-level 80: exit %d, %s%s", code, out, stderr)
	}
}
