package logs

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestBudgetKeepsTheDay: a flood of warnings stops being written once the hour's budget is spent
// (errors still are), and the next hour begins with a record of what was left out.
func TestBudgetKeepsTheDay(t *testing.T) {
	var out strings.Builder
	l := slog.New(newBudget(&out, nil, 2000))
	start := time.Date(2026, 12, 6, 20, 0, 0, 0, time.UTC)
	for i := range 100 {
		r := slog.NewRecord(start.Add(time.Duration(i)*time.Second), slog.LevelWarn, "connection refused", 0)
		_ = l.Handler().Handle(context.Background(), r)
	}
	_ = l.Handler().Handle(context.Background(), slog.NewRecord(start.Add(time.Minute), slog.LevelError, "relay failed", 0))
	if n := strings.Count(out.String(), "connection refused"); n == 0 || n > 40 {
		t.Errorf("%d of 100 warnings written under a 2000-byte budget", n)
	}
	if !strings.Contains(out.String(), "relay failed") {
		t.Error("an error was left out")
	}
	_ = l.Handler().Handle(context.Background(), slog.NewRecord(start.Add(time.Hour), slog.LevelInfo, "next hour", 0))
	if !strings.Contains(out.String(), `"left_out":`) || !strings.HasSuffix(strings.TrimSpace(out.String()), `"msg":"next hour"}`) {
		t.Errorf("the next hour does not say what was left out:\n%s", out.String())
	}
}
