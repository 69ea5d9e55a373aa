package valves

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"sprinkler/agent/clock"
	"sprinkler/agent/relay"
	"sprinkler/topics"
)

// Reset drives every relay off, the master's too, whatever the controller believes; it
// forgets every run and the queue. The agent calls it at start-up and at shutdown.
func (c *Controller) Reset(source string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.clock.Now()
	stop(&c.dispatchT)
	stop(&c.masterT)
	stop(&c.pauseT)
	c.pausedUntil = time.Time{}
	c.queue = nil
	var errs []error
	for _, z := range c.zones {
		if r := z.run; r != nil {
			stop(&r.timer)
			if !r.started.IsZero() {
				c.event(topics.EventRunFinished, z, now, source).Reason = topics.ReasonShutdown
				c.ended(r, now, source, topics.ReasonShutdown)
			}
			z.run = nil
		}
		if err := c.bank.Set(z.index, false); err != nil {
			errs = append(errs, fmt.Errorf("zone %d: %w", z.ID, err))
			continue
		}
		if z.open {
			c.markOff(z, now, source)
		} else if z.since.IsZero() {
			z.since, z.source = now, source
		}
	}
	c.save()
	c.signal()
	return errors.Join(errs...)
}

func stop(t *timerRef) {
	if *t != nil {
		(*t).Stop()
		*t = nil
	}
}

// Open asks for the zones ids to water for d each (0: each zone's default; more than a zone's
// maximum is capped), on source's word. A zone that runs already gets the new end. Runs beyond
// the power budget wait in the queue or are refused, as the overflow policy says, and turn-ons
// are spaced by the stagger. If a relay fails, the zones this call opened are closed again.
func (c *Controller) Open(ids []int, d time.Duration, source string) ([]topics.ZoneChange, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	zs, err := c.lookup(ids)
	if err != nil {
		return nil, err
	}
	changes, err := c.open(zs, d, source, c.clock.Now())
	c.save()
	c.signal()
	return changes, err
}

// Close ends the runs of the zones ids, started or queued, on source's word.
func (c *Controller) Close(ids []int, source string) ([]topics.ZoneChange, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	zs, err := c.lookup(ids)
	if err != nil {
		return nil, err
	}
	changes, err := c.close(zs, source, c.clock.Now())
	c.save()
	c.signal()
	return changes, err
}

// Toggle closes the zones among ids that run or wait, and opens the others for d.
func (c *Controller) Toggle(ids []int, d time.Duration, source string) ([]topics.ZoneChange, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	zs, err := c.lookup(ids)
	if err != nil {
		return nil, err
	}
	var on, off []*zone
	for _, z := range zs {
		if z.run != nil || z.open {
			off = append(off, z)
		} else {
			on = append(on, z)
		}
	}
	if err := disabled(on); err != nil { // before anything closes: a refused toggle changes nothing
		return nil, err
	}
	now := c.clock.Now()
	closed, err := c.close(off, source, now)
	if err == nil {
		var opened []topics.ZoneChange
		opened, err = c.open(on, d, source, now)
		closed = append(closed, opened...)
	}
	c.save()
	c.signal()
	if err != nil {
		return nil, err
	}
	return closed, nil
}

// Resume takes up again what a crash or power cut interrupted: the pause, if it is not over;
// each run in progress for what is left of it, never longer than its zone's maximum; then the
// runs that waited in the queue, in their order, with their whole length. Runs already over,
// and zones no longer configured, are skipped.
func (c *Controller) Resume(st Saved) []topics.ZoneChange {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.clock.Now()
	if now.Before(st.PausedUntil) {
		c.pauseUntil(st.PausedUntil)
		c.log.Info("pause resumed after an interruption", "until", st.PausedUntil)
	}
	var changes []topics.ZoneChange
	for _, r := range st.Runs {
		z, ok := c.byID[r.Zone]
		if !ok || z == c.master || z.run != nil {
			continue
		}
		if r.Queued {
			q := &run{zone: z, d: time.Duration(r.DurationS * float64(time.Second)), source: r.Source, requested: r.Requested, owner: r.Owner}
			if r.Seq != "" {
				q.seq = "resumed-" + r.Seq // apart from the sequences made from now on
			}
			z.run = q
			c.queue = append(c.queue, q)
			c.event(topics.EventRunResumed, z, now, r.Source).Message = "it waited in the queue"
			c.log.Info("queued run taken up after an interruption", "zone", z.ID, "duration", q.d, "was", r.Source)
			continue
		}
		left := r.EndsAt.Sub(now)
		if left <= 0 {
			continue
		}
		ch, err := c.open([]*zone{z}, left, topics.SourceResume, now)
		if err != nil {
			c.log.Error("resume refused", "zone", z.ID, "err", err)
			continue
		}
		z.run.owner = topics.OwnerResume
		c.event(topics.EventRunResumed, z, now, r.Source).EndsAt = topics.At(r.EndsAt)
		c.log.Info("run resumed after an interruption", "zone", z.ID, "left", left.Round(time.Millisecond), "was", r.Source)
		changes = append(changes, ch...)
	}
	if len(c.queue) > 0 {
		c.rouse()
	}
	c.dispatch(now)
	c.save()
	c.signal()
	return changes
}

