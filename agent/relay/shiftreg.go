package relay

import (
	"errors"
	"fmt"
)

// level is one output line as a bank drives it (gpiocdev's Line on Linux).
type level interface {
	SetValue(int) error
	Close() error
}

// shiftBank drives a chain of 74HC595 shift registers, the OpenSprinkler Pi's way: bits shifted
// in on the data line, each taken on a rising clock edge, the farthest output first; a rising
// latch edge moves them to the outputs at once. The output enable (active low) holds the
// outputs off until the first pattern, every output off, is latched.
type shiftBank struct {
	outputs
	data, clock, latch, enable level
	activeLow                  bool
}

// newShiftBank starts a bank of n outputs on lines whose enable is already driven high
// (outputs disabled) and the others low: every output off, latched, then enabled.
func newShiftBank(data, clock, latch, enable level, n int, activeLow bool) (*shiftBank, error) {
	b := &shiftBank{outputs: outputs{on: make([]bool, n)}, data: data, clock: clock, latch: latch, enable: enable, activeLow: activeLow}
	if err := b.write(); err != nil {
		return nil, errors.Join(err, b.release())
	}
	if err := enable.SetValue(0); err != nil {
		return nil, errors.Join(fmt.Errorf("relay: shift register: output enable: %w", err), b.release())
	}
	return b, nil
}

// write shifts the whole pattern out and latches it.
func (b *shiftBank) write() error {
	for i := len(b.on) - 1; i >= 0; i-- {
		v := 0
		if b.on[i] != b.activeLow {
			v = 1
		}
		if err := errors.Join(b.data.SetValue(v), b.clock.SetValue(1), b.clock.SetValue(0)); err != nil {
			return fmt.Errorf("relay: shift register: %w", err)
		}
	}
	if err := errors.Join(b.latch.SetValue(1), b.latch.SetValue(0)); err != nil {
		return fmt.Errorf("relay: shift register: latch: %w", err)
	}
	return nil
}

// Set switches output i and writes the whole pattern.
func (b *shiftBank) Set(i int, on bool) error { return b.set("shift register", i, on, b.write) }

// Close latches every output off, disables the outputs and releases the lines.
func (b *shiftBank) Close() error {
	return b.close(func() error { return errors.Join(b.write(), b.enable.SetValue(1), b.release()) })
}

// release lets go of the lines, the output enable last.
func (b *shiftBank) release() error {
	return errors.Join(b.data.Close(), b.clock.Close(), b.latch.Close(), b.enable.Close())
}
