// Package intake is the agent's door for the messages it subscribes to. It keeps one queue per
// class of sender (admins; operators, Home Assistant and an external broker's clients;
// viewers; and the data topics, weather readings and sensors, whoever sends them) and serves
// them by weight, so that a flood from one class never starves another; and it limits each
// client's rate.
//
// A client of the embedded broker that sends faster than its rate, or finds its class's queue
// full, is slowed down: its message is delivered on that client's own connection goroutine,
// which waits, so the client's socket stops being read and it can send no faster than it is
// answered. A message that would wait longer than MaxWait, or that cannot wait (an external
// broker's, delivered on paho's router), is refused with a reason (code busy), never in silence:
// each refusal goes to a queue of its own, answered apart from the commands.
package intake

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"sprinkler/agent/link"
	"sprinkler/topics"
)

// Class is the queue a message waits in.
type Class int

// The classes, in the order a round serves them.
const (
	Admin   Class = iota // admins (the local anonymous admin included)
	Operate              // operators, Home Assistant, and clients of an external broker
	View                 // viewers, and senders of no known role (refused later)
	Data                 // the data topics: weather inputs and sensors on topics
	classes
)

var classNames = [classes]string{Admin: "admin", Operate: "operator", View: "viewer", Data: "data"}

func (c Class) String() string { return classNames[c] }

// weights are how many messages of each class one round takes, where there are that many: an
// admin's command waits behind at most a few of anyone else's.
var weights = [classes]int{Admin: 8, Operate: 4, View: 1, Data: 2}

// The limits.
const (
	// QueueSize is how many messages of one class may wait.
	QueueSize = 256
	// ClientBurst is how many messages a client other than an admin may send at once, and
	// ClientRate how many a second after that.
	ClientBurst = 100
	ClientRate  = 100
	// MaxWait is the longest a message waits for its client's rate or its class's queue.
	MaxWait = time.Second
	// refusalQueue is how many refusals may wait to be answered; beyond, they are counted.
	refusalQueue = 512
	// idleClient is how long an idle client's rate is remembered.
	idleClient = time.Minute
)

// Refusal is a message the intake did not take, and why.
type Refusal struct {
	link.Message
	Class Class
	Err   error
}

// Intake queues messages for the agent's worker. Its zero value is not useful; use New.
type Intake struct {
	isData func(topic string) bool

	mu      sync.Mutex
	queues  [classes][]link.Message
	turn    Class // the class being served
	taken   int   // messages taken of it this round
	clients map[string]*limit
	lost    int // refusals that found the refusal queue full, since the last Lost
	ready   chan struct{}
	slots   [classes]chan struct{} // a token per message waiting in each class

	refusals chan Refusal
}

// limit is one client's rate.
type limit struct {
	*rate.Limiter
	seen time.Time
}

// New returns an intake; isData tells the data topics (nil: none).
func New(isData func(topic string) bool) *Intake {
	if isData == nil {
		isData = func(string) bool { return false }
	}
	in := &Intake{isData: isData, clients: map[string]*limit{}, ready: make(chan struct{}, 1),
		refusals: make(chan Refusal, refusalQueue)}
	for c := range classes {
		in.slots[c] = make(chan struct{}, QueueSize)
	}
	return in
}

// ClassOf is the class of a message.
func (in *Intake) ClassOf(m link.Message) Class {
	if in.isData(m.Topic) {
		return Data
	}
	switch m.From.Role {
	case topics.RoleAdmin:
		return Admin
	case topics.RoleOperator, topics.RoleHomeAssistant, topics.RoleExternal:
		return Operate
	}
	return View
}

