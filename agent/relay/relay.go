// Package relay drives the relays: one per zone, closed (valve on, water flows) or open (valve
// off). Two drivers exist: gpio, the Linux GPIO character device through go-gpiocdev, with the
// banks beside the Pi's own lines (a shift-register chain on GPIO lines, I2C expanders on
// i2c-dev), and sim, an in-memory bank for machines without a GPIO chip.
package relay

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Bank switches the relays of the zones. Index i is a zone's position in the configuration.
// Implementations are safe for concurrent use.
type Bank interface {
	// Set switches relay i on (valve open) or off.
	Set(i int, on bool) error
	// Close switches every relay off, then releases the lines. A closed bank refuses Set.
	Close() error
}

// Drivers.
const (
	DriverAuto = "auto" // gpio when the chip exists, else sim
	DriverGPIO = "gpio"
	DriverSim  = "sim"
)

// Config says which driver to use and how the board is wired.
type Config struct {
	Driver    string // DriverAuto, DriverGPIO or DriverSim
	Chip      string // a chip name such as "gpiochip0", or "auto": the SoC's pin controller
	ActiveLow bool   // the board closes a relay when its line is driven low
	Lines     []int  // the line offset (BCM GPIO number) of each zone's relay on the Pi's lines
	// Banks are the banks beside the Pi's lines, and Outputs where each zone's relay is (nil:
	// every zone on its line).
	Banks   []BankSpec
	Outputs []Output
	// Network is the bank of the zones whose Output says Network: valves on the network, the
	// same whatever the driver.
	Network Bank
}

// Open opens the banks cfg describes with every relay off, and names the driver it chose. The
// auto driver simulates the relays only where no GPIO chip exists at all (a PC, whose I2C buses
// are the mainboard's and never written): a chip that exists but cannot be used is an error,
// never a silent fall-back.
func Open(cfg Config, log *slog.Logger) (Bank, string, error) {
	driver := cfg.Driver
	if driver == DriverAuto {
		chip, err := FindChip(cfg.Chip)
		switch {
		case err == nil:
			driver = DriverGPIO
			log.Info("relay driver: gpio", "chip", chip)
		case errors.Is(err, ErrNoChip) || errors.Is(err, ErrUnsupported):
			driver = DriverSim
			log.Info("relay driver: sim (simulated relays)", "reason", err)
		default:
			return nil, "", err
		}
	}
	switch driver {
	case DriverSim, DriverGPIO:
		b, err := openBanks(cfg, driver == DriverSim)
		if err != nil {
			return nil, "", err
		}
		return b, driver, nil
	}
	return nil, "", fmt.Errorf("relay: unknown driver %q", cfg.Driver)
}

// Sim is a simulated bank: it remembers each relay's state and nothing else.
type Sim struct{ outputs }

var _ Bank = (*Sim)(nil)

// NewSim returns a simulated bank of n relays, all off.
func NewSim(n int) *Sim { return &Sim{outputs{on: make([]bool, n)}} }

// Set switches relay i.
func (s *Sim) Set(i int, on bool) error { return s.set("sim", i, on, func() error { return nil }) }

// States returns whether each relay is on.
func (s *Sim) States() []bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]bool(nil), s.on...)
}

// Close switches every relay off.
func (s *Sim) Close() error { return s.close(func() error { return nil }) }

// Timed is a bank whose outputs switch themselves off: a valve on the network with its own
// timer, which closes it even when the agent dies.
type Timed interface {
	// SetFor switches output i on for a run of d.
	SetFor(i int, d time.Duration) error
}

// On switches relay i of b on for a run of d: with the device's own timer where b has one.
func On(b Bank, i int, d time.Duration) error {
	if t, ok := b.(Timed); ok {
		return t.SetFor(i, d)
	}
	return b.Set(i, true)
}
