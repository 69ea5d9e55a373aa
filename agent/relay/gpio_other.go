//go:build !linux

package relay

// FindChip finds no chip outside Linux.
func FindChip(string) (string, error) { return "", ErrUnsupported }

func openGPIO(Config) (Bank, error) { return nil, ErrUnsupported }

func openShiftRegister(Config, BankSpec) (Bank, error) { return nil, ErrUnsupported }

func openExpander(BankSpec) (Bank, error) { return nil, ErrUnsupported }
