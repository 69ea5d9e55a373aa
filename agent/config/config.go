// Package config is the agent's configuration: its structure, defaults, loading from a YAML
// file with SPRINKLER_* environment overrides, and validation with every error naming the
// file, line and key.
package config

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"sprinkler/agent/balance"
	"sprinkler/agent/netvalve"
	"sprinkler/agent/relay"
	"sprinkler/agent/schedule"
	"sprinkler/agent/valves"
	"sprinkler/broker/server"
	"sprinkler/configs"
	"sprinkler/topics"
)

// Config is the whole agent configuration.
type Config struct {
	// Source is the file the configuration was read from; "" when none was (defaults and the
	// environment only). Settings changed at run time are written back into it.
	Source        string        `mapstructure:"-"`
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
	// Sensors are switch sensors on GPIO input lines or MQTT topics (rain, soil moisture).
	Sensors []Sensor `mapstructure:"sensors"`
	Flow    Flow     `mapstructure:"flow"`
	Weather Weather  `mapstructure:"weather"`
}

// Weather is the weather.* section: the water level from local weather; off without inputs.
type Weather struct {
	// At is the local time of the daily computation, before the first run (HH:MM).
	At string `mapstructure:"at"`
	// BaselineMm is the ET0 (mm a day) of a day on which the programs' durations are right.
	BaselineMm float64 `mapstructure:"baseline_et0_mm"`
	// BalanceDays bounds the days since the last watering that the water balance weighs.
	BalanceDays int `mapstructure:"balance_days"`
	// RainFactor is the part of measured rain that counts in the balance.
	RainFactor float64 `mapstructure:"rain_factor"`
	// RainSkipMm and ForecastSkipMm: rain of the last 24 h, or forecast for the next 24 h, at
	// or above these skips the day's runs of the zones that follow the water level; 0: never.
	RainSkipMm     float64 `mapstructure:"rain_skip_mm"`
	ForecastSkipMm float64 `mapstructure:"forecast_skip_mm"`
	// FallbackDays is how long the last computed level is kept without fresh weather, before
	// 100 %.
	FallbackDays int `mapstructure:"fallback_days"`
	// LightRainMm: a day's rain below it wets only the surface and evaporates: it does not
	// count in a zone's balance (FAO-56: rain under about 0.2 ET0).
	LightRainMm float64 `mapstructure:"light_rain_mm"`
	// WindSkipMS and FrostSkipC hold a run that follows the weather when it would start: wind
	// above WindSkipMS (m/s at 2 m; 0: never), air below FrostSkipC (°C; not given: never).
	WindSkipMS float64  `mapstructure:"wind_skip_ms"`
	FrostSkipC *float64 `mapstructure:"frost_skip_c"`
	// Coastal: the garden is near a large body of water (FAO-56's kRs 0.19 instead of 0.16
	// for radiation estimated from the temperature range).
	Coastal bool           `mapstructure:"coastal"`
	Inputs  []WeatherInput `mapstructure:"inputs"`
}

// WeatherInput is one entry of weather.inputs: where a quantity comes from.
type WeatherInput struct {
	Quantity string `mapstructure:"quantity"`
	Topic    string `mapstructure:"topic"`
	// Path is where the value is in a JSON payload (outdoor.humidity); empty: the payload is the
	// value.
	Path   string        `mapstructure:"path"`
	Unit   string        `mapstructure:"unit"`
	MaxAge time.Duration `mapstructure:"max_age"`
	// HeightM is the anemometer's height above the ground (wind).
	HeightM float64 `mapstructure:"height_m"`
	// Total says a rain gauge sends its running total, not each event's rain.
	Total bool `mapstructure:"total"`
}

// Enabled reports whether the weather sets the water level.
func (w Weather) Enabled() bool { return len(w.Inputs) > 0 }

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

// Sensor is one entry of sensors: a GPIO line, or with Topic an MQTT topic.
type Sensor struct {
	Name string `mapstructure:"name"`
	Line int    `mapstructure:"line"`
	// Active is, on a line, "low" (a switch to ground; the default) or "high"; on a topic,
	// "above" (the default: active at or above the threshold, a wet probe) or "below".
	Active      string        `mapstructure:"active"`
	Pull        string        `mapstructure:"pull"` // "up" (the default), "down" or "none"
	OnDelay     time.Duration `mapstructure:"on_delay"`
	OffDelay    time.Duration `mapstructure:"off_delay"`
	BlockManual bool          `mapstructure:"block_manual"`
	// Zones, when given, are the only zones the sensor holds (a soil probe in one bed).
	Zones []int `mapstructure:"zones"`
	// Topic, Path: the sensor is the value on an MQTT topic (at a path into its JSON), a number
	// against Threshold with Hysteresis, or a switch word (ON/OFF, true/false) without one.
	Topic      string   `mapstructure:"topic"`
	Path       string   `mapstructure:"path"`
	Threshold  *float64 `mapstructure:"threshold"`
	Hysteresis float64  `mapstructure:"hysteresis"`
	// MaxAge: a topic sensor silent for longer stops holding runs; 0: never stale.
	MaxAge time.Duration `mapstructure:"max_age"`
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
	Elevation float64 `mapstructure:"elevation"` // metres above sea level, for ET0
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
	// Banks are relay banks beside the Pi's own lines; a zone names its bank and output.
	Banks []Bank `mapstructure:"banks"`
}