// lookup maps ids to zones, refusing unknown ones and the master valve.
func (c *Controller) lookup(ids []int) ([]*zone, error) {
	zs := make([]*zone, len(ids))
	for i, id := range ids {
		z, ok := c.byID[id]
		if !ok {
			return nil, topics.Errorf(topics.CodeUnknownZone, "no zone %d", id)
		}
		if z == c.master {
			return nil, topics.Errorf(topics.CodeBadRequest, "zone %d is the master valve; it opens and closes with the other zones", id)
		}
		zs[i] = z
	}
	return zs, nil
}

// duration bounds a requested duration for z and says why it changed it.
func duration(z *zone, d time.Duration) (time.Duration, string) {
	switch {
	case d <= 0:
		return z.DefaultDuration, ""
	case d > z.MaxDuration:
		return z.MaxDuration, fmt.Sprintf("duration %v capped to the zone's maximum %v", d, z.MaxDuration)
	}
	return d, ""
}

// busy returns the zones with a run, open or waiting: those off the power budget too.
func (c *Controller) busy() []*zone {
	var zs []*zone
	for _, z := range c.zones {
		if z.run != nil {
			zs = append(zs, z)
		}
	}
	return zs
}

// inBudget counts the zones open that hold a slot of the power budget.
func (c *Controller) inBudget() int {
	n := 0
	for _, z := range c.zones {
		if z.open && z != c.master && !z.OffBudget {
			n++
		}
	}
	return n
}

// running counts the zones open for a run, the master not counted.
func (c *Controller) running() int {
	n := 0
	for _, z := range c.zones {
		if z.open && z != c.master {
			n++
		}
	}
	return n
}

// open carries out Open with mu held.
func (c *Controller) open(zs []*zone, d time.Duration, source string, now time.Time) ([]topics.ZoneChange, error) {
	if err := disabled(zs); err != nil {
		return nil, err
	}
	var fresh []*zone
	for _, z := range zs {
		if z.run == nil {
			fresh = append(fresh, z)
		}
	}
	if c.limits.Overflow == topics.OverflowReject {
		held := slices.DeleteFunc(c.busy(), func(z *zone) bool { return z.OffBudget })
		asked := slices.DeleteFunc(slices.Clone(fresh), func(z *zone) bool { return z.OffBudget })
		if len(held)+len(asked) > c.limits.MaxOpen {
			for _, z := range asked {
				c.event(topics.EventRunRejected, z, now, source).Message = "power budget full"
			}
			c.log.Warn("run refused: power budget full", "zones", zoneList(asked), "held_by", zoneList(held), "max_open", c.limits.MaxOpen)
			if len(held) == 0 {
				return nil, topics.Errorf(topics.CodeBudget, "power budget: at most %d valves at once, and %d were asked for", c.limits.MaxOpen, len(asked))
			}
			return nil, topics.Errorf(topics.CodeBudget, "power budget: at most %d valves at once, and zones %s hold the slots; close one or wait", c.limits.MaxOpen, zoneList(held))
		}
	}
	notes, asked := map[*zone]string{}, map[*zone]*run{}
	for _, z := range zs {
		dur, note := duration(z, d)
		notes[z] = note
		if r := z.run; r != nil {
			r.d, r.source, r.owner = dur, source, topics.OwnerManual // opened again by hand: its owner's no more
			if !r.started.IsZero() && c.extend(r, now) {
				notes[z] = fmt.Sprintf("capped: open since %s, and a zone runs at most %v at a stretch",
					r.started.Format(time.TimeOnly), z.MaxDuration)
			}
			continue
		}
		r := &run{zone: z, d: dur, source: source, requested: now, owner: topics.OwnerManual}
		z.run, asked[z] = r, r
		c.queue = append(c.queue, r)
		c.rouse()
	}
	c.dispatch(now)

	var failed []*zone
	var why []string
	for _, z := range fresh {
		if z.run == nil {
			failed = append(failed, z)
			if r := asked[z]; r.failure != nil {
				why = append(why, r.failure.Error())
			}
		}
	}
	if len(failed) > 0 {
		var undo []*zone
		for _, z := range fresh {
			if z.run != nil {
				undo = append(undo, z)
			}
		}
		_, _ = c.close(undo, source, now)
		msg := fmt.Sprintf("the relay of zone %s failed; nothing was opened", zoneList(failed))
		if len(why) > 0 {
			msg += " (" + strings.Join(why, "; ") + ")"
		}
		return nil, topics.Errorf(topics.CodeRelay, "%s", msg)
	}

	changes := make([]topics.ZoneChange, 0, len(zs))
	for _, z := range zs {
		changes = append(changes, c.change(z.run, now, notes[z]))
	}
	return changes, nil
}

