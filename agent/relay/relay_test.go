package relay_test

import (
	"errors"
	"log/slog"
	"testing"

	"sprinkler/agent/relay"
	"sprinkler/agent/relay/relaytest"
)

// states reads back the relays of the banks that can tell.
func states(b relay.Bank) []bool {
	switch b := b.(type) {
	case *relay.Sim:
		return b.States()
	case *relaytest.Bank:
		return b.On()
	}
	return nil
}

// TestBankContract runs one suite over every bank implementation.
func TestBankContract(t *testing.T) {
	for name, open := range map[string]func() relay.Bank{
		"sim":       func() relay.Bank { return relay.NewSim(4) },
		"relaytest": func() relay.Bank { return relaytest.New(4) },
	} {
		t.Run(name, func(t *testing.T) {
			b := open()
			for i, on := range states(b) {
				if on {
					t.Fatalf("relay %d on at start", i)
				}
			}
			if err := b.Set(2, true); err != nil {
				t.Fatal(err)
			}
			if got := states(b); !got[2] || got[1] {
				t.Fatalf("after Set(2): %v", got)
			}
			if err := b.Set(4, true); err == nil {
				t.Error("Set beyond the bank accepted")
			}
			if err := b.Set(-1, true); err == nil {
				t.Error("Set(-1) accepted")
			}
			if err := b.Close(); err != nil {
				t.Fatal(err)
			}
			for i, on := range states(b) {
				if on {
					t.Errorf("relay %d on after Close", i)
				}
			}
			if err := b.Set(0, true); !errors.Is(err, relay.ErrClosed) {
				t.Errorf("Set after Close: %v", err)
			}
		})
	}
}

func TestOpenAutoFallsBackToSim(t *testing.T) {
	b, driver, err := relay.Open(relay.Config{Driver: relay.DriverAuto, Chip: "gpiochip-none", Lines: []int{5, 6}}, slog.New(slog.DiscardHandler))
	if err != nil || driver != relay.DriverSim {
		t.Fatalf("Open(auto) = %v, %q, %v", b, driver, err)
	}
	if _, _, err := relay.Open(relay.Config{Driver: relay.DriverGPIO, Chip: "gpiochip-none", Lines: []int{5}}, slog.New(slog.DiscardHandler)); err == nil {
		t.Error("gpio on a missing chip opened")
	}
}

func TestHeaderPins(t *testing.T) {
	// The original board's wiring: relays 1-8 on BCM 5, 6, 13, 16, 19, 20, 21, 26.
	want := map[int]int{5: 29, 6: 31, 13: 33, 16: 36, 19: 35, 20: 38, 21: 40, 26: 37, 40: 0}
	for line, pin := range want {
		if got := relay.HeaderPin(line); got != pin {
			t.Errorf("HeaderPin(%d) = %d, want %d", line, got, pin)
		}
	}
}
