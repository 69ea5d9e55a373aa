package valves

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"sprinkler/topics"
)

// MaxPause bounds a pause; a longer stop is a rain delay or automatic runs off.
const MaxPause = 24 * time.Hour

// Pause closes every open zone for d and keeps what is left of each run: those runs go back to
// the head of the queue, in the order they started, and wait with the rest of the queue until
// the pause ends, after d or on Unpause. Runs asked for meanwhile wait too. Pausing while
// paused sets the new end. It returns the zones it closed and the end.
func (c *Controller) Pause(d time.Duration, source string) ([]int, time.Time, error) {
	if d < time.Second || d > MaxPause {
		return nil, time.Time{}, topics.Errorf(topics.CodeBadRequest, "a pause of %v: want from 1s to %v", d, MaxPause)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.clock.Now()
	var held []*run
	var closed []int
	var err error
	for _, z := range c.zones {
		r := z.run
		if r == nil || r.started.IsZero() {
			continue
		}
		left := r.endsAt.Sub(now)
		if left < time.Second {
			err = cmp.Or(err, c.finish(r, now, source, topics.ReasonFinished))
			continue
		}
		if e := c.switchOff(z, now, source); e != nil {
			err = cmp.Or(err, e) // the run stays open; its timer or the watchdog ends it
			continue
		}
		stop(&r.timer)
		c.event(topics.EventRunFinished, z, now, source).Reason = topics.ReasonPaused
		c.ended(r, now, source, topics.ReasonPaused)
		held = append(held, r)
		closed = append(closed, z.ID)
	}
	slices.SortFunc(held, func(a, b *run) int { return a.started.Compare(b.started) })
	for _, r := range held {
		r.d, r.started, r.endsAt = r.endsAt.Sub(now), time.Time{}, time.Time{}
	}
	c.queue = append(held, c.queue...)
	c.pauseUntil(now.Add(d))
	e := c.note(topics.EventPaused, 0, now, source)
	e.EndsAt = topics.At(c.pausedUntil)
	e.Message = fmt.Sprintf("closed %d zone(s) %s; %d run(s) wait", len(closed), topics.JoinZones(closed), len(c.queue))
	c.log.Info("paused", "until", c.pausedUntil, "closed", closed, "waiting", len(c.queue), "by", source)
	c.settleMaster(now)
	c.save()
	c.signal()
	return closed, c.pausedUntil, err
}

// pauseUntil holds every start until end, when the queue goes on. Called with mu held.
func (c *Controller) pauseUntil(end time.Time) {
	stop(&c.dispatchT)
	stop(&c.pauseT)
	c.pausedUntil = end
	c.pauseT = c.clock.AfterFunc(end.Sub(c.clock.Now()), func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if now := c.clock.Now(); !now.Before(c.pausedUntil) && !c.pausedUntil.IsZero() {
			c.unpause(now, topics.SourceTimer)
		}
	})
}

// Unpause ends a pause now: the runs it kept and the queue start in turn. It reports whether
// a pause was on.
func (c *Controller) Unpause(source string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.clock.Now()
	if !now.Before(c.pausedUntil) {
		return false
	}
	c.unpause(now, source)
	return true
}

// unpause ends the pause with mu held.
func (c *Controller) unpause(now time.Time, source string) {
	stop(&c.pauseT)
	c.pausedUntil = time.Time{}
	c.note(topics.EventUnpaused, 0, now, source).Message = fmt.Sprintf("%d run(s) go on", len(c.queue))
	c.log.Info("pause over", "waiting", len(c.queue), "by", source)
	if len(c.queue) > 0 {
		c.rouse()
	}
	c.dispatch(now)
	c.save()
	c.signal()
}

// PausedUntil returns the end of the pause, or the zero time when none is on.
func (c *Controller) PausedUntil() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.clock.Now().Before(c.pausedUntil) {
		return time.Time{}
	}
	return c.pausedUntil
}