// change reports where run r stands after a request: open, or queued and why, with note added.
// A run that has just joined the queue behind others gets an event saying so.
func (c *Controller) change(r *run, now time.Time, note string) topics.ZoneChange {
	z := r.zone
	if !r.started.IsZero() {
		return topics.ZoneChange{Zone: z.ID, State: topics.StateOpen, EndsAt: topics.At(r.endsAt), Note: note}
	}
	var why string
	switch w := c.waitsFor(r, now); {
	case w == "pause":
		why = "waits: paused until " + c.pausedUntil.In(c.loc).Format(time.TimeOnly) + "; resume to start now"
	case w != "":
		why = "waits for " + w + " to finish"
	case !z.OffBudget && c.position(r) >= c.limits.MaxOpen-c.inBudget():
		why = fmt.Sprintf("waits for a free slot, %d run(s) ahead: at most %d valves at once", c.position(r), c.limits.MaxOpen)
	}
	if why != "" && r.requested.Equal(now) {
		c.event(topics.EventRunQueued, z, now, r.source).Message = why
	}
	if why == "" {
		why = fmt.Sprintf("starts in turn: turn-ons are %v apart", c.limits.Stagger)
	}
	if note != "" {
		why += "; " + note
	}
	return topics.ZoneChange{Zone: z.ID, State: topics.StateQueued, Note: why}
}

// dequeue takes r out of the queue, if it is there.
func (c *Controller) dequeue(r *run) {
	c.queue = slices.DeleteFunc(c.queue, func(q *run) bool { return q == r })
}

func (c *Controller) position(r *run) int {
	for i, q := range c.queue {
		if q == r {
			return i
		}
	}
	return -1
}

// extend moves the end of a started run to now plus its duration, but never past its
// zone's maximum counted from the run's start, so that repeated opens cannot keep a valve
// open without end. It reports whether that bound cut the extension.
func (c *Controller) extend(r *run, now time.Time) bool {
	stop(&r.timer)
	r.endsAt = now.Add(r.d)
	limit := r.started.Add(r.zone.MaxDuration)
	capped := r.endsAt.After(limit)
	if capped {
		r.endsAt = limit
	}
	if r.zone.Device != "" { // a network valve's own timer moves with the end
		if err := relay.On(c.bank, r.zone.index, r.endsAt.Sub(now)); err != nil {
			c.log.Error("relay failed", "zone", r.zone.ID, "state", topics.StateOpen, "source", r.source, "err", err)
		}
	}
	r.zone.source = r.source
	r.timer = c.clock.AfterFunc(r.endsAt.Sub(now), func() { c.expire(r) })
	c.log.Info("run extended", "zone", r.zone.ID, "source", r.source, "ends_at", r.endsAt, "capped", capped)
	return capped
}