// Bank is one entry of relays.banks: a shift-register chain (relay.KindShiftRegister) on GPIO
// lines of relays.chip, or an I2C expander (relay.KindMCP23017, relay.KindPCF8574).
type Bank struct {
	Name string `mapstructure:"name"`
	Kind string `mapstructure:"kind"`
	// A shift register's lines (BCM numbers; each defaults to the OpenSprinkler Pi's) and its
	// boards, eight outputs each.
	Data   *int `mapstructure:"data"`
	Clock  *int `mapstructure:"clock"`
	Latch  *int `mapstructure:"latch"`
	Enable *int `mapstructure:"enable"`
	Boards int  `mapstructure:"boards"`
	// An expander's bus (/dev/i2c-1) and 7-bit address (0x20).
	Bus     string `mapstructure:"bus"`
	Address int    `mapstructure:"address"`
	// ActiveLow: an output closes its relay when low.
	ActiveLow bool `mapstructure:"active_low"`
	// A network kind's (netvalve.Kinds): zigbee2mqtt's base topic; whether its valves hold
	// slots of the power budget (default: not for zigbee2mqtt's battery valves, yes for the
	// others' relays); how long a device has to confirm a command; and an ESPHome firmware's own
	// off timer.
	BaseTopic string        `mapstructure:"base_topic"`
	Budget    *bool         `mapstructure:"budget"`
	Confirm   time.Duration `mapstructure:"confirm"`
	Timer     time.Duration `mapstructure:"timer"`
}

// Network reports whether the bank's valves are on the network.
func (b Bank) Network() bool { return netvalve.IsKind(b.Kind) }

// InBudget reports whether the bank's valves hold slots of the power budget.
func (b Bank) InBudget() bool {
	if b.Budget != nil {
		return *b.Budget
	}
	return b.Kind != netvalve.KindZigbee2MQTT
}

// Spec is the bank as the relay package opens it, the OpenSprinkler Pi's lines where none is
// given and one board by default.
func (b Bank) Spec() relay.BankSpec {
	line := func(v *int, def int) int {
		if v == nil {
			return def
		}
		return *v
	}
	return relay.BankSpec{Name: b.Name, Kind: b.Kind, Data: line(b.Data, relay.OSPiData), Clock: line(b.Clock, relay.OSPiClock),
		Latch: line(b.Latch, relay.OSPiLatch), Enable: line(b.Enable, relay.OSPiEnable), Boards: max(b.Boards, 1),
		Bus: b.Bus, Address: b.Address, ActiveLow: b.ActiveLow}
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
	// SignInFor is how long a sign-in on the page lasts: the browser keeps a token that stands
	// for the password, never the password; 0 turns sign-ins off (the page asks every time).
	SignInFor time.Duration `mapstructure:"signin_for"`
	// Cert and Key serve the page over HTTPS (PEM files, both or neither; the broker's own
	// broker.tls pair will do), read again when they change; empty: plain HTTP.
	Cert string `mapstructure:"cert"`
	Key  string `mapstructure:"key"`
}

// System is the system.* section.
type System struct {
	// RebootCommand is run by the reboot command after the agent stopped, e.g.
	// [systemctl, reboot]; empty refuses reboot.
	RebootCommand []string `mapstructure:"reboot_command"`
}

