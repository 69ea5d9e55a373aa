package daemon

import (
	"log/slog"
	"maps"
	"strconv"
	"sync"
	"time"

	"sprinkler/agent/scheduler"
	"sprinkler/agent/statefile"
	"sprinkler/agent/valves"
)

// stateFile is the name of the agent's state document in state.dir.
const stateFile = "state.json"

// document is what the agent keeps across restarts and power cuts.
type document struct {
	// Runs are the runs in progress. A clean stop empties the list; after a crash or power
	// cut, what is left of them resumes.
	Runs []valves.Run `json:"runs"`
	// Schedule is the active profile, whether automatic runs are on, and a rain delay.
	Schedule scheduler.State `json:"schedule"`
	// Defaults are default runs changed at run time, seconds by zone number.
	Defaults map[string]float64 `json:"defaults,omitempty"`
	// Discovery is what was last announced to Home Assistant, so that what is gone can be
	// removed.
	Discovery announced `json:"discovery"`
}

// announced is the discovery last published.
type announced struct {
	Topics     []string          `json:"topics,omitempty"`
	Components map[string]string `json:"components,omitempty"` // object → platform, device form
}

// state is the agent's state document, written atomically on every change.
type state struct {
	path string
	log  *slog.Logger
	mu   sync.Mutex
	doc  document
}

// openState reads the state document, or starts an empty one. A document that cannot be
// read is logged and replaced: the relays are safe without it.
func openState(path string, log *slog.Logger) (*state, error) {
	s := &state{path: path, log: log}
	if _, err := statefile.Read(path, &s.doc); err != nil {
		log.Error("state: unreadable; starting afresh", "path", path, "err", err)
		s.doc = document{}
	}
	return s, nil
}

// runs returns the runs the document holds.
func (s *state) runs() []valves.Run {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]valves.Run(nil), s.doc.Runs...)
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
	return statefile.Write(s.path, s.doc)
}

// saveRuns records the runs in progress.
func (s *state) saveRuns(runs []valves.Run) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.doc.Runs = runs
	return statefile.Write(s.path, s.doc)
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
	return statefile.Write(s.path, s.doc)
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
	return statefile.Write(s.path, s.doc)
}
