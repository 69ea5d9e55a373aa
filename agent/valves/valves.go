// Package valves owns the state of every zone: which valve is open, since when, until when and
// on whose word. Every relay change goes through its Controller, which bounds each run by its
// duration and closes the valve itself when the run ends, whatever happens to MQTT.
package valves

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"sprinkler/agent/clock"
	"sprinkler/agent/relay"
	"sprinkler/topics"
)

// Zone is the configuration of one zone.
type Zone struct {
	ID              int
	Name            string
	Line            int           // BCM GPIO line of its relay
	DefaultDuration time.Duration // for an open without a duration
	MaxDuration     time.Duration // no run lasts longer
}

// retryAfter is how soon a failed relay switch-off is tried again.
const retryAfter = time.Second

// maxPendingEvents bounds the events waiting to be published while MQTT is down.
const maxPendingEvents = 1000

// Controller switches the valves of the zones. It is safe for concurrent use.
type Controller struct {
	bank  relay.Bank
	clock clock.Clock
	log   *slog.Logger
	agent string

	mu      sync.Mutex
	zones   []*zone
	byID    map[int]*zone
	events  []topics.Event
	dropped int
	changed chan struct{}
}

type zone struct {
	Zone
	index  int
	open   bool
	since  time.Time
	endsAt time.Time
	source string
	timer  clock.Timer
}

// New returns a controller for zones on bank. It does no I/O; call Reset to drive every relay
// off before use.
func New(agent string, zones []Zone, bank relay.Bank, clk clock.Clock, log *slog.Logger) *Controller {
	c := &Controller{bank: bank, clock: clk, log: log, agent: agent, byID: map[int]*zone{}, changed: make(chan struct{}, 1)}
	for i, z := range zones {
		zz := &zone{Zone: z, index: i}
		c.zones = append(c.zones, zz)
		c.byID[z.ID] = zz
	}
	return c
}

// IDs returns the zone numbers in configuration order.
func (c *Controller) IDs() []int {
	ids := make([]int, len(c.zones))
	for i, z := range c.zones {
		ids[i] = z.ID
	}
	return ids
}

// Zones returns the configuration of every zone.
func (c *Controller) Zones() []Zone {
	out := make([]Zone, len(c.zones))
	for i, z := range c.zones {
		out[i] = z.Zone
	}
	return out
}

// Changed receives a value after the state changed or events were added; the publisher then
// reads Snapshot and TakeEvents. Changes made in between are coalesced.
func (c *Controller) Changed() <-chan struct{} { return c.changed }

// Reset drives every relay off, whatever the controller believes, and marks every zone closed
// by source. The agent calls it at start-up and at shutdown.
func (c *Controller) Reset(source string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	now := c.clock.Now()
	for _, z := range c.zones {
		if err := c.bank.Set(z.index, false); err != nil {
			errs = append(errs, fmt.Errorf("zone %d: %w", z.ID, err))
			continue
		}
		if z.open {
			c.setClosed(z, now, source)
		} else if z.since.IsZero() {
			z.since, z.source = now, source
		}
	}
	c.signal()
	return errors.Join(errs...)
}

// Open opens the zones ids for d (0: each zone's default; more than a zone's maximum is capped)
// on source's word. An already open zone gets the new end time. If a relay fails, the zones
// this call opened are closed again and nothing else changes.
func (c *Controller) Open(ids []int, d time.Duration, source string) ([]topics.ZoneChange, error) {
	return c.apply(ids, source, func(*zone) topics.Action { return topics.ActionOpen }, d)
}

// Close closes the zones ids on source's word.
func (c *Controller) Close(ids []int, source string) ([]topics.ZoneChange, error) {
	return c.apply(ids, source, func(*zone) topics.Action { return topics.ActionClose }, 0)
}

// Toggle opens the closed zones among ids for d and closes the open ones.
func (c *Controller) Toggle(ids []int, d time.Duration, source string) ([]topics.ZoneChange, error) {
	return c.apply(ids, source, func(z *zone) topics.Action {
		if z.open {
			return topics.ActionClose
		}
		return topics.ActionOpen
	}, d)
}

func (c *Controller) apply(ids []int, source string, action func(*zone) topics.Action, d time.Duration) ([]topics.ZoneChange, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	zs := make([]*zone, len(ids))
	for i, id := range ids {
		z, ok := c.byID[id]
		if !ok {
			return nil, topics.Errorf(topics.CodeUnknownZone, "no zone %d", id)
		}
		zs[i] = z
	}
	now := c.clock.Now()
	var changes []topics.ZoneChange
	var opened []*zone
	for _, z := range zs {
		if action(z) == topics.ActionClose {
			if err := c.closeZone(z, now, source); err != nil {
				return nil, err
			}
			changes = append(changes, topics.ZoneChange{Zone: z.ID, State: topics.StateClosed})
			continue
		}
		wasOpen := z.open
		change, err := c.openZone(z, now, d, source)
		if err != nil {
			for _, o := range opened {
				_ = c.closeZone(o, now, source)
			}
			return nil, err
		}
		if !wasOpen {
			opened = append(opened, z)
		}
		changes = append(changes, change)
	}
	c.signal()
	return changes, nil
}

