package metrics_test

import (
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"sprinkler/agent/metrics"
	"sprinkler/topics"
)

// TestRunsAndLiveValuesOverHTTP serves the endpoint on loopback and scrapes it: runs counted
// by kind (the schedule's by the run's owner, not its source's spelling), open seconds never
// going back for a run with a negative duration, and the live values read at scrape time.
func TestRunsAndLiveValuesOverHTTP(t *testing.T) {
	m := metrics.New()
	at := topics.Time{Time: time.Date(2026, 6, 1, 6, 0, 0, 0, time.UTC)}
	m.RunEnded(topics.RunRecord{Zone: 1, Source: "schedule:summer", Owner: topics.OwnerSchedule, Outcome: topics.ReasonFinished, Planned: at, Started: at, ActualS: 600})
	m.RunEnded(topics.RunRecord{Zone: 1, Source: "schedule:x", Outcome: topics.ReasonClosed, Started: at, ActualS: 60}) // a client's id
	m.RunEnded(topics.RunRecord{Zone: 1, Source: topics.SourceResume, Owner: topics.OwnerResume, Outcome: topics.ReasonPowerLoss, Started: at, ActualS: -3600})
	m.RelayError()
	m.Watch(metrics.Sources{
		Zones:     func() map[int]bool { return map[int]bool{1: true, 2: false} },
		Queue:     func() int { return 3 },
		Connected: func() bool { return true },
		Connects:  func() int64 { return 2 },
	})
	s, err := m.Serve("127.0.0.1:0", nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	resp, err := http.Get("http://" + s.Addr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	text := string(b)
	for _, want := range []string{
		`sprinkler_runs_total{outcome="finished",source="schedule"} 1`,
		`sprinkler_runs_total{outcome="closed",source="manual"} 1`,
		`sprinkler_runs_total{outcome="power_loss",source="resume"} 1`,
		`sprinkler_zone_open_seconds_total{zone="1"} 660`,
		`sprinkler_relay_errors_total 1`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the endpoint lacks %s", want)
		}
	}
	if t.Failed() {
		t.Log(text)
	}
}
