// Package history keeps the runs that ended: one JSON line each in a file that only grows
// between compactions, appended and synced by its own goroutine so that no relay waits for the
// disk, and read back at start. It answers the history and usage queries from memory.
package history

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"sync"
	"time"

	"sprinkler/agent/writeback"
	"sprinkler/statefile"
	"sprinkler/topics"
)

// File is the history's name in the state folder.
const File = "history.jsonl"

// format is the history's format: a statefile.LinesHeader, then a topics.RunRecord a line.
const format = 1

// Store is the run history.
type Store struct {
	path      string
	retention time.Duration
	log       *slog.Logger
	mu        sync.Mutex
	runs      []topics.RunRecord // oldest first
	pending   [][]byte           // lines not yet on disk
	prune     bool               // runs past the retention are in memory: rewrite the file
	kick      writeback.Kick
	wmu       sync.Mutex // serialises writes to the file
}

// Open reads the history at path, drops what is older than retention before now, and
// rewrites the file when it dropped anything or found a damaged line (a power cut in the middle
// of an append leaves at most the last line torn).
func Open(path string, retention time.Duration, now time.Time, log *slog.Logger) (*Store, error) {
	s := &Store{path: path, retention: retention, log: log, kick: writeback.New()}
	src, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("history: %w", err)
	}
	cut := now.Add(-retention)
	rewrite := false
	sc := bufio.NewScanner(bytes.NewReader(src))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		if n == 1 {
			f, header, err := statefile.LinesFormat(path, sc.Bytes(), format)
			if err != nil {
				log.Error("history: not read", "err", err)
				return s, nil
			}
			rewrite = f < format // brought forward: the file gets its header
			if header {
				continue
			}
		}
		var r topics.RunRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			log.Warn("history: a damaged line was dropped", "path", path, "line", n, "err", err)
			rewrite = true
			continue
		}
		if retention > 0 && r.Ended.Before(cut) {
			rewrite = true
			continue
		}
		s.runs = append(s.runs, r)
	}
	if rewrite {
		if err := statefile.Replace(path, encode(s.runs)); err != nil {
			log.Warn("history: could not drop old or damaged lines; tried again later", "path", path, "err", err)
			s.prune = true
		}
	}
	return s, nil
}

// encode is the file's content for runs: one JSON line each.
func encode(runs []topics.RunRecord) []byte {
	var buf bytes.Buffer
	buf.Write(statefile.LinesHeader(format))
	for _, r := range runs {
		b, _ := json.Marshal(r)
		buf.Write(append(b, '\n'))
	}
	return buf.Bytes()
}

// Add records a run that ended. It does not wait for the disk and never blocks: Run writes it.
func (s *Store) Add(r topics.RunRecord) {
	b, _ := json.Marshal(r)
	s.mu.Lock()
	s.runs = append(s.runs, r)
	s.pending = append(s.pending, append(b, '\n'))
	if s.retention > 0 && s.runs[0].Ended.Before(r.Ended.Add(-s.retention-24*time.Hour)) {
		s.prune = true // once a day at most
	}
	s.mu.Unlock()
	s.kick.Ask()
}

// Run appends what Add recorded until ctx ends, then once more.
func (s *Store) Run(ctx context.Context) { s.kick.LoopAfter(ctx, writeDelay, s.Sync) }

// writeDelay is how long a finished run waits before the history goes to disk: the change that
// ended it reaches the network first. A reply still waits until it is on disk.
const writeDelay = 5 * time.Millisecond

// Sync appends the runs recorded so far to the file and syncs it.
func (s *Store) Sync() error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.mu.Lock()
	if s.prune {
		return s.compact() // unlocks
	}
	lines := s.pending
	s.pending = nil
	s.mu.Unlock()
	if len(lines) == 0 {
		return nil
	}
	f, err := os.OpenFile(s.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err == nil {
		if st, serr := f.Stat(); serr == nil && st.Size() == 0 {
			lines = append([][]byte{statefile.LinesHeader(format)}, lines...)
		}
		_, err = f.Write(bytes.Join(lines, nil))
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		s.mu.Lock()
		s.pending = append(lines, s.pending...) // tried again with the next run
		s.mu.Unlock()
		s.log.Error("history: writing failed; the runs stay in memory and are tried again", "path", s.path, "err", err)
		return fmt.Errorf("history: %w", err)
	}
	return nil
}

// compact rewrites the file with the runs within the retention; called with mu held, it
// releases it before the disk is touched, so that Add never waits for a rewrite. On failure
// the old file stays whole, and the runs not yet in it are written with the next try.
func (s *Store) compact() error {
	if s.retention > 0 && len(s.runs) > 0 {
		cut := s.runs[len(s.runs)-1].Ended.Add(-s.retention)
		s.runs = slices.DeleteFunc(s.runs, func(r topics.RunRecord) bool { return r.Ended.Before(cut) })
	}
	data, lines := encode(s.runs), s.pending
	s.pending, s.prune = nil, false
	s.mu.Unlock()
	if err := statefile.Replace(s.path, data); err != nil {
		s.mu.Lock()
		s.pending, s.prune = append(lines, s.pending...), true
		s.mu.Unlock()
		s.log.Error("history: rewriting failed; the file stays as it was and is rewritten with the next run", "path", s.path, "err", err)
		return fmt.Errorf("history: %w", err)
	}
	return nil
}

// Retention is how long the store keeps a run; 0: for ever.
func (s *Store) Retention() time.Duration { return s.retention }

// Runs returns the runs of zone (every zone when 0) that ended at or after since, oldest first.
func (s *Store) Runs(zone int, since time.Time) []topics.RunRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []topics.RunRecord
	for _, r := range s.runs {
		if (zone == 0 || r.Zone == zone) && !r.Ended.Before(since) {
			out = append(out, r)
		}
	}
	return out
}

// Period lengths of Usage.
const (
	ByDay  = "day"
	ByWeek = "week"
)

// Usage sums water time per day or week (weeks start on Monday) in loc, from the period that
// holds since until the one that holds now, every period listed even when nothing ran. A run
// counts in the period it started in.
func (s *Store) Usage(by string, since, now time.Time, loc *time.Location) ([]topics.UsagePeriod, error) {
	start := func(t time.Time) time.Time {
		t = t.In(loc)
		d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
		if by == ByWeek {
			d = d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
		}
		return d
	}
	next := func(t time.Time) time.Time {
		if by == ByWeek {
			return t.AddDate(0, 0, 7)
		}
		return t.AddDate(0, 0, 1)
	}
	if by != ByDay && by != ByWeek {
		return nil, topics.Errorf(topics.CodeBadRequest, "by %q: want day or week", by)
	}
	if !since.Before(now) {
		return nil, topics.Errorf(topics.CodeBadRequest, "since must be in the past")
	}
	var periods []topics.UsagePeriod
	index := map[time.Time]int{}
	for t := start(since); !t.After(now); t = next(t) {
		index[t] = len(periods)
		periods = append(periods, topics.UsagePeriod{Start: topics.Time{Time: t}, Zones: map[string]float64{}})
		if len(periods) > 3660 {
			return nil, topics.Errorf(topics.CodeBadRequest, "more than ten years of periods")
		}
	}
	for _, r := range s.Runs(0, since) {
		i, ok := index[start(r.Started.Time)]
		if !ok {
			continue
		}
		p := &periods[i]
		p.TotalS += r.ActualS
		p.Zones[strconv.Itoa(r.Zone)] += r.ActualS
		p.Runs++
	}
	return slices.Clip(periods), nil
}
