// Package client talks to sprinkler agents over MQTT for ctl: it finds agents and their
// presence, sends a request and waits for the reply that carries its id, and follows zone
// changes and events.
package client

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
	"unicode"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/eclipse/paho.mqtt.golang/packets"

	"sprinkler/topics"
)

// Errors of the client. Each means the request could not be answered, not that the agent
// refused it: the agent's refusals are *topics.Error.
var (
	// ErrUnreachable means the broker could not be reached.
	ErrUnreachable = errors.New("broker unreachable")
	// ErrNotAuthorized means the broker answered and refused the username and password (or
	// the client certificate).
	ErrNotAuthorized = errors.New("not authorized")
	// ErrOffline means the agent's retained status is offline.
	ErrOffline = errors.New("agent offline")
	// ErrUnknownAgent means the broker holds no status of the agent: it was never seen.
	ErrUnknownAgent = errors.New("agent never seen")
	// ErrTimeout means the deadline passed before the answer came.
	ErrTimeout = errors.New("timed out")
)

// Options say how to reach the broker.
type Options struct {
	Broker   string // URL such as tcp://127.0.0.1:1883
	Prefix   string // topic prefix, normally topics.DefaultPrefix
	Username string
	Password string
	TLS      *tls.Config // for ssl:// and wss:// brokers; nil: the system's roots
}

// Client is one MQTT connection. It is meant for one command: Dial, a call or two, Close.
type Client struct {
	c      paho.Client
	id     string
	prefix string
	lost   chan error
	// online are the agents Agents found online; their status stays subscribed, so a request
	// to one of them needs no second look at it.
	online map[string]bool

	mu      sync.Mutex
	inbox   []paho.Message // in arrival order; paho's router never waits for the caller
	arrived chan struct{}  // a message joined the inbox
}

// inboxSize bounds the messages waiting for the caller: a watch of ten thousand agents
// replays some 100 000 retained states at once, and none may be lost.
const inboxSize = 1 << 20

// Dial connects to the broker, giving up when ctx ends.
func Dial(ctx context.Context, o Options) (*Client, error) {
	cl := &Client{id: newClientID(), prefix: o.Prefix, arrived: make(chan struct{}, 1), lost: make(chan error, 1)}
	timeout := 10 * time.Second
	if dl, ok := ctx.Deadline(); ok {
		timeout = time.Until(dl)
	}
	opts := paho.NewClientOptions().
		AddBroker(o.Broker).
		SetClientID(cl.id).
		SetUsername(o.Username).
		SetPassword(o.Password).
		SetTLSConfig(o.TLS).
		SetCleanSession(true).
		SetAutoReconnect(false).
		SetConnectRetry(false).
		SetConnectTimeout(timeout).
		SetKeepAlive(30 * time.Second).
		SetOrderMatters(true).
		SetDefaultPublishHandler(cl.handle).
		SetConnectionLostHandler(func(_ paho.Client, err error) {
			select {
			case cl.lost <- err:
			default:
			}
		})
	cl.c = paho.NewClient(opts)
	t := cl.c.Connect()
	if err := wait(ctx, t); err != nil {
		if errors.Is(err, packets.ErrorRefusedBadUsernameOrPassword) || errors.Is(err, packets.ErrorRefusedNotAuthorised) {
			who := o.Username
			if who == "" {
				who = "an anonymous client"
			}
			return nil, fmt.Errorf("%w as %s: the broker at %s refused the username or password", ErrNotAuthorized, who, o.Broker)
		}
		return nil, fmt.Errorf("%w: %s: %v", ErrUnreachable, o.Broker, err)
	}
	return cl, nil
}

// handle runs on paho's router and must not block: it queues m for next.
func (c *Client) handle(_ paho.Client, m paho.Message) {
	c.mu.Lock()
	if len(c.inbox) >= inboxSize {
		c.mu.Unlock()
		return // a caller that stopped reading: the command is ending
	}
	c.inbox = append(c.inbox, m)
	c.mu.Unlock()
	select {
	case c.arrived <- struct{}{}:
	default:
	}
}

// Close disconnects.
func (c *Client) Close() { c.c.Disconnect(100) }

// Open reports whether the connection is still up.
func (c *Client) Open() bool { return c.c.IsConnectionOpen() }

// ID is the client id this connection uses.
func (c *Client) ID() string { return c.id }