// Zone is one entry of the zones list.
type Zone struct {
	ID   int    `mapstructure:"id"`
	Name string `mapstructure:"name"`
	Line int    `mapstructure:"line"` // its relay's GPIO line, when it has no bank
	// Bank names the relays.banks entry its relay is on, and Output which of its outputs
	// (from 1); no bank: the Pi's line Line.
	Bank   string `mapstructure:"bank"`
	Output int    `mapstructure:"output"`
	// Device is its network valve's device, on a bank of a network kind: the zigbee2mqtt
	// friendly name, the Tasmota topic, the Shelly topic prefix, or "<prefix>/<switch>" of an
	// ESPHome device; Output is then the Tasmota relay or Shelly switch, from 1.
	Device          string        `mapstructure:"device"`
	DefaultDuration time.Duration `mapstructure:"default_duration"`
	MaxDuration     time.Duration `mapstructure:"max_duration"`
	// IgnoreSensors names sensors that do not hold this zone back (a zone under a roof).
	IgnoreSensors []string `mapstructure:"ignore_sensors"`
	// ExpectedLPM is the zone's usual flow, litres a minute; 0: learned from its runs.
	ExpectedLPM float64 `mapstructure:"expected_lpm"`
	// Group names a sequential group: zones of one group never run at the same time.
	// Empty: the zone runs beside any other, as the power budget allows.
	Group string `mapstructure:"group"`
	// Enabled false: the zone opens for nobody and the schedule skips it (default true).
	Enabled *bool `mapstructure:"enabled"`
	// WaterLevel false: the zone's runs ignore the water level, even in a program that follows
	// it (a bed of pots, say; default true).
	WaterLevel *bool `mapstructure:"water_level"`
	// PlantFactor scales the water level for this zone's plants: 1 for a lawn the durations
	// were set for, less for shrubs or drip (default 1).
	PlantFactor float64 `mapstructure:"plant_factor"`
	// The soil and the sprinklers, for a water balance of the zone in millimetres (package
	// balance); a zone that gives them is watered by its balance in the programs that follow
	// the water level.
	Soil             string  `mapstructure:"soil"`                 // a texture of FAO-56 table 19: loam, sandy_loam, ...
	AvailableWaterMm float64 `mapstructure:"available_water_mm_m"` // mm a metre between field capacity and wilting point; 0: the soil's
	RootDepthM       float64 `mapstructure:"root_depth_m"`         // how deep the roots take water
	DepletionP       float64 `mapstructure:"depletion_fraction"`   // the share of it taken without stress (FAO-56 p); 0: 0.5
	PrecipMmPH       float64 `mapstructure:"precipitation_mm_h"`   // what the sprinklers put down; 0: expected_lpm over area_m2
	AreaM2           float64 `mapstructure:"area_m2"`              // the area the zone waters
	IntakeMmPH       float64 `mapstructure:"infiltration_mm_h"`    // what the soil takes in; 0: the soil's
}

// On reports whether the zone is enabled.
func (z Zone) On() bool { return z.Enabled == nil || *z.Enabled }

// Settings are the zone's settings the governor may change while the agent runs.
func (z Zone) Settings() valves.Settings {
	return valves.Settings{Name: z.Name, DefaultDuration: z.DefaultDuration, MaxDuration: z.MaxDuration, Group: z.Group, Disabled: !z.On()}
}

// FollowsLevel reports whether the zone's runs follow the water level.
func (z Zone) FollowsLevel() bool { return z.WaterLevel == nil || *z.WaterLevel }

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
	c.Source = f.Path
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

// ScheduleEnv is what the profile file is checked against: every zone but the master valve,
// with its longest run, and the site when it is known.
func (c Config) ScheduleEnv() schedule.Env {
	env := schedule.Env{Zones: schedule.Zones{}}
	for _, z := range c.Zones {
		if z.ID != c.Safety.MasterZone {
			env.Zones[z.ID] = z.MaxDuration
		}
	}
	if c.Site.Known() {
		env.Site = &schedule.Site{Latitude: c.Site.Latitude, Longitude: c.Site.Longitude}
	}
	return env
}

// defaultDepletionP is FAO-56's p for most turf and garden crops (table 22: 0.4 to 0.6).
const defaultDepletionP = 0.5

// Balance is the zone's water balance parameters, and whether it keeps one: it does when it
// says its soil (or the water it holds), its roots' depth and its sprinklers' rate (or its area
// and usual flow).
func (z Zone) Balance() (balance.Zone, bool) {
	mmPerM, intake := z.AvailableWaterMm, z.IntakeMmPH
	if t, err := balance.TextureNamed(z.Soil); err == nil {
		if mmPerM == 0 {
			mmPerM = t.MmPerM()
		}
		if intake == 0 {
			intake = t.IntakeMmPH
		}
	}
	rate := z.PrecipMmPH
	if rate == 0 && z.AreaM2 > 0 {
		rate = z.ExpectedLPM * 60 / z.AreaM2 // 1 L/m² is 1 mm
	}
	p := z.DepletionP
	if p == 0 {
		p = defaultDepletionP
	}
	b := balance.Zone{TAWmm: balance.TAW(mmPerM, z.RootDepthM), P: p, Kc: z.Factor(), RateMmPH: rate, IntakeMmPH: intake, AreaM2: z.AreaM2}
	return b, b.TAWmm > 0 && b.RateMmPH > 0
}

