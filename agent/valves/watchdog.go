package valves

import (
	"time"

	"sprinkler/agent/clock"
	"sprinkler/topics"
)

// timerRef is a pending timer the controller may stop.
type timerRef = clock.Timer

// Start starts the watchdog: every Limits.Watchdog, while a relay is on or a run waits, it
// switches off any relay still on more than that past its run's end, or on without a run, and
// restarts a stalled queue. It guards against the agent's own bugs: a lost timer, a hung
// goroutine.
func (c *Controller) Start() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.watching {
		return
	}
	c.watching = true
	c.watchT = c.clock.AfterFunc(c.limits.Watchdog, c.watch)
}

// Stop stops the watchdog.
func (c *Controller) Stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.watching = false
	stop(&c.watchT)
}

func (c *Controller) watch() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.watching {
		return
	}
	now := c.clock.Now()
	grace := c.limits.Watchdog
	acted := false
	for _, z := range c.zones {
		if !z.open {
			continue
		}
		var late time.Duration
		switch {
		case z == c.master:
			if c.running() > 0 || c.waiting(now) || c.masterT != nil {
				continue
			}
		case z.run == nil:
		case now.After(z.run.endsAt.Add(grace)):
			late = now.Sub(z.run.endsAt)
		default:
			continue
		}
		c.forceOff(z, now, late)
		acted = true
	}
	if c.dispatchT == nil && c.next(now) != nil {
		c.dispatch(now)
		acted = true
	}
	if acted {
		c.save()
		c.signal()
	}
	c.watchT = nil
	if c.watched() {
		c.watchT = c.clock.AfterFunc(c.limits.Watchdog, c.watch)
	} // else it sleeps until wake: an idle agent has no timer ticking
}

// watched reports whether the watchdog has something to watch: a relay on or a run waiting.
// Called with mu held.
func (c *Controller) watched() bool {
	if c.waiting(c.clock.Now()) {
		return true
	}
	for _, z := range c.zones {
		if z.open {
			return true
		}
	}
	return false
}

// rouse restarts a sleeping watchdog, when a relay goes on or a run joins the queue. Called
// with mu held.
func (c *Controller) rouse() {
	if c.watching && c.watchT == nil {
		c.watchT = c.clock.AfterFunc(c.limits.Watchdog, c.watch)
	}
}

// forceOff switches z off because nothing else did.
func (c *Controller) forceOff(z *zone, now time.Time, late time.Duration) {
	c.log.Error("watchdog: relay left on; switching it off", "zone", z.ID, "late", late.Round(time.Millisecond), "has_run", z.run != nil)
	if err := c.bank.Set(z.index, false); err != nil {
		c.log.Error("watchdog: relay failed", "zone", z.ID, "err", err)
		return
	}
	e := c.event(topics.EventForcedOff, z, now, topics.SourceWatchdog)
	e.Message = "relay left on past its end"
	if r := z.run; r != nil {
		_ = c.finish(r, now, topics.SourceWatchdog, topics.ReasonForced)
		return
	}
	c.markOff(z, now, topics.SourceWatchdog)
	c.settleMaster(now)
}
