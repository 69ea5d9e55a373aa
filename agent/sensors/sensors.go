// Package sensors reads switch sensors, such as a rain sensor or a soil moisture switch, on
// GPIO input lines, and decides with an on-delay and an off-delay whether each is active: a
// sensor turns active only once its input has been active for the whole on-delay, and
// inactive once it has been inactive for the whole off-delay, so a few drops or a bouncing
// contact change nothing.
package sensors

import (
	"fmt"
	"sync"
	"time"

	"sprinkler/agent/clock"
)

// Config is one sensor.
type Config struct {
	Name string
	// Line is the GPIO input line; ActiveLow says the sensor is active when the line reads
	// low (a switch to ground with a pull-up); Pull is "up", "down" or "" (none).
	Line      int
	ActiveLow bool
	Pull      string
	// OnDelay and OffDelay are how long the input must stay active, or inactive, before the
	// sensor follows it.
	OnDelay, OffDelay time.Duration
	// BlockManual makes an active sensor refuse manual runs too, not only scheduled ones.
	BlockManual bool
	// Debounce has the kernel ignore edges closer than this (GPIO lines only); 0: none,
	// as a flow meter's pulses need.
	Debounce time.Duration
	// Zones, when given, are the only zones the sensor holds.
	Zones []int
}

// Input is one input line.
type Input interface {
	// Level reads the line: true when it is high.
	Level() (bool, error)
	// Watch calls fn with the new level on every change, from another goroutine.
	Watch(fn func(high bool))
	// Close releases the line.
	Close() error
}

// Sensor is one sensor and its state.
type Sensor struct {
	cfg      Config
	in       Input
	clk      clock.Clock
	changed  func(name string, active bool)
	mu       sync.Mutex
	raw      bool // the input's last level, mapped to active
	active   bool
	since    time.Time
	pending  clock.Timer // the delay before the sensor follows raw
	pendingT time.Time
}

// Open starts following in. The sensor starts as its input reads now: at start-up there is
// nothing to wait for. changed is called, outside any lock, on every change of the sensor.
func Open(cfg Config, in Input, clk clock.Clock, changed func(name string, active bool)) (*Sensor, error) {
	high, err := in.Level()
	if err != nil {
		return nil, fmt.Errorf("sensor %s: reading line %d: %w", cfg.Name, cfg.Line, err)
	}
	s := &Sensor{cfg: cfg, in: in, clk: clk, changed: changed}
	s.raw = high != cfg.ActiveLow
	s.active, s.since = s.raw, clk.Now()
	in.Watch(s.input)
	return s, nil
}

// Config returns the sensor's configuration.
func (s *Sensor) Config() Config { return s.cfg }

// State reports whether the sensor is active and since when.
func (s *Sensor) State() (active bool, since time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.active, s.since
}

// Close releases the input line.
func (s *Sensor) Close() error {
	s.mu.Lock()
	if s.pending != nil {
		s.pending.Stop()
	}
	s.mu.Unlock()
	return s.in.Close()
}

// input takes a new level of the line.
func (s *Sensor) input(high bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.raw = high != s.cfg.ActiveLow
	if s.raw == s.active {
		if s.pending != nil { // back before the delay ran out: nothing changes
			s.pending.Stop()
			s.pending = nil
		}
		return
	}
	if s.pending != nil {
		return // already counting towards this change
	}
	delay := s.cfg.OffDelay
	if s.raw {
		delay = s.cfg.OnDelay
	}
	if delay <= 0 {
		s.follow()
		return
	}
	s.pendingT = s.clk.Now()
	s.pending = s.clk.AfterFunc(delay, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.pending = nil
		if s.raw != s.active {
			s.follow()
		}
	})
}

// follow makes the sensor take its input's state. Called with mu held; it calls changed
// without it.
func (s *Sensor) follow() {
	s.active, s.since = s.raw, s.clk.Now()
	name, active := s.cfg.Name, s.active
	s.mu.Unlock()
	defer s.mu.Lock()
	if s.changed != nil {
		s.changed(name, active)
	}
}

// Sim is a simulated input line whose level a test (or the simulated relay driver's user)
// sets.
type Sim struct {
	mu    sync.Mutex
	high  bool
	watch func(bool)
}

// NewSim returns a simulated line at level high.
func NewSim(high bool) *Sim { return &Sim{high: high} }

// Set changes the line's level and tells the watcher.
func (s *Sim) Set(high bool) {
	s.mu.Lock()
	changed := s.high != high
	s.high = high
	fn := s.watch
	s.mu.Unlock()
	if changed && fn != nil {
		fn(high)
	}
}

// Level reads the line.
func (s *Sim) Level() (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.high, nil
}

// Watch calls fn on every change.
func (s *Sim) Watch(fn func(bool)) {
	s.mu.Lock()
	s.watch = fn
	s.mu.Unlock()
}

// Close does nothing.
func (s *Sim) Close() error { return nil }