// close carries out Close with mu held.
func (c *Controller) close(zs []*zone, source string, now time.Time) ([]topics.ZoneChange, error) {
	changes := make([]topics.ZoneChange, 0, len(zs))
	var errs []error
	for _, z := range zs {
		if z.run != nil {
			reason := topics.ReasonClosed
			if z.run.started.IsZero() {
				reason = topics.ReasonCancelled
			}
			if err := c.finish(z.run, now, source, reason); err != nil {
				errs = append(errs, err)
				continue
			}
		} else if err := c.switchOff(z, now, source); err != nil {
			errs = append(errs, err)
			continue
		}
		changes = append(changes, topics.ZoneChange{Zone: z.ID, State: topics.StateClosed})
	}
	c.dispatch(now)
	return changes, errors.Join(errs...)
}

// finish ends run r: its relay off, out of the queue, the event, and the freed slot handed on.
// If the relay fails the run stays, so that the timer or the watchdog tries again.
func (c *Controller) finish(r *run, now time.Time, source, reason string) error {
	z := r.zone
	if err := c.switchOff(z, now, source); err != nil {
		return err
	}
	stop(&r.timer)
	c.dequeue(r)
	z.run = nil
	if !r.started.IsZero() {
		e := c.event(topics.EventRunFinished, z, now, source)
		e.Reason = reason
		c.ended(r, now, source, reason)
		c.log.Info("run finished", "zone", z.ID, "reason", reason, "source", source, "ran", now.Sub(r.started).Round(time.Millisecond))
	}
	c.settleMaster(now)
	return nil
}

// expire ends r when its duration is over. A relay that fails to switch off is tried again
// every retryAfter.
func (c *Controller) expire(r *run) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if r.zone.run != r || r.started.IsZero() {
		return
	}
	now := c.clock.Now()
	if err := c.finish(r, now, topics.SourceTimer, topics.ReasonFinished); err != nil {
		r.timer = c.clock.AfterFunc(retryAfter, func() { c.expire(r) })
		return
	}
	c.dispatch(now)
	c.save()
	c.signal()
}

// dispatch starts queued runs while the budget has room, one stagger apart, the master valve
// first; when the next turn-on must wait, it sets a timer for it. A run whose group or
// run-once sequence has a run open waits, and the runs behind it may go first.
func (c *Controller) dispatch(now time.Time) {
	stop(&c.dispatchT)
	for {
		r := c.next(now)
		if r == nil {
			break
		}
		stagger := c.limits.Stagger // for the inrush currents of one power supply
		if r.zone.OffBudget {
			stagger = 0
		}
		earliest := c.lastOn.Add(stagger)
		if c.master != nil && !c.master.open {
			if t := c.lastOn.Add(c.limits.Stagger); now.Before(t) {
				c.wake(t, now)
				return
			}
			stop(&c.masterT)
			if err := c.switchOn(c.master, now, topics.SourceMaster, 0); err != nil {
				c.failQueue(now, fmt.Errorf("master valve: %w", err))
				return
			}
			c.masterOn = now
			earliest = now.Add(stagger)
		}
		if c.master != nil {
			if t := c.masterOn.Add(c.limits.MasterLead); t.After(earliest) {
				earliest = t
			}
		}
		if now.Before(earliest) {
			c.wake(earliest, now)
			return
		}
		c.dequeue(r)
		if err := c.switchOn(r.zone, now, r.source, r.d); err != nil {
			r.zone.run, r.failure = nil, err
			e := c.event(topics.EventRunFinished, r.zone, now, r.source)
			e.Reason, e.Message = topics.ReasonFailed, err.Error()
			r.started = now // it ran for nothing: the history says so
			c.ended(r, now, r.source, topics.ReasonFailed)
			continue
		}
		stop(&c.masterT)
		r.started, r.endsAt = now, now.Add(r.d)
		r.zone.lastRun = now
		r.timer = c.clock.AfterFunc(r.d, func() { c.expire(r) })
		c.event(topics.EventRunStarted, r.zone, now, r.source).EndsAt = topics.At(r.endsAt)
		c.log.Info("run started", "zone", r.zone.ID, "name", r.zone.Name, "source", r.source, "duration", r.d, "ends_at", r.endsAt,
			"waited", now.Sub(r.requested).Round(time.Millisecond))
	}
	c.settleMaster(now)
}

