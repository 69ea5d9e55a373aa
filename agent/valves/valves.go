// Package valves owns the state of every zone and is the safety governor every relay change
// goes through: which valve is open, since when, until when and on whose word; how many may
// be open at once (the power budget) and how far apart they switch on; the master valve that
// follows them; and a watchdog that switches off any relay left on past its end. Each run is
// bounded by its duration and closed by the agent itself, whatever happens to MQTT.
package valves

import (
	"log/slog"
	"slices"
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
	Line            int           // BCM GPIO line of its relay, when it has no bank
	Bank            string        // the relay bank its relay is on; "": the Pi's line
	Output          int           // that bank's output, from 1
	Device          string        // a network valve's device, for people
	OffBudget       bool          // it holds no slot of the power budget (a valve on its own batteries)
	DefaultDuration time.Duration // for an open without a duration
	MaxDuration     time.Duration // no run lasts longer
	Group           string        // zones of one group never run at the same time; "" for none
	Disabled        bool          // opens for nobody until enabled
}

// Pin is the 40-pin header pin of the zone's relay line, 0 when it has none or the zone is on
// a bank.
func (z Zone) Pin() int {
	if z.Bank != "" {
		return 0
	}
	return relay.HeaderPin(z.Line)
}

// Limits are the safety rules.
type Limits struct {
	MaxOpen    int           // valves open at once, the master valve not counted
	Overflow   string        // topics.OverflowQueue or topics.OverflowReject
	Stagger    time.Duration // least time between two turn-ons, so inrush currents never add up
	Master     int           // the zone id of a master valve or pump; 0 for none
	MasterLead time.Duration // the master opens this long before the first zone
	MasterLag  time.Duration // and closes this long after the last one
	Watchdog   time.Duration // how often the watchdog looks; it also is its grace
}

// Run is a run to take up again after a crash or a power cut: one in progress, or one that
// waited in the queue (Queued), with its length, when it was asked for and its run-once
// sequence.
type Run struct {
	Zone      int          `json:"zone"`
	Started   time.Time    `json:"started,omitzero"`
	EndsAt    time.Time    `json:"ends_at,omitzero"`
	Source    string       `json:"source"`
	Queued    bool         `json:"queued,omitempty"`
	DurationS float64      `json:"duration_s,omitempty"`
	Requested time.Time    `json:"requested,omitzero"`
	Seq       string       `json:"seq,omitempty"`
	Owner     topics.Owner `json:"owner,omitempty"`
}

// Saved is what the controller keeps across a crash or a power cut: its runs, those in progress
// first, then the queue in its order, and the end of a pause.
type Saved struct {
	Runs        []Run
	PausedUntil time.Time
}

// Options are the controller's limits and collaborators.
type Options struct {
	Limits Limits
	// Persist, when set, is called with the runs and the pause after each change, so that a
	// crash or power cut can resume them. An error is logged; the relays carry on.
	Persist func(Saved) error
	// Location is where "today" is, for the water time today; time.Local when nil.
	Location *time.Location
	// Ended, when set, receives every run that ran, when it ends, for the history. It is
	// called with the controller locked and must not block.
	Ended func(topics.RunRecord)
	// Link, when set, says how a network valve at a zone position is reached and what it
	// reported (netvalve.Bank.Link); ok is false for a zone without one.
	Link func(index int) (link, reported string, ok bool)
}

// retryAfter is how soon a failed relay switch-off is tried again.
const retryAfter = time.Second

// maxPendingEvents bounds the events waiting to be published while MQTT is down.
const maxPendingEvents = 1000

// Controller switches the valves of the zones. It is safe for concurrent use.
type Controller struct {
	bank    relay.Bank
	clock   clock.Clock
	log     *slog.Logger
	agent   string
	limits  Limits
	persist func(Saved) error
	onEnded func(topics.RunRecord)
	link    func(index int) (link, reported string, ok bool)
	loc     *time.Location

	mu        sync.Mutex
	zones     []*zone
	byID      map[int]*zone
	master    *zone
	queue     []*run
	lastOn    time.Time   // the last turn-on, for the stagger
	masterOn  time.Time   // when the master opened, for its lead
	dispatchT clock.Timer // wakes dispatch for the next turn-on
	masterT   clock.Timer // closes the master after its lag
	watchT    clock.Timer
	watching  bool
	persisted Saved
	events    []topics.Event
	dropped   int
	changed   chan struct{}

	pausedUntil time.Time   // while now is before it, no run starts
	pauseT      clock.Timer // ends the pause
	sequences   int         // run-once sequences so far, for their keys
}

type zone struct {
	Zone
	index  int
	open   bool
	since  time.Time
	source string
	run    *run // the run holding the zone open or waiting for it

	lastRun     time.Time // the start of its last run
	wateredDay  string    // the local date wateredSecs counts
	wateredSecs float64   // seconds it watered on wateredDay, closed runs only
}

