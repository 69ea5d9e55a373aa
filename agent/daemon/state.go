package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"sprinkler/agent/clock"
	"sprinkler/agent/problems"
	"sprinkler/agent/scheduler"
	"sprinkler/agent/valves"
	"sprinkler/agent/writeback"
	"sprinkler/statefile"
)

// stateFile is the name of the agent's state document in state.dir. Beside it: its copy,
// written after it, used when it cannot be read; and, after a change that could not be saved,
// both set aside (.stale, .prev.stale): the settings of the first are used at the next start,
// but no run it holds resumes.
const (
	stateFile   = "state.json"
	copySuffix  = ".prev"
	staleSuffix = ".stale"
)

// stateFormat is the format of the state document; see statefile.
const stateFormat = 1

// document is what the agent keeps across restarts and power cuts.
type document struct {
	// Format is stateFormat as written; 0 in a document from before formats, read as it is.
	Format int `json:"format"`
	// Runs are the runs in progress, then the queue. A clean stop empties the list; after a
	// crash or power cut, what is left of them resumes.
	Runs []valves.Run `json:"runs"`
	// PausedUntil is the end of a pause that was on.
	PausedUntil time.Time `json:"paused_until,omitzero"`
	// Schedule is the active profile, whether automatic runs are on, and a rain delay.
	Schedule scheduler.State `json:"schedule"`
	// Defaults are default runs changed at run time, seconds by zone number.
	Defaults map[string]float64 `json:"defaults,omitempty"`
	// MaxOpen is a power budget lowered at run time (limits_set), below safety.max_open; 0: none.
	MaxOpen int `json:"max_open,omitempty"`
	// Discovery is what was last announced to Home Assistant, so that what is gone can be
	// removed.
	Discovery announced `json:"discovery"`
	// Saved is the latest time the agent has seen, as of the last write: a clock behind it
	// at start-up has gone back (a Raspberry Pi has no real-time clock) and cannot be trusted.
	Saved time.Time `json:"saved,omitzero"`
}

// announced is the discovery last published.
type announced struct {
	Topics     []string          `json:"topics,omitempty"`
	Components map[string]string `json:"components,omitempty"` // object → platform, device form
}

// state is the agent's state document. A change is written atomically, and fsynced, by its
// own goroutine (run) a moment later, so no relay switch or published state waits for the
// disk; sync writes at once, for a reply that must only leave once its change is durable.
type state struct {
	path  string
	log   *slog.Logger
	clock clock.Clock
	// probs hears of writes that fail and succeed again; nil until the agent has its problems.
	probs *problems.Set
	mu    sync.Mutex // guards doc, gen and trusted
	// trusted: the clock can be trusted, and the saved time follows it (trustClock).
	trusted bool
	doc     document
	gen     uint64 // changes made to doc so far
	// wmu serialises writes, so an older document never lands after a newer one; written
	// is the generation on disk, failing whether the last write failed, both under wmu.
	wmu     sync.Mutex
	written uint64
	failing bool
	kick    writeback.Kick
}

// The keys of the state's problems: a state that could not be read at start-up (it stays
// listed until the agent restarts), and one that cannot be saved (until a write succeeds).
const (
	problemStateRead  = "state-read"
	problemStateWrite = "state-write"
)

// openState reads the state document (see load), and says what it found wrong.
func openState(path string, clk clock.Clock, log *slog.Logger) (*state, []string) {
	s := &state{path: path, log: log, clock: clk, kick: writeback.New()}
	return s, s.load()
}

// save writes the document now, changed or not: at start-up, to repair what load found and to
// learn at once whether the state can be saved at all.
func (s *state) save() error {
	s.mu.Lock()
	_ = s.changed()
	s.mu.Unlock()
	return s.sync()
}

// run writes changes as they come until ctx ends, then once more.
func (s *state) run(ctx context.Context) { s.kick.LoopAfter(ctx, writeDelay, s.sync) }

// writeDelay is how long a change waits before the state document goes to disk in the
// background: the states it changed reach the network first, and a burst of changes (eight
// zones of a program) is one write. A reply still waits until its change is on disk.
const writeDelay = 5 * time.Millisecond

// changed notes a change of doc for run to write. Called with mu held; never fails, since
// a failed write is logged by sync and tried again with the next change.
func (s *state) changed() error {
	s.gen++
	s.kick.Ask()
	return nil
}

