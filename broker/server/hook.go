package server

import (
	"bytes"
	"log/slog"
	"sync"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"

	"sprinkler/topics"
)

// hook is the broker's own mochi hook. It authenticates clients and gives each a role
// (auth.go), enforces the roles' topic ACL for publishes, subscriptions and last wills, refuses
// retained commands, keeps who each client is so that every message can name its sender
// (identity.go), publishes client presence, and works around mochi v2.7.9 bugs (the retain
// guard, OnSubscribe and OnQosComplete below, the packets in compat.go).
type hook struct {
	mqtt.HookBase
	cfg      Config
	log      *slog.Logger
	srv      *mqtt.Server
	users    map[string]User
	sessions *sessions
	clients  func(id string) (*mqtt.Client, bool)
	all      func() map[string]*mqtt.Client

	guard    *retainGuard
	presence *presence // nil: no presence topics
	mu       sync.Mutex
	stashed  map[*mqtt.Client]packets.Packet
	acked    sync.Map // *mqtt.Client: mochi counted the PUBACK being processed
}

func newHook(cfg Config, log *slog.Logger, srv *mqtt.Server) *hook {
	return &hook{cfg: cfg, log: log, srv: srv, users: map[string]User{}, sessions: newSessions(), guard: newRetainGuard(),
		clients: srv.Clients.Get, all: srv.Clients.GetAll, stashed: map[*mqtt.Client]packets.Packet{}}
}

func (h *hook) ID() string { return "sprinkler" }

func (h *hook) Provides(b byte) bool {
	return bytes.Contains([]byte{
		mqtt.OnConnect, mqtt.OnConnectAuthenticate, mqtt.OnACLCheck, mqtt.OnPublish, mqtt.OnRetainMessage,
		mqtt.OnSessionEstablished, mqtt.OnDisconnect, mqtt.OnClientExpired, mqtt.OnPacketSent, mqtt.OnPacketProcessed,
		mqtt.OnWill, mqtt.OnWillSent, mqtt.OnSubscribe, mqtt.OnSubscribed, mqtt.OnQosComplete, mqtt.OnPacketEncode,
	}, []byte{b})
}

// OnACLCheck applies the roles' ACL (see allowed) and the topic length limit. A persistent
// session keeps its role while its client is away, so that its messages are queued.
func (h *hook) OnACLCheck(cl *mqtt.Client, topic string, write bool) bool {
	if cl.Net.Inline {
		return true // the embedded agent
	}
	if len(topic) > h.cfg.MaxTopic {
		h.log.Warn("topic too long", "client", cl.ID, "length", len(topic), "max", h.cfg.MaxTopic)
		return false
	}
	s := h.sessions.of(cl)
	if s == nil {
		return false
	}
	ok := allowed(h.cfg.Prefix, s.identity, topic, write)
	if !ok && write {
		h.log.Warn("publish denied", "client", cl.ID, "user", s.user, "role", s.role, "topic", topic)
	}
	return ok
}

// OnPublish drops retained commands: acknowledged so the publisher is not left waiting, but
// neither stored nor delivered. A retained message that mochi will store takes the retain
// guard until it is stored.
func (h *hook) OnPublish(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	if pk.FixedHeader.Retain && topics.IsCommand(pk.TopicName) {
		h.log.Warn("retained command dropped", "topic", pk.TopicName, "client", cl.ID, "remote", cl.Net.Remote)
		return pk, packets.CodeSuccessIgnore
	}
	if pk.FixedHeader.Retain && !cl.Net.Inline { // the embedded agent's publishes take it in Broker.Publish
		h.guard.enter(cl, true)
	}
	return pk, nil
}

// OnRetainMessage releases the guard a retained publish or will took: the message is stored.
func (h *hook) OnRetainMessage(cl *mqtt.Client, pk packets.Packet, r int64) {
	h.guard.leave(cl)
}

// OnPacketSent takes the guard for reading once a SUBACK is on its way: mochi then scans the
// retained messages for the new subscriptions, and queues them without waiting for the socket.
// Taken only after the SUBACK is written, it is never held while a client that does not read
// blocks the write.
func (h *hook) OnPacketSent(cl *mqtt.Client, pk packets.Packet, b []byte) {
	if pk.FixedHeader.Type == packets.Suback && !cl.Net.Inline {
		h.guard.enter(cl, false)
	}
}

