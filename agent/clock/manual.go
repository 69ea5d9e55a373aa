package clock

import (
	"sort"
	"sync"
	"time"
)

// Manual is a clock that stands still until Advance: a simulation's, or a test's. Its AfterFunc calls run in Advance, in
// the order of their due times, each in the goroutine that called Advance.
type Manual struct {
	mu     sync.Mutex
	now    time.Time
	seq    int
	timers []*timer
}

var _ Clock = (*Manual)(nil)

// NewManual returns a manual clock showing t.
func NewManual(t time.Time) *Manual { return &Manual{now: t} }

type timer struct {
	f       *Manual
	due     time.Time
	seq     int
	fn      func()
	stopped bool
}

// Now returns the clock's time.
func (f *Manual) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// AfterFunc schedules fn for when the clock reaches Now()+d.
func (f *Manual) AfterFunc(d time.Duration, fn func()) Timer {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	t := &timer{f: f, due: f.now.Add(d), seq: f.seq, fn: fn}
	f.timers = append(f.timers, t)
	return t
}

func (t *timer) Stop() bool {
	t.f.mu.Lock()
	defer t.f.mu.Unlock()
	was := !t.stopped
	t.stopped = true
	return was
}

// Advance moves the time forward by d, running every timer that falls due on the way at its
// due time.
func (f *Manual) Advance(d time.Duration) {
	f.mu.Lock()
	end := f.now.Add(d)
	f.mu.Unlock()
	for {
		f.mu.Lock()
		sort.Slice(f.timers, func(i, j int) bool {
			if !f.timers[i].due.Equal(f.timers[j].due) {
				return f.timers[i].due.Before(f.timers[j].due)
			}
			return f.timers[i].seq < f.timers[j].seq
		})
		var next *timer
		for len(f.timers) > 0 && next == nil {
			t := f.timers[0]
			if t.stopped {
				f.timers = f.timers[1:]
				continue
			}
			if t.due.After(end) {
				break
			}
			f.timers = f.timers[1:]
			t.stopped = true
			next = t
		}
		if next == nil {
			f.now = end
			f.mu.Unlock()
			return
		}
		f.now = next.due
		f.mu.Unlock()
		next.fn()
	}
}

// Pending is the number of timers that have neither fired nor been stopped.
func (f *Manual) Pending() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, t := range f.timers {
		if !t.stopped {
			n++
		}
	}
	return n
}
