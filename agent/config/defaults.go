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
	"sprinkler/topics"
)

// Zone defaults and bounds.
const (
	DefaultRun    = 10 * time.Minute
	DefaultMaxRun = 60 * time.Minute
	longestRun    = 24 * time.Hour
	shortestRun   = time.Second
	maxLine       = 53 // the highest line of the Raspberry Pi SoCs' pin controllers
)

// OriginalLines are the BCM lines of the Waveshare RPi Relay Board (B), relays 1 to 8.
var OriginalLines = []int{5, 6, 13, 16, 19, 20, 21, 26}

// Defaults returns every key's default, flat and dotted.
func Defaults() map[string]any {
	d := map[string]any{
		"agent.id":                       "",
		"agent.timezone":                 "",
		"mqtt.url":                       "tcp://127.0.0.1:1883",
		"mqtt.prefix":                    topics.DefaultPrefix,
		"mqtt.client_id":                 "",
		"mqtt.keepalive":                 "15s",
		"mqtt.username":                  "",
		"mqtt.password":                  "",
		"mqtt.password_file":             "",
		"mqtt.ca_cert":                   "",
		"mqtt.client_cert":               "",
		"mqtt.client_key":                "",
		"relays.driver":                  relay.DriverAuto,
		"relays.chip":                    "auto",
		"relays.active_low":              true,
		"safety.max_open":                2,
		"safety.overflow":                "queue",
		"safety.stagger":                 "500ms",
		"safety.master_zone":             0,
		"safety.master_lead":             "2s",
		"safety.master_lag":              "5s",
		"safety.watchdog":                "1s",
		"schedule.file":                  "",
		"homeassistant.enabled":          true,
		"homeassistant.prefix":           "homeassistant",
		"homeassistant.device_discovery": true,
		"homeassistant.birth_delay":      "5s",
		"schedule.resume":                true,
		"schedule.min_run":               "1m",
		"site.latitude":                  0.0,
		"site.longitude":                 0.0,
		"state.dir":                      "",
		"log.level":                      "info",
		"log.format":                     "text",
		"log.file":                       "agent.log",
		"log.max_size_mb":                5,
		"log.max_files":                  3,
		"health.interval":                "60s",
		"history.retention":              "8760h",
		"metrics.listen":                 "",
		"web.listen":                     "127.0.0.1:8080",
		"web.hosts":                      []string{},
		"flow.line":                      0,
		"flow.pull":                      "up",
		"flow.pulses_per_litre":          0,
		"flow.interval":                  "10s",
		"flow.leak_lpm":                  0.5,
		"flow.leak_grace":                "2m",
		"flow.high_factor":               1.5,
		"flow.low_factor":                0.3,
		"system.reboot_command":          []string{},
	}
	zones := make([]map[string]any, len(OriginalLines))
	for i, line := range OriginalLines {
		zones[i] = map[string]any{"id": i + 1, "name": fmt.Sprintf("Zone %d", i+1), "line": line}
	}
	d["zones"] = zones
	for k, v := range server.Defaults() {
		d[k] = v
	}
	return d
}

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
