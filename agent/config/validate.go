package config

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"sprinkler/agent/balance"
	"sprinkler/agent/names"
	"sprinkler/agent/netvalve"
	"sprinkler/agent/relay"
	"sprinkler/broker/server"
	"sprinkler/configs"
	"sprinkler/topics"
)

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
	if err := topics.ValidClientID(c.MQTT.ClientID); err != nil {
		add("mqtt.client_id", "%v", err)
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
	if (c.Web.Cert == "") != (c.Web.Key == "") {
		add("web.cert", "%q with web.key %q: want both (the page over HTTPS) or neither", c.Web.Cert, c.Web.Key)
	}
	if f := c.Web.SignInFor; f != 0 && (f < time.Minute || f > 365*24*time.Hour) {
		add("web.signin_for", "%v: want 0 (no sign-ins kept) or from 1m to 8760h (a year)", f)
	}
	if c.Site.Latitude < -90 || c.Site.Latitude > 90 || math.IsNaN(c.Site.Latitude) {
		add("site.latitude", "%v: want -90 (south) to 90 (north) degrees", c.Site.Latitude)
	}
	if c.Site.Longitude < -180 || c.Site.Longitude > 180 || math.IsNaN(c.Site.Longitude) {
		add("site.longitude", "%v: want -180 (west) to 180 (east) degrees", c.Site.Longitude)
	}
	errs = append(errs, c.validateBanks()...)
	errs = append(errs, c.validateZones()...)
	errs = append(errs, c.validateSensors()...)
	errs = append(errs, c.validateWeather()...)
	return errors.Join(errs...)
}

