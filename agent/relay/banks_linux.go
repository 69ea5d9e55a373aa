//go:build linux

package relay

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"unsafe"

	"github.com/warthog618/go-gpiocdev"
	"golang.org/x/sys/unix"
)

// openShiftRegister requests a shift register's four lines on the chip of relays.*: the output
// enable first, driven high (outputs disabled), then latch, clock and data, driven low.
func openShiftRegister(cfg Config, b BankSpec) (Bank, error) {
	chip, err := FindChip(cfg.Chip)
	if err != nil {
		return nil, err
	}
	var lines []level
	for _, l := range []struct {
		name string
		off  int
		v    int
	}{{"enable", b.Enable, 1}, {"latch", b.Latch, 0}, {"clock", b.Clock, 0}, {"data", b.Data, 0}} {
		line, err := gpiocdev.RequestLine(chip, l.off, gpiocdev.AsOutput(l.v), gpiocdev.WithConsumer(consumer))
		if err != nil {
			for _, x := range lines {
				_ = x.Close()
			}
			why := ""
			switch {
			case errors.Is(err, unix.EBUSY):
				why = busy(chip, l.off)
			case errors.Is(err, fs.ErrPermission):
				return nil, unusable(chip, err)
			}
			return nil, fmt.Errorf("relay: bank %s: request /dev/%s line %d (%s): %w%s", b.Name, chip, l.off, l.name, err, why)
		}
		lines = append(lines, line)
	}
	return newShiftBank(lines[3], lines[2], lines[1], lines[0], b.Outputs(), b.ActiveLow)
}

// openExpander opens an I2C expander on its bus and address.
func openExpander(b BankSpec) (Bank, error) {
	f, err := os.OpenFile(b.Bus, os.O_RDWR, 0)
	if err != nil {
		fix := ""
		switch {
		case errors.Is(err, fs.ErrNotExist):
			fix = " (enable I2C: dtparam=i2c_arm=on in config.txt, or raspi-config; the i2c-dev module makes /dev/i2c-N)"
		case errors.Is(err, fs.ErrPermission):
			fix = " (add the agent's user to the group that owns it: i2c on Raspberry Pi OS)"
		}
		return nil, fmt.Errorf("relay: bank %s: %w%s", b.Name, err, fix)
	}
	if err := unix.IoctlSetInt(int(f.Fd()), i2cSlave, b.Address); err != nil {
		f.Close()
		return nil, fmt.Errorf("relay: bank %s: %s address %#x: %w", b.Name, b.Bus, b.Address, err)
	}
	bank, err := newExpander(&i2cDev{f: f}, b.Kind, b.ActiveLow)
	if err != nil {
		return nil, fmt.Errorf("relay: bank %s on %s at %#x: %w", b.Name, b.Bus, b.Address, err)
	}
	return bank, nil
}

// The i2c-dev interface (linux/i2c-dev.h, linux/i2c.h).
const (
	i2cSlave         = 0x0703 // I2C_SLAVE: the address of the next transfers
	i2cSMBus         = 0x0720 // I2C_SMBUS: one SMBus transfer
	i2cSMBusWrite    = 0
	i2cSMBusByte     = 1
	i2cSMBusByteData = 2
)

// i2cDev is an open /dev/i2c-N with its address set.
type i2cDev struct{ f *os.File }

// smbusIoctlData is struct i2c_smbus_ioctl_data.
type smbusIoctlData struct {
	readWrite uint8
	command   uint8
	size      uint32
	data      *[34]byte // union i2c_smbus_data
}

func (d *i2cDev) transfer(command byte, size uint32, data *[34]byte) error {
	args := &smbusIoctlData{readWrite: i2cSMBusWrite, command: command, size: size, data: data}
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, d.f.Fd(), i2cSMBus, uintptr(unsafe.Pointer(args)))
	runtime.KeepAlive(args)
	runtime.KeepAlive(d.f)
	if errno != 0 {
		return errno
	}
	return nil
}

func (d *i2cDev) WriteByteData(reg, v byte) error {
	data := new([34]byte)
	data[0] = v
	return d.transfer(reg, i2cSMBusByteData, data)
}

func (d *i2cDev) WriteByte(v byte) error { return d.transfer(v, i2cSMBusByte, nil) }

func (d *i2cDev) Close() error { return d.f.Close() }
