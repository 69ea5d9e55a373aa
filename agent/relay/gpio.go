//go:build linux

package relay

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"sync"

	"github.com/warthog618/go-gpiocdev"
	"golang.org/x/sys/unix"
)

// consumer labels the lines the agent holds, as gpioinfo shows them.
const consumer = "sprinkler"

// gpioBank drives one requested output line per relay.
type gpioBank struct {
	mu    sync.Mutex
	lines []*gpiocdev.Line
}

var _ Bank = (*gpioBank)(nil)

// chips lists the GPIO chips of this machine, and chipLabel opens one to read its label; tests
// replace both.
var (
	chips     = gpiocdev.Chips
	chipLabel = func(name string) (string, error) {
		c, err := gpiocdev.NewChip(name)
		if err != nil {
			return "", err
		}
		defer c.Close()
		return c.Label, nil
	}
)

// FindChip returns the GPIO chip to use: the one named, or for "auto" the SoC's pin controller,
// found by its label (pinctrl-bcm2835, pinctrl-bcm2711, pinctrl-rp1) since its number changed
// between kernels. It returns ErrNoChip only where no GPIO chip exists at all; a chip that
// exists but cannot be opened, or chips none of which is a pin controller, are errors of their
// own that say what to do.
func FindChip(name string) (string, error) {
	all := chips()
	if name != "" && name != "auto" {
		if len(all) == 0 {
			return "", fmt.Errorf("%w on this machine (relays.chip is %q)", ErrNoChip, name)
		}
		if !slices.Contains(all, name) {
			return "", fmt.Errorf("relay: no GPIO chip %q (found: %s): correct relays.chip", name, strings.Join(all, ", "))
		}
		if _, err := chipLabel(name); err != nil {
			return "", unusable(name, err)
		}
		return name, nil
	}
	if len(all) == 0 {
		return "", fmt.Errorf("%w on this machine", ErrNoChip)
	}
	var errs []error
	var labels []string
	for _, c := range all {
		label, err := chipLabel(c)
		if err != nil {
			errs = append(errs, unusable(c, err))
			continue
		}
		if strings.HasPrefix(label, "pinctrl-") {
			return c, nil
		}
		labels = append(labels, fmt.Sprintf("%s (%s)", c, label))
	}
	if len(errs) > 0 {
		return "", errors.Join(errs...)
	}
	return "", fmt.Errorf("relay: no GPIO chip labelled pinctrl-* (found: %s): set relays.chip to the one the relays are on, "+
		"or relays.driver: sim to simulate them", strings.Join(labels, ", "))
}

// unusable explains why chip cannot be opened, and how to fix it.
func unusable(chip string, err error) error {
	fix := ""
	if errors.Is(err, fs.ErrPermission) {
		fix = ": add the agent's user to the group that owns /dev/" + chip + " (gpio on Raspberry Pi OS; the systemd unit's SupplementaryGroups=gpio)"
	}
	return fmt.Errorf("relay: GPIO chip /dev/%s exists but cannot be opened: %w%s", chip, err, fix)
}

// busy names who holds line off of chip, for an error.
func busy(chip string, off int) string {
	c, err := gpiocdev.NewChip(chip)
	if err != nil {
		return ""
	}
	defer c.Close()
	info, err := c.LineInfo(off)
	if err != nil || info.Consumer == "" {
		return ""
	}
	return fmt.Sprintf(" (held by %q; gpioinfo shows who holds each line)", info.Consumer)
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
			why := ""
			switch {
			case errors.Is(err, unix.EBUSY):
				why = busy(chip, off)
			case errors.Is(err, fs.ErrPermission):
				return nil, unusable(chip, err)
			}
			return nil, fmt.Errorf("relay: request /dev/%s line %d: %w%s", chip, off, err, why)
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
