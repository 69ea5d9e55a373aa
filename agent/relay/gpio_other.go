//go:build !linux

package relay

func findChip(string) (string, error) { return "", ErrUnsupported }

func openGPIO(Config) (Bank, error) { return nil, ErrUnsupported }
