// Package link is the agent's MQTT connection, through paho. It keeps the rules that make paho
// safe for a controller: subscribe again on every connect, never block in a message handler,
// a retained last will for presence, and no publish that waits forever.
package link

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"sprinkler/topics"
)

// Message is an inbound MQTT message.
type Message struct {
	Topic    string
	Payload  []byte
	Retained bool // replayed from the broker's store on subscribe, not sent live
	// From is the sender: named by the embedded broker, or, through an external broker, a
	// client of no known id with role topics.RoleExternal, whose ACL let the message through.
	From topics.Sender
}

// Options configure a Link.
type Options struct {
	URL       string // broker URL, e.g. tcp://127.0.0.1:1883
	ClientID  string
	Keepalive time.Duration
	// Username, Password and TLS log in to an external broker.
	Username, Password string
	TLS                *tls.Config
	// Will is the retained topic that gets WillPayload when the connection dies uncleanly.
	Will, WillPayload string
	// Filters are subscribed at QoS 1 on every connect; their messages go to Inbox.
	Filters []string
	// Inbox takes inbound messages. Its Deliver must never wait: it runs on paho's router, or
	// on the publisher's goroutine in an embedded broker.
	Inbox interface{ Deliver(Message) }
	// OnUp runs after every connect once the subscriptions are acknowledged, in its own
	// goroutine; it publishes the agent's state and presence.
	OnUp func()
	// Refused, when set, hears of each filter the broker refused (its ACL, say): nothing on it
	// will come. It runs after every connect, with none when the broker refused none.
	Refused func(filters []string)
	Log     *slog.Logger
}

// Link is a live MQTT connection that reconnects by itself.
type Link struct {
	o        Options
	c        paho.Client
	connects atomic.Int64
	closing  chan struct{} // closed by Close: stop retrying
	close    sync.Once
}

// New returns a Link; it does not connect.
func New(o Options) *Link {
	l := &Link{o: o, closing: make(chan struct{})}
	opts := paho.NewClientOptions().
		SetClientID(o.ClientID).
		SetCleanSession(true).
		SetAutoReconnect(true).
		SetConnectRetry(true).
		SetConnectRetryInterval(2*time.Second).
		SetMaxReconnectInterval(15*time.Second).
		SetKeepAlive(o.Keepalive).
		SetPingTimeout(o.Keepalive/2).
		SetConnectTimeout(10*time.Second).
		SetWriteTimeout(10*time.Second).
		SetOrderMatters(true).
		SetWill(o.Will, o.WillPayload, 1, true).
		SetDefaultPublishHandler(l.handle).
		SetOnConnectHandler(l.onConnect).
		SetConnectionLostHandler(func(_ paho.Client, err error) {
			o.Log.Warn("mqtt connection lost; reconnecting", "err", err)
		}).
		SetReconnectingHandler(func(paho.Client, *paho.ClientOptions) {
			o.Log.Info("mqtt reconnecting")
		})
	opts.SetUsername(o.Username).SetPassword(o.Password).AddBroker(o.URL)
	if o.TLS != nil {
		opts.SetTLSConfig(o.TLS)
	}
	l.c = paho.NewClient(opts)
	return l
}

// Start begins connecting; it returns at once and keeps trying in the background until Close.
func (l *Link) Start() {
	l.o.Log.Info("mqtt connecting", "broker", l.o.URL, "client_id", l.o.ClientID)
	l.c.Connect()
}

func (l *Link) onConnect(c paho.Client) {
	l.connects.Add(1)
	filters := make(map[string]byte, len(l.o.Filters))
	for _, f := range l.o.Filters {
		filters[f] = 1
	}
	var t paho.Token
	for {
		t = c.SubscribeMultiple(filters, l.handle)
		if t.WaitTimeout(10*time.Second) && t.Error() == nil {
			break
		}
		if !c.IsConnectionOpen() {
			return // the next connect subscribes again
		}
		l.o.Log.Error("mqtt subscribe failed; trying again", "err", t.Error())
		select {
		case <-time.After(2 * time.Second):
		case <-l.closing:
			return
		}
	}
	l.o.Log.Info("mqtt connected", "broker", l.o.URL, "filters", l.o.Filters)
	if l.o.Refused != nil {
		var refused []string
		if st, ok := t.(*paho.SubscribeToken); ok {
			for f, code := range st.Result() {
				if code == 0x80 {
					refused = append(refused, f)
				}
			}
		}
		slices.Sort(refused)
		l.o.Refused(refused)
	}
	l.o.OnUp()
}

// handle runs on paho's router: it must not block, so it only hands the message on.
func (l *Link) handle(_ paho.Client, m paho.Message) {
	l.o.Inbox.Deliver(Message{Topic: m.Topic(), Payload: append([]byte(nil), m.Payload()...), Retained: m.Retained(),
		From: topics.Sender{Role: topics.RoleExternal}})
}

// Publish sends payload on topic at QoS 1 without waiting. While the link is down the message
// waits in paho's queue and goes out after the reconnect.
func (l *Link) Publish(topic string, retained bool, payload []byte) {
	l.c.Publish(topic, 1, retained, payload)
}

// PublishWait sends payload on topic at QoS 1 and waits for the broker's acknowledgement.
func (l *Link) PublishWait(ctx context.Context, topic string, retained bool, payload []byte) error {
	t := l.c.Publish(topic, 1, retained, payload)
	select {
	case <-t.Done():
		return t.Error()
	case <-ctx.Done():
		return fmt.Errorf("publish %s: %w", topic, ctx.Err())
	}
}

// Connects counts the connections made so far; more than one means reconnects.
func (l *Link) Connects() int64 { return l.connects.Load() }

// Connected reports whether the connection is up now (not merely being retried).
func (l *Link) Connected() bool { return l.c.IsConnectionOpen() }

// Close publishes payload on the will topic, as the will would, since a clean disconnect
// discards the will; then it disconnects. It waits at most timeout for the broker.
func (l *Link) Close(timeout time.Duration) error {
	l.close.Do(func() { close(l.closing) })
	var err error
	if l.c.IsConnectionOpen() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		err = l.PublishWait(ctx, l.o.Will, true, []byte(l.o.WillPayload))
		cancel()
	} else {
		err = errors.New("mqtt link down: the broker keeps the last will instead")
	}
	l.c.Disconnect(250)
	return err
}
