// Package problems keeps the conditions that need a person's attention: a clock behind the
// saved state, a state file that could not be read or written. Each is reported once when it
// arises (log and event) and listed in the health until it clears; Home Assistant shows them as
// a problem sensor.
package problems

import (
	"slices"
	"sync"
)

// Set is the current problems, by key.
type Set struct {
	mu      sync.Mutex
	current map[string]string
	// Raised is told of each problem as it arises or its text changes, Cleared as it clears;
	// either may be nil.
	Raised, Cleared func(key, text string)
}

// Raise records problem key with its text; it tells Raised unless the same text is current.
func (s *Set) Raise(key, text string) {
	s.mu.Lock()
	if s.current == nil {
		s.current = map[string]string{}
	}
	same := s.current[key] == text
	s.current[key] = text
	s.mu.Unlock()
	if !same && s.Raised != nil {
		s.Raised(key, text)
	}
}

// Clear forgets problem key, telling Cleared if it was current.
func (s *Set) Clear(key string) {
	s.mu.Lock()
	text, ok := s.current[key]
	delete(s.current, key)
	s.mu.Unlock()
	if ok && s.Cleared != nil {
		s.Cleared(key, text)
	}
}

// List returns the current problems' texts, sorted by key.
func (s *Set) List() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]string, 0, len(s.current))
	for k := range s.current {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = s.current[k]
	}
	return out
}
