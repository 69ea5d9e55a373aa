package relay

import (
	"errors"
	"fmt"
)

// smbus is an I2C device as an expander bank writes it: SMBus write-byte-data (a register) and
// send-byte (a PCF8574's port), which real buses and the kernel's i2c-stub both carry.
type smbus interface {
	WriteByteData(reg, v byte) error
	WriteByte(v byte) error
	Close() error
}

// MCP23017 registers with IOCON.BANK = 0, its power-on setting (datasheet, table 3-5).
const (
	mcpIODIRA = 0x00
	mcpIODIRB = 0x01
	mcpOLATA  = 0x14
	mcpOLATB  = 0x15
)

// expanderBank drives an MCP23017's or a PCF8574's outputs. Output levels are written before
// any pin becomes an output, so nothing switches at start-up.
type expanderBank struct {
	outputs
	dev       smbus
	kind      string
	activeLow bool
}

// newExpander starts a bank on dev with every output off.
func newExpander(dev smbus, kind string, activeLow bool) (*expanderBank, error) {
	b := &expanderBank{outputs: outputs{on: make([]bool, BankSpec{Kind: kind}.Outputs())}, dev: dev, kind: kind, activeLow: activeLow}
	var err error
	switch kind {
	case KindMCP23017:
		err = errors.Join(b.writePort(0), b.writePort(1))
		if err == nil {
			err = errors.Join(dev.WriteByteData(mcpIODIRA, 0), dev.WriteByteData(mcpIODIRB, 0))
		}
	case KindPCF8574:
		err = b.writePort(0)
	}
	if err != nil {
		return nil, errors.Join(fmt.Errorf("relay: %s: %w", kind, err), dev.Close())
	}
	return b, nil
}

// port is the byte of port p (outputs 8p to 8p+7, the lowest in bit 0).
func (b *expanderBank) port(p int) byte {
	var v byte
	for j := range 8 {
		if b.on[8*p+j] != b.activeLow {
			v |= 1 << j
		}
	}
	return v
}

// writePort writes port p's byte: an MCP23017's output latch A or B, a PCF8574's port.
func (b *expanderBank) writePort(p int) error {
	if b.kind == KindPCF8574 {
		return b.dev.WriteByte(b.port(0))
	}
	return b.dev.WriteByteData(byte(mcpOLATA+p), b.port(p))
}

// Set switches output i and writes its port.
func (b *expanderBank) Set(i int, on bool) error {
	return b.set(b.kind, i, on, func() error {
		if err := b.writePort(i / 8); err != nil {
			return fmt.Errorf("relay: %s: %w", b.kind, err)
		}
		return nil
	})
}

// Close writes every output off and releases the bus. The expander keeps its outputs: they
// stay off, driven.
func (b *expanderBank) Close() error {
	return b.close(func() error {
		var errs []error
		for p := range len(b.on) / 8 {
			errs = append(errs, b.writePort(p))
		}
		return errors.Join(errors.Join(errs...), b.dev.Close())
	})
}
