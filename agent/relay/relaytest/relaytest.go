// Package relaytest provides a relay bank for tests that records every switch and can be told
// to fail.
package relaytest

import (
	"errors"
	"fmt"
	"sync"

	"sprinkler/agent/relay"
)

// Switch is one recorded Set call.
type Switch struct {
	Relay int
	On    bool
}

// ErrInjected is the error a relay told to fail returns.
var ErrInjected = errors.New("relaytest: injected relay failure")

// Bank is an in-memory bank that records every Set and Close.
type Bank struct {
	mu      sync.Mutex
	on      []bool
	log     []Switch
	failing map[int]bool
	closed  bool
	closes  int
	changed chan struct{}
}

var _ relay.Bank = (*Bank)(nil)

// New returns a recording bank of n relays, all off.
func New(n int) *Bank {
	return &Bank{on: make([]bool, n), failing: map[int]bool{}, changed: make(chan struct{}, 1)}
}

// Set switches relay i, or fails if Fail was called for it.
func (b *Bank) Set(i int, on bool) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.closed:
		return relay.ErrClosed
	case i < 0 || i >= len(b.on):
		return fmt.Errorf("relaytest: no relay %d", i)
	case b.failing[i]:
		return ErrInjected
	}
	b.on[i] = on
	b.log = append(b.log, Switch{i, on})
	b.notify()
	return nil
}

// Close switches every relay off and refuses later Sets.
func (b *Bank) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	clear(b.on)
	b.closed = true
	b.closes++
	b.notify()
	return nil
}

func (b *Bank) notify() {
	select {
	case b.changed <- struct{}{}:
	default:
	}
}

// Changed receives a value after Sets or a Close, so tests can wait for the bank to move.
func (b *Bank) Changed() <-chan struct{} { return b.changed }

// Fail makes Set of relay i fail (or work again).
func (b *Bank) Fail(i int, fail bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failing[i] = fail
}

// On returns whether each relay is on.
func (b *Bank) On() []bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]bool(nil), b.on...)
}

// AnyOn reports whether some relay is on.
func (b *Bank) AnyOn() bool {
	for _, on := range b.On() {
		if on {
			return true
		}
	}
	return false
}

// Switches returns every successful Set so far.
func (b *Bank) Switches() []Switch {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Switch(nil), b.log...)
}

// Closed reports how many times Close was called.
func (b *Bank) Closed() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.closes
}
