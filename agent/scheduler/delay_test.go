package scheduler_test

import (
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"sprinkler/agent/clock"
	"sprinkler/agent/scheduler"
	"sprinkler/agent/valves"
)

// shifted is the wall clock moved by an offset: real timers, a chosen time of day.
type shifted struct{ offset time.Duration }

func (s shifted) Now() time.Time { return time.Now().Add(s.offset) }

func (s shifted) AfterFunc(d time.Duration, f func()) clock.Timer { return time.AfterFunc(d, f) }

// stampBank records the real time of the first switch-on.
type stampBank struct {
	once sync.Once
	on   chan time.Time
}

func (b *stampBank) Set(_ int, on bool) error {
	if on {
		b.once.Do(func() { b.on <- time.Now() })
	}
	return nil
}

func (b *stampBank) Close() error { return nil }

// BenchmarkSwitchingDelay measures, on the real clock, how late a relay switches on after its
// scheduled second: 20 starts, each with the clock set 300 ms before 06:00:00. It reports the
// median and the worst; the time per op is meaningless. Run it with -benchtime 1x.
func BenchmarkSwitchingDelay(b *testing.B) {
	path := filepath.Join(b.TempDir(), "p.yml")
	if err := os.WriteFile(path, []byte("p:\n  relay1: {Days: [all], Times: [600], durations: [1]}\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	due := at("2026-06-01 06:00:00")
	var delays []time.Duration
	for range b.N {
		delays = delays[:0]
		for range 20 {
			clk := shifted{offset: due.Add(-300 * time.Millisecond).Sub(time.Now())}
			bank := &stampBank{on: make(chan time.Time, 1)}
			v := valves.New("g", []valves.Zone{{ID: 1, DefaultDuration: time.Minute, MaxDuration: time.Hour}}, bank, clk,
				slog.New(slog.DiscardHandler), valves.Options{Limits: unlimited})
			e, err := scheduler.New(scheduler.Options{Path: path, Zones: zonesOf(1), Location: berlin, Clock: clk,
				Valves: v, Log: slog.New(slog.DiscardHandler)})
			if err != nil {
				b.Fatal(err)
			}
			e.Start()
			select {
			case on := <-bank.on:
				delays = append(delays, on.Add(clk.offset).Sub(due))
			case <-time.After(5 * time.Second):
				b.Fatal("the relay never switched on")
			}
			e.Stop()
			_ = v.Reset("shutdown")
		}
	}
	slices.Sort(delays)
	b.ReportMetric(float64(delays[len(delays)/2].Microseconds())/1000, "median-ms")
	b.ReportMetric(float64(delays[len(delays)-1].Microseconds())/1000, "worst-ms")
	b.ReportMetric(float64(delays[0].Microseconds())/1000, "best-ms")
}
