package daemon

import (
	"fmt"
	"slices"
	"sync"
	"time"

	"sprinkler/agent/sensors"
	"sprinkler/agent/valves"
	"sprinkler/topics"
)

// switchDebounce filters a switch sensor's contact bounce in the kernel, before its delays.
const switchDebounce = 20 * time.Millisecond

// openSensors opens every configured sensor: on the GPIO chip with the gpio relay driver, on
// the injected inputs in tests, else on simulated lines that read inactive. changed is told of
// every change.
func (d *Daemon) openSensors(driver string, changed func(name string, active bool)) (*sensors.Set, error) {
	ignore := map[int][]string{}
	for _, z := range d.cfg.Zones {
		ignore[z.ID] = z.IgnoreSensors
	}
	set := sensors.NewSet(ignore)
	for _, c := range d.cfg.Sensors {
		cfg := sensors.Config{Name: c.Name, Line: c.Line, ActiveLow: c.Active != "high", Pull: c.Pull,
			OnDelay: c.OnDelay, OffDelay: c.OffDelay, BlockManual: c.BlockManual, Debounce: switchDebounce}
		if cfg.Pull == "" {
			cfg.Pull = "up"
		}
		in, err := d.sensorInput(driver, cfg)
		if err != nil {
			set.Close()
			return nil, fmt.Errorf("sensors: %s on line %d: %w", c.Name, c.Line, err)
		}
		s, err := sensors.Open(cfg, in, d.opts.Clock, changed)
		if err != nil {
			set.Close()
			return nil, err
		}
		set.Add(s)
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

// openFlow starts the flow meter, if one is configured: it publishes the retained flow state
// when it changes; on a leak it raises an event and shuts the master valve; a zone running alone
// far off its usual flow is closed with an event. fw receives every interval's water.
func (d *Daemon) openFlow(driver string, v *valves.Controller, post func(topic string, payload []byte), fw *sensors.ZoneFlow) (*sensors.Flow, error) {
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
			post(d.topics.FlowState(), mustJSON(topics.FlowState{TS: topics.Time{Time: s.At}, RateLPM: s.RateLPM, TotalL: s.TotalL}))
		}
		open := slices.DeleteFunc(v.OpenZones(), func(id int) bool { return id == d.cfg.Safety.MasterZone })
		if zone, event, why := fw.Sample(s.Litres, s.Span.Minutes(), open); zone != 0 {
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
