package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sprinkler/topics"
)

// writeState puts a state document in dir, as an agent that ran before would have left it.
func writeState(t *testing.T, dir string, doc map[string]any) {
	t.Helper()
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "state.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// healthOf runs ctl health --json.
func healthOf(t *testing.T, url string) topics.Health {
	t.Helper()
	code, stdout, stderr := ctl(t, url, "health", "--json")
	var h topics.Health
	if err := json.Unmarshal([]byte(stdout), &h); code != 0 || err != nil {
		t.Fatalf("health: exit %d, %v, %s%s", code, err, stdout, stderr)
	}
	return h
}

// TestClockBehindTheState starts the agent process on a state written an hour in its future,
// as after a power cut on a Raspberry Pi, which has no real-time clock: the agent starts (it
// used to panic and restart until the clock caught up), every relay is off, the interrupted run
// is not resumed on a clock it cannot trust, the history has no negative duration, and the
// health and an event say what is wrong.
func TestClockBehindTheState(t *testing.T) {
	state := t.TempDir()
	future := time.Now().Add(time.Hour).UTC()
	writeState(t, state, map[string]any{
		"runs":  []map[string]any{{"zone": 2, "started": future, "ends_at": future.Add(10 * time.Minute), "source": "ctl-x"}},
		"saved": future,
	})
	url, agent := startAgent(t, "garden", "SPRINKLER_STATE_DIR="+state)
	if z := zoneStatus(t, url, "2"); z.State != topics.StateClosed {
		t.Errorf("zone 2 resumed on a clock behind the state: %+v", z)
	}
	h := healthOf(t, url)
	if len(h.Problems) != 1 || !strings.Contains(h.Problems[0], "clock") {
		t.Errorf("health problems: %q", h.Problems)
	}
	for _, r := range history(t, url).Runs {
		if r.ActualS < 0 || r.PlannedS < 0 {
			t.Errorf("a record with a negative duration: %+v", r)
		}
	}
	agent.stop(t)
	if out := agent.out.String(); strings.Contains(out, "panic") || !strings.Contains(out, "behind the saved state") {
		t.Errorf("the agent's log:\n%s", out)
	}
}
