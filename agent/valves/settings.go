package valves

import (
	"time"

	"sprinkler/topics"
)

// Settings are a zone's settings that may change while the agent runs.
type Settings struct {
	Name            string
	DefaultDuration time.Duration
	MaxDuration     time.Duration
	Group           string
	Disabled        bool
}

// SetZone changes zone id's settings. A maximum below what a started run of the zone still
// has to go is refused (close it first, or wait): no run lasts longer than its zone's maximum,
// whenever that changed. Runs waiting in the queue are shortened to the new maximum; a new
// group counts from the next turn-on.
func (c *Controller) SetZone(id int, s Settings) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	zs, err := c.lookup([]int{id})
	if err != nil {
		return err
	}
	return c.setZone(zs[0], s)
}

// setZone is SetZone with mu held.
func (c *Controller) setZone(z *zone, s Settings) error {
	id := z.ID
	switch {
	case s.Name == "":
		return topics.Errorf(topics.CodeBadRequest, "zone %d: a name is needed", id)
	case s.MaxDuration < time.Second:
		return topics.Errorf(topics.CodeBadRequest, "zone %d: a maximum run of %v; want at least 1s", id, s.MaxDuration)
	case s.DefaultDuration < time.Second || s.DefaultDuration > s.MaxDuration:
		return topics.Errorf(topics.CodeBadRequest, "zone %d: a default run of %v; want from 1s to its maximum %v", id, s.DefaultDuration, s.MaxDuration)
	}
	if r := z.run; r != nil && !r.started.IsZero() && r.endsAt.Sub(r.started) > s.MaxDuration {
		return topics.Errorf(topics.CodeBadRequest, "zone %d runs until %s, longer than a maximum of %v: close it, or change the maximum after it ends",
			id, r.endsAt.In(c.loc).Format(time.TimeOnly), s.MaxDuration)
	}
	if r := z.run; r != nil && r.started.IsZero() && r.d > s.MaxDuration {
		r.d = s.MaxDuration
	}
	if s.Disabled && z.run != nil {
		return topics.Errorf(topics.CodeBadRequest, "zone %d runs or waits (%s): close it before disabling it", id, z.run.source)
	}
	z.Name, z.DefaultDuration, z.MaxDuration, z.Group, z.Disabled = s.Name, s.DefaultDuration, s.MaxDuration, s.Group, s.Disabled
	c.log.Info("zone settings changed", "zone", id, "name", s.Name, "default", s.DefaultDuration, "max", s.MaxDuration, "group", s.Group, "disabled", s.Disabled)
	c.dispatch(c.clock.Now())
	c.signal()
	return nil
}

// disabled refuses a run of a zone among zs that is disabled.
func disabled(zs []*zone) error {
	for _, z := range zs {
		if z.Disabled {
			return topics.Errorf(topics.CodeBadRequest, "zone %d is disabled: it opens for nobody until it is enabled (zone_set)", z.ID)
		}
	}
	return nil
}

// Disabled reports whether zone id is disabled.
func (c *Controller) Disabled(id int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	z, ok := c.byID[id]
	return ok && z.Disabled
}

// SetMaxOpen changes how many valves may open at once, from the next turn-on; the runs open
// already go on. The caller keeps n within what the power supply allows (safety.max_open).
func (c *Controller) SetMaxOpen(n int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n < 1 {
		return topics.Errorf(topics.CodeBadRequest, "max_open %d: want at least 1", n)
	}
	c.limits.MaxOpen = n
	c.log.Info("power budget changed", "max_open", n)
	c.dispatch(c.clock.Now())
	c.signal()
	return nil
}
