package relay

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Kinds of relay banks beside the Pi's own GPIO lines (relays.*).
const (
	// KindShiftRegister is a chain of 74HC595 shift registers on four GPIO lines, eight outputs
	// a board: the OpenSprinkler Pi's stations.
	KindShiftRegister = "shift_register"
	// KindMCP23017 is an MCP23017 I2C expander, sixteen outputs (GPA0-7, GPB0-7).
	KindMCP23017 = "mcp23017"
	// KindPCF8574 is a PCF8574 I2C expander, eight outputs (P0-7).
	KindPCF8574 = "pcf8574"
)

// Kinds are the bank kinds, as the configuration spells them.
var Kinds = []string{KindShiftRegister, KindMCP23017, KindPCF8574}

// OpenSprinkler Pi's shift-register lines (BCM numbers), from OpenSprinkler-Firmware's
// defines.h (OSPI): SR_DAT 27, SR_CLK 4, SR_LAT 22, SR_OE 17.
const (
	OSPiData   = 27
	OSPiClock  = 4
	OSPiLatch  = 22
	OSPiEnable = 17
)

// BankSpec describes one bank.
type BankSpec struct {
	Name string
	Kind string
	// Data, Clock, Latch and Enable are a shift register's GPIO lines on the chip of relays.*;
	// Enable is the 74HC595's output enable, active low. Boards is the chain's length.
	Data, Clock, Latch, Enable int
	Boards                     int
	// Bus is an expander's I2C bus, such as /dev/i2c-1, and Address its 7-bit address.
	Bus     string
	Address int
	// ActiveLow: an output switches its relay on when low (most relay HATs).
	ActiveLow bool
}

// Outputs is how many outputs the bank has.
func (b BankSpec) Outputs() int {
	switch b.Kind {
	case KindShiftRegister:
		return 8 * b.Boards
	case KindMCP23017:
		return 16
	case KindPCF8574:
		return 8
	}
	return 0
}

// Output is where a zone's relay is: on output Index (from 0) of the bank named Bank; with no
// bank, on the GPIO line of Config.Lines; with Network, on Config.Network, at the zone's
// position.
type Output struct {
	Bank    string
	Index   int
	Network bool
}

// openBanks opens the Pi's GPIO lines for the zones without a bank and each bank a zone uses,
// every output off, and returns one Bank over them in zone order; sim simulates all of them
// but the network's. On an error every bank opened so far is closed again.
func openBanks(cfg Config, sim bool) (Bank, error) {
	if len(cfg.Outputs) == 0 {
		if sim {
			return NewSim(len(cfg.Lines)), nil
		}
		return openGPIO(cfg)
	}
	m := &mux{at: make([]ref, len(cfg.Outputs))}
	var gpioLines []int
	byName := map[string]int{}
	network := -1
	for i, o := range cfg.Outputs {
		switch {
		case o.Network:
			if network < 0 {
				network = len(m.parts)
				m.parts = append(m.parts, cfg.Network)
			}
			m.at[i] = ref{part: network, out: i}
			continue
		case o.Bank == "" || sim:
			m.at[i] = ref{part: -1, out: len(gpioLines)}
			gpioLines = append(gpioLines, cfg.Lines[i])
			continue
		}
		if _, ok := byName[o.Bank]; !ok {
			j := slices.IndexFunc(cfg.Banks, func(b BankSpec) bool { return b.Name == o.Bank })
			if j < 0 {
				_ = m.Close()
				return nil, fmt.Errorf("relay: zone %d: no bank %q", i+1, o.Bank)
			}
			b, err := openBank(cfg, cfg.Banks[j])
			if err != nil {
				_ = m.Close()
				return nil, err
			}
			byName[o.Bank] = len(m.parts)
			m.parts = append(m.parts, b)
		}
		m.at[i] = ref{part: byName[o.Bank], out: o.Index}
	}
	if len(gpioLines) > 0 {
		var g Bank = NewSim(len(gpioLines))
		if !sim {
			c := cfg
			c.Lines = gpioLines
			var err error
			if g, err = openGPIO(c); err != nil {
				_ = m.Close()
				return nil, err
			}
		}
		m.parts = append(m.parts, g)
		for i := range m.at {
			if m.at[i].part == -1 {
				m.at[i].part = len(m.parts) - 1
			}
		}
	}
	return m, nil
}

// openBank opens one bank with every output off.
func openBank(cfg Config, b BankSpec) (Bank, error) {
	switch b.Kind {
	case KindShiftRegister:
		return openShiftRegister(cfg, b)
	case KindMCP23017, KindPCF8574:
		return openExpander(b)
	}
	return nil, fmt.Errorf("relay: bank %s: unknown kind %q", b.Name, b.Kind)
}

// mux is several banks as one: each zone's relay is an output of one of them.
type mux struct {
	parts []Bank
	at    []ref // by zone
}

type ref struct{ part, out int }

func (m *mux) Set(i int, on bool) error {
	if i < 0 || i >= len(m.at) {
		return fmt.Errorf("relay: no relay %d", i)
	}
	return m.parts[m.at[i].part].Set(m.at[i].out, on)
}

// SetFor switches relay i on for a run of d, with its device's own timer where it has one.
func (m *mux) SetFor(i int, d time.Duration) error {
	if i < 0 || i >= len(m.at) {
		return fmt.Errorf("relay: no relay %d", i)
	}
	return On(m.parts[m.at[i].part], m.at[i].out, d)
}

// Close switches every bank's outputs off and releases them, each whatever happens to another.
func (m *mux) Close() error {
	var errs []error
	for _, p := range m.parts {
		errs = append(errs, p.Close())
	}
	return errors.Join(errs...)
}