func (c Config) validateSensors() []error {
	var errs []error
	names, lines := map[string]bool{}, c.gpioLines()
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
		c.validateSensorZones(s, add)
		if s.Topic != "" {
			c.validateTopicSensor(s, add)
		} else if s.Line < 0 || s.Line > MaxLine {
			add("line", "%d is not a GPIO line (0 to %d)", s.Line, MaxLine)
		} else if other, dup := lines[s.Line]; dup {
			add("line", "%d is also the line of %s", s.Line, other)
		}
		if s.Topic == "" {
			lines[s.Line] = s.Name
		}
		if s.Topic == "" && s.Active != "" && s.Active != "low" && s.Active != "high" {
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
		if f.Line < 0 || f.Line > MaxLine {
			add("line", "%d is not a GPIO line (0 to %d)", f.Line, MaxLine)
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
	ids, lines, outputs := map[int]int{}, map[int]int{}, map[relay.Output]int{}
	banks := map[string]relay.BankSpec{}
	for _, b := range c.Relays.Banks {
		banks[b.Name] = b.Spec()
	}
	devices := map[string]int{}
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
		switch b, ok := banks[z.Bank]; {
		case z.Bank == "" && z.Output != 0:
			add("output", "%d: an output is a bank's; name the bank (relays.banks), or give the zone its GPIO line", z.Output)
		case z.Bank == "" && (z.Line < 0 || z.Line > MaxLine):
			add("line", "%d is not a GPIO line (0 to %d)", z.Line, MaxLine)
		case z.Bank == "":
			if j, dup := lines[z.Line]; dup {
				add("line", "%d is also the line of zone %d", z.Line, c.Zones[j].ID)
			}
			lines[z.Line] = i
		case !ok:
			add("bank", "%q is not one of relays.banks", z.Bank)
		case netvalve.IsKind(b.Kind):
			c.validateNetValve(i, devices, add)
		case z.Device != "":
			add("device", "%q: a device is a network valve's; bank %s (%s) is wired", z.Device, z.Bank, b.Kind)
		case z.Output < 1 || z.Output > b.Outputs():
			add("output", "%d: bank %s (%s) has outputs 1 to %d", z.Output, z.Bank, b.Kind, b.Outputs())
		default:
			o := relay.Output{Bank: z.Bank, Index: z.Output}
			if j, dup := outputs[o]; dup {
				add("output", "%d of bank %s is also zone %d's", z.Output, z.Bank, c.Zones[j].ID)
			}
			outputs[o] = i
		}
		if z.Name != "" {
			if err := names.Check(z.Name); err != nil {
				add("name", "%v", err)
			}
		}
		for _, d := range []struct {
			field string
			v     time.Duration
		}{{"default_duration", z.DefaultDuration}, {"max_duration", z.MaxDuration}} {
			if d.v < shortestRun || d.v > longestRun {
				add(d.field, "%v: want from %v to %v, written like 10m or 1h30m", d.v, shortestRun, longestRun)
			}
		}
		if f := z.PlantFactor; f != 0 && (f < 0.1 || f > 2.5 || math.IsNaN(f)) {
			add("plant_factor", "%v: want 0.1 to 2.5 (1: as the durations are written)", f)
		}
		c.validateSoil(z, add)
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

// validateNetValve checks zone i's valve on a network bank: a device named as its kind names
// it, once, on an output its kind has, and no run longer than its own timer can bound.
func (c Config) validateNetValve(i int, devices map[string]int, add func(field, format string, args ...any)) {
	z := c.Zones[i]
	b, _ := c.bank(z.Bank)
	v := c.netValve(i, b)
	switch {
	case z.Device == "":
		add("device", "missing: name the valve's device on bank %s (%s)", z.Bank, b.Kind)
	case strings.ContainsAny(z.Device, "+#$ \x00") || strings.HasPrefix(z.Device, "/") || strings.HasSuffix(z.Device, "/") || len(z.Device) > 100:
		add("device", "%q: want a topic's name without wildcards, spaces or a leading or trailing /", z.Device)
	case b.Kind == netvalve.KindESPHome && strings.Count(z.Device, "/") != 1:
		add("device", "%q: want an ESPHome device's topic prefix and switch name, as garden-node/valve_1", z.Device)
	default:
		key := v.Base + " " + v.Name()
		if j, dup := devices[key]; dup {
			add("device", "%s is also zone %d's", v.Name(), c.Zones[j].ID)
		}
		devices[key] = i
	}
	switch b.Kind {
	case netvalve.KindTasmota, netvalve.KindShelly:
		if z.Output < 0 || z.Output > 32 {
			add("output", "%d: want the device's relay or switch, from 1 (default 1)", z.Output)
		}
	default:
		if z.Output != 0 {
			add("output", "%d: a %s device has one valve a zone; leave output out", z.Output, b.Kind)
		}
	}
	if z.Line != 0 {
		add("line", "%d: a network valve has no GPIO line; leave line out", z.Line)
	}
	for _, t := range v.Tree() {
		if err := server.CheckDeviceTree(t, c.MQTT.Prefix, c.HomeAssistant.Prefix); err != nil && z.Device != "" {
			add("device", "%q: %v", z.Device, err)
			break
		}
	}
	if z.ID == c.Safety.MasterZone {
		add("bank", "%s: the master valve follows the zones without a run's length, so it cannot be a network valve, which opens only with its own timer", z.Bank)
	}
	if longest := v.Longest(); longest > 0 && z.MaxDuration > longest-netvalve.Margin {
		add("max_duration", "%v: %s closes a valve by its own timer after at most %v, so a run may last at most %v",
			z.MaxDuration, b.Kind, longest, longest-netvalve.Margin)
	}
}

// validateSoil checks a zone's soil and sprinklers: each in a plausible range, and, once one is
// given, all that a water balance needs.
func (c Config) validateSoil(z Zone, add func(field, format string, args ...any)) {
	if z.Soil != "" {
		if _, err := balance.TextureNamed(z.Soil); err != nil {
			add("soil", "%v", err)
		}
	}
	for _, f := range []struct {
		field  string
		v      float64
		lo, hi float64
		unit   string
	}{
		{"available_water_mm_m", z.AvailableWaterMm, 20, 300, "mm a metre"}, {"root_depth_m", z.RootDepthM, 0.05, 3, "m"},
		{"depletion_fraction", z.DepletionP, 0.1, 0.9, ""}, {"precipitation_mm_h", z.PrecipMmPH, 0.5, 200, "mm/h"},
		{"area_m2", z.AreaM2, 0.1, 100000, "m²"}, {"infiltration_mm_h", z.IntakeMmPH, 0.5, 200, "mm/h"},
	} {
		if f.v != 0 && (f.v < f.lo || f.v > f.hi || math.IsNaN(f.v)) {
			add(f.field, "%v: want %g to %g %s", f.v, f.lo, f.hi, f.unit)
		}
	}
	given := z.Soil != "" || z.AvailableWaterMm != 0 || z.RootDepthM != 0 || z.PrecipMmPH != 0 || z.AreaM2 != 0
	if !given {
		return
	}
	switch {
	case z.Soil == "" && z.AvailableWaterMm == 0:
		add("soil", "a water balance needs the soil (or available_water_mm_m)")
	case z.RootDepthM == 0:
		add("root_depth_m", "a water balance needs the roots' depth (0.3 for a lawn, 0.5 to 1 for shrubs)")
	case z.PrecipMmPH == 0 && (z.AreaM2 == 0 || z.ExpectedLPM == 0):
		add("precipitation_mm_h", "a water balance needs what the sprinklers put down: precipitation_mm_h, or area_m2 with expected_lpm")
	case !c.Weather.Enabled():
		add("soil", "a water balance needs the weather: weather.inputs lists none")
	}
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

// validateBanks checks relays.banks: each named once, of a known kind, a shift register on lines
// of its own (apart from the zones' and from each other's), an expander on an I2C bus's device
// file at a 7-bit address no other bank has.
func (c Config) validateBanks() []error {
	var errs []error
	names, at := map[string]bool{}, map[string]string{}
	zoneLines := map[int]int{}
	for _, z := range c.Zones {
		if z.Bank == "" {
			zoneLines[z.Line] = z.ID
		}
	}
	used := map[int]string{}
	for i, b := range c.Relays.Banks {
		key, name := fmt.Sprintf("relays.banks[%d]", i), ""
		if topics.ValidAgentID(b.Name) == nil && !names[b.Name] {
			name = "relays.banks[" + b.Name + "]"
		}
		add := func(field, format string, args ...any) {
			errs = append(errs, configs.EntryErrorf(key, name, field, format, args...))
		}
		switch {
		case topics.ValidAgentID(b.Name) != nil:
			add("name", "%q: want 1-23 characters of a-z, 0-9 and '-'", b.Name)
		case names[b.Name]:
			add("name", "%q is used twice", b.Name)
		}
		names[b.Name] = true
		s := b.Spec()
		switch {
		case b.Network():
			c.validateNetBank(b, add)
		case b.Kind == relay.KindShiftRegister:
			if b.Boards < 0 || b.Boards > 8 {
				add("boards", "%d: want 1 to 8 boards of 8 outputs", b.Boards)
			}
			for _, l := range []struct {
				field string
				v     int
			}{{"data", s.Data}, {"clock", s.Clock}, {"latch", s.Latch}, {"enable", s.Enable}} {
				switch other, dup := used[l.v]; {
				case l.v < 0 || l.v > MaxLine:
					add(l.field, "%d is not a GPIO line (0 to %d)", l.v, MaxLine)
				case dup:
					add(l.field, "%d is also the line of %s", l.v, other)
				default:
					if id, ok := zoneLines[l.v]; ok {
						add(l.field, "%d is also the line of zone %d", l.v, id)
					}
				}
				used[l.v] = fmt.Sprintf("bank %s (%s)", b.Name, l.field)
			}
		case b.Kind == relay.KindMCP23017 || b.Kind == relay.KindPCF8574:
			if !i2cBus.MatchString(b.Bus) {
				add("bus", "%q: want an I2C bus's device file, such as /dev/i2c-1", b.Bus)
			}
			if b.Address < 0x03 || b.Address > 0x77 {
				add("address", "%#x: want a 7-bit address from 0x03 to 0x77 (an MCP23017 or a PCF8574 is at 0x20 to 0x27, a PCF8574A at 0x38 to 0x3f)", b.Address)
			} else if other, dup := at[fmt.Sprint(b.Bus, b.Address)]; dup {
				add("address", "%#x on %s is also bank %s's", b.Address, b.Bus, other)
			}
			at[fmt.Sprint(b.Bus, b.Address)] = b.Name
		default:
			add("kind", "%q: want one of %s", b.Kind, strings.Join(append(slices.Clone(relay.Kinds), netvalve.Kinds...), ", "))
		}
	}
	return errs
}

// validateNetBank checks a network bank's own keys.
func (c Config) validateNetBank(b Bank, add func(field, format string, args ...any)) {
	if b.BaseTopic != "" && (b.Kind != netvalve.KindZigbee2MQTT || strings.ContainsAny(b.BaseTopic, "+#/ ") || len(b.BaseTopic) > 64) {
		add("base_topic", "%q: want zigbee2mqtt's base topic, one level without wildcards (zigbee2mqtt by default); only zigbee2mqtt has one", b.BaseTopic)
	}
	if b.Confirm != 0 && (b.Confirm < time.Second || b.Confirm > 5*time.Minute) {
		add("confirm", "%v: want from 1s to 5m", b.Confirm)
	}
	switch {
	case b.Kind == netvalve.KindESPHome && (b.Timer < time.Minute || b.Timer > longestRun):
		add("timer", "%v: want the off timer the ESPHome firmware runs on every turn-on (an on_turn_on delay or a script), from 1m to %v: a run's length cannot be sent to it", b.Timer, longestRun)
	case b.Kind != netvalve.KindESPHome && b.Timer != 0:
		add("timer", "%v: only an ESPHome device needs its timer named; a %s device is sent each run's length", b.Timer, b.Kind)
	}
}

// i2cBus is an I2C bus's device file.
var i2cBus = regexp.MustCompile(`^/dev/i2c-[0-9]{1,3}$`)
