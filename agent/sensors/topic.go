package sensors

import (
	"sync"
	"time"

	"sprinkler/agent/clock"
	"sprinkler/agent/reading"
)

// TopicConfig is a sensor input fed by an MQTT topic's payloads: a number against a threshold
// with hysteresis, or a switch word (ON/OFF, true/false: 1 or 0) against 0.5.
type TopicConfig struct {
	Path reading.Path
	// Threshold: with Below false the input is active at or above it, and inactive again below
	// Threshold-Hysteresis; with Below, active at or below it, inactive above
	// Threshold+Hysteresis. Nil: 0.5, for switch words.
	Threshold  *float64
	Hysteresis float64
	Below      bool
	// MaxAge: silent for longer, the input is stale: inactive, and it holds nothing; 0: never.
	MaxAge time.Duration
}

// Topic is an Input that the agent feeds with a topic's payloads.
type Topic struct {
	cfg   TopicConfig
	clk   clock.Clock
	stale func(stale bool) // told when the input goes stale and when it speaks again

	mu      sync.Mutex
	high    bool
	value   *float64
	heard   time.Time
	isStale bool
	timer   clock.Timer
	watch   func(bool)
}

var _ Input = (*Topic)(nil)

// NewTopic returns an input that is inactive and stale until its first payload. stale, when
// set, is called outside any lock when the input goes stale or comes back.
func NewTopic(cfg TopicConfig, clk clock.Clock, stale func(stale bool)) *Topic {
	return &Topic{cfg: cfg, clk: clk, stale: stale, isStale: true}
}

// Feed takes a payload: its value moves the input across the threshold, and it is fresh again.
func (t *Topic) Feed(payload []byte) error {
	v, err := t.cfg.Path.Value(payload)
	if err != nil {
		return err
	}
	th := 0.5
	if t.cfg.Threshold != nil {
		th = *t.cfg.Threshold
	}
	t.mu.Lock()
	was, back := t.high && !t.isStale, t.isStale && !t.heard.IsZero()
	switch {
	case !t.cfg.Below && v >= th, t.cfg.Below && v <= th:
		t.high = true
	case !t.cfg.Below && v < th-t.cfg.Hysteresis, t.cfg.Below && v > th+t.cfg.Hysteresis:
		t.high = false
	}
	t.value, t.heard, t.isStale = &v, t.clk.Now(), false
	if t.timer != nil {
		t.timer.Stop()
	}
	if t.cfg.MaxAge > 0 {
		t.timer = t.clk.AfterFunc(t.cfg.MaxAge, t.expire)
	}
	now, watch := t.high, t.watch
	t.mu.Unlock()
	if back && t.stale != nil {
		t.stale(false)
	}
	if now != was && watch != nil {
		watch(now)
	}
	return nil
}

// expire makes a silent input stale and inactive.
func (t *Topic) expire() {
	t.mu.Lock()
	if t.isStale || t.clk.Now().Sub(t.heard) < t.cfg.MaxAge {
		t.mu.Unlock()
		return
	}
	was := t.high
	t.isStale = true
	watch := t.watch
	t.mu.Unlock()
	if t.stale != nil {
		t.stale(true)
	}
	if was && watch != nil {
		watch(false)
	}
}

// Level is true while the input is active and fresh.
func (t *Topic) Level() (bool, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.high && !t.isStale, nil
}

// Watch calls fn on every change of Level.
func (t *Topic) Watch(fn func(bool)) {
	t.mu.Lock()
	t.watch = fn
	t.mu.Unlock()
}

// Reading is the last value heard (nil: none) and whether the input is stale.
func (t *Topic) Reading() (*float64, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.value, t.isStale
}

// Close stops the staleness timer.
func (t *Topic) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.timer != nil {
		t.timer.Stop()
	}
	return nil
}
