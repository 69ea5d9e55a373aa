// Package config is the agent's configuration: its structure, defaults, loading from a YAML
// file with SPRINKLER_* environment overrides, and validation with every error naming the
// file, line and key.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"sprinkler/agent/relay"
	"sprinkler/agent/valves"
	"sprinkler/broker/server"
	"sprinkler/configs"
	"sprinkler/topics"
)

// Config is the whole agent configuration.
type Config struct {
	Agent         Agent         `mapstructure:"agent"`
	Broker        server.Config `mapstructure:"broker"`
	MQTT          MQTT          `mapstructure:"mqtt"`
	Relays        Relays        `mapstructure:"relays"`
	Safety        Safety        `mapstructure:"safety"`
	Schedule      Schedule      `mapstructure:"schedule"`
	Site          Site          `mapstructure:"site"`
	HomeAssistant HomeAssistant `mapstructure:"homeassistant"`
	Health        Health        `mapstructure:"health"`
	History       History       `mapstructure:"history"`
	Metrics       Metrics       `mapstructure:"metrics"`
	Web           Web           `mapstructure:"web"`
	System        System        `mapstructure:"system"`
	State         State         `mapstructure:"state"`
	Log           Log           `mapstructure:"log"`
	Zones         []Zone        `mapstructure:"zones"`
	// Sensors are switch sensors on GPIO input lines (rain, soil moisture).
	Sensors []Sensor `mapstructure:"sensors"`
	Flow    Flow     `mapstructure:"flow"`
}

// Flow is the flow.* section: a pulse flow meter; off while pulses_per_litre is 0.
type Flow struct {
	Line           int           `mapstructure:"line"`
	Pull           string        `mapstructure:"pull"`
	PulsesPerLitre float64       `mapstructure:"pulses_per_litre"`
	Interval       time.Duration `mapstructure:"interval"`
	// LeakLPM and LeakGrace: flow above LeakLPM litres a minute for LeakGrace while every
	// valve is closed is a leak.
	LeakLPM   float64       `mapstructure:"leak_lpm"`
	LeakGrace time.Duration `mapstructure:"leak_grace"`
	// HighFactor and LowFactor: a zone running alone whose flow stays above HighFactor times,
	// or below LowFactor times, its expected flow for two intervals is closed (a burst pipe, a
	// clogged line); 0 turns that check off.
	HighFactor float64 `mapstructure:"high_factor"`
	LowFactor  float64 `mapstructure:"low_factor"`
}

// Sensor is one entry of sensors.
type Sensor struct {
	Name        string        `mapstructure:"name"`
	Line        int           `mapstructure:"line"`
	Active      string        `mapstructure:"active"` // "low" (a switch to ground; the default) or "high"
	Pull        string        `mapstructure:"pull"`   // "up" (the default), "down" or "none"
	OnDelay     time.Duration `mapstructure:"on_delay"`
	OffDelay    time.Duration `mapstructure:"off_delay"`
	BlockManual bool          `mapstructure:"block_manual"`
}

// Agent is the agent.* section.
type Agent struct {
	// ID names the agent in every topic. Empty: derived from the host name.
	ID string `mapstructure:"id"`
	// Timezone is an IANA zone name for local times; empty means the machine's.
	Timezone string `mapstructure:"timezone"`
}

// Site is the site.* section: where the garden is, for runs that start at sunrise or sunset.
// Latitude and longitude both 0 mean not given.
type Site struct {
	Latitude  float64 `mapstructure:"latitude"`  // degrees, north positive
	Longitude float64 `mapstructure:"longitude"` // degrees, east positive
}

// Known reports whether the site was given.
func (s Site) Known() bool { return s.Latitude != 0 || s.Longitude != 0 }

