package server

import (
	"bytes"
	"hash/maphash"
	"log/slog"
	"sync"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"

	"sprinkler/topics"
)

// hook is the broker's own mochi hook. It authenticates clients and gives each a role,
// enforces the roles' topic ACL, refuses retained commands, remembers who published each
// command (so the embedded agent can name its requester) and when each client connected.
type hook struct {
	mqtt.HookBase
	cfg     Config
	log     *slog.Logger
	origins *origins
	users   map[string]User
	clients func(id string) (*mqtt.Client, bool)
	all     func() map[string]*mqtt.Client

	guard    *retainGuard
	presence *presence // nil: no presence topics
	mu       sync.Mutex
	sessions map[*mqtt.Client]*session
	stashed  map[*mqtt.Client]packets.Packet
}

// session is what the hook knows of a connected client.
type session struct {
	role      string
	user      string
	connected time.Time
}

func newHook(cfg Config, log *slog.Logger) *hook {
	return &hook{cfg: cfg, log: log, origins: newOrigins(), users: map[string]User{}, guard: newRetainGuard(),
		sessions: map[*mqtt.Client]*session{}, stashed: map[*mqtt.Client]packets.Packet{}}
}

func (h *hook) ID() string { return "sprinkler" }

func (h *hook) Provides(b byte) bool {
	return bytes.Contains([]byte{
		mqtt.OnConnectAuthenticate, mqtt.OnACLCheck, mqtt.OnPublish,
		mqtt.OnSessionEstablished, mqtt.OnDisconnect, mqtt.OnPacketProcessed, mqtt.OnWill, mqtt.OnWillSent, mqtt.OnSubscribe, mqtt.OnSubscribed,
	}, []byte{b})
}

// OnACLCheck applies the roles' ACL (see allowed) and the topic length limit.
func (h *hook) OnACLCheck(cl *mqtt.Client, topic string, write bool) bool {
	if cl.Net.Inline {
		return true // the embedded agent
	}
	if len(topic) > h.cfg.MaxTopic {
		h.log.Warn("topic too long", "client", cl.ID, "length", len(topic), "max", h.cfg.MaxTopic)
		return false
	}
	s := h.session(cl)
	if s == nil {
		return false
	}
	ok := allowed(h.cfg.Prefix, s.role, cl.ID, topic, write)
	if !ok && write {
		h.log.Warn("publish denied", "client", cl.ID, "user", s.user, "role", s.role, "topic", topic)
	}
	return ok
}

// OnPublish drops retained commands: acknowledged so the publisher is not left waiting, but
// neither stored nor delivered, since a retained command would act again on every reconnect.
// It notes who published each command, and a retained message that mochi will store takes
// the retain guard until OnPacketProcessed.
func (h *hook) OnPublish(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	command := topics.IsCommand(pk.TopicName)
	if command && pk.FixedHeader.Retain {
		h.log.Warn("retained command dropped", "topic", pk.TopicName, "client", cl.ID, "remote", cl.Net.Remote)
		return pk, packets.CodeSuccessIgnore
	}
	if command {
		role := RoleAdmin // the in-process agent
		if s := h.session(cl); s != nil {
			role = s.role
		}
		h.origins.put(pk.TopicName, pk.Payload, cl.ID, role)
	}
	if pk.FixedHeader.Retain && !cl.Net.Inline { // the embedded agent's publishes take it in Broker.Publish
		h.guard.enter(cl, true)
	}
	return pk, nil
}

// OnPacketProcessed releases the retain guard a publish or subscribe of cl took.
func (h *hook) OnPacketProcessed(cl *mqtt.Client, pk packets.Packet, err error) {
	h.guard.leave(cl)
}

// OnWill takes the retain guard for a retained will, which mochi stores.
func (h *hook) OnWill(cl *mqtt.Client, will mqtt.Will) (mqtt.Will, error) {
	if will.Retain && will.WillDelayInterval == 0 {
		h.guard.enterWill(cl)
	}
	return will, nil
}

// OnWillSent releases what OnWill took.
func (h *hook) OnWillSent(cl *mqtt.Client, pk packets.Packet) {
	h.guard.leaveWill(cl)
}

