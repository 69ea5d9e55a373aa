// Package netvalve drives valves on the network over MQTT: Zigbee valves through zigbee2mqtt,
// Tasmota relays, Shelly Gen2 switches and ESPHome switches, each through its own documented
// API. A run is sent with the device's own off timer, so that the valve closes on time even
// when the agent, the Pi or the network dies. The zone's state is what its device reports: a
// device offline, or one that does not confirm a command within its deadline, makes its zone
// unavailable and ends its run as failed; a valve reported open when it should be closed is
// closed again.
package netvalve

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"sprinkler/agent/relay"
)

// Margin is how long after a run's end the device's own timer closes the valve: the agent
// closes it at the end, and the device's timer is the dead-man behind it.
const Margin = 5 * time.Second

// Link states, as status shows them.
const (
	LinkUnknown   = "not heard yet"
	LinkOnline    = "online"
	LinkOffline   = "offline"
	LinkNoAnswer  = "no answer"
	LinkBrokerOff = "broker down"
)

// Publisher is the agent's MQTT link.
type Publisher interface {
	Publish(topic string, retained bool, payload []byte)
	Connected() bool
}

// Events are what the bank tells the safety governor and the agent's events. They are called
// without the bank's lock held, and may call the bank.
type Events struct {
	// Lost ends the run of the zone at index: its device failed it (reason failed) or closed the
	// valve by itself (reason device), as message says.
	Lost func(index int, reason, message string)
	// Down says a device cannot be reached (offline, or no answer), and Up that it can again.
	Down, Up func(index int, message string)
	// Told records what else happened to a device: a valve closed again.
	Told func(index int, message string)
	// Changed says a link state or a report changed, for the zones' states.
	Changed func()
}

// Reasons a run is lost.
const (
	ReasonFailed = "failed"
	ReasonDevice = "device"
)

// Bank is the network valves of an agent, as one relay bank whose outputs are the zones'
// positions. It is safe for concurrent use.
type Bank struct {
	log *slog.Logger

	mu      sync.Mutex
	valves  map[int]*valve // by zone position
	byTopic map[string][]*valve
	pub     Publisher // nil until Attach
	ev      Events
	closed  bool
}

type valve struct {
	Valve
	proto    protocol
	want     bool      // what the agent asked for
	until    time.Time // the end of the run it asked for
	pending  bool      // want is not confirmed yet
	deadline *time.Timer
	heard    bool // anything from the device since the start
	online   bool // its availability, where it says it
	on       *bool
	noAnswer bool // the last command was not confirmed: unavailable until the device speaks
}

var _ relay.Bank = (*Bank)(nil)
var _ relay.Timed = (*Bank)(nil)

// New returns the bank of vs, each wanted off; it publishes nothing until Attach.
func New(vs []Valve, log *slog.Logger) *Bank {
	b := &Bank{log: log, valves: map[int]*valve{}, byTopic: map[string][]*valve{}}
	b.Notify(Events{})
	for _, v := range vs {
		vv := &valve{Valve: v, proto: v.protocol(), online: true}
		b.valves[v.Index] = vv
		for _, t := range vv.proto.topics() {
			b.byTopic[t] = append(b.byTopic[t], vv)
		}
	}
	return b
}

// Topics are the topics the bank reads, sorted.
func (b *Bank) Topics() []string {
	return slices.Sorted(maps.Keys(b.byTopic))
}

// Notify sets what the bank tells.
func (b *Bank) Notify(ev Events) {
	if ev.Lost == nil {
		ev.Lost = func(int, string, string) {}
	}
	for _, fn := range []*func(int, string){&ev.Told, &ev.Down, &ev.Up} {
		if *fn == nil {
			*fn = func(int, string) {}
		}
	}
	if ev.Changed == nil {
		ev.Changed = func() {}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.ev = ev
}

// Attach gives the bank its link. Call Sync after every connect.
func (b *Bank) Attach(p Publisher) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.pub = p
}

// Sync sends each device what the agent wants of it, after a connect: off to those that must be
// closed (every one at the start), the rest of its run to one that runs; and asks its state.
func (b *Bank) Sync() {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	for _, i := range b.indexes() {
		v := b.valves[i]
		if v.want && v.until.After(now) {
			b.send(v, v.proto.on(v.timer(v.until.Sub(now))))
		} else {
			b.send(v, v.proto.off())
		}
		b.send(v, v.proto.query())
	}
}

