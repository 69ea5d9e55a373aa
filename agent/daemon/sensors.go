package daemon

import (
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"sprinkler/agent/sensors"
	"sprinkler/agent/valves"
	"sprinkler/topics"
)

// switchDebounce filters a switch sensor's contact bounce in the kernel, before its delays.
const switchDebounce = 20 * time.Millisecond

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
			OnDelay: c.OnDelay, OffDelay: c.OffDelay, BlockManual: c.BlockManual, Debounce: switchDebounce}
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

// openFlow starts the flow meter, if one is configured: it publishes the retained flow state
// when it changes; on a leak it raises an event and shuts the master valve; a zone running alone
// far off its usual flow is closed with an event. fw receives every interval's water.
func (d *Daemon) openFlow(driver string, v *valves.Controller, pub publisher, fw *flowWatch) (*sensors.Flow, error) {
	c := d.cfg.Flow
	if c.PulsesPerLitre <= 0 {
		return nil, nil
	}
	// The meter's line: no debounce, and on simulated relays a line without pulses.
	in, err := d.sensorInput(driver, sensors.Config{Name: "flow", Line: c.Line, Pull: c.Pull})
	if err != nil {
		return nil, fmt.Errorf("flow meter on line %d: %w", c.Line, err)
	}
	leak := &sensors.Leak{ThresholdLPM: c.LeakLPM, Grace: c.LeakGrace}
	var mu sync.Mutex
	var last sensors.FlowSample
	cfg := sensors.FlowConfig{Line: c.Line, Pull: c.Pull, PulsesPerLitre: c.PulsesPerLitre, Interval: c.Interval}
	return sensors.OpenFlow(cfg, in, d.opts.Clock, func(s sensors.FlowSample) {
		mu.Lock()
		changed := s.RateLPM != last.RateLPM || s.TotalL != last.TotalL // the time alone is no change
		last = s
		mu.Unlock()
		if changed {
			pub.Publish(d.topics.FlowState(), true, mustJSON(topics.FlowState{TS: topics.Time{Time: s.At}, RateLPM: s.RateLPM, TotalL: s.TotalL}))
		}
		open := slices.DeleteFunc(v.OpenZones(), func(id int) bool { return id == d.cfg.Safety.MasterZone })
		if zone, event, why := fw.sample(s.Litres, s.Span.Minutes(), open); zone != 0 {
			d.log.Error("flow: "+why, "zone", zone)
			v.AddEvent(topics.Event{Type: event, Zone: zone, Source: "flow", Message: why})
			if _, err := v.Close([]int{zone}, "flow"); err != nil {
				d.log.Error("flow: the zone did not close", "zone", zone, "err", err)
			}
		}
		if leak.Check(s, len(open) > 0) {
			msg := fmt.Sprintf("%.2f l/min flows while every valve is closed", s.RateLPM)
			d.log.Error("leak: "+msg, "rate_lpm", s.RateLPM)
			v.AddEvent(topics.Event{Type: topics.EventLeak, Source: "flow", Message: msg})
			if err := v.ShutMaster(topics.EventLeak); err != nil {
				d.log.Error("leak: the master valve did not close", "err", err)
			}
		}
	}), nil
}
