package systemtest

import (
	"path/filepath"
	"strings"
	"testing"

	"sprinkler/topics"
)

// TestHistoryAndUsage records runs that end every way a command can end them (closed, their
// time up, cancelled before they started, the agent stopping) and reads them back, as tables
// and as JSON, across a restart.
func TestHistoryAndUsage(t *testing.T) {
	state := t.TempDir()
	url, agent := startAgent(t, "garden", "SPRINKLER_STATE_DIR="+state, "SPRINKLER_SAFETY_STAGGER=0s")
	watch := startLines(t, filepath.Join(bin, "ctl"), "--broker", url, "watch")
	for _, args := range [][]string{
		{"open", "2", "--for", "10m"},
		{"close", "2"},
		{"open", "3", "--for", "1s"},
		{"open", "5", "--for", "10m"},
	} {
		if code, _, stderr := ctl(t, url, args...); code != 0 {
			t.Fatalf("%v: %s", args, stderr)
		}
	}
	watch.await("event run_finished zone=3")
	agent.stop(t) // zone 5 ends with the agent

	url, _ = startAgent(t, "garden", "SPRINKLER_STATE_DIR="+state)
	h := history(t, url)
	outcomes := map[int]string{}
	for _, r := range h.Runs {
		outcomes[r.Zone] = r.Outcome
		if r.Started.Before(r.Planned.Time) || r.Ended.Before(r.Started.Time) || r.ActualS <= 0 || r.Source == "" {
			t.Errorf("run %+v", r)
		}
	}
	want := map[int]string{2: topics.ReasonClosed, 3: topics.ReasonFinished, 5: topics.ReasonShutdown}
	if len(h.Runs) != 3 || outcomes[2] != want[2] || outcomes[3] != want[3] || outcomes[5] != want[5] {
		t.Fatalf("history: %+v", h.Runs)
	}
	if z := history(t, url, "--zone", "3", "--since", "1h"); len(z.Runs) != 1 || z.Runs[0].PlannedS != 1 {
		t.Errorf("zone 3: %+v", z.Runs)
	}

	code, stdout, stderr := ctl(t, url, "history")
	if code != 0 || !strings.Contains(stdout, "closed") || !strings.Contains(stdout, "shutdown") {
		t.Errorf("history table: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = ctl(t, url, "usage", "--since", "3d")
	if code != 0 || !strings.Contains(stdout, "█") || !strings.Contains(stdout, "total") || strings.Count(stdout, "\n") < 4 {
		t.Errorf("usage: exit %d\n%s%s", code, stdout, stderr)
	}
	if code, _, stderr := ctl(t, url, "usage", "--by", "month"); code != 2 {
		t.Errorf("usage --by month: exit %d, %s", code, stderr)
	}
	if code, _, stderr := ctl(t, url, "history", "--zone", "42"); code != 1 || !strings.Contains(stderr, "42") {
		t.Errorf("history --zone 42: exit %d, %s", code, stderr)
	}
}