// run is one request to water a zone for a duration.
type run struct {
	zone      *zone
	d         time.Duration
	source    string
	requested time.Time
	started   time.Time // zero while queued
	endsAt    time.Time
	timer     clock.Timer
	seq       string // its run-once sequence: one run of a sequence at a time, in order
	failure   error  // why its relay failed to switch on
	// owner says what owns the run (a topics.Owner value), whatever its source says: a client
	// whose id looks like "schedule:…" owns nothing of the schedule's.
	owner topics.Owner
}

// New returns a controller for zones on bank, with the limits the configuration gives
// (config.Config.ValveLimits); limits left out are the strictest: one valve at a time. It does
// no I/O; call Reset to drive every relay off before use, and Start to run the watchdog.
func New(agent string, zones []Zone, bank relay.Bank, clk clock.Clock, log *slog.Logger, o Options) *Controller {
	if o.Limits.MaxOpen < 1 {
		o.Limits.MaxOpen = 1
	}
	if o.Limits.Overflow == "" {
		o.Limits.Overflow = topics.OverflowQueue
	}
	if o.Limits.Watchdog <= 0 {
		o.Limits.Watchdog = time.Second
	}
	if o.Location == nil {
		o.Location = time.Local
	}
	c := &Controller{bank: bank, clock: clk, log: log, agent: agent, limits: o.Limits, persist: o.Persist, loc: o.Location, onEnded: o.Ended, link: o.Link,
		byID: map[int]*zone{}, changed: make(chan struct{}, 1)}
	for i, z := range zones {
		zz := &zone{Zone: z, index: i}
		c.zones = append(c.zones, zz)
		c.byID[z.ID] = zz
		if z.ID == o.Limits.Master {
			c.master = zz
		}
	}
	return c
}

// IDs returns the numbers of the zones a user may open, in configuration order: every zone but
// the master valve.
func (c *Controller) IDs() []int {
	ids := make([]int, 0, len(c.zones))
	for _, z := range c.zones {
		if z != c.master {
			ids = append(ids, z.ID)
		}
	}
	return ids
}

// AllIDs returns the number of every zone, the master valve included.
func (c *Controller) AllIDs() []int {
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

// Limits returns the rules in force, for the "limits" command.
func (c *Controller) Limits() topics.Limits {
	c.mu.Lock()
	defer c.mu.Unlock()
	l := topics.Limits{
		MaxOpen: c.limits.MaxOpen, Overflow: c.limits.Overflow, StaggerS: c.limits.Stagger.Seconds(),
		MasterZone: c.limits.Master, WatchdogS: c.limits.Watchdog.Seconds(),
	}
	if c.master != nil {
		l.MasterLeadS, l.MasterLagS = c.limits.MasterLead.Seconds(), c.limits.MasterLag.Seconds()
	}
	for _, z := range c.zones {
		if z != c.master {
			l.Zones = append(l.Zones, topics.ZoneLimit{Zone: z.ID, DefaultDurationS: z.DefaultDuration.Seconds(), MaxDurationS: z.MaxDuration.Seconds()})
		}
	}
	return l
}

// Changed receives a value after the state changed or events were added; the publisher then
// reads Snapshot and TakeEvents. Changes made in between are coalesced.
func (c *Controller) Changed() <-chan struct{} { return c.changed }

func (c *Controller) signal() {
	select {
	case c.changed <- struct{}{}:
	default:
	}
}

func (c *Controller) addEvent(e topics.Event) {
	if len(c.events) >= maxPendingEvents {
		c.events = c.events[1:]
		c.dropped++
	}
	c.events = append(c.events, e)
}

// ended records run r of zone z, which ran until now, in the history.
func (c *Controller) ended(r *run, now time.Time, by, outcome string) {
	if c.onEnded == nil || r.started.IsZero() {
		return
	}
	c.onEnded(topics.RunRecord{
		Zone: r.zone.ID, Source: r.source, Owner: r.owner, EndedBy: by, Outcome: outcome,
		Planned: topics.Time{Time: r.requested}, Started: topics.Time{Time: r.started}, Ended: topics.Time{Time: now},
		PlannedS: r.d.Seconds(), ActualS: now.Sub(r.started).Seconds(),
	})
}

func (c *Controller) event(typ string, z *zone, now time.Time, source string) *topics.Event {
	return c.note(typ, z.ID, now, source)
}

// note adds an event about zone (0: about no zone) and returns it, for the caller to fill in.
func (c *Controller) note(typ string, zone int, now time.Time, source string) *topics.Event {
	c.addEvent(topics.Event{Type: typ, Zone: zone, Source: source, TS: topics.Time{Time: now}})
	return &c.events[len(c.events)-1]
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

// QueueLen returns how many runs wait in the queue.
func (c *Controller) QueueLen() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.queue)
}

