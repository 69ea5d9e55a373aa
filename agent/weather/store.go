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

	"sprinkler/statefile"
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
// written as it comes: a crash loses at most the readings being written, and a line it cut
// short is skipped when the day is read again. Add only queues a reading; a goroutine of the
// store's own writes it, so a slow SD card never holds up the caller (the agent's command
// worker). Reading a day waits for what was queued before.
type Store struct {
	dir  string
	loc  *time.Location
	keep int // days of files kept

	mu      sync.Mutex // guards what follows, never held across a disk read or write
	date    string     // the day count is of
	last    map[string]Reading
	stored  map[string]time.Time
	count   map[string]int // readings of each quantity written on date
	cache   map[string]day
	queue   []line // queued, not yet written
	queued  uint64 // lines queued since the store opened
	written uint64 // lines the writer has written (or given up on)
	werr    error  // the last write's error, until Add reports it
	closing bool
	wrote   *sync.Cond // on mu: the writer caught up a little
	wake    chan struct{}
	done    chan struct{}
}

// line is a reading's line for the file of date.
type line struct {
	date string
	b    []byte
}

// day is a past day's readings as read, and its damaged lines.
type day struct {
	readings []Reading
	bad      int
}

const dayFileSuffix = ".jsonl"

// The bounds of what the store keeps of one quantity, whatever its inputs send: a reading
// within minGap of the last one kept is not written (but for one that carries rain), and at most
// maxPerDay are written a day; a day's file stays below some 10 MB however an input floods.
// At most maxQueued lines wait for the writer.
const (
	minGap    = 10 * time.Second
	maxPerDay = 10_000
	maxQueued = 4096
)

// ErrDayFull refuses a reading past maxPerDay of its quantity in a day.
var ErrDayFull = fmt.Errorf("more than %d readings of it today: the rest of today's are not kept", maxPerDay)

// errBehind refuses a reading while the disk does not keep up.
var errBehind = fmt.Errorf("%d readings wait to be written already: the disk does not keep up", maxQueued)

// OpenStore opens the readings in dir, keeping keep days of them, and finds the last reading of
// each quantity among the newest two days.
func OpenStore(dir string, loc *time.Location, keep int, now time.Time) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("weather: %w", err)
	}
	s := &Store{dir: dir, loc: loc, keep: keep, last: map[string]Reading{}, stored: map[string]time.Time{}, count: map[string]int{},
		cache: map[string]day{}, wake: make(chan struct{}, 1), done: make(chan struct{})}
	s.wrote = sync.NewCond(&s.mu)
	s.Prune(now)
	for _, d := range []string{s.dateOf(now.AddDate(0, 0, -1)), s.dateOf(now)} {
		rs, _, err := readDay(s.path(d))
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
	go s.write()
	return s, nil
}

func (s *Store) dateOf(t time.Time) string { return t.In(s.loc).Format(time.DateOnly) }

func (s *Store) path(date string) string { return filepath.Join(s.dir, date+dayFileSuffix) }

// Add queues r for its day's file, within the store's bounds (minGap, maxPerDay): a reading
// too soon after the last one kept is only the quantity's last value; one past the day's bound
// is refused with ErrDayFull. It returns at once; a write that failed is reported by the next
// Add.
func (s *Store) Add(r Reading) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if werr := s.werr; werr != nil {
		s.werr = nil
		return fmt.Errorf("weather: writing readings: %w", werr)
	}
	date := s.dateOf(r.At)
	if date != s.date {
		clear(s.count)
		s.date = date
	}
	if !(r.Q == Rain && r.V > 0) && r.At.Sub(s.stored[r.Q]) < minGap && !r.At.Before(s.stored[r.Q]) {
		s.last[r.Q] = r
		return nil
	}
	switch {
	case s.count[r.Q] >= maxPerDay:
		return ErrDayFull
	case len(s.queue) >= maxQueued:
		return errBehind
	}
	s.last[r.Q], s.stored[r.Q] = r, r.At
	s.count[r.Q]++
	delete(s.cache, date)
	s.queue = append(s.queue, line{date, append(b, '\n')})
	s.queued++
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return nil
}