// next returns the first queued run that may start but for the stagger: none while paused,
// none that blocker holds back, and one that needs a slot of the power budget only while one
// is free.
func (c *Controller) next(now time.Time) *run {
	if now.Before(c.pausedUntil) {
		return nil
	}
	free := c.inBudget() < c.limits.MaxOpen
	for _, r := range c.queue {
		if c.blocker(r) == nil && (free || r.zone.OffBudget) {
			return r
		}
	}
	return nil
}

// blocker returns the run queued run r must wait for: an open one of its zone's group, or of
// its run-once sequence an open one or an earlier step still queued; nil when there is none.
func (c *Controller) blocker(r *run) *run {
	for _, z := range c.zones {
		o := z.run
		if o == nil || o == r || o.started.IsZero() {
			continue
		}
		if r.zone.Group != "" && z.Group == r.zone.Group || r.seq != "" && o.seq == r.seq {
			return o
		}
	}
	if r.seq != "" {
		for _, o := range c.queue[:max(c.position(r), 0)] {
			if o.seq == r.seq {
				return o
			}
		}
	}
	return nil
}

// waitsFor says what holds queued run r back besides its turn, for the snapshot and notes.
func (c *Controller) waitsFor(r *run, now time.Time) string {
	if now.Before(c.pausedUntil) {
		return "pause"
	}
	o := c.blocker(r)
	switch {
	case o == nil:
		return ""
	case r.seq != "" && o.seq == r.seq:
		return fmt.Sprintf("run-once (zone %d)", o.zone.ID)
	}
	return fmt.Sprintf("group %s (zone %d)", r.zone.Group, o.zone.ID)
}

// waiting reports whether a queued run may start once the budget allows: the queue is not
// empty and no pause holds it.
func (c *Controller) waiting(now time.Time) bool {
	return len(c.queue) > 0 && !now.Before(c.pausedUntil)
}

// wake arranges for dispatch to run again at t.
func (c *Controller) wake(t, now time.Time) {
	c.dispatchT = c.clock.AfterFunc(t.Sub(now), func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.dispatch(c.clock.Now())
		c.save()
		c.signal()
	})
}

// failQueue drops every queued run because none can start.
func (c *Controller) failQueue(now time.Time, err error) {
	for _, r := range c.queue {
		r.zone.run = nil
		e := c.event(topics.EventRunFinished, r.zone, now, r.source)
		e.Reason, e.Message = topics.ReasonFailed, err.Error()
	}
	c.queue = nil
}

// settleMaster closes the master valve its lag after the last zone closed, if nothing runs or
// waits by then.
func (c *Controller) settleMaster(now time.Time) {
	if c.master == nil || !c.master.open || c.running() > 0 || c.waiting(now) || c.masterT != nil {
		return
	}
	c.masterT = c.clock.AfterFunc(c.limits.MasterLag, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.masterT = nil
		if c.running() > 0 || c.waiting(c.clock.Now()) {
			return
		}
		if err := c.switchOff(c.master, c.clock.Now(), topics.SourceMaster); err != nil {
			c.masterT = c.clock.AfterFunc(retryAfter, func() { c.mu.Lock(); c.settleMaster(c.clock.Now()); c.mu.Unlock() })
			return
		}
		c.signal()
	})
}

// switchOn switches z's relay on for a run of d (0: the master, which follows the zones).
func (c *Controller) switchOn(z *zone, now time.Time, source string, d time.Duration) error {
	if err := relay.On(c.bank, z.index, d); err != nil {
		c.log.Error("relay failed", "zone", z.ID, "state", topics.StateOpen, "source", source, "err", err)
		return topics.Errorf(topics.CodeRelay, "zone %d: %v", z.ID, err)
	}
	z.open, z.since, z.source = true, now, source
	if !z.OffBudget {
		c.lastOn = now
	}
	c.rouse()
	c.event(topics.EventZoneOpened, z, now, source)
	c.log.Info("relay on", "zone", z.ID, "name", z.Name, "source", source)
	return nil
}