func (b *Bank) indexes() []int { return slices.Sorted(maps.Keys(b.valves)) }

func (b *Bank) send(v *valve, ms []message) {
	if b.pub == nil {
		return
	}
	for _, m := range ms {
		b.pub.Publish(m.topic, false, []byte(m.payload))
	}
}

// Set switches the valve of zone position i off; a valve opens only with its own timer
// (SetFor). Off is what the agent wants from then on: sent now when the link is up, after
// the next connect otherwise, and again whenever the device says it is on.
func (b *Bank) Set(i int, on bool) error {
	if on {
		return fmt.Errorf("netvalve: zone position %d: a network valve opens only for a run, with its own timer", i)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	v, ok := b.valves[i]
	if !ok {
		return fmt.Errorf("netvalve: no valve at zone position %d", i)
	}
	if !v.want && !v.pending {
		b.send(v, v.proto.off()) // off is never too often: it is what every doubt ends in
		return nil
	}
	v.want, v.until = false, time.Time{}
	b.command(v, v.proto.off())
	return nil
}

// SetFor opens the valve of zone position i for d, its device's own timer set to close it a
// Margin after. It fails when the device cannot be reached: the broker down, the device
// offline, or its last command unanswered.
func (b *Bank) SetFor(i int, d time.Duration) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	v, ok := b.valves[i]
	switch {
	case !ok:
		return fmt.Errorf("netvalve: no valve at zone position %d", i)
	case b.closed:
		return relay.ErrClosed
	case b.pub == nil || !b.pub.Connected():
		return fmt.Errorf("%s: the agent is not connected to the broker", v.Name())
	case !v.online:
		return fmt.Errorf("%s is offline", v.Name())
	case v.noAnswer:
		return fmt.Errorf("%s did not confirm its last command within %v; it is unavailable until it reports", v.Name(), v.Confirm)
	}
	timer := v.timer(d)
	v.want, v.until = true, time.Now().Add(d)
	b.command(v, v.proto.on(timer))
	b.log.Info("network valve opened with its own timer", "zone", v.Zone, "device", v.Name(), "timer", timer)
	return nil
}

// timer is the off timer the device is sent for a run of d: a Margin past its end, at most what
// the device takes; an ESPHome firmware's own, whatever the run.
func (v *valve) timer(d time.Duration) time.Duration {
	if v.Kind == KindESPHome {
		return v.Timer
	}
	return min(d+Margin, v.proto.longest())
}

// command sends ms and waits for the device to confirm v.want within its deadline.
func (b *Bank) command(v *valve, ms []message) {
	b.send(v, ms)
	v.pending = true
	if v.deadline != nil {
		v.deadline.Stop()
	}
	want := v.want
	v.deadline = time.AfterFunc(v.Confirm, func() { b.unconfirmed(v, want) })
}

// unconfirmed makes v unavailable when its device did not confirm want in time, and ends its run.
func (b *Bank) unconfirmed(v *valve, want bool) {
	b.mu.Lock()
	if !v.pending || v.want != want || b.closed {
		b.mu.Unlock()
		return
	}
	v.pending, v.noAnswer = false, true
	state := "closed"
	if want {
		state = "open"
	}
	msg := fmt.Sprintf("%s did not report %s within %v: the zone is unavailable until it reports", v.Name(), state, v.Confirm)
	b.log.Warn(msg, "zone", v.Zone)
	ev := b.ev
	if want {
		v.want, v.until = false, time.Time{}
		b.send(v, v.proto.off())
	}
	b.mu.Unlock()
	ev.Changed()
	if want {
		ev.Lost(v.Index, ReasonFailed, msg)
	}
	ev.Down(v.Index, msg)
}

// Feed reads a message on one of Topics.
func (b *Bank) Feed(topic string, payload []byte) error {
	var errs []error
	var after []func()
	moved := false
	b.mu.Lock()
	for _, v := range b.byTopic[topic] {
		link, reported := b.linkOf(v)
		r, err := v.proto.read(topic, payload)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", v.Name(), err))
			continue
		}
		if fn := b.heard(v, r); fn != nil {
			after = append(after, fn)
		}
		if l, r := b.linkOf(v); l != link || r != reported {
			moved = true
		}
	}
	changed := b.ev.Changed
	b.mu.Unlock()
	for _, fn := range after {
		fn()
	}
	if moved {
		changed()
	}
	return errors.Join(errs...)
}

