package daemon

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"sprinkler/agent/sensors"
	"sprinkler/topics"
)

// sensorSet is the agent's switch sensors and which zones ignore which.
type sensorSet struct {
	list   []*sensors.Sensor
	ignore map[int][]string // zone -> sensors it ignores
	loc    *time.Location
}

// openSensors opens every configured sensor: on the GPIO chip with the gpio relay driver, on
// the injected inputs in tests, else on simulated lines that read inactive. changed is told of
// every change.
func (d *Daemon) openSensors(driver string, loc *time.Location, changed func(name string, active bool)) (*sensorSet, error) {
	set := &sensorSet{ignore: map[int][]string{}, loc: loc}
	for _, z := range d.cfg.Zones {
		set.ignore[z.ID] = z.IgnoreSensors
	}
	for _, c := range d.cfg.Sensors {
		cfg := sensors.Config{Name: c.Name, Line: c.Line, ActiveLow: c.Active != "high", Pull: c.Pull,
			OnDelay: c.OnDelay, OffDelay: c.OffDelay, BlockManual: c.BlockManual}
		if cfg.Pull == "" {
			cfg.Pull = "up"
		}
		in, err := d.sensorInput(driver, cfg)
		if err != nil {
			set.close()
			return nil, fmt.Errorf("sensors: %s on line %d: %w", c.Name, c.Line, err)
		}
		s, err := sensors.Open(cfg, in, d.opts.Clock, changed)
		if err != nil {
			set.close()
			return nil, err
		}
		set.list = append(set.list, s)
	}
	return set, nil
}

func (d *Daemon) sensorInput(driver string, cfg sensors.Config) (sensors.Input, error) {
	if in, ok := d.opts.Inputs[cfg.Name]; ok {
		return in, nil
	}
	if driver == "gpio" {
		return sensors.OpenGPIO(d.cfg.Relays.Chip, cfg)
	}
	return sensors.NewSim(cfg.ActiveLow), nil // reads inactive
}

func (s *sensorSet) close() {
	for _, x := range s.list {
		_ = x.Close()
	}
}

// holding lists the active sensors that zone does not ignore, and that, with manual, also
// block manual runs.
func (s *sensorSet) holding(zone int, manual bool) []string {
	var out []string
	for _, x := range s.list {
		c := x.Config()
		if active, _ := x.State(); active && !slices.Contains(s.ignore[zone], c.Name) && (!manual || c.BlockManual) {
			out = append(out, c.Name)
		}
	}
	return out
}

// hold says why zone must not start a scheduled run now, or "".
func (s *sensorSet) hold(zone int) string {
	if names := s.holding(zone, false); len(names) > 0 {
		return fmt.Sprintf("sensor %s is active", names[0])
	}
	return ""
}

// blockManual refuses a manual run of a zone that an active sensor with block_manual holds.
func (s *sensorSet) blockManual(zone int) error {
	if names := s.holding(zone, true); len(names) > 0 {
		return topics.Errorf(topics.CodeUnavailable, "zone %d: sensor %s is active and blocks manual runs", zone, names[0])
	}
	return nil
}

// states are the sensors' states by name, for the snapshot and the retained topics.
func (s *sensorSet) states() map[string]topics.SensorStatus {
	out := make(map[string]topics.SensorStatus, len(s.list))
	for _, x := range s.list {
		active, since := x.State()
		out[x.Config().Name] = topics.SensorStatus{Active: active, Since: topics.At(since)}
	}
	return out
}

// statesOrNil is states, or nil without sensors (the snapshot then has no sensors key).
func (s *sensorSet) statesOrNil() map[string]topics.SensorStatus {
	if len(s.list) == 0 {
		return nil
	}
	return s.states()
}

// names are the sensors' names, sorted.
func (s *sensorSet) names() []string {
	var out []string
	for _, x := range s.list {
		out = append(out, x.Config().Name)
	}
	sort.Strings(out)
	return out
}