// MQTT is the mqtt.* section: how the agent reaches its broker.
type MQTT struct {
	// URL of an external broker (tcp://host:1883); unused while broker.embedded is true.
	URL string `mapstructure:"url"`
	// Prefix is the first level of every topic.
	Prefix string `mapstructure:"prefix"`
	// ClientID defaults to sprinkler-<agent id>.
	ClientID string `mapstructure:"client_id"`
	// Keepalive is the MQTT keepalive; the broker notices a dead agent after 1.5 times it.
	Keepalive time.Duration `mapstructure:"keepalive"`
	// Username and Password log in to an external broker; PasswordFile holds the password
	// instead (it must not be readable by others). SPRINKLER_MQTT_PASSWORD also sets it.
	Username     string `mapstructure:"username"`
	Password     string `mapstructure:"password"`
	PasswordFile string `mapstructure:"password_file"`
	// CACert verifies the broker's certificate (ssl:// URLs); ClientCert and ClientKey log in
	// with a certificate.
	CACert     string `mapstructure:"ca_cert"`
	ClientCert string `mapstructure:"client_cert"`
	ClientKey  string `mapstructure:"client_key"`
}

// Relays is the relays.* section.
type Relays struct {
	Driver    string `mapstructure:"driver"`     // auto, gpio or sim
	Chip      string `mapstructure:"chip"`       // auto or a chip name such as gpiochip0
	ActiveLow bool   `mapstructure:"active_low"` // relays close when their line is low
}

// Safety is the safety.* section: the rules every relay change obeys.
type Safety struct {
	// MaxOpen is how many valves may be open at once, the master not counted.
	MaxOpen int `mapstructure:"max_open"`
	// Overflow is what happens to a run beyond MaxOpen: queue or reject.
	Overflow string `mapstructure:"overflow"`
	// Stagger is the least time between two turn-ons, so inrush currents never add up.
	Stagger time.Duration `mapstructure:"stagger"`
	// MasterZone is the id of a zone that is a master valve or pump; 0 for none.
	MasterZone int `mapstructure:"master_zone"`
	// MasterLead and MasterLag: the master opens this long before the first zone and closes
	// this long after the last.
	MasterLead time.Duration `mapstructure:"master_lead"`
	MasterLag  time.Duration `mapstructure:"master_lag"`
	// Watchdog is how often the watchdog checks for relays left on past their end.
	Watchdog time.Duration `mapstructure:"watchdog"`
}

// Schedule is the schedule.* section.
type Schedule struct {
	// File is the profile file; empty for no schedule. A relative path is taken from the
	// configuration file's folder.
	File string `mapstructure:"file"`
	// Resume waters what is left of a window in progress when the agent starts inside it.
	Resume bool `mapstructure:"resume"`
	// MinRun is the shortest run the water level may make of a window; shorter ones are
	// skipped.
	MinRun time.Duration `mapstructure:"min_run"`
}

// HomeAssistant is the homeassistant.* section: MQTT discovery.
type HomeAssistant struct {
	Enabled bool   `mapstructure:"enabled"`
	Prefix  string `mapstructure:"prefix"` // Home Assistant's discovery prefix
	// Device publishes one device-based message (Home Assistant 2024.12 and later); false
	// publishes one message per entity, for older versions and other consumers.
	Device bool `mapstructure:"device_discovery"`
	// BirthDelay is the longest random wait before discovery is published again after Home
	// Assistant's birth message, so that many devices do not answer at once.
	BirthDelay time.Duration `mapstructure:"birth_delay"`
}

// State is the state.* section.
type State struct {
	// Dir holds what must survive a restart. Empty: $STATE_DIRECTORY (systemd), else
	// $XDG_STATE_HOME/sprinkler, else ~/.local/state/sprinkler.
	Dir string `mapstructure:"dir"`
}

// Log is the log.* section.
type Log struct {
	Level  string `mapstructure:"level"`  // debug, info, warn or error
	Format string `mapstructure:"format"` // of the terminal: text or json
	// File is the JSON log, relative to state.dir; "" for none. errors.log goes beside it.
	File     string `mapstructure:"file"`
	MaxSize  int    `mapstructure:"max_size_mb"` // a file rotates at this size
	MaxFiles int    `mapstructure:"max_files"`   // rotated files kept
}

// Health is the health.* section.
type Health struct {
	// Interval is how often the retained <base>/health is published; 0 turns it off.
	Interval time.Duration `mapstructure:"interval"`
}

