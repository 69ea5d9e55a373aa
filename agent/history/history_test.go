package history_test

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sprinkler/agent/history"
	"sprinkler/statefile/disktest"
	"sprinkler/topics"
)

var t0 = time.Date(2026, 6, 1, 6, 0, 0, 0, time.UTC) // a Monday

func run(zone int, start time.Time, d time.Duration, outcome string) topics.RunRecord {
	return topics.RunRecord{Zone: zone, Source: "test", Planned: topics.Time{Time: start}, Started: topics.Time{Time: start},
		Ended: topics.Time{Time: start.Add(d)}, PlannedS: d.Seconds(), ActualS: d.Seconds(), Outcome: outcome}
}

func open(t *testing.T, path string, now time.Time) *history.Store {
	t.Helper()
	s, err := history.Open(path, 30*24*time.Hour, now, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRecordsSurviveARestartAndOldOnesGo(t *testing.T) {
	path := filepath.Join(t.TempDir(), history.File)
	s := open(t, path, t0)
	s.Add(run(1, t0.AddDate(0, 0, -40), 10*time.Minute, topics.ReasonFinished))
	s.Add(run(2, t0.Add(-time.Hour), 5*time.Minute, topics.ReasonClosed))
	s.Add(run(1, t0, 10*time.Minute, topics.ReasonFinished))
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	// A torn last line, as a power cut in the middle of an append leaves it.
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	_, _ = f.WriteString(`{"zone":3,"sour`)
	_ = f.Close()

	again := open(t, path, t0.Add(time.Hour))
	got := again.Runs(0, time.Time{})
	if len(got) != 2 || got[0].Zone != 2 || got[1].Zone != 1 || got[1].Outcome != topics.ReasonFinished {
		t.Fatalf("after a restart: %+v", got)
	}
	if zone1 := again.Runs(1, t0.Add(-2*time.Hour)); len(zone1) != 1 {
		t.Errorf("zone 1: %+v", zone1)
	}
	if recent := again.Runs(0, t0.Add(time.Minute)); len(recent) != 1 {
		t.Errorf("since: %+v", recent)
	}
	b, _ := os.ReadFile(path)
	if len(b) == 0 || b[len(b)-1] != '\n' {
		t.Errorf("the damaged line was not rewritten away: %q", b)
	}
}

func TestRetentionWhileRunning(t *testing.T) {
	path := filepath.Join(t.TempDir(), history.File)
	s := open(t, path, t0)
	s.Add(run(1, t0, time.Minute, topics.ReasonFinished))
	s.Add(run(1, t0.AddDate(0, 0, 32), time.Minute, topics.ReasonFinished)) // past the retention, plus a day
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	if got := open(t, path, t0.AddDate(0, 0, 32)).Runs(0, time.Time{}); len(got) != 1 {
		t.Errorf("the old run was kept: %+v", got)
	}
}

func TestUsageByDayAndWeek(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), history.File), t0)
	s.Add(run(1, t0, 10*time.Minute, topics.ReasonFinished))                  // Mon
	s.Add(run(2, t0.Add(time.Hour), 5*time.Minute, topics.ReasonFinished))    // Mon
	s.Add(run(1, t0.AddDate(0, 0, 2), 6*time.Minute, topics.ReasonPowerLoss)) // Wed
	s.Add(run(3, t0.AddDate(0, 0, 7), 4*time.Minute, topics.ReasonFinished))  // next Mon
	now := t0.AddDate(0, 0, 8)

	days, err := s.Usage(history.ByDay, t0.Add(-time.Hour), now, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if len(days) != 9 || days[0].TotalS != 900 || days[0].Runs != 2 || days[0].Zones["2"] != 300 || days[1].TotalS != 0 || days[2].TotalS != 360 {
		t.Fatalf("by day: %+v", days)
	}
	weeks, err := s.Usage(history.ByWeek, t0.Add(-time.Hour), now, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if len(weeks) != 2 || weeks[0].TotalS != 1260 || weeks[1].TotalS != 240 || !weeks[1].Start.Equal(t0.AddDate(0, 0, 7).Truncate(24*time.Hour)) {
		t.Fatalf("by week: %+v", weeks)
	}
	if _, err := s.Usage("month", t0, now, time.UTC); topics.CodeOf(err) != topics.CodeBadRequest {
		t.Errorf("by month: %v", err)
	}
}

// TestCompactionOnAFullDisk: the history is rewritten to drop old runs while its disk is full.
// The rewrite fails and says so; the file stays exactly as it was (it used to be replaced by
// the part of the new one that fitted); once there is room again, the next try succeeds.
func TestCompactionOnAFullDisk(t *testing.T) {
	dir := disktest.Mount(t, "256k")
	path := filepath.Join(dir, history.File)
	s := open(t, path, t0)
	for i := 0; i < 200; i++ {
		s.Add(run(1+i%8, t0.Add(time.Duration(i)*time.Hour), 10*time.Minute, topics.ReasonFinished))
	}
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	disktest.Fill(t, dir)
	s.Add(run(2, t0.AddDate(0, 0, 45), time.Minute, topics.ReasonClosed)) // the oldest runs are past the retention now
	if err := s.Sync(); err == nil {
		t.Fatal("a rewrite on a full disk reported success")
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Fatalf("the history file changed after a failed rewrite: %d bytes, was %d", len(after), len(before))
	}
	disktest.Free(t, dir)
	if err := s.Sync(); err != nil {
		t.Fatalf("with room again: %v", err)
	}
	got := open(t, path, t0.AddDate(0, 0, 45)).Runs(0, time.Time{})
	if len(got) == 0 || got[len(got)-1].Zone != 2 || len(got) >= 201 {
		t.Errorf("after the retry %d runs, the last %+v", len(got), got[len(got)-1])
	}
}

// TestFormatsMoveForward: a history from before formats (no header) is read and rewritten with
// its format's header; a newer release's is set aside whole, not read nor appended to.
func TestFormatsMoveForward(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, history.File)
	old := `{"zone":1,"source":"test","planned_at":"2026-06-01T05:00:00Z","started_at":"2026-06-01T05:00:00Z","ended_at":"2026-06-01T05:10:00Z","planned_s":600,"actual_s":600,"outcome":"finished"}` + "\n"
	if err := os.WriteFile(path, []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	if s := open(t, path, t0); len(s.Runs(0, t0.Add(-24*time.Hour))) != 1 {
		t.Fatalf("the old history's run: %+v", s.Runs(0, t0.Add(-24*time.Hour)))
	}
	if b, _ := os.ReadFile(path); !strings.HasPrefix(string(b), `{"format":1}`+"\n") || !strings.Contains(string(b), `"zone":1,`) {
		t.Errorf("brought forward as:\n%s", b)
	}
	newer := `{"format":2}` + "\n" + `{"what":"a newer release's record"}` + "\n"
	if err := os.WriteFile(path, []byte(newer), 0o600); err != nil {
		t.Fatal(err)
	}
	s := open(t, path, t0)
	s.Add(run(2, t0, time.Minute, topics.ReasonFinished))
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path + ".format-2"); string(b) != newer {
		t.Errorf("the newer history set aside as %q", b)
	}
	if b, _ := os.ReadFile(path); !strings.HasPrefix(string(b), `{"format":1}`+"\n") || strings.Contains(string(b), "newer") {
		t.Errorf("the history this release writes:\n%s", b)
	}
}
