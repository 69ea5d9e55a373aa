package daemon

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"sprinkler/agent/reading"
	"sprinkler/agent/sensors"
	"sprinkler/agent/valves"
	"sprinkler/topics"
)

// switchDebounce filters a switch sensor's contact bounce in the kernel, before its delays.
const switchDebounce = 20 * time.Millisecond

// openSensors opens every configured sensor: a topic sensor on its topic, whose feed goes
// into feeds; a line on the GPIO chip with the gpio relay driver, on the injected inputs in
// tests, else on a simulated line that reads inactive. told hears what became of a sensor.
func (d *Daemon) openSensors(driver string, feeds map[string]func([]byte, bool) error, told func(name, what string)) (*sensors.Set, error) {
	ignore := map[int][]string{}
	for _, z := range d.cfg.Zones {
		ignore[z.ID] = z.IgnoreSensors
	}
	set := sensors.NewSet(ignore)
	changed := func(name string, active bool) {
		told(name, "is "+map[bool]string{true: "active", false: "inactive"}[active])
	}
	for _, c := range d.cfg.Sensors {
		cfg := sensors.Config{Name: c.Name, Line: c.Line, ActiveLow: c.Active != "high", Pull: c.Pull,
			OnDelay: c.OnDelay, OffDelay: c.OffDelay, BlockManual: c.BlockManual, Debounce: switchDebounce, Zones: c.Zones}
		if cfg.Pull == "" {
			cfg.Pull = "up"
		}
		var in sensors.Input
		var err error
		if c.Topic != "" {
			cfg.ActiveLow = false
			p, _ := reading.Parse(c.Path) // validated
			name, age := c.Name, c.MaxAge
			t := sensors.NewTopic(sensors.TopicConfig{Path: p, Threshold: c.Threshold, Hysteresis: c.Hysteresis, Below: c.Active == "below", MaxAge: c.MaxAge},
				d.opts.Clock, func(stale bool) {
					if stale {
						told(name, fmt.Sprintf("is silent for %v: it holds no run until it reports again", age))
					} else {
						told(name, "reports again")
					}
				})
			addFeed(feeds, c.Topic, func(payload []byte, _ bool) error { return t.Feed(payload) })
			in = t
		} else if in, err = d.sensorInput(driver, cfg); err != nil {
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

// addFeed adds fn to the feeds of topic: a topic may carry a sensor and weather inputs both.
func addFeed(feeds map[string]func([]byte, bool) error, topic string, fn func([]byte, bool) error) {
	before := feeds[topic]
	if before == nil {
		feeds[topic] = fn
		return
	}
	feeds[topic] = func(payload []byte, retained bool) error {
		return errors.Join(before(payload, retained), fn(payload, retained))
	}
}