// OnSessionEstablished publishes the client's presence.
func (h *hook) OnSessionEstablished(cl *mqtt.Client, pk packets.Packet) {
	if h.presence != nil && !cl.Net.Inline {
		h.presence.up(cl, h.info(cl))
	}
}

func (h *hook) OnDisconnect(cl *mqtt.Client, err error, expire bool) {
	if h.presence != nil && !cl.Net.Inline {
		h.presence.down(cl, time.Now())
	}
	h.mu.Lock()
	delete(h.sessions, cl)
	h.mu.Unlock()
}

// info describes a connected client.
func (h *hook) info(cl *mqtt.Client) topics.ClientInfo {
	return topics.ClientInfo{ID: cl.ID, Online: true, Remote: cl.Net.Remote, Listener: cl.Net.Listener,
		Username: string(cl.Properties.Username), Role: h.roleOf(cl), ConnectedAt: topics.At(h.connectedAt(cl))}
}

// session returns a copy of what the hook knows of cl, or nil.
func (h *hook) session(cl *mqtt.Client) *session {
	h.mu.Lock()
	defer h.mu.Unlock()
	s, ok := h.sessions[cl]
	if !ok {
		return nil
	}
	c := *s
	return &c
}

// OnSubscribe works around a mochi v2.7.9 bug: it refuses a SUBSCRIBE whose packet id equals
// the id of a message the broker itself has in flight to that client, although the two sides
// number their packets independently. The refused subscription looks granted to a v3 client,
// which then never hears from it; paho hits this on its second SUBSCRIBE while retained
// messages from its first are in flight. The clashing in-flight entry is set aside until
// OnSubscribed, with the client locked so that no new outbound message can take its id.
func (h *hook) OnSubscribe(cl *mqtt.Client, pk packets.Packet) packets.Packet {
	if cl.Net.Inline {
		return pk // Broker.Subscribe holds the retain guard
	}
	h.guard.enter(cl, false) // until OnPacketProcessed: the retained messages are sent by then
	if in, ok := cl.State.Inflight.Get(pk.PacketID); ok {
		cl.Lock()
		cl.State.Inflight.Delete(pk.PacketID)
		h.mu.Lock()
		h.stashed[cl] = in
		h.mu.Unlock()
	}
	return pk
}

// OnSubscribed puts back the in-flight entry OnSubscribe set aside.
func (h *hook) OnSubscribed(cl *mqtt.Client, pk packets.Packet, reasonCodes []byte) {
	h.mu.Lock()
	in, ok := h.stashed[cl]
	delete(h.stashed, cl)
	h.mu.Unlock()
	if ok {
		cl.State.Inflight.Set(in)
		cl.Unlock()
	}
}

func (h *hook) connectedAt(cl *mqtt.Client) time.Time {
	if s := h.session(cl); s != nil {
		return s.connected
	}
	return time.Time{}
}

// origins remembers, per command topic, who published the most recent payloads, until the
// agent asks. It is bounded: old entries go first.
type origins struct {
	mu    sync.Mutex
	seed  maphash.Seed
	queue []origin
}

type origin struct {
	topic  string
	sum    uint64
	client string
	role   string
}

// maxOrigins bounds the remembered publishes; the agent takes each within milliseconds.
const maxOrigins = 256

func newOrigins() *origins { return &origins{seed: maphash.MakeSeed()} }

func (o *origins) put(topic string, payload []byte, client, role string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.queue) >= maxOrigins {
		o.queue = o.queue[1:]
	}
	o.queue = append(o.queue, origin{topic, maphash.Bytes(o.seed, payload), client, role})
}

func (o *origins) take(topic string, payload []byte) (string, string, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	sum := maphash.Bytes(o.seed, payload)
	for i, e := range o.queue {
		if e.topic == topic && e.sum == sum {
			o.queue = append(o.queue[:i], o.queue[i+1:]...)
			return e.client, e.role, true
		}
	}
	return "", "", false
}

func (h *hook) roleOf(cl *mqtt.Client) string {
	if s := h.session(cl); s != nil {
		return s.role
	}
	return ""
}