// newClientID is ctl-<host>-<pid>-<random>, the host name's runs of characters other than
// letters, digits and '-' each made one '-'.
func newClientID() string {
	name, _ := os.Hostname()
	var host strings.Builder
	other := false
	for _, r := range name {
		if r == '-' || r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			host.WriteRune(r)
			other = false
		} else if !other {
			host.WriteByte('-')
			other = true
		}
	}
	h := host.String()
	if len(h) > 20 {
		h = h[:20]
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s%s-%d-%s", topics.ClientPrefixCtl, h, os.Getpid(), hex.EncodeToString(b))
}

func wait(ctx context.Context, t paho.Token) error {
	select {
	case <-t.Done():
		return t.Error()
	case <-ctx.Done():
		return ErrTimeout
	}
}

// subscribe subscribes to filters, and to the client's sync topic, at QoS 1 and waits for the
// broker's acknowledgement.
func (c *Client) subscribe(ctx context.Context, filters ...string) error {
	filters = append(filters, topics.Sync(c.prefix, c.id))
	m := make(map[string]byte, len(filters))
	for _, f := range filters {
		m[f] = 1
	}
	if err := wait(ctx, c.c.SubscribeMultiple(m, c.handle)); err != nil {
		return fmt.Errorf("subscribe: %w", err)
	}
	return nil
}

// sync publishes a fresh marker to the client's own sync topic; its echo arrives after every
// retained message of the subscriptions made before it. It goes at QoS 1 like those, since a
// broker may hold QoS 1 messages back behind its in-flight window and let QoS 0 ones overtake
// them. It does not wait for the broker: the echo, or a lost connection, is what the caller
// waits for. isEcho tells that echo from an older marker's, which a bridge can send back late.
func (c *Client) sync() (isEcho func(paho.Message) bool) {
	topic, marker := topics.Sync(c.prefix, c.id), newRequestID()
	c.c.Publish(topic, 1, false, []byte(marker))
	return func(m paho.Message) bool { return m.Topic() == topic && string(m.Payload()) == marker }
}

// next returns the next inbound message, or ErrTimeout when ctx ends.
func (c *Client) next(ctx context.Context) (paho.Message, error) {
	for {
		c.mu.Lock()
		if len(c.inbox) > 0 {
			m := c.inbox[0]
			c.inbox[0] = nil
			c.inbox = c.inbox[1:]
			c.mu.Unlock()
			return m, nil
		}
		c.mu.Unlock()
		select {
		case <-c.arrived:
			continue
		case err := <-c.lost:
			return nil, fmt.Errorf("%w: connection lost: %v", ErrUnreachable, err)
		case <-ctx.Done():
			return nil, ErrTimeout
		}
	}
}

// Presence is what the broker knows of one agent.
type Presence struct {
	Agent  string       `json:"agent"`
	Status string       `json:"status"` // topics.Online or topics.Offline
	Info   *topics.Info `json:"info,omitempty"`
}

// Agents lists every agent under the prefix that the broker holds a retained status for.
func (c *Client) Agents(ctx context.Context) ([]Presence, error) {
	if err := c.subscribe(ctx, topics.StatusFilter(c.prefix), topics.InfoFilter(c.prefix)); err != nil {
		return nil, err
	}
	synced := c.sync()
	byID := map[string]*Presence{}
	var order []string
	for {
		m, err := c.next(ctx)
		if err != nil {
			return nil, err
		}
		if synced(m) {
			break
		}
		t, ok := topics.Parse(c.prefix, m.Topic())
		if !ok || len(m.Payload()) == 0 {
			continue
		}
		p := byID[t.Agent]
		if p == nil {
			p = &Presence{Agent: t.Agent}
			byID[t.Agent] = p
			order = append(order, t.Agent)
		}
		switch t.Kind {
		case topics.KindStatus:
			p.Status = string(m.Payload())
		case topics.KindInfo:
			var info topics.Info
			if json.Unmarshal(m.Payload(), &info) == nil {
				p.Info = &info
			}
		}
	}
	out := make([]Presence, 0, len(order))
	c.online = map[string]bool{}
	for _, id := range order {
		if p := byID[id]; p.Status != "" {
			out = append(out, *p)
			c.online[id] = p.Status == topics.Online
		}
	}
	return out, nil
}

