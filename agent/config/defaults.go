package config

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"sprinkler/agent/relay"
	"sprinkler/broker/server"
	"sprinkler/configs"
	"sprinkler/topics"
)

// Zone defaults and bounds.
const (
	DefaultRun    = 10 * time.Minute
	DefaultMaxRun = 60 * time.Minute
	longestRun    = 24 * time.Hour
	shortestRun   = time.Second
	MaxLine       = 53 // the highest line of the Raspberry Pi SoCs' pin controllers
)

// OriginalLines are the BCM lines of the Waveshare RPi Relay Board (B), relays 1 to 8.
var OriginalLines = []int{5, 6, 13, 16, 19, 20, 21, 26}

// Default is the configuration every key starts from: the file and the environment change it.
// It is the one place a default is written; viper gets it flattened (Defaults), and the safety
// governor's limits and zones derive from the configuration (ValveLimits, ValveZones).
func Default() Config {
	zones := make([]Zone, len(OriginalLines))
	for i, line := range OriginalLines {
		zones[i] = Zone{ID: i + 1, Name: fmt.Sprintf("Zone %d", i+1), Line: line}
	}
	return Config{
		Broker: server.DefaultConfig(),
		MQTT:   MQTT{URL: "tcp://127.0.0.1:1883", Prefix: topics.DefaultPrefix, Keepalive: 15 * time.Second},
		Relays: Relays{Driver: relay.DriverAuto, Chip: "auto", ActiveLow: true, Banks: []Bank{}},
		Safety: Safety{MaxOpen: 2, Overflow: topics.OverflowQueue, Stagger: 500 * time.Millisecond,
			MasterLead: 2 * time.Second, MasterLag: 5 * time.Second, Watchdog: time.Second},
		Schedule:      Schedule{Resume: true, MinRun: time.Minute},
		HomeAssistant: HomeAssistant{Enabled: true, Prefix: server.DefaultHomeAssistantPrefix, Device: true, BirthDelay: 5 * time.Second},
		Log:           Log{Level: "info", Format: "text", File: "agent.log", MaxSize: 5, MaxFiles: 3},
		Health:        Health{Interval: time.Minute},
		History:       History{Retention: 365 * 24 * time.Hour},
		Web:           Web{Listen: "127.0.0.1:8080", Hosts: []string{}, SignInFor: 30 * 24 * time.Hour},
		System:        System{RebootCommand: []string{}},
		Zones:         zones,
		Sensors:       []Sensor{},
		Weather: Weather{At: "03:00", BaselineMm: 5, BalanceDays: 7, RainFactor: 0.8, RainSkipMm: 6, ForecastSkipMm: 8, FallbackDays: 3, LightRainMm: 2,
			Inputs: []WeatherInput{}},
		Flow: Flow{Pull: "up", Interval: 10 * time.Second, LeakLPM: 0.5, LeakGrace: 2 * time.Minute, HighFactor: 1.5, LowFactor: 0.3},
	}
}

// Defaults returns every key's default, flat and dotted, as viper takes them.
func Defaults() map[string]any { return configs.Flatten("", Default()) }

// fill derives the defaults that depend on other values.
func (c *Config) fill() {
	if c.Agent.ID == "" {
		c.Agent.ID = HostAgentID()
	}
	if c.MQTT.ClientID == "" {
		c.MQTT.ClientID = topics.AgentClientID(c.Agent.ID)
	}
	if c.State.Dir == "" {
		c.State.Dir = defaultStateDir()
	}
	for i := range c.Zones {
		z := &c.Zones[i]
		if z.Name == "" {
			z.Name = fmt.Sprintf("Zone %d", z.ID)
		}
		if z.DefaultDuration == 0 {
			z.DefaultDuration = DefaultRun
		}
		if z.MaxDuration == 0 {
			z.MaxDuration = DefaultMaxRun
		}
	}
}

var notIDChars = regexp.MustCompile(`[^a-z0-9-]+`)

// HostAgentID derives an agent id from the host name: lower case, other characters as '-',
// at most 23 long; "sprinkler" if nothing usable is left.
func HostAgentID() string {
	h, _ := os.Hostname()
	h, _, _ = strings.Cut(h, ".")
	id := strings.Trim(notIDChars.ReplaceAllString(strings.ToLower(h), "-"), "-")
	if len(id) > 23 {
		id = strings.TrimRight(id[:23], "-")
	}
	if topics.ValidAgentID(id) != nil {
		return "sprinkler"
	}
	return id
}

func defaultStateDir() string {
	if d := os.Getenv("STATE_DIRECTORY"); d != "" {
		d, _, _ = strings.Cut(d, ":")
		return d
	}
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "sprinkler")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "state", "sprinkler")
	}
	return filepath.Join(os.TempDir(), "sprinkler")
}
