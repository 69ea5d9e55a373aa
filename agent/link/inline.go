package link

import (
	"sync"
	"sync/atomic"
	"time"

	"sprinkler/topics"
)

// Embedded is a broker in the agent's own process (broker/server.Broker).
type Embedded interface {
	// Publish publishes without a network connection.
	Publish(topic string, payload []byte, retained bool) error
	// Subscribe calls fn for the retained messages on filter, then for each live one, on
	// the publisher's goroutine, with its sender.
	Subscribe(filter string, fn func(topic string, payload []byte, retained bool, from topics.Sender)) error
}

// Inline is the agent's link to a broker in its own process: no socket, no reconnects, no
// will (the broker lives and dies with the agent). It saves the two loopback hops that a
// network client of the same broker would make for every command and every reply.
type Inline struct {
	o    Options
	b    Embedded
	up   atomic.Bool
	onUp sync.WaitGroup // the OnUp that Start runs
}

// NewInline returns a link to b; Options' URL, Dial, credentials, keepalive and TLS do not
// apply.
func NewInline(b Embedded, o Options) *Inline { return &Inline{o: o, b: b} }

// Start subscribes to the filters and runs OnUp in its own goroutine.
func (l *Inline) Start() {
	for _, f := range l.o.Filters {
		if err := l.b.Subscribe(f, l.deliver); err != nil {
			l.o.Log.Error("subscribe on the embedded broker failed", "filter", f, "err", err)
		}
	}
	l.o.Log.Info("mqtt connected", "broker", "embedded, in process", "filters", l.o.Filters)
	l.up.Store(true)
	l.onUp.Go(l.o.OnUp)
}

func (l *Inline) deliver(topic string, payload []byte, retained bool, from topics.Sender) {
	l.o.Inbox.Deliver(Message{Topic: topic, Payload: append([]byte(nil), payload...), Retained: retained, From: from})
}

// Publish publishes payload on topic.
func (l *Inline) Publish(topic string, retained bool, payload []byte) {
	if err := l.b.Publish(topic, payload, retained); err != nil {
		l.o.Log.Error("publish on the embedded broker failed", "topic", topic, "err", err)
	}
}

// Connected reports whether Start ran and Close did not: an in-process link does not drop.
func (l *Inline) Connected() bool { return l.up.Load() }

// Connects is 1 once started: an in-process link never reconnects.
func (l *Inline) Connects() int64 {
	if l.up.Load() {
		return 1
	}
	return 0
}

// Close waits for Start's OnUp, then publishes the will's payload, as a clean stop of a network
// link does.
func (l *Inline) Close(time.Duration) error {
	l.onUp.Wait()
	l.up.Store(false)
	return l.b.Publish(l.o.Will, []byte(l.o.WillPayload), true)
}
