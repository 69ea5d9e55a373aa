package valves

import (
	"fmt"
	"time"

	"sprinkler/topics"
)

// Step is one zone of a run-once list and how long it waters (0: the zone's default).
type Step struct {
	Zone int
	For  time.Duration
}

// RunOnce waters steps one after the other, each through the power budget, the groups and the
// stagger like any run. It leaves what runs already alone and queues the list behind it,
// unless preempt, which first ends every run, started or queued. A step whose zone runs or
// waits already is refused without preempt, as is a zone listed twice. It returns the steps'
// states and the zones preempt closed.
func (c *Controller) RunOnce(steps []Step, preempt bool, source string) ([]topics.ZoneChange, []int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(steps) == 0 {
		return nil, nil, topics.Errorf(topics.CodeBadRequest, "no zones to run")
	}
	ids := make([]int, len(steps))
	for i, s := range steps {
		ids[i] = s.Zone
	}
	zs, err := c.lookup(ids)
	if err != nil {
		return nil, nil, err
	}
	if err := disabled(zs); err != nil {
		return nil, nil, err
	}
	seen := map[*zone]bool{}
	for _, z := range zs {
		if seen[z] {
			return nil, nil, topics.Errorf(topics.CodeBadRequest, "zone %d is listed twice; a run-once waters each zone once", z.ID)
		}
		seen[z] = true
		if z.run != nil && !preempt {
			return nil, nil, topics.Errorf(topics.CodeBadRequest, "zone %d runs or waits already (%s); close it first, or preempt to end every run", z.ID, z.run.source)
		}
	}
	now := c.clock.Now()
	var preempted []int
	if preempt {
		busy := c.busy()
		for _, z := range busy {
			preempted = append(preempted, z.ID)
		}
		if _, err := c.close(busy, source, now); err != nil {
			c.save()
			c.signal()
			return nil, preempted, err
		}
	}
	c.sequences++
	seq := fmt.Sprintf("once-%d", c.sequences)
	notes := make([]string, len(zs))
	for i, z := range zs {
		var d time.Duration
		d, notes[i] = duration(z, steps[i].For)
		r := &run{zone: z, d: d, source: source, requested: now, seq: seq, owner: topics.OwnerRunOnce}
		z.run = r
		c.queue = append(c.queue, r)
	}
	c.rouse()
	c.dispatch(now)
	changes := make([]topics.ZoneChange, len(zs))
	for i, z := range zs {
		if z.run == nil { // its relay failed; the event says so
			changes[i] = topics.ZoneChange{Zone: z.ID, State: topics.StateClosed, Note: "its relay failed"}
			continue
		}
		changes[i] = c.change(z.run, now, notes[i])
	}
	c.log.Info("run-once", "zones", ids, "preempted", preempted, "by", source)
	c.save()
	c.signal()
	return changes, preempted, nil
}
