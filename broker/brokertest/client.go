package brokertest

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// Msg is a message a Client received.
type Msg struct {
	Topic    string
	Payload  string
	Retained bool
}

// Client is a paho client for tests. It records every message on its subscriptions and the
// latest value of each topic.
type Client struct {
	t       testing.TB
	id      string
	c       paho.Client
	mu      sync.Mutex
	msgs    []Msg
	latest  map[string]string
	changed chan struct{}
}

var clientSeq atomic.Int64

// Connect connects a client to the broker at url (tcp://host:port) and disconnects it when
// the test ends. Its client id is unique.
func Connect(t testing.TB, url string) *Client {
	t.Helper()
	return ConnectAs(t, url, "", "")
}

// ConnectAs is Connect with a user name and password ("" for none).
func ConnectAs(t testing.TB, url, username, password string) *Client {
	t.Helper()
	c := &Client{t: t, id: fmt.Sprintf("test-%d-%d", time.Now().UnixNano()%1e6, clientSeq.Add(1)), latest: map[string]string{}, changed: make(chan struct{})}
	opts := paho.NewClientOptions().
		AddBroker(url).
		SetUsername(username).
		SetPassword(password).
		SetClientID(c.id).
		SetConnectRetry(false).
		SetConnectTimeout(Wait).
		SetOrderMatters(true).
		SetDefaultPublishHandler(c.record)
	c.c = paho.NewClient(opts)
	if tok := c.c.Connect(); !tok.WaitTimeout(Wait) || tok.Error() != nil {
		t.Fatalf("connect to %s: %v", url, tok.Error())
	}
	t.Cleanup(func() { c.c.Disconnect(50) })
	return c
}

func (c *Client) record(_ paho.Client, m paho.Message) {
	c.mu.Lock()
	c.msgs = append(c.msgs, Msg{m.Topic(), string(m.Payload()), m.Retained()})
	c.latest[m.Topic()] = string(m.Payload())
	close(c.changed)
	c.changed = make(chan struct{})
	c.mu.Unlock()
}

// Subscribe subscribes to filters at QoS 1 and waits for the acknowledgement.
func (c *Client) Subscribe(filters ...string) {
	c.t.Helper()
	m := map[string]byte{}
	for _, f := range filters {
		m[f] = 1
	}
	if tok := c.c.SubscribeMultiple(m, c.record); !tok.WaitTimeout(Wait) || tok.Error() != nil {
		c.t.Fatalf("subscribe %v: %v", filters, tok.Error())
	}
}

// Publish publishes payload at QoS 1 and waits for the broker's acknowledgement.
func (c *Client) Publish(topic string, retained bool, payload string) {
	c.t.Helper()
	if tok := c.c.Publish(topic, 1, retained, payload); !tok.WaitTimeout(Wait) || tok.Error() != nil {
		c.t.Fatalf("publish %s: %v", topic, tok.Error())
	}
}

// ID is the client's MQTT client id.
func (c *Client) ID() string { return c.id }

// Paho is the underlying paho client.
func (c *Client) Paho() paho.Client { return c.c }

// Await waits until the latest value of topic is want, and fails the test after Wait.
func (c *Client) Await(topic, want string) {
	c.t.Helper()
	if !c.WaitFor(func(latest map[string]string, _ []Msg) bool { return latest[topic] == want }) {
		c.mu.Lock()
		got, ok := c.latest[topic]
		c.mu.Unlock()
		c.t.Fatalf("%s: want %q, got %q (received: %v)", topic, want, got, ok)
	}
}

// AwaitMsg waits for a message on topic whose payload contains all of parts, and returns it.
func (c *Client) AwaitMsg(topic string, parts ...string) Msg {
	c.t.Helper()
	var found Msg
	ok := c.WaitFor(func(_ map[string]string, msgs []Msg) bool {
		for _, m := range msgs {
			if m.Topic == topic && containsAll(m.Payload, parts) {
				found = m
				return true
			}
		}
		return false
	})
	if !ok {
		c.t.Fatalf("no message on %s containing %q; got %v", topic, parts, c.On(topic))
	}
	return found
}

func containsAll(s string, parts []string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

// WaitFor waits until cond holds over the latest values and all messages so far, up to Wait.
func (c *Client) WaitFor(cond func(latest map[string]string, msgs []Msg) bool) bool {
	deadline := time.After(Wait)
	for {
		c.mu.Lock()
		ok := cond(c.latest, c.msgs)
		ch := c.changed
		c.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-ch:
		case <-deadline:
			return false
		}
	}
}

// On returns the messages received on topic so far.
func (c *Client) On(topic string) []Msg {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []Msg
	for _, m := range c.msgs {
		if m.Topic == topic {
			out = append(out, m)
		}
	}
	return out
}

// Latest returns the latest value of topic and whether one arrived.
func (c *Client) Latest(topic string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.latest[topic]
	return v, ok
}

// Topics returns the topics that received messages, sorted.
func (c *Client) Topics() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for k := range c.latest {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