// Deliver queues m, slowing its sender down where it may wait (see the package comment), or
// refuses it. It waits at most MaxWait, and only on the goroutine of a live message from a
// client of the embedded broker other than an admin; it never waits on paho's router.
func (in *Intake) Deliver(m link.Message) {
	c := in.ClassOf(m)
	mayWait := !m.Retained && m.From.Client != "" && c != Admin && topics.Permits(m.From.Role, topics.AccessRead)
	var deadline <-chan time.Time
	if mayWait {
		t := time.NewTimer(MaxWait)
		defer t.Stop()
		deadline = t.C
	}
	if err := in.pace(m.From, c, mayWait); err != nil {
		in.refuse(Refusal{Message: m, Class: c, Err: err})
		return
	}
	if !in.room(c, deadline) {
		in.refuse(Refusal{Message: m, Class: c, Err: topics.Errorf(topics.CodeBusy,
			"%d messages of %s clients are waiting already; not carried out, try again in a second", QueueSize, c)})
		return
	}
	in.mu.Lock()
	in.queues[c] = append(in.queues[c], m)
	in.mu.Unlock()
	select {
	case in.ready <- struct{}{}:
	default:
	}
}

// room takes a place in class c's queue, waiting for one until deadline (nil: not at all).
func (in *Intake) room(c Class, deadline <-chan time.Time) bool {
	select {
	case in.slots[c] <- struct{}{}:
		return true
	default:
	}
	if deadline == nil {
		return false
	}
	select {
	case in.slots[c] <- struct{}{}:
		return true
	case <-deadline:
		return false
	}
}

// pace spends one of the sender's tokens, waiting for it where the message may wait. Admins,
// and senders the broker cannot name (an external broker's), are not limited per client.
func (in *Intake) pace(from topics.Sender, c Class, mayWait bool) error {
	if c == Admin || from.Client == "" {
		return nil
	}
	now := time.Now()
	in.mu.Lock()
	l, ok := in.clients[from.Client]
	if !ok {
		if len(in.clients) >= 4*QueueSize {
			in.forget(now)
		}
		l = &limit{Limiter: rate.NewLimiter(ClientRate, ClientBurst)}
		in.clients[from.Client] = l
	}
	l.seen = now
	in.mu.Unlock()
	r := l.ReserveN(now, 1)
	if delay := r.DelayFrom(now); delay > 0 {
		if !mayWait || delay > MaxWait {
			r.CancelAt(now)
			return topics.Errorf(topics.CodeBusy, "client %s sends more than %d messages a second (%d at once); not carried out, try again in a second",
				from.Client, ClientRate, ClientBurst)
		}
		time.Sleep(delay)
	}
	return nil
}

// forget drops the rates of clients idle for idleClient.
func (in *Intake) forget(now time.Time) {
	for id, l := range in.clients {
		if now.Sub(l.seen) > idleClient {
			delete(in.clients, id)
		}
	}
}

func (in *Intake) refuse(r Refusal) {
	select {
	case in.refusals <- r:
	default:
		in.mu.Lock()
		in.lost++
		in.mu.Unlock()
	}
}

// Next waits for the next message to carry out, taking the classes in turn by weight; false
// once ctx ends.
func (in *Intake) Next(ctx context.Context) (link.Message, bool) {
	for {
		if m, ok := in.take(); ok {
			return m, true
		}
		select {
		case <-in.ready:
		case <-ctx.Done():
			return link.Message{}, false
		}
	}
}

// take returns the next message by weighted turns, if any waits.
func (in *Intake) take() (link.Message, bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	for range 2 * classes { // every class once, even starting mid-round
		q := in.queues[in.turn]
		if len(q) > 0 && in.taken < weights[in.turn] {
			m := q[0]
			q[0] = link.Message{}
			in.queues[in.turn] = q[1:]
			if len(in.queues[in.turn]) == 0 {
				in.queues[in.turn] = nil // the burst's array goes
			}
			in.taken++
			<-in.slots[in.turn]
			return m, true
		}
		in.turn, in.taken = (in.turn+1)%classes, 0
	}
	return link.Message{}, false
}

// Refusals are the messages refused, to be answered (a request) or told (an event).
func (in *Intake) Refusals() <-chan Refusal { return in.refusals }

// Lost returns how many refusals could not even be queued since it was last called.
func (in *Intake) Lost() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	n := in.lost
	in.lost = 0
	return n
}

// Waiting is how many messages of each class wait, for metrics and tests.
func (in *Intake) Waiting() map[string]int {
	in.mu.Lock()
	defer in.mu.Unlock()
	out := make(map[string]int, classes)
	for c := range classes {
		out[c.String()] = len(in.queues[c])
	}
	return out
}