// heard takes report r of v's device in, and returns what to tell outside the lock.
func (b *Bank) heard(v *valve, r report) func() {
	ev := b.ev
	switch {
	case r.failed != "":
		msg := fmt.Sprintf("%s refused the command: %s", v.Name(), r.failed)
		b.log.Warn(msg, "zone", v.Zone)
		if v.want {
			v.want, v.pending = false, false
			b.send(v, v.proto.off())
			return func() { ev.Lost(v.Index, ReasonFailed, msg) }
		}
		return nil
	case r.online != nil && !*r.online:
		if !v.online {
			return nil
		}
		v.online = false
		msg := v.Name() + " is offline"
		b.log.Warn(msg, "zone", v.Zone)
		if v.want {
			v.want, v.pending = false, false
			lost := msg + fmt.Sprintf(" while open: its own timer closes it %v after the run's end", Margin)
			return func() { ev.Lost(v.Index, ReasonFailed, lost); ev.Down(v.Index, msg) }
		}
		return func() { ev.Down(v.Index, msg) }
	case r.online != nil:
		if !v.want {
			b.send(v, v.proto.query()) // online: what is its state?
		}
		return b.back(v, r.bridge)
	case r.on == nil:
		return nil
	}
	told := b.back(v, false)
	on := *r.on
	v.on = &on
	switch {
	case on == v.want:
		if v.pending {
			v.pending = false
			v.deadline.Stop()
		}
		return told
	case v.pending:
		return told // a report from before the command: its confirmation is still to come
	case on: // open when it should be closed
		msg := v.Name() + " reported open while its zone is closed: closed again"
		b.log.Warn(msg, "zone", v.Zone)
		b.command(v, v.proto.off())
		return func() { call(told); ev.Told(v.Index, msg) }
	}
	msg := v.Name() + " closed by itself before the run's end (its button, its own timer, or no water)"
	if left := v.until.Sub(time.Now()); left <= Margin {
		msg = v.Name() + " closed by its own timer at the run's end"
	}
	b.log.Warn(msg, "zone", v.Zone)
	v.want, v.until = false, time.Time{}
	return func() { call(told); ev.Lost(v.Index, ReasonDevice, msg) }
}

// back marks v's device reachable, and says so if it was offline or unanswering; bridge says a
// bridge came online, which has not heard from the device yet.
func (b *Bank) back(v *valve, bridge bool) func() {
	was := !v.online || v.noAnswer
	v.online, v.noAnswer = true, false
	v.heard = v.heard || !bridge
	if !was {
		return nil
	}
	msg := v.Name() + " is back: its zone is available"
	b.log.Info(msg, "zone", v.Zone)
	ev := b.ev
	return func() { ev.Up(v.Index, msg) }
}

func call(fn func()) {
	if fn != nil {
		fn()
	}
}

// Link says how the valve of zone position i is reached, and what its device last reported
// ("open", "closed", "" for nothing yet); ok is false for a zone that has no network valve.
func (b *Bank) Link(i int) (link, reported string, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	v, ok := b.valves[i]
	if !ok {
		return "", "", false
	}
	link, reported = b.linkOf(v)
	return link, reported, true
}

// linkOf is Link with mu held.
func (b *Bank) linkOf(v *valve) (link, reported string) {
	switch {
	case b.pub == nil || !b.pub.Connected():
		link = LinkBrokerOff
	case !v.online:
		link = LinkOffline
	case v.noAnswer:
		link = LinkNoAnswer
	case !v.heard:
		link = LinkUnknown
	default:
		link = LinkOnline
	}
	switch {
	case v.on == nil:
	case *v.on:
		reported = "open"
	default:
		reported = "closed"
	}
	return link, reported
}

// Close stops waiting for the devices' confirmations and refuses to open any valve from then on.
// It sends nothing: the agent switched every valve off before (Set), while its link was up.
func (b *Bank) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	for _, v := range b.valves {
		if v.deadline != nil {
			v.deadline.Stop()
		}
		v.want, v.pending = false, false
	}
	return nil
}