// openZone opens z until now+d (bounded), or moves the end of its run. Called with mu held.
func (c *Controller) openZone(z *zone, now time.Time, d time.Duration, source string) (topics.ZoneChange, error) {
	var note string
	switch {
	case d <= 0:
		d = z.DefaultDuration
	case d > z.MaxDuration:
		note = fmt.Sprintf("duration %v capped to the zone's maximum %v", d, z.MaxDuration)
		d = z.MaxDuration
	}
	endsAt := now.Add(d)
	if !z.open {
		if err := c.bank.Set(z.index, true); err != nil {
			c.log.Error("relay failed", "zone", z.ID, "state", topics.StateOpen, "source", source, "err", err)
			return topics.ZoneChange{}, topics.Errorf(topics.CodeRelay, "zone %d: %v", z.ID, err)
		}
		z.open, z.since = true, now
		c.addEvent(topics.EventZoneOpened, z, now, source, endsAt)
	}
	z.source, z.endsAt = source, endsAt
	if z.timer != nil {
		z.timer.Stop()
	}
	z.timer = c.clock.AfterFunc(d, func() { c.expire(z, endsAt) })
	c.log.Info("zone open", "zone", z.ID, "name", z.Name, "source", source, "duration", d, "ends_at", endsAt)
	return topics.ZoneChange{Zone: z.ID, State: topics.StateOpen, EndsAt: topics.At(z.endsAt), Note: note}, nil
}

// closeZone closes z if it is open. Called with mu held.
func (c *Controller) closeZone(z *zone, now time.Time, source string) error {
	if !z.open {
		return nil
	}
	if err := c.bank.Set(z.index, false); err != nil {
		c.log.Error("relay failed", "zone", z.ID, "state", topics.StateClosed, "source", source, "err", err)
		return topics.Errorf(topics.CodeRelay, "zone %d: %v", z.ID, err)
	}
	c.setClosed(z, now, source)
	return nil
}

func (c *Controller) setClosed(z *zone, now time.Time, source string) {
	if z.timer != nil {
		z.timer.Stop()
		z.timer = nil
	}
	ran := now.Sub(z.since)
	z.open, z.since, z.endsAt, z.source = false, now, time.Time{}, source
	c.addEvent(topics.EventZoneClosed, z, now, source, time.Time{})
	c.log.Info("zone closed", "zone", z.ID, "name", z.Name, "source", source, "ran", ran.Round(time.Millisecond))
}

// expire ends z's run when its timer fires, unless the run was changed since. A relay that
// fails to switch off is tried again every retryAfter.
func (c *Controller) expire(z *zone, endsAt time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !z.open || !z.endsAt.Equal(endsAt) {
		return
	}
	if err := c.closeZone(z, c.clock.Now(), topics.SourceTimer); err != nil {
		z.timer = c.clock.AfterFunc(retryAfter, func() { c.expire(z, endsAt) })
		return
	}
	c.signal()
}

func (c *Controller) addEvent(typ string, z *zone, now time.Time, source string, endsAt time.Time) {
	if len(c.events) >= maxPendingEvents {
		c.events = c.events[1:]
		c.dropped++
	}
	c.events = append(c.events, topics.Event{Type: typ, Zone: z.ID, Source: source, TS: topics.Time{Time: now}, EndsAt: topics.At(endsAt)})
}

func (c *Controller) signal() {
	select {
	case c.changed <- struct{}{}:
	default:
	}
}

// TakeEvents returns the events since the last call, oldest first, and how many older ones
// were dropped because nobody took them.
func (c *Controller) TakeEvents() ([]topics.Event, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ev, dropped := c.events, c.dropped
	c.events, c.dropped = nil, 0
	return ev, dropped
}

// Snapshot returns every zone's state now.
func (c *Controller) Snapshot() topics.Snapshot {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := topics.Snapshot{Agent: c.agent, TS: topics.Time{Time: c.clock.Now()}, Zones: make(map[string]topics.ZoneStatus, len(c.zones))}
	for _, z := range c.zones {
		st := topics.ZoneStatus{
			Zone: z.ID, Name: z.Name, State: topics.StateClosed, Since: topics.At(z.since),
			Source: z.source, Line: z.Line, Pin: relay.HeaderPin(z.Line),
		}
		if z.open {
			st.State, st.EndsAt = topics.StateOpen, topics.At(z.endsAt)
		}
		s.Zones[topics.ZoneKey(z.ID)] = st
	}
	return s
}

// IsOpen reports whether zone id is open.
func (c *Controller) IsOpen(id int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	z, ok := c.byID[id]
	return ok && z.open
}
