package relay

import "errors"

// Errors of the relay drivers.
var (
	// ErrClosed is returned by Set on a bank that was closed.
	ErrClosed = errors.New("relay: bank closed")
	// ErrNoChip means no GPIO chip matching the configuration exists on this machine.
	ErrNoChip = errors.New("relay: no GPIO chip")
	// ErrUnsupported means the gpio driver does not exist on this operating system.
	ErrUnsupported = errors.New("relay: the gpio driver needs Linux")
)