// write is the store's writer: it appends what Add queued to the day files until Close.
func (s *Store) write() {
	defer close(s.done)
	var f *os.File
	var fdate string
	defer func() {
		if f != nil {
			_ = f.Close()
		}
	}()
	for {
		s.mu.Lock()
		for len(s.queue) == 0 && !s.closing {
			s.mu.Unlock()
			<-s.wake
			s.mu.Lock()
		}
		batch, upTo, closing := s.queue, s.queued, s.closing
		s.queue = nil
		s.mu.Unlock()
		var err error
		for _, l := range batch {
			if f == nil || fdate != l.date {
				if f != nil {
					_ = f.Close()
				}
				if f, err = os.OpenFile(s.path(l.date), os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600); err != nil {
					f = nil
					continue
				}
				startLine(f)
				fdate = l.date
			}
			if _, werr := f.Write(l.b); werr != nil {
				err = werr
			}
		}
		s.mu.Lock()
		s.written = upTo
		if err != nil {
			s.werr = err
		}
		for _, l := range batch {
			delete(s.cache, l.date)
		}
		s.wrote.Broadcast()
		done := closing && len(s.queue) == 0
		s.mu.Unlock()
		if done {
			return
		}
	}
}

// Last is the last reading of quantity q.
func (s *Store) Last(q string) (Reading, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.last[q]
	return r, ok
}

// Day returns the readings of a local date in the order they came, and how many lines were
// damaged, once what was queued before is written.
func (s *Store) Day(date string) ([]Reading, int, error) {
	s.mu.Lock()
	for target := s.queued; s.written < target && !s.closing; {
		s.wrote.Wait()
	}
	if d, ok := s.cache[date]; ok {
		s.mu.Unlock()
		return d.readings, d.bad, nil
	}
	current := date >= s.date
	s.mu.Unlock()
	rs, bad, err := readDay(s.path(date))
	if err == nil && !current {
		s.mu.Lock()
		s.cache[date] = day{rs, bad}
		s.mu.Unlock()
	}
	return rs, bad, err
}

// readingsFormat is the format of a day's file: a statefile.LinesHeader, then a Reading a line
// (format 0, from before formats, has no header).
const readingsFormat = 1

// readDay reads a day's file; none is no readings, and nor is one of a newer release, which is
// set aside whole (statefile.LinesFormat).
func readDay(path string) ([]Reading, int, error) {
	b, err := os.ReadFile(path)
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
	for n := 1; sc.Scan(); n++ {
		if n == 1 {
			_, header, err := statefile.LinesFormat(path, sc.Bytes(), readingsFormat)
			if err != nil {
				return nil, 0, nil
			}
			if header {
				continue
			}
		}
		var r Reading
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil || r.Q == "" {
			bad++ // a line a crash cut short
			continue
		}
		rs = append(rs, r)
	}
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].At.Before(rs[j].At) })
	return rs, bad, nil
}

// startLine readies a day's file for the next reading: a new file gets its format's header,
// and a line that a crash cut short is ended, so that the reading starts a line of its own.
func startLine(f *os.File) {
	st, err := f.Stat()
	if err != nil {
		return
	}
	if st.Size() == 0 {
		_, _ = f.Write(statefile.LinesHeader(readingsFormat))
		return
	}
	last := make([]byte, 1)
	if _, err := f.ReadAt(last, st.Size()-1); err == nil && last[0] != '\n' {
		_, _ = f.Write([]byte{'\n'})
	}
}

// Prune deletes the files of days older than keep.
func (s *Store) Prune(now time.Time) {
	oldest := s.dateOf(now.AddDate(0, 0, -s.keep))
	entries, _ := os.ReadDir(s.dir)
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), dayFileSuffix)
		if ok && len(name) == len(time.DateOnly) && name < oldest {
			_ = os.Remove(filepath.Join(s.dir, e.Name()))
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for d := range s.cache {
		if d < oldest {
			delete(s.cache, d)
		}
	}
}

// Close writes what was queued and stops the writer.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return nil
	}
	s.closing = true
	s.wrote.Broadcast()
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.werr
}
