package server

import (
	"errors"
	"net"
	"strconv"

	"sprinkler/configs"
)

// Anonymous access policies.
const (
	AnonymousLoopback = "loopback" // clients without a username are let in from loopback only
	AnonymousOff      = "off"      // every client must log in
)

// Config is the broker.* section of the configuration.
type Config struct {
	// Embedded runs the broker inside the agent. The standalone broker ignores it.
	Embedded bool `mapstructure:"embedded"`
	// Listen is the TCP address of the MQTT listener, host:port.
	Listen string `mapstructure:"listen"`
	// Anonymous is AnonymousLoopback or AnonymousOff.
	Anonymous string `mapstructure:"anonymous"`
	// MaxClients bounds the number of connected clients.
	MaxClients int `mapstructure:"max_clients"`
}

// Defaults are the defaults of the broker.* keys.
func Defaults() map[string]any {
	return map[string]any{
		"broker.embedded":    true,
		"broker.listen":      "127.0.0.1:1883",
		"broker.anonymous":   AnonymousLoopback,
		"broker.max_clients": 256,
	}
}

// Validate reports every invalid broker.* value as a *configs.KeyError.
func (c Config) Validate() error {
	var errs []error
	host, port, err := net.SplitHostPort(c.Listen)
	if err != nil {
		errs = append(errs, configs.Errorf("broker.listen", "%q is not host:port", c.Listen))
	} else if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		errs = append(errs, configs.Errorf("broker.listen", "port %q is not a number from 0 to 65535", port))
	} else if host != "" && net.ParseIP(host) == nil && host != "localhost" {
		errs = append(errs, configs.Errorf("broker.listen", "host %q is not an IP address (or localhost)", host))
	}
	if c.Anonymous != AnonymousLoopback && c.Anonymous != AnonymousOff {
		errs = append(errs, configs.Errorf("broker.anonymous", "%q is not %q or %q", c.Anonymous, AnonymousLoopback, AnonymousOff))
	}
	if c.MaxClients < 1 {
		errs = append(errs, configs.Errorf("broker.max_clients", "%d: want at least 1", c.MaxClients))
	}
	return errors.Join(errs...)
}

// Load reads the broker.* keys of the configuration file at path (other sections are ignored)
// with their SPRINKLER_BROKER_* overrides, and validates them.
func Load(path string, required bool) (Config, error) {
	var file struct {
		Broker Config         `mapstructure:"broker"`
		Rest   map[string]any `mapstructure:",remain"`
	}
	f, err := configs.Load(path, required, Defaults(), &file)
	if err != nil {
		return Config{}, err
	}
	return file.Broker, f.Locate(file.Broker.Validate())
}