// Factor is the zone's plant factor (1 when not given).
func (z Zone) Factor() float64 {
	if z.PlantFactor == 0 {
		return 1
	}
	return z.PlantFactor
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
		zones[i] = valves.Zone{ID: z.ID, Name: z.Name, Line: z.Line, Bank: z.Bank, Output: z.Output, DefaultDuration: z.DefaultDuration,
			MaxDuration: z.MaxDuration, Group: z.Group, Disabled: !z.On()}
		if b, ok := c.bank(z.Bank); ok && b.Network() {
			zones[i].Device, zones[i].OffBudget, zones[i].Line = c.netValve(i, b).Name(), !b.InBudget(), 0
		}
	}
	return zones
}

// bank returns the relays.banks entry named name.
func (c Config) bank(name string) (Bank, bool) {
	i := slices.IndexFunc(c.Relays.Banks, func(b Bank) bool { return b.Name == name })
	if name == "" || i < 0 {
		return Bank{}, false
	}
	return c.Relays.Banks[i], true
}

// NetValves are the zones' valves on the network.
func (c Config) NetValves() []netvalve.Valve {
	var vs []netvalve.Valve
	for i, z := range c.Zones {
		if b, ok := c.bank(z.Bank); ok && b.Network() {
			vs = append(vs, c.netValve(i, b))
		}
	}
	return vs
}

// netValve is zone i's valve on network bank b, with the bank's defaults.
func (c Config) netValve(i int, b Bank) netvalve.Valve {
	z := c.Zones[i]
	v := netvalve.Valve{Zone: z.ID, Index: i, Kind: b.Kind, Device: z.Device, Channel: max(z.Output, 1), Base: b.BaseTopic,
		Confirm: b.Confirm, Timer: b.Timer, Source: topics.AgentClientPrefix + c.Agent.ID}
	if v.Base == "" && b.Kind == netvalve.KindZigbee2MQTT {
		v.Base = "zigbee2mqtt" // zigbee2mqtt's own default
	}
	if v.Confirm == 0 {
		v.Confirm = 10 * time.Second
		if b.Kind == netvalve.KindZigbee2MQTT {
			v.Confirm = 30 * time.Second // a battery valve wakes to poll its parent every few seconds
		}
	}
	return v
}

// DeviceTrees are what the network valves' devices read and write on the broker, as MQTT
// filters, for the embedded broker's ACL.
func (c Config) DeviceTrees() []string {
	var out []string
	for _, v := range c.NetValves() {
		for _, t := range v.Tree() {
			if !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
	}
	return out
}

// Location is the agent's time zone.
func (c Config) Location() (*time.Location, error) {
	if c.Agent.Timezone == "" {
		return time.Local, nil
	}
	return time.LoadLocation(c.Agent.Timezone)
}

// RelayConfig is the relays as the relay package opens them, the zones in order.
func (c Config) RelayConfig() relay.Config {
	r := relay.Config{Driver: c.Relays.Driver, Chip: c.Relays.Chip, ActiveLow: c.Relays.ActiveLow, Lines: make([]int, len(c.Zones))}
	for i, z := range c.Zones {
		r.Lines[i] = z.Line
	}
	if len(c.Relays.Banks) == 0 {
		return r
	}
	for _, b := range c.Relays.Banks {
		if !b.Network() {
			r.Banks = append(r.Banks, b.Spec())
		}
	}
	for _, z := range c.Zones {
		o := relay.Output{}
		if b, ok := c.bank(z.Bank); ok && b.Network() {
			o.Network = true
		} else if z.Bank != "" {
			o = relay.Output{Bank: z.Bank, Index: z.Output - 1}
		}
		r.Outputs = append(r.Outputs, o)
	}
	return r
}

// gpioLines names what uses each GPIO line of relays.chip: the zones without a bank and the
// shift registers' lines.
func (c Config) gpioLines() map[int]string {
	lines := map[int]string{}
	for _, z := range c.Zones {
		if z.Bank == "" {
			lines[z.Line] = fmt.Sprintf("zone %d", z.ID)
		}
	}
	for _, b := range c.Relays.Banks {
		if b.Kind != relay.KindShiftRegister {
			continue
		}
		s := b.Spec()
		for name, l := range map[string]int{"data": s.Data, "clock": s.Clock, "latch": s.Latch, "enable": s.Enable} {
			lines[l] = fmt.Sprintf("bank %s (%s)", b.Name, name)
		}
	}
	return lines
}
