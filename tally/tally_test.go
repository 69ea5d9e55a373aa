package tally_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"sprinkler/tally"
)

// TestRunsAreCounted: 1000 like events make two lines, the first and the count; another key
// has its own run.
func TestRunsAreCounted(t *testing.T) {
	var out bytes.Buffer
	tl := tally.New(slog.New(slog.NewTextHandler(&out, nil)), time.Hour)
	for range 1000 {
		tl.Add(slog.LevelWarn, "login 127.0.0.1", "connection refused", "remote", "127.0.0.1")
	}
	tl.Add(slog.LevelWarn, "login 10.0.0.2", "connection refused", "remote", "10.0.0.2")
	tl.Flush()
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines:\n%s", len(lines), out.String())
	}
	if !strings.Contains(out.String(), "remote=127.0.0.1 repeated=999 within=1h0m0s") {
		t.Errorf("no count of the run:\n%s", out.String())
	}
}

// TestKeysAreBounded: past the bound, new keys share one run, so a window writes at most two
// lines a run.
func TestKeysAreBounded(t *testing.T) {
	var out bytes.Buffer
	tl := tally.New(slog.New(slog.NewTextHandler(&out, nil)), time.Hour)
	for i := range 5000 {
		tl.Add(slog.LevelInfo, strings.Repeat("k", i%3000+1), "event")
	}
	tl.Flush()
	if n := strings.Count(out.String(), "\n"); n > 2*(1024+1) { // a first line and a count per run
		t.Errorf("%d lines for 5000 events of 3000 keys", n)
	}
}