// OnPacketProcessed releases whatever guard the packet still holds, and gives back the send
// window's slot of an acknowledged message that mochi had stopped tracking (see OnQosComplete).
func (h *hook) OnPacketProcessed(cl *mqtt.Client, pk packets.Packet, err error) {
	h.guard.leave(cl)
	if pk.FixedHeader.Type == packets.Puback {
		if _, ok := h.acked.LoadAndDelete(cl); !ok {
			cl.State.Inflight.IncreaseSendQuota()
		}
	}
}

// OnQosComplete notes that mochi counted an acknowledgement. It works around a mochi v2.7.9
// bug: a message that waited for the send window is forgotten as soon as it is written, so its
// PUBACK gives no slot back and the window closes for good once as many messages have waited
// as it holds.
func (h *hook) OnQosComplete(cl *mqtt.Client, pk packets.Packet) {
	h.acked.Store(cl, true)
}

// OnWill checks a will again as it is sent, as a publish by its client would be: one that is
// not allowed is sent, empty, to the client's own sync topic instead, since mochi offers no way
// to cancel it here. A retained will takes the retain guard until it is stored; the sender of
// a delayed will on a command topic is remembered until it is due.
func (h *hook) OnWill(cl *mqtt.Client, will mqtt.Will) (mqtt.Will, error) {
	s := h.sessions.of(cl)
	if s == nil || !mayPublish(h.cfg.Prefix, s.identity, will.TopicName, will.Retain) {
		h.log.Warn("last will not allowed; not sent", "client", cl.ID, "topic", will.TopicName, "retained", will.Retain)
		return mqtt.Will{TopicName: topics.Sync(h.cfg.Prefix, cl.ID), Qos: will.Qos}, nil
	}
	if will.WillDelayInterval > 0 && topics.IsCommand(will.TopicName) {
		h.sessions.willDue(s.identity, secondsOf(will.WillDelayInterval))
	}
	if will.Retain && will.WillDelayInterval == 0 {
		h.guard.enter(cl, true)
	}
	return will, nil
}

// OnWillSent releases what OnWill took, if the will was not stored.
func (h *hook) OnWillSent(cl *mqtt.Client, pk packets.Packet) {
	h.guard.leave(cl)
}

// OnSessionEstablished publishes the client's presence.
func (h *hook) OnSessionEstablished(cl *mqtt.Client, pk packets.Packet) {
	if h.presence != nil && !cl.Net.Inline {
		h.presence.up(cl, h.info(cl))
	}
}

// OnDisconnect forgets a client whose session ends with the connection; a persistent one is
// forgotten when it expires.
func (h *hook) OnDisconnect(cl *mqtt.Client, err error, expire bool) {
	h.guard.leave(cl)
	if h.presence != nil && !cl.Net.Inline {
		h.presence.down(cl)
	}
	if expire {
		h.sessions.remove(cl)
	}
}

// OnClientExpired forgets a persistent session that expired.
func (h *hook) OnClientExpired(cl *mqtt.Client) {
	h.sessions.remove(cl)
}

// info describes a connected client.
func (h *hook) info(cl *mqtt.Client) topics.ClientInfo {
	info := topics.ClientInfo{ID: cl.ID, Online: true, Remote: cl.Net.Remote, Listener: cl.Net.Listener,
		Username: string(cl.Properties.Username)}
	if s := h.sessions.of(cl); s != nil {
		info.Role, info.ConnectedAt = s.role, topics.At(s.connected)
	}
	return info
}

// OnSubscribe works around a mochi v2.7.9 bug: it refuses a SUBSCRIBE whose packet id equals
// the id of a message the broker itself has in flight to that client, although the two sides
// number their packets independently. The refused subscription looks granted to a v3 client,
// which then never hears from it; paho hits this on its second SUBSCRIBE while retained
// messages from its first are in flight. The clashing in-flight entry is set aside until
// OnSubscribed, with the client locked so that no new outbound message can take its id.
func (h *hook) OnSubscribe(cl *mqtt.Client, pk packets.Packet) packets.Packet {
	if cl.Net.Inline {
		return pk
	}
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

// secondsOf is a duration of MQTT seconds.
func secondsOf(s uint32) time.Duration { return time.Duration(s) * time.Second }