// History is the history.* section.
type History struct {
	// Retention is how long a finished run stays in the history; 0 keeps every run.
	Retention time.Duration `mapstructure:"retention"`
}

// Metrics is the metrics.* section.
type Metrics struct {
	// Listen is the host:port of the Prometheus endpoint (/metrics); empty turns it off.
	Listen string `mapstructure:"listen"`
}

// Web is the web.* section.
type Web struct {
	// Listen is the host:port of the web page (and its MQTT over WebSocket at /mqtt); empty
	// turns it off. It needs the embedded broker.
	Listen string `mapstructure:"listen"`
	// Hosts are the host names the page answers to beside the machine's own (its IP
	// addresses, localhost, its host name and <hostname>.local); any other is refused, against
	// DNS rebinding.
	Hosts []string `mapstructure:"hosts"`
}

// System is the system.* section.
type System struct {
	// RebootCommand is run by the reboot command after the agent stopped, e.g.
	// [systemctl, reboot]; empty refuses reboot.
	RebootCommand []string `mapstructure:"reboot_command"`
}

// Zone is one entry of the zones list.
type Zone struct {
	ID              int           `mapstructure:"id"`
	Name            string        `mapstructure:"name"`
	Line            int           `mapstructure:"line"`
	DefaultDuration time.Duration `mapstructure:"default_duration"`
	MaxDuration     time.Duration `mapstructure:"max_duration"`
	// IgnoreSensors names sensors that do not hold this zone back (a zone under a roof).
	IgnoreSensors []string `mapstructure:"ignore_sensors"`
	// ExpectedLPM is the zone's usual flow, litres a minute; 0: learned from its runs.
	ExpectedLPM float64 `mapstructure:"expected_lpm"`
	// Group names a sequential group: zones of one group never run at the same time.
	// Empty: the zone runs beside any other, as the power budget allows.
	Group string `mapstructure:"group"`
}

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

// Load reads the configuration at path (missing is an error only when required), applies the
// environment, fills derived defaults and validates. Errors name file, line and key.
func Load(path string, required bool) (Config, error) {
	c, _, err := LoadWarn(path, required)
	return c, err
}

// LoadWarn is Load that also returns what the program should warn of at start-up (see
// configs.File.Warnings).
func LoadWarn(path string, required bool) (Config, []string, error) {
	var c Config
	f, err := configs.Load(path, required, Defaults(), &c)
	if err != nil {
		return Config{}, nil, err
	}
	c.fill()
	c.Schedule.File = f.Resolve(c.Schedule.File)
	if c.Schedule.File != "" {
		if _, err := os.Stat(c.Schedule.File); err != nil {
			return Config{}, nil, f.Locate(configs.Errorf("schedule.file", "%v (a relative path is taken from the configuration file's folder; empty: no schedule)", err))
		}
	}
	if c.Log.File != "" && !filepath.IsAbs(c.Log.File) {
		c.Log.File = filepath.Join(c.State.Dir, c.Log.File)
	}
	c.Broker.UsersFile = f.Resolve(c.Broker.UsersFile)
	c.MQTT.PasswordFile = f.Resolve(c.MQTT.PasswordFile)
	c.MQTT.CACert, c.MQTT.ClientCert, c.MQTT.ClientKey = f.Resolve(c.MQTT.CACert), f.Resolve(c.MQTT.ClientCert), f.Resolve(c.MQTT.ClientKey)
	if err := f.Locate(c.Validate()); err != nil {
		return Config{}, nil, err
	}
	return c, f.Warnings, nil
}

// ValveLimits are the safety governor's limits the safety.* keys set.
func (c Config) ValveLimits() valves.Limits {
	s := c.Safety
	return valves.Limits{
		MaxOpen: s.MaxOpen, Overflow: s.Overflow, Stagger: s.Stagger, Master: s.MasterZone,
		MasterLead: s.MasterLead, MasterLag: s.MasterLag, Watchdog: s.Watchdog,
	}
}