// Snapshot returns every zone's state now, and the queue.
func (c *Controller) Snapshot() topics.Snapshot {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := topics.Snapshot{Agent: c.agent, TS: topics.Time{Time: c.clock.Now()}, Zones: make(map[string]topics.ZoneStatus, len(c.zones)), Queue: []topics.QueuedRun{}}
	if name := c.loc.String(); name != "Local" {
		s.Timezone = name
	}
	now := s.TS.Time
	today := now.In(c.loc).Format(time.DateOnly)
	y, m, d := now.In(c.loc).Date()
	midnight := time.Date(y, m, d, 0, 0, 0, 0, c.loc)
	for _, z := range c.zones {
		st := topics.ZoneStatus{
			Zone: z.ID, Name: z.Name, State: topics.StateClosed, Since: topics.At(z.since),
			Source: z.source, Line: z.Line, Pin: z.Pin(), Bank: z.Bank, Output: z.Output, Master: z == c.master,
			LastRun: topics.At(z.lastRun), DefaultDurationS: z.DefaultDuration.Seconds(), Disabled: z.Disabled,
		}
		if z.wateredDay == today {
			st.WateredTodayS = z.wateredSecs
		}
		if z.open {
			st.WateredTodayS += now.Sub(clock.Later(z.since, midnight)).Seconds()
		}
		if z != c.master {
			s.WateredTodayS += st.WateredTodayS
			if z.open {
				s.OpenCount++
			}
		}
		if z.open {
			st.State = topics.StateOpen
			if z.run != nil {
				st.EndsAt = topics.At(z.run.endsAt)
			}
		}
		st.Queued = z.run != nil && z.run.started.IsZero()
		st.Device = z.Device
		if c.link != nil {
			st.Link, st.Reported, _ = c.link(z.index)
		}
		st.Group = z.Group
		s.Zones[topics.ZoneKey(z.ID)] = st
	}
	for _, r := range c.queue {
		s.Queue = append(s.Queue, topics.QueuedRun{Zone: r.zone.ID, DurationS: r.d.Seconds(), Source: r.source, RequestedAt: topics.Time{Time: r.requested},
			WaitsFor: c.waitsFor(r, now)})
	}
	if now.Before(c.pausedUntil) {
		s.PausedUntil = topics.At(c.pausedUntil)
	}
	return s
}

// IsOpen reports whether zone id's relay is on.
func (c *Controller) IsOpen(id int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	z, ok := c.byID[id]
	return ok && z.open
}

// OpenZones returns the zones whose relays are on, the master included.
func (c *Controller) OpenZones() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	var ids []int
	for _, z := range c.zones {
		if z.open {
			ids = append(ids, z.ID)
		}
	}
	return ids
}

// SetDefault sets the run zone id gets when an open names no duration: from a second to the
// zone's maximum.
func (c *Controller) SetDefault(id int, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	zs, err := c.lookup([]int{id})
	if err != nil {
		return err
	}
	z := zs[0]
	return c.setZone(z, Settings{Name: z.Name, DefaultDuration: d, MaxDuration: z.MaxDuration, Group: z.Group, Disabled: z.Disabled})
}

// saved is the state the store keeps: the runs in progress, then the queue, and the pause.
// Called with mu held.
func (c *Controller) saved() Saved {
	var st Saved
	for _, z := range c.zones {
		if r := z.run; r != nil && !r.started.IsZero() {
			st.Runs = append(st.Runs, Run{Zone: z.ID, Started: r.started, EndsAt: r.endsAt, Source: r.source, Owner: r.owner})
		}
	}
	for _, r := range c.queue {
		st.Runs = append(st.Runs, Run{Zone: r.zone.ID, Source: r.source, Queued: true, DurationS: r.d.Seconds(), Requested: r.requested, Seq: r.seq, Owner: r.owner})
	}
	if c.clock.Now().Before(c.pausedUntil) {
		st.PausedUntil = c.pausedUntil
	}
	return st
}

// save persists the runs and the pause when they changed. Called with mu held.
func (c *Controller) save() {
	if c.persist == nil {
		return
	}
	st := c.saved()
	if equalSaved(st, c.persisted) {
		return
	}
	if err := c.persist(st); err != nil {
		c.log.Error("saving the runs failed; a crash now would not resume them", "err", err)
		return
	}
	c.persisted = st
}

func equalSaved(a, b Saved) bool {
	return a.PausedUntil.Equal(b.PausedUntil) && slices.EqualFunc(a.Runs, b.Runs, func(x, y Run) bool {
		return x.Zone == y.Zone && x.Started.Equal(y.Started) && x.EndsAt.Equal(y.EndsAt) && x.Source == y.Source &&
			x.Queued == y.Queued && x.DurationS == y.DurationS && x.Requested.Equal(y.Requested) && x.Seq == y.Seq && x.Owner == y.Owner
	})
}

// zoneList writes zone numbers for messages: "1, 3".
func zoneList(zs []*zone) string {
	ids := make([]int, len(zs))
	for i, z := range zs {
		ids[i] = z.ID
	}
	return topics.JoinZones(ids)
}
