//go:build !linux

package sensors

import "sprinkler/agent/relay"

// OpenGPIO has no GPIO to read outside Linux.
func OpenGPIO(string, Config) (Input, error) { return nil, relay.ErrUnsupported }
