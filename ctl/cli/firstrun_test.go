package cli_test

import (
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