// switchOff switches z's relay off if it is on.
func (c *Controller) switchOff(z *zone, now time.Time, source string) error {
	if !z.open {
		return nil
	}
	if err := c.bank.Set(z.index, false); err != nil {
		c.log.Error("relay failed", "zone", z.ID, "state", topics.StateClosed, "source", source, "err", err)
		return topics.Errorf(topics.CodeRelay, "zone %d: %v", z.ID, err)
	}
	c.markOff(z, now, source)
	return nil
}

func (c *Controller) markOff(z *zone, now time.Time, source string) {
	ran := now.Sub(z.since)
	if z != c.master {
		local := now.In(c.loc)
		today := local.Format(time.DateOnly)
		if z.wateredDay != today {
			z.wateredDay, z.wateredSecs = today, 0
		}
		y, m, d := local.Date()
		z.wateredSecs += now.Sub(clock.Later(z.since, time.Date(y, m, d, 0, 0, 0, 0, c.loc))).Seconds()
	}
	z.open, z.since, z.source = false, now, source
	c.event(topics.EventZoneClosed, z, now, source)
	c.log.Info("relay off", "zone", z.ID, "name", z.Name, "source", source, "ran", ran.Round(time.Millisecond))
}

// StartScheduled asks for zone id to water for d, unless it already runs or waits: a zone
// opened by hand keeps its own duration and the schedule does not fight it. It reports whether
// it asked.
func (c *Controller) StartScheduled(id int, d time.Duration, source string) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	zs, err := c.lookup([]int{id})
	if err != nil {
		return false, err
	}
	if zs[0].run != nil {
		c.log.Info("scheduled run not started: the zone runs already", "zone", id, "by", zs[0].run.source)
		return false, nil
	}
	_, err = c.open(zs, d, source, c.clock.Now())
	if zs[0].run != nil {
		zs[0].run.owner = topics.OwnerSchedule
	}
	c.save()
	c.signal()
	return err == nil, err
}

// CloseScheduled ends every run, started or queued, that the schedule owns.
func (c *Controller) CloseScheduled(source string) ([]int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	zs := c.scheduled()
	ids := make([]int, len(zs))
	for i, z := range zs {
		ids[i] = z.ID
	}
	_, err := c.close(zs, source, c.clock.Now())
	c.save()
	c.signal()
	return ids, err
}

// ScheduledRuns returns the zones whose runs, started or queued, the schedule owns.
func (c *Controller) ScheduledRuns() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	var ids []int
	for _, z := range c.scheduled() {
		ids = append(ids, z.ID)
	}
	return ids
}

// scheduled returns the zones whose runs the schedule owns. Called with mu held.
func (c *Controller) scheduled() []*zone {
	var zs []*zone
	for _, z := range c.zones {
		if z.run != nil && z.run.owner == topics.OwnerSchedule {
			zs = append(zs, z)
		}
	}
	return zs
}

// AddEvent queues an event of another part of the agent, in order with the zones' events.
func (c *Controller) AddEvent(e topics.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e.TS.IsZero() {
		e.TS = topics.Time{Time: c.clock.Now()}
	}
	c.addEvent(e)
	c.signal()
}

// ShutMaster switches the master valve off at once, whatever its lag: water flows where no
// zone is open (a leak). It does nothing without a master valve, or with the master closed.
func (c *Controller) ShutMaster(source string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.master == nil || !c.master.open {
		return nil
	}
	stop(&c.masterT)
	err := c.switchOff(c.master, c.clock.Now(), source)
	c.save()
	c.signal()
	return err
}

// Lost ends the run of the zone at position index because its network valve failed it or
// closed by itself (reason, as message says); the slot it held is handed on. A zone without a
// run is only told of.
func (c *Controller) Lost(index int, reason, message string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if index < 0 || index >= len(c.zones) {
		return
	}
	z, now := c.zones[index], c.clock.Now()
	source := "device " + z.Device
	if r := z.run; r != nil && !r.started.IsZero() {
		if err := c.finish(r, now, source, reason); err != nil {
			c.log.Error("a lost run could not be ended", "zone", z.ID, "err", err) // the timer or the watchdog tries again
		} else {
			c.events[len(c.events)-1].Message = message // finish's last event is the run's end
		}
		c.dispatch(now)
	} else {
		c.event(topics.EventDevice, z, now, source).Message = message
	}
	c.save()
	c.signal()
}
