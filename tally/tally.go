// Package tally keeps a flood out of the log: of a run of like events it logs the first at
// once and the number of the others once, when the run's window ends. A client that fails to
// log in 60 000 times a minute costs two lines a minute, not 60 000.
package tally

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// maxRuns bounds the runs kept at once; events of further keys share one run.
const maxRuns = 1024

// overflow is the key of the events past maxRuns runs.
const overflow = "\x00more"

// Log tallies events for a logger. Its zero value is not useful; use New.
type Log struct {
	log    *slog.Logger
	window time.Duration

	mu   sync.Mutex
	runs map[string]*run
}

// run is the events of one key since the first of them.
type run struct {
	level slog.Level
	msg   string
	args  []any
	more  int // events after the first
	timer *time.Timer
}

// New returns a tally that writes to log and counts the events of a key for window after the
// first.
func New(log *slog.Logger, window time.Duration) *Log {
	return &Log{log: log, window: window, runs: map[string]*run{}}
}

// Add records an event of key. The first of a run is logged at once, as log.Log(level, msg,
// args...); the others within the window are counted, and logged as one record at its end:
// the first's message and args, with "repeated" (how many more) and "within" (the window).
// It reports whether the event was the first of its run.
func (t *Log) Add(level slog.Level, key, msg string, args ...any) (first bool) {
	t.mu.Lock()
	if _, ok := t.runs[key]; !ok && len(t.runs) >= maxRuns {
		key, msg, args = overflow, "more events of other kinds", nil
	}
	if r, ok := t.runs[key]; ok {
		r.more++
		t.mu.Unlock()
		return false
	}
	r := &run{level: level, msg: msg, args: args}
	t.runs[key] = r
	r.timer = time.AfterFunc(t.window, func() { t.end(key) })
	t.mu.Unlock()
	t.log.Log(context.Background(), level, msg, args...)
	return true
}

// end logs how many more events of key came within the window, if any.
func (t *Log) end(key string) {
	t.mu.Lock()
	r := t.runs[key]
	delete(t.runs, key)
	t.mu.Unlock()
	if r != nil && r.more > 0 {
		t.log.Log(context.Background(), r.level, r.msg, append(r.args, "repeated", r.more, "within", t.window.String())...)
	}
}

// Flush ends every run now, logging what each counted.
func (t *Log) Flush() {
	t.mu.Lock()
	var keys []string
	for k, r := range t.runs {
		if r.timer.Stop() {
			keys = append(keys, k)
		}
	}
	t.mu.Unlock()
	for _, k := range keys {
		t.end(k)
	}
}
