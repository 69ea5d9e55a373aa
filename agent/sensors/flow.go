package sensors

import (
	"sync"
	"sync/atomic"
	"time"

	"sprinkler/agent/clock"
)

// FlowConfig is a pulse flow meter.
type FlowConfig struct {
	Line int
	Pull string
	// PulsesPerLitre is the meter's K-factor.
	PulsesPerLitre float64
	// Interval is how often the rate is computed and reported.
	Interval time.Duration
}

// FlowSample is one report of the meter.
type FlowSample struct {
	At      time.Time
	Span    time.Duration // since the last sample
	Litres  float64       // in that span
	RateLPM float64       // litres per minute over that span
	TotalL  float64       // litres since the agent started
	Pulses  uint64
}

// Flow counts a flow meter's pulses from the edges of its input line and reports the rate
// every interval.
type Flow struct {
	cfg    FlowConfig
	in     Input
	clk    clock.Clock
	sample func(FlowSample)
	pulses atomic.Uint64
	mu     sync.Mutex
	last   uint64
	lastAt time.Time
	timer  clock.Timer
	closed bool
}

// OpenFlow starts counting on in and calls sample every interval, from the clock's goroutine.
func OpenFlow(cfg FlowConfig, in Input, clk clock.Clock, sample func(FlowSample)) *Flow {
	f := &Flow{cfg: cfg, in: in, clk: clk, sample: sample, lastAt: clk.Now()}
	in.Watch(f.Edge)
	f.mu.Lock()
	f.timer = clk.AfterFunc(cfg.Interval, f.tick)
	f.mu.Unlock()
	return f
}

// Edge takes one edge of the line: a rising edge is a pulse. It never blocks and does not
// allocate, so it keeps up with the fastest meters.
func (f *Flow) Edge(high bool) {
	if high {
		f.pulses.Add(1)
	}
}

// Pulses is the number of pulses counted so far.
func (f *Flow) Pulses() uint64 { return f.pulses.Load() }

func (f *Flow) tick() {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return
	}
	now, p := f.clk.Now(), f.pulses.Load()
	s := FlowSample{At: now, Span: now.Sub(f.lastAt), Pulses: p, TotalL: float64(p) / f.cfg.PulsesPerLitre,
		Litres: float64(p-f.last) / f.cfg.PulsesPerLitre}
	if s.Span > 0 {
		s.RateLPM = s.Litres / s.Span.Minutes()
	}
	f.last, f.lastAt = p, now
	f.timer = f.clk.AfterFunc(f.cfg.Interval, f.tick)
	f.mu.Unlock()
	f.sample(s)
}

// Close stops the reports and releases the line.
func (f *Flow) Close() error {
	f.mu.Lock()
	f.closed = true
	if f.timer != nil {
		f.timer.Stop()
	}
	f.mu.Unlock()
	return f.in.Close()
}

// Leak watches the samples for water flowing while every valve is closed.
type Leak struct {
	// ThresholdLPM is the flow that counts as a leak, and Grace how long it must last.
	ThresholdLPM float64
	Grace        time.Duration
	since        time.Time // when leaking flow began, zero while none
	raised       bool
}

// Check takes a sample and whether any valve is open; it reports true once, when the flow has
// leaked for longer than the grace, and again only after the flow stopped in between.
func (l *Leak) Check(s FlowSample, anyOpen bool) bool {
	if anyOpen || s.RateLPM <= l.ThresholdLPM {
		l.since, l.raised = time.Time{}, false
		return false
	}
	if l.since.IsZero() {
		l.since = s.At
	}
	if !l.raised && s.At.Sub(l.since) >= l.Grace {
		l.raised = true
		return true
	}
	return false
}
