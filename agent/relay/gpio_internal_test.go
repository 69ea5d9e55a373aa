//go:build linux

package relay

import (
	"errors"
	"io/fs"
	"log/slog"
	"strings"
	"syscall"
	"testing"
)

// fakeChips makes the machine have the chips named in labels (a label of "" cannot be opened:
// permission denied), until the test ends.
func fakeChips(t *testing.T, names []string, labels map[string]string) {
	t.Helper()
	oldChips, oldLabel := chips, chipLabel
	t.Cleanup(func() { chips, chipLabel = oldChips, oldLabel })
	chips = func() []string { return names }
	chipLabel = func(name string) (string, error) {
		if l := labels[name]; l != "" {
			return l, nil
		}
		return "", &fs.PathError{Op: "open", Path: "/dev/" + name, Err: syscall.EACCES}
	}
}

// TestAutoNeverHidesRealRelays: the auto driver simulates the relays only where no GPIO chip
// exists; a chip the agent may not open, or chips none of which is the pin controller, are
// errors that name the device, the cause and the fix.
func TestAutoNeverHidesRealRelays(t *testing.T) {
	cfg := Config{Driver: DriverAuto, Chip: "auto", Lines: []int{5, 6}}
	log := slog.New(slog.DiscardHandler)

	fakeChips(t, nil, nil)
	if _, driver, err := Open(cfg, log); err != nil || driver != DriverSim {
		t.Errorf("no chip at all: %s, %v; want sim", driver, err)
	}

	fakeChips(t, []string{"gpiochip0"}, map[string]string{})
	_, driver, err := Open(cfg, log)
	if err == nil || errors.Is(err, ErrNoChip) {
		t.Fatalf("a chip that cannot be opened: %s, %v; want an error", driver, err)
	}
	for _, want := range []string{"/dev/gpiochip0", "permission denied", "gpio"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error %q does not say %q", err, want)
		}
	}

	fakeChips(t, []string{"gpiochip0"}, map[string]string{"gpiochip0": "INT3450:00"})
	if _, _, err := Open(cfg, log); err == nil || !strings.Contains(err.Error(), "INT3450:00") || !strings.Contains(err.Error(), "relays.chip") {
		t.Errorf("chips but no pin controller: %v", err)
	}

	cfg.Chip = "gpiochip4"
	if _, _, err := Open(cfg, log); err == nil || !strings.Contains(err.Error(), "gpiochip4") {
		t.Errorf("a named chip that is not there, beside others: %v", err)
	}
}