// sync returns once every change made before the call is on disk, writing it if need be:
// the document, then its copy. When that fails, the last saved document is set aside (so that
// a restart does not resume runs it no longer holds) and the problem raised until a write
// succeeds again.
func (s *state) sync() error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.mu.Lock()
	gen := s.gen
	if gen == s.written && !s.failing {
		s.mu.Unlock()
		return nil
	}
	if s.trusted {
		s.doc.Saved = s.clock.Now()
	} else {
		s.doc.Saved = clock.Later(s.doc.Saved, s.clock.Now())
	}
	s.doc.Format = stateFormat
	b, err := json.MarshalIndent(s.doc, "", "  ")
	s.mu.Unlock()
	if err == nil {
		err = statefile.Replace(s.path, append(b, '\n'))
	}
	if err != nil {
		s.failed(err)
		return err
	}
	s.written = gen
	if s.failing {
		s.failing = false
		_ = os.Remove(s.path + staleSuffix)
		_ = os.Remove(s.path + copySuffix + staleSuffix)
	}
	if err := statefile.Replace(s.path+copySuffix, append(b, '\n')); err != nil {
		// The change is saved; an outdated copy must never stand in for it.
		_ = os.Remove(s.path + copySuffix)
		s.raise(fmt.Sprintf("the copy of the state cannot be saved (%v): a damaged %s could not be recovered; free the disk of %s",
			cause(err), filepath.Base(s.path), filepath.Dir(s.path)))
		return nil
	}
	if s.probs != nil {
		s.probs.Clear(problemStateWrite)
	}
	return nil
}

// raise reports the state's write problem, once the agent has its problems.
func (s *state) raise(text string) {
	if s.probs != nil {
		s.probs.Raise(problemStateWrite, text)
	}
}

// cause is the innermost error of err: "no space left on device" rather than the name of a
// temporary file.
func cause(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}

// retryEvery is how often a state that could not be saved is tried again.
const retryEvery = 30 * time.Second

// retry asks for a write every retryEvery until one succeeds.
func (s *state) retry() {
	s.clock.AfterFunc(retryEvery, func() {
		s.wmu.Lock()
		failing := s.failing
		s.wmu.Unlock()
		if failing {
			s.kick.Ask()
			s.retry()
		}
	})
}

// failed handles a write that failed. Called with wmu held.
func (s *state) failed(err error) {
	s.log.Error("state: writing failed; the change holds until the agent stops, but a restart would not know it", "path", s.path, "err", err)
	if !s.failing {
		// Renaming needs no free space (and frees none, so what failed fails again).
		for _, p := range []string{s.path, s.path + copySuffix} {
			if rerr := os.Rename(p, p+staleSuffix); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
				s.log.Error("state: could not set the outdated state aside; a restart may resume runs from it", "path", p, "err", rerr)
			}
		}
	}
	if !s.failing {
		s.retry()
	}
	s.failing = true
	s.raise(fmt.Sprintf("the state cannot be saved (%v): changes hold until the agent stops, and a restart will resume no run; "+
		"free the disk of %s", cause(err), filepath.Dir(s.path)))
}

// trustClock makes the saved time follow the clock from now on, rather than never go back: a
// time saved by a clock that ran ahead is let go once the clock can be trusted.
func (s *state) trustClock() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.trusted = true
}

// lastKnown is the latest time the document has seen: when it was saved, or, in a document
// from before that was recorded, when its runs started.
func (s *state) lastKnown() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.doc.Saved
	for _, r := range s.doc.Runs {
		t = clock.Later(t, r.Started)
	}
	return t
}

// runs returns the runs and the pause the document holds.
func (s *state) runs() valves.Saved {
	s.mu.Lock()
	defer s.mu.Unlock()
	return valves.Saved{Runs: append([]valves.Run(nil), s.doc.Runs...), PausedUntil: s.doc.PausedUntil}
}

// schedule returns the scheduler's remembered state.
func (s *state) schedule() scheduler.State {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.doc.Schedule
}

// saveSchedule records the scheduler's state.
func (s *state) saveSchedule(st scheduler.State) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.doc.Schedule = st
	return s.changed()
}

// saveRuns records the runs and the pause.
func (s *state) saveRuns(st valves.Saved) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.doc.Runs, s.doc.PausedUntil = st.Runs, st.PausedUntil
	return s.changed()
}

// defaults returns the default runs changed at run time.
func (s *state) defaults() map[string]float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.doc.Defaults)
}

// saveDefault records zone's default run.
func (s *state) saveDefault(zone int, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.doc.Defaults == nil {
		s.doc.Defaults = map[string]float64{}
	}
	s.doc.Defaults[strconv.Itoa(zone)] = d.Seconds()
	return s.changed()
}

// clearDefaults forgets the default runs the state kept.
func (s *state) clearDefaults() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.doc.Defaults = nil
	return s.changed()
}

// maxOpen returns the power budget lowered at run time; 0 for none.
func (s *state) maxOpen() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.doc.MaxOpen
}

// saveMaxOpen records the power budget lowered at run time (0: the configuration's).
func (s *state) saveMaxOpen(n int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.doc.MaxOpen = n
	return s.changed()
}

// announced returns what discovery last published.
func (s *state) announced() announced {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.doc.Discovery
}

// saveAnnounced records what discovery published.
func (s *state) saveAnnounced(a announced) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.doc.Discovery = a
	return s.changed()
}
