package weather

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// Reading is one value heard on an input, in the agent's units.
type Reading struct {
	At time.Time `json:"t"`
	Q  string    `json:"q"`
	V  float64   `json:"v"`
	// Raw is a running total's value as it was sent; V is then the increment since the one
	// before.
	Raw *float64 `json:"raw,omitempty"`
}

// Store keeps the readings of each local day in a file of its own, one JSON line a reading,
// written as it comes: a crash loses at most the reading being written, and the line it cut
// short is skipped when the day is read again.
type Store struct {
	dir  string
	loc  *time.Location
	keep int // days of files kept

	mu     sync.Mutex
	file   *os.File
	date   string             // of file
	last   map[string]Reading // the last reading of each quantity
	stored map[string]time.Time
	count  map[string]int // readings of each quantity written on date
	cache  map[string]day
}

// The bounds of what the store keeps of one quantity, whatever its inputs send: a reading
// within minGap of the last one kept is not written (but for one that carries rain), and at most
// maxPerDay are written a day; a day's file stays below some 10 MB however an input floods.
const (
	minGap    = 10 * time.Second
	maxPerDay = 10_000
)

// ErrDayFull refuses a reading past maxPerDay of its quantity in a day.
var ErrDayFull = fmt.Errorf("more than %d readings of it today: the rest of today's are not kept", maxPerDay)

// day is a past day's readings as read, and its damaged lines.
type day struct {
	readings []Reading
	bad      int
}

const dayFileSuffix = ".jsonl"

// OpenStore opens the readings in dir, keeping keep days of them, and finds the last reading of
// each quantity among the newest two days.
func OpenStore(dir string, loc *time.Location, keep int, now time.Time) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("weather: %w", err)
	}
	s := &Store{dir: dir, loc: loc, keep: keep, last: map[string]Reading{}, stored: map[string]time.Time{}, count: map[string]int{},
		cache: map[string]day{}, date: "-"}
	s.prune(now)
	for _, d := range []string{s.dateOf(now.AddDate(0, 0, -1)), s.dateOf(now)} {
		rs, _, err := s.read(d)
		if err != nil {
			return nil, err
		}
		for _, r := range rs {
			s.last[r.Q], s.stored[r.Q] = r, r.At
			if d == s.dateOf(now) {
				s.count[r.Q]++
			}
		}
	}
	s.date = s.dateOf(now)
	return s, nil
}

func (s *Store) dateOf(t time.Time) string { return t.In(s.loc).Format(time.DateOnly) }

func (s *Store) path(date string) string { return filepath.Join(s.dir, date+dayFileSuffix) }

// Add writes r to its day's file, within the store's bounds (minGap, maxPerDay): a reading
// too soon after the last one kept is only the quantity's last value; one past the day's bound
// is refused with ErrDayFull.
func (s *Store) Add(r Reading) error {
	line, err := json.Marshal(r)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	date := s.dateOf(r.At)
	if date != s.date {
		clear(s.count)
	}
	if !(r.Q == Rain && r.V > 0) && r.At.Sub(s.stored[r.Q]) < minGap && !r.At.Before(s.stored[r.Q]) {
		s.last[r.Q] = r
		return nil
	}
	if s.count[r.Q] >= maxPerDay {
		return ErrDayFull
	}
	if s.file == nil || s.date != date {
		if s.file != nil {
			_ = s.file.Close()
		}
		f, err := os.OpenFile(s.path(date), os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			s.file = nil
			return fmt.Errorf("weather: %w", err)
		}
		endLine(f)
		s.file, s.date = f, date
	}
	s.last[r.Q], s.stored[r.Q] = r, r.At
	s.count[r.Q]++
	delete(s.cache, date)
	if _, err := s.file.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("weather: %w", err)
	}
	return nil
}

// Last is the last reading of quantity q.
func (s *Store) Last(q string) (Reading, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.last[q]
	return r, ok
}

// Day returns the readings of a local date in the order they came, and how many lines were
// damaged.
func (s *Store) Day(date string) ([]Reading, int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.read(date)
}

// read reads a day's file; past days are cached. Called with mu held.
func (s *Store) read(date string) ([]Reading, int, error) {
	if d, ok := s.cache[date]; ok {
		return d.readings, d.bad, nil
	}
	b, err := os.ReadFile(s.path(date))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("weather: %w", err)
	}
	var rs []Reading
	bad := 0
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		var r Reading
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil || r.Q == "" {
			bad++ // a line a crash cut short
			continue
		}
		rs = append(rs, r)
	}
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].At.Before(rs[j].At) })
	if date != s.date {
		s.cache[date] = day{rs, bad}
	}
	return rs, bad, nil
}

// endLine ends a line that a crash cut short, so that the next reading starts a line of its
// own.
func endLine(f *os.File) {
	st, err := f.Stat()
	if err != nil || st.Size() == 0 {
		return
	}
	last := make([]byte, 1)
	if _, err := f.ReadAt(last, st.Size()-1); err == nil && last[0] != '\n' {
		_, _ = f.Write([]byte{'\n'})
	}
}

// Prune deletes the files of days older than keep.
func (s *Store) Prune(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.prune(now)
}

// prune is Prune with mu held (or before the store is shared).
func (s *Store) prune(now time.Time) {
	oldest := s.dateOf(now.AddDate(0, 0, -s.keep))
	entries, _ := os.ReadDir(s.dir)
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), dayFileSuffix)
		if ok && len(name) == len(time.DateOnly) && name < oldest {
			_ = os.Remove(filepath.Join(s.dir, e.Name()))
		}
	}
	for d := range s.cache {
		if d < oldest {
			delete(s.cache, d)
		}
	}
}

// Close closes the open day file.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.file == nil {
		return nil
	}
	err := s.file.Close()
	s.file = nil
	return err
}
