//go:build linux

package relay

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/warthog618/go-gpiocdev"
)

// consumer labels the lines the agent holds, as gpioinfo shows them.
const consumer = "sprinkler"

// gpioBank drives one requested output line per relay.
type gpioBank struct {
	mu    sync.Mutex
	lines []*gpiocdev.Line
}

var _ Bank = (*gpioBank)(nil)

// FindChip returns the GPIO chip to use: the one named, or for "auto" the SoC's pin controller,
// found by its label (pinctrl-bcm2835, pinctrl-bcm2711, pinctrl-rp1) since its number changed
// between kernels.
func FindChip(name string) (string, error) {
	chips := gpiocdev.Chips()
	if name != "" && name != "auto" {
		for _, c := range chips {
			if c == name {
				return c, nil
			}
		}
		return "", fmt.Errorf("%w %q (found: %s)", ErrNoChip, name, strings.Join(chips, ", "))
	}
	for _, c := range chips {
		chip, err := gpiocdev.NewChip(c)
		if err != nil {
			continue
		}
		label := chip.Label
		_ = chip.Close()
		if strings.HasPrefix(label, "pinctrl-") {
			return c, nil
		}
	}
	return "", fmt.Errorf("%w labelled pinctrl-* (found: %q)", ErrNoChip, chips)
}

// openGPIO requests every line as an output driven off, atomically with the request.
func openGPIO(cfg Config) (Bank, error) {
	chip, err := FindChip(cfg.Chip)
	if err != nil {
		return nil, err
	}
	opts := []gpiocdev.LineReqOption{gpiocdev.AsOutput(0), gpiocdev.WithConsumer(consumer)}
	if cfg.ActiveLow {
		opts = append(opts, gpiocdev.AsActiveLow)
	}
	b := &gpioBank{}
	for _, off := range cfg.Lines {
		l, err := gpiocdev.RequestLine(chip, off, opts...)
		if err != nil {
			_ = b.Close()
			return nil, fmt.Errorf("relay: request %s line %d: %w", chip, off, err)
		}
		b.lines = append(b.lines, l)
	}
	return b, nil
}

func (b *gpioBank) Set(i int, on bool) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.lines == nil {
		return ErrClosed
	}
	if i < 0 || i >= len(b.lines) {
		return fmt.Errorf("relay: no relay %d", i)
	}
	v := 0
	if on {
		v = 1
	}
	return b.lines[i].SetValue(v)
}

// Close drives every line off before releasing it: a Raspberry Pi kernel keeps a released
// output at its last level, so a line released while on would leave its valve open.
func (b *gpioBank) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	var errs []error
	for _, l := range b.lines {
		errs = append(errs, l.SetValue(0), l.Close())
	}
	b.lines = nil
	return errors.Join(errs...)
}