// Request sends cmd with args (nil for none) to agent and returns its reply. It first reads
// the agent's retained status, unless Agents just found it online, and fails fast with
// ErrOffline or ErrUnknownAgent. The reply
// comes on the client's private reply topic, and the request is valid only until ctx's
// deadline (ts and ttl_s), so an agent never carries it out after the caller gave up. An
// error reply is returned as a *topics.Error.
func (c *Client) Request(ctx context.Context, agent topics.Agent, cmd string, args any) (json.RawMessage, error) {
	respTopic := agent.Reply(cmd, c.id)
	if c.online[agent.ID()] {
		if err := c.subscribe(ctx, respTopic); err != nil {
			return nil, err
		}
	} else {
		if err := c.subscribe(ctx, agent.Status(), respTopic); err != nil {
			return nil, err
		}
		if err := c.awaitOnline(ctx, agent); err != nil {
			return nil, err
		}
	}
	id := newRequestID()
	body := map[string]any{}
	if args != nil { // the command's typed arguments (topics.ZoneArgs, …), as a JSON object
		b, err := json.Marshal(args)
		if err == nil {
			err = json.Unmarshal(b, &body)
		}
		if err != nil {
			return nil, fmt.Errorf("the arguments of %s: %w", cmd, err)
		}
	}
	// The envelope is the client's: arguments cannot change where the reply goes or when
	// the request expires.
	body["id"], body["reply_to"] = id, c.id
	delete(body, "ts")
	delete(body, "ttl_s")
	if dl, ok := ctx.Deadline(); ok {
		now := time.Now()
		body["ts"] = now.UTC().Format(time.RFC3339Nano)
		body["ttl_s"] = max(dl.Sub(now), time.Second).Seconds()
	}
	payload, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	// The reply is the acknowledgement that counts; a lost connection ends the wait below.
	c.c.Publish(agent.Request(cmd), 1, false, payload)
	for {
		m, err := c.next(ctx)
		if errors.Is(err, ErrTimeout) {
			return nil, fmt.Errorf("%w: no reply from agent %s to %s", ErrTimeout, agent.ID(), cmd)
		}
		if err != nil {
			return nil, err
		}
		switch m.Topic() {
		case agent.Status():
			if string(m.Payload()) == topics.Offline {
				return nil, fmt.Errorf("%w: agent %s went offline before it answered", ErrOffline, agent.ID())
			}
		case respTopic:
			var r topics.Response
			if json.Unmarshal(m.Payload(), &r) != nil || r.ID != id {
				continue // another requester's reply
			}
			if err := r.Err(); err != nil {
				return nil, err
			}
			return r.Data, nil
		}
	}
}

// awaitOnline reads the agent's retained status (subscribed already) and returns nil only when
// it is online.
func (c *Client) awaitOnline(ctx context.Context, agent topics.Agent) error {
	synced := c.sync()
	for {
		m, err := c.next(ctx)
		if err != nil {
			return fmt.Errorf("%w: waiting for the status of agent %s", err, agent.ID())
		}
		if synced(m) {
			return fmt.Errorf("%w: the broker has no status of agent %q", ErrUnknownAgent, agent.ID())
		}
		switch m.Topic() {
		case agent.Status():
			if s := string(m.Payload()); s != topics.Online {
				return fmt.Errorf("%w: agent %s is %s", ErrOffline, agent.ID(), strings.TrimSpace(s))
			}
			return nil
		}
	}
}

func newRequestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Update is one message seen by Watch.
type Update struct {
	Agent   string
	Kind    topics.Kind // KindStatus, KindZoneState or KindEvent
	Zone    int
	Payload []byte
	Replay  bool // a retained value from before the watch began
}

// Watch follows presence, zone states and events of agent (every agent when agent is "") and
// calls fn for each until ctx ends. Retained values come first, marked Replay.
func (c *Client) Watch(ctx context.Context, agent string, fn func(Update)) error {
	if err := c.subscribe(ctx, topics.WatchFilters(c.prefix, agent)...); err != nil {
		return err
	}
	for {
		m, err := c.next(ctx)
		if errors.Is(err, ErrTimeout) {
			return nil // ctx ended: the watch is over
		}
		if err != nil {
			return err
		}
		t, ok := topics.Parse(c.prefix, m.Topic())
		if !ok {
			continue
		}
		fn(Update{Agent: t.Agent, Kind: t.Kind, Zone: t.Zone, Payload: m.Payload(), Replay: m.Retained()})
	}
}