// ValveZones are the zones as the safety governor knows them.
func (c Config) ValveZones() []valves.Zone {
	zones := make([]valves.Zone, len(c.Zones))
	for i, z := range c.Zones {
		zones[i] = valves.Zone{ID: z.ID, Name: z.Name, Line: z.Line, DefaultDuration: z.DefaultDuration, MaxDuration: z.MaxDuration, Group: z.Group}
	}
	return zones
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

// Validate reports every invalid value as a *configs.KeyError, joined.
func (c Config) Validate() error {
	var errs []error
	add := func(key, format string, args ...any) { errs = append(errs, configs.Errorf(key, format, args...)) }
	if err := topics.ValidAgentID(c.Agent.ID); err != nil {
		add("agent.id", "%v", err)
	}
	if _, err := c.Location(); err != nil {
		add("agent.timezone", "%v", err)
	}
	if err := c.Broker.Validate(); err != nil {
		errs = append(errs, err)
	}
	if !c.Broker.Embedded {
		if u, err := url.Parse(c.MQTT.URL); err != nil || u.Host == "" || !slices.Contains([]string{"tcp", "mqtt", "ssl", "tls", "mqtts", "ws", "wss"}, u.Scheme) {
			add("mqtt.url", "%q is not a broker URL such as tcp://127.0.0.1:1883", c.MQTT.URL)
		}
	}
	if err := topics.ValidPrefix(c.MQTT.Prefix); err != nil {
		add("mqtt.prefix", "%v", err)
	}
	if c.MQTT.ClientID == "" || strings.ContainsAny(c.MQTT.ClientID, "/+#") || len(c.MQTT.ClientID) > 64 {
		add("mqtt.client_id", "%q: want 1-64 characters without '/', '+' or '#'", c.MQTT.ClientID)
	}
	if c.MQTT.Keepalive < 2*time.Second || c.MQTT.Keepalive > 10*time.Minute {
		add("mqtt.keepalive", "%v: want from 2s to 10m", c.MQTT.Keepalive)
	}
	if !slices.Contains([]string{relay.DriverAuto, relay.DriverGPIO, relay.DriverSim}, c.Relays.Driver) {
		add("relays.driver", "%q is not auto, gpio or sim", c.Relays.Driver)
	}
	if c.Relays.Chip == "" {
		add("relays.chip", `empty; want "auto" or a chip name such as gpiochip0`)
	}
	if c.State.Dir == "" {
		add("state.dir", "empty")
	}
	errs = append(errs, c.validateSafety()...)
	if err := topics.ValidPrefix(c.HomeAssistant.Prefix); err != nil {
		add("homeassistant.prefix", "%v", err)
	}
	if c.HomeAssistant.BirthDelay < 0 || c.HomeAssistant.BirthDelay > time.Minute {
		add("homeassistant.birth_delay", "%v: want from 0s to 1m", c.HomeAssistant.BirthDelay)
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(c.Log.Level)); err != nil {
		add("log.level", "%q is not debug, info, warn or error", c.Log.Level)
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		add("log.format", "%q is not text or json", c.Log.Format)
	}
	if c.Log.MaxSize < 1 || c.Log.MaxSize > 1024 {
		add("log.max_size_mb", "%d: want 1 to 1024", c.Log.MaxSize)
	}
	if c.Log.MaxFiles < 0 || c.Log.MaxFiles > 100 {
		add("log.max_files", "%d: want 0 to 100", c.Log.MaxFiles)
	}
	if c.Health.Interval != 0 && (c.Health.Interval < time.Second || c.Health.Interval > 24*time.Hour) {
		add("health.interval", "%v: want 0 (off) or from 1s to 24h", c.Health.Interval)
	}
	if c.History.Retention != 0 && (c.History.Retention < 24*time.Hour || c.History.Retention > 10*8760*time.Hour) {
		add("history.retention", "%v: want 0 (keep every run) or from 24h to 87600h", c.History.Retention)
	}
	for key, addr := range map[string]string{"metrics.listen": c.Metrics.Listen, "web.listen": c.Web.Listen} {
		if _, _, err := net.SplitHostPort(addr); addr != "" && err != nil {
			add(key, "%q: want host:port, such as 127.0.0.1:8080", addr)
		}
	}
	if c.Site.Latitude < -90 || c.Site.Latitude > 90 || math.IsNaN(c.Site.Latitude) {
		add("site.latitude", "%v: want -90 (south) to 90 (north) degrees", c.Site.Latitude)
	}
	if c.Site.Longitude < -180 || c.Site.Longitude > 180 || math.IsNaN(c.Site.Longitude) {
		add("site.longitude", "%v: want -180 (west) to 180 (east) degrees", c.Site.Longitude)
	}
	errs = append(errs, c.validateZones()...)
	errs = append(errs, c.validateSensors()...)
	return errors.Join(errs...)
}

func (c Config) validateSensors() []error {
	var errs []error
	names, lines := map[string]bool{}, map[int]string{}
	for _, z := range c.Zones {
		lines[z.Line] = fmt.Sprintf("zone %d", z.ID)
	}
	for i, s := range c.Sensors {
		key, name := fmt.Sprintf("sensors[%d]", i), ""
		if topics.ValidAgentID(s.Name) == nil && slices.IndexFunc(c.Sensors, func(o Sensor) bool { return o.Name == s.Name }) == i {
			name = "sensors[" + s.Name + "]"
		}
		add := func(field, format string, args ...any) {
			errs = append(errs, configs.EntryErrorf(key, name, field, format, args...))
		}
		if topics.ValidAgentID(s.Name) != nil {
			add("name", "%q: want 1-23 characters of a-z, 0-9 and '-'", s.Name)
		} else if names[s.Name] {
			add("name", "%q is used twice", s.Name)
		}
		names[s.Name] = true
		if s.Line < 0 || s.Line > maxLine {
			add("line", "%d is not a GPIO line (0 to %d)", s.Line, maxLine)
		} else if other, dup := lines[s.Line]; dup {
			add("line", "%d is also the line of %s", s.Line, other)
		}
		lines[s.Line] = s.Name
		if s.Active != "" && s.Active != "low" && s.Active != "high" {
			add("active", "%q: want low (a switch to ground) or high", s.Active)
		}
		if s.Pull != "" && s.Pull != "up" && s.Pull != "down" && s.Pull != "none" {
			add("pull", "%q: want up, down or none", s.Pull)
		}
		for field, d := range map[string]time.Duration{"on_delay": s.OnDelay, "off_delay": s.OffDelay} {
			if d < 0 || d > 24*time.Hour {
				add(field, "%v: want 0 to 24h", d)
			}
		}
	}
	if f := c.Flow; f.PulsesPerLitre != 0 {
		add := func(field, format string, args ...any) {
			errs = append(errs, configs.Errorf("flow."+field, format, args...))
		}
		if f.PulsesPerLitre < 0 || f.PulsesPerLitre > 100000 {
			add("pulses_per_litre", "%v: want 0 (no meter) or a K-factor up to 100000", f.PulsesPerLitre)
		}
		if f.Line < 0 || f.Line > maxLine {
			add("line", "%d is not a GPIO line (0 to %d)", f.Line, maxLine)
		} else if other, dup := lines[f.Line]; dup {
			add("line", "%d is also the line of %s", f.Line, other)
		}
		if f.Interval < time.Second || f.Interval > 5*time.Minute {
			add("interval", "%v: want 1s to 5m", f.Interval)
		}
		if f.LeakLPM < 0 || f.LeakGrace < 0 {
			add("leak_lpm", "the leak threshold and grace cannot be negative")
		}
	}
	for i, z := range c.Zones {
		for j, name := range z.IgnoreSensors {
			if !names[name] {
				errs = append(errs, configs.EntryErrorf(fmt.Sprintf("zones[%d]", i), c.zoneName(i), fmt.Sprintf("ignore_sensors[%d]", j), "%q is not a sensor", name))
			}
		}
	}
	return errs
}

// zoneName names zones[i] in messages by its id, "zones[id 3]", when the id is valid and its
// own; else "" (the entry is shown by its position).
func (c Config) zoneName(i int) string {
	id := c.Zones[i].ID
	if id < 1 || id > 99 || slices.IndexFunc(c.Zones, func(z Zone) bool { return z.ID == id }) != i {
		return ""
	}
	return fmt.Sprintf("zones[id %d]", id)
}

func (c Config) validateZones() []error {
	var errs []error
	if len(c.Zones) == 0 {
		return []error{configs.Errorf("zones", "no zones; list at least one")}
	}
	ids, lines := map[int]int{}, map[int]int{}
	for i, z := range c.Zones {
		key, name := fmt.Sprintf("zones[%d]", i), c.zoneName(i)
		add := func(field, format string, args ...any) {
			errs = append(errs, configs.EntryErrorf(key, name, field, format, args...))
		}
		if z.ID < 1 || z.ID > 99 {
			add("id", "%d: want 1 to 99", z.ID)
		} else if j, dup := ids[z.ID]; dup {
			add("id", "%d is also the id of zones[entry %d]", z.ID, j+1)
		}
		ids[z.ID] = i
		if z.Line < 0 || z.Line > maxLine {
			add("line", "%d is not a GPIO line (0 to %d)", z.Line, maxLine)
		} else if j, dup := lines[z.Line]; dup {
			add("line", "%d is also the line of zone %d", z.Line, c.Zones[j].ID)
		}
		lines[z.Line] = i
		if len(z.Name) > 64 {
			add("name", "longer than 64 characters")
		}
		for _, d := range []struct {
			field string
			v     time.Duration
		}{{"default_duration", z.DefaultDuration}, {"max_duration", z.MaxDuration}} {
			if d.v < shortestRun || d.v > longestRun {
				add(d.field, "%v: want from %v to %v, written like 10m or 1h30m", d.v, shortestRun, longestRun)
			}
		}
		if z.DefaultDuration > z.MaxDuration {
			add("default_duration", "%v is longer than max_duration %v", z.DefaultDuration, z.MaxDuration)
		}
		if z.Group != "" && topics.ValidAgentID(z.Group) != nil {
			add("group", "%q: want 1-23 characters of a-z, 0-9 and '-'", z.Group)
		}
		if z.Group != "" && z.ID == c.Safety.MasterZone {
			add("group", "the master valve opens with every zone; it belongs to no group")
		}
	}
	return errs
}

func (c Config) validateSafety() []error {
	var errs []error
	add := func(key, format string, args ...any) {
		errs = append(errs, configs.Errorf("safety."+key, format, args...))
	}
	s := c.Safety
	if s.MaxOpen < 1 || s.MaxOpen > 99 {
		add("max_open", "%d: want at least 1", s.MaxOpen)
	}
	if s.Overflow != "queue" && s.Overflow != "reject" {
		add("overflow", "%q is not queue or reject", s.Overflow)
	}
	if s.Stagger < 0 || s.Stagger > 10*time.Second {
		add("stagger", "%v: want from 0s to 10s", s.Stagger)
	}
	if s.MasterZone != 0 && !slices.ContainsFunc(c.Zones, func(z Zone) bool { return z.ID == s.MasterZone }) {
		add("master_zone", "%d is not the id of a zone (0 for none)", s.MasterZone)
	}
	for key, d := range map[string]time.Duration{"master_lead": s.MasterLead, "master_lag": s.MasterLag} {
		if d < 0 || d > 5*time.Minute {
			add(key, "%v: want from 0s to 5m", d)
		}
	}
	if s.Watchdog < 100*time.Millisecond || s.Watchdog > time.Minute {
		add("watchdog", "%v: want from 100ms to 1m", s.Watchdog)
	}
	return errs
}

// Location is the agent's time zone.
func (c Config) Location() (*time.Location, error) {
	if c.Agent.Timezone == "" {
		return time.Local, nil
	}
	return time.LoadLocation(c.Agent.Timezone)
}

// RelayLines returns the relay line of each zone, in zone order.
func (c Config) RelayLines() []int {
	lines := make([]int, len(c.Zones))
	for i, z := range c.Zones {
		lines[i] = z.Line
	}
	return lines
}
