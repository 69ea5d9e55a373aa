package logs_test

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sprinkler/agent/logs"
)

func open(t *testing.T, maxFiles int) (*logs.Logs, string) {
	t.Helper()
	dir := t.TempDir()
	l, err := logs.Open(logs.Config{Level: slog.LevelInfo, File: filepath.Join(dir, "agent.log"), MaxSize: 1, MaxFiles: maxFiles}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l, dir
}

func TestTailGrepErrorsAndClear(t *testing.T) {
	l, _ := open(t, 2)
	l.Logger.Info("relay on", "zone", 3, "source", "ctl-a")
	l.Logger.Info("relay off", "zone", 3, "source", "timer")
	l.Logger.Error("relay failed", "zone", 5, "err", "EIO")
	lines, err := l.Tail(2, nil)
	if err != nil || len(lines) != 2 || !strings.Contains(lines[1], "relay failed") {
		t.Fatalf("tail: %v %v", lines, err)
	}
	lines, _ = l.Tail(0, []string{`"zone":3`, "timer"})
	if len(lines) != 1 || !strings.Contains(lines[0], "relay off") {
		t.Fatalf("grep: %v", lines)
	}
	errs, _ := l.Errors(10, nil)
	if len(errs) != 1 || !strings.Contains(l.LastError(), "relay failed: EIO") {
		t.Fatalf("errors: %v, last %q", errs, l.LastError())
	}
	if err := l.Clear(); err != nil {
		t.Fatal(err)
	}
	if lines, _ := l.Tail(0, nil); len(lines) != 0 {
		t.Errorf("after clear: %v", lines)
	}
	if err := l.ClearErrors(); err != nil || l.LastError() != "" {
		t.Fatal(err)
	}
}

// TestFloodStaysBounded writes 100 000 lines in a moment: the files stay within the configured
// size and count, and the flood stops at the hour's share of a day's files, so that what came
// before it stays.
func TestFloodStaysBounded(t *testing.T) {
	l, dir := open(t, 2)
	pad := strings.Repeat("x", 100)
	for i := range 100_000 {
		l.Logger.Info("flood", "i", i, "pad", pad)
	}
	var total int64
	var files int
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "agent") {
			continue
		}
		info, _ := e.Info()
		total += info.Size()
		files++
	}
	if files > 3 || total > 3*1024*1024 {
		t.Errorf("%d files, %d bytes: more than 1 current + 2 old of 1 MiB", files, total)
	}
	if total > 3*1024*1024/24+4096 {
		t.Errorf("an hour's flood wrote %d bytes: more than the hour's share of a day in the files", total)
	}
	if lines, _ := l.Tail(0, []string{`"i":0,`}); len(lines) != 1 {
		t.Errorf("the flood's first line, and with it what came before, was pushed out: %v", lines)
	}
}

func TestNoFile(t *testing.T) {
	l, err := logs.Open(logs.Config{Level: slog.LevelInfo}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Tail(5, nil); !errors.Is(err, logs.ErrNoFile) {
		t.Errorf("tail without a file: %v", err)
	}
}

// TestDurationsReadAsWritten: a duration reads "1m0s" in the JSON file and in the error log, not
// a count of nanoseconds.
func TestDurationsReadAsWritten(t *testing.T) {
	l, _ := open(t, 1)
	l.Logger.Info("run started", "zone", 2, "duration", time.Minute)
	l.Logger.Error("relay failed", "zone", 2, "after", 1500*time.Millisecond)
	lines, err := l.Tail(0, []string{"run started"})
	if err != nil || len(lines) != 1 || !strings.Contains(lines[0], `"duration":"1m0s"`) {
		t.Errorf("the log: %q %v", lines, err)
	}
	errs, err := l.Errors(1, nil)
	if err != nil || len(errs) != 1 || !strings.Contains(errs[0], `"after":"1.5s"`) {
		t.Errorf("the error log: %q %v", errs, err)
	}
}
