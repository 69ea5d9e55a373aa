package daemon

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"sprinkler/agent/scheduler"
	"sprinkler/agent/sensors"
	"sprinkler/agent/valves"
	"sprinkler/topics"
)

// reporter is the only writer of the agent's state topics, so they never go out of order: it
// publishes each zone's retained state when it changes, the events, the snapshot, and the
// states others post (the health, the flow meter's). Its goroutine publishes what changes by
// itself (a run's end, the schedule); a command's worker publishes its own change in its own
// goroutine (flush), without waking another: the zone's state goes out right after its relay
// switched. One lock keeps them in order.
type reporter struct {
	mu       sync.Mutex // held while publishing
	t        topics.Agent
	v        *valves.Controller
	info     func() topics.Info // the retained info, as it is now (zone settings change)
	log      *slog.Logger
	pub      publisher
	sched    *scheduler.Engine // nil without a schedule
	announce *announcer        // nil without Home Assistant discovery
	health   func() []byte     // the health payload, published with every resync; nil for none
	sensors  *sensors.Set      // nil without sensors

	nudges chan struct{}
	posts  chan post
	last   map[string]string // the plain state topics' values last published
}

// post is a retained state another part of the agent asks the reporter to publish.
type post struct {
	topic   string
	payload []byte
}

// postsQueued bounds the posts waiting for the reporter; a post beyond it is dropped, the next
// one of its topic bringing it up to date.
const postsQueued = 16

// nextRunsSpan is how far ahead the retained next runs look, at most (a profile that starts
// very many runs a day is listed less far ahead, to fit topics.MaxPlannedRuns).
const nextRunsSpan = 48 * time.Hour

func newReporter(t topics.Agent, v *valves.Controller, info func() topics.Info, log *slog.Logger) *reporter {
	return &reporter{t: t, v: v, info: info, log: log, nudges: make(chan struct{}, 1),
		posts: make(chan post, postsQueued), last: map[string]string{}}
}

func (r *reporter) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.v.Changed():
			r.locked(false, false)
		case <-r.nudges:
			r.locked(false, true)
		case p := <-r.posts:
			r.mu.Lock()
			r.pub.Publish(p.topic, true, p.payload)
			r.mu.Unlock()
		}
	}
}

// locked is publish with the lock held.
func (r *reporter) locked(all, nudged bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.publish(all, nudged)
}

// post asks for a retained state of another part of the agent to be published, in order with
// the others. It never blocks.
func (r *reporter) post(topic string, payload []byte) {
	select {
	case r.posts <- post{topic, payload}:
	default:
		r.log.Warn("state publisher behind; a state update was dropped", "topic", topic)
	}
}

// nudge asks for a publish after a change outside the valves (the schedule's state).
func (r *reporter) nudge() {
	select {
	case r.nudges <- struct{}{}:
	default:
	}
}

// flush publishes pending changes, in the caller's goroutine, and returns once they are
// queued on the link, so that a reply sent after it never overtakes the state it reports.
func (r *reporter) flush() { r.locked(false, false) }

// resync publishes the info, every zone state and the snapshot, as after a (re)connect.
func (r *reporter) resync() { r.locked(true, false) }

// online publishes the retained presence; it goes out after everything queued before it.
func (r *reporter) online() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pub.Publish(r.t.Status(), true, []byte(topics.Online))
	r.log.Info("online", "status_topic", r.t.Status())
}

// publish publishes what changed; nudged says the schedule's state changed. The schedule's
// part of the snapshot costs a computation of the coming windows, so it is only looked at when
// something changed, not on every flush. Called with mu held.
func (r *reporter) publish(all, nudged bool) {
	select {
	case <-r.nudges: // a pending nudge is served now, so a reply after a flush sees its state
		nudged = true
	default:
	}
	events, dropped := r.v.TakeEvents()
	if dropped > 0 {
		r.log.Warn("events dropped while nobody took them", "count", dropped)
	}
	snap := r.v.Snapshot()
	if all {
		if r.announce != nil {
			for _, m := range r.announce.messages() { // configs first, then the states they name
				r.pub.Publish(m.topic, true, m.payload)
			}
		}
		r.pub.Publish(r.t.Info(), true, mustJSON(r.info()))
		if r.health != nil {
			r.pub.Publish(r.t.Health(), true, r.health())
		}
	}
	changed := all || nudged || len(events) > 0
	plain := func(topic, value string) {
		if all || r.last[topic] != value {
			r.pub.Publish(topic, true, []byte(value))
			r.last[topic] = value
			changed = true
		}
	}
	plain(r.t.PauseState(), map[bool]string{true: "ON", false: "OFF"}[snap.PausedUntil != nil])
	for _, id := range r.v.IDs() {
		z := snap.Zones[topics.ZoneKey(id)]
		plain(r.t.ZoneState(id), z.State)
		plain(r.t.DurationState(id), strconv.FormatFloat(z.DefaultDurationS/60, 'f', -1, 64))
	}
	if r.sched != nil && changed {
		r.sched.Decorate(&snap)
		plain(r.t.ProfileState(), snap.Profile)
		auto := "ON"
		if snap.Auto != nil && !*snap.Auto {
			auto = "OFF"
		}
		plain(r.t.AutoState(), auto)
		if snap.WaterLevel != nil {
			plain(r.t.WaterLevelState(), strconv.Itoa(*snap.WaterLevel))
		}
		next, _ := r.sched.Next(nextRunsSpan, true)
		plain(r.t.NextRuns(), string(mustJSON(next)))
	}
	if r.sensors != nil {
		snap.Sensors = r.sensors.States()
		for name, st := range snap.Sensors {
			plain(r.t.SensorState(name), map[bool]string{true: "ON", false: "OFF"}[st.Active])
		}
	}
	for _, e := range events {
		r.pub.Publish(r.t.Event(), false, mustJSON(e))
	}
	if changed {
		r.pub.Publish(r.t.State(), true, mustJSON(snap))
	}
}
