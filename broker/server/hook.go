package server

import (
	"bytes"
	"log/slog"
	"sync/atomic"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"

	"sprinkler/tally"
	"sprinkler/topics"
)

// The broker's mochi hooks, one concern each, added in this order (mochi calls them in it):
//   - access (here, auth.go, acl.go, identity.go): who a client is, its role, the topic ACL for
//     publishes, subscriptions and wills, each message's sender;
//   - noRetainedCommands (here): a retained command is neither stored nor delivered;
//   - releaser (memory.go): free memory given back after a storm;
//   - retainGuard (retained.go), presence (presence.go);
//   - the mochi v2.7.9 workarounds (compat.go), each to go with the upgrade that fixes it.

// provides reports whether b is one of events, for a hook's Provides.
func provides(b byte, events ...byte) bool { return bytes.Contains(events, []byte{b}) }

// access authenticates clients and gives each a role (auth.go), applies the roles' ACL to
// publishes, subscriptions and last wills (acl.go), and keeps who each client is so that every
// message can name its sender (identity.go).
type access struct {
	mqtt.HookBase
	cfg      Config
	log      *slog.Logger
	srv      *mqtt.Server
	users    atomic.Pointer[userSet]
	tally    *tally.Log
	sessions *sessions
	signins  *signins
	clients  func(id string) (*mqtt.Client, bool)
	all      func() map[string]*mqtt.Client
}

// newAccess returns the access hook; tally is the broker's tally of repeated log lines.
func newAccess(cfg Config, log *slog.Logger, srv *mqtt.Server, tally *tally.Log) *access {
	h := &access{cfg: cfg, log: log, srv: srv, tally: tally, sessions: newSessions(),
		signins: newSignins(cfg.SignIns, cfg.SignInFor), clients: srv.Clients.Get, all: srv.Clients.GetAll}
	h.users.Store(&userSet{byName: map[string]User{}})
	return h
}

func (h *access) ID() string { return "sprinkler-access" }

func (h *access) Provides(b byte) bool {
	return provides(b, mqtt.OnConnect, mqtt.OnConnectAuthenticate, mqtt.OnACLCheck, mqtt.OnWill,
		mqtt.OnDisconnect, mqtt.OnClientExpired)
}

// OnACLCheck applies the roles' ACL (see allowed) and the topic length limit. A persistent
// session keeps its role while its client is away, so that its messages are queued.
func (h *access) OnACLCheck(cl *mqtt.Client, topic string, write bool) bool {
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
	ok := allowed(h.cfg, s.identity, topic, write)
	if !ok && write {
		h.tally.Add(slog.LevelWarn, "denied "+cl.ID+" "+topic, "publish denied", "client", cl.ID, "user", s.user, "role", s.role, "topic", topic)
	}
	return ok
}

// noRetainedCommands drops retained commands: acknowledged so the publisher is not left
// waiting, but neither stored nor delivered, since a retained command would act again on every
// reconnect.
type noRetainedCommands struct {
	mqtt.HookBase
	log *slog.Logger
}

func (h *noRetainedCommands) ID() string { return "sprinkler-no-retained-commands" }

func (h *noRetainedCommands) Provides(b byte) bool { return provides(b, mqtt.OnPublish) }

func (h *noRetainedCommands) OnPublish(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	if pk.FixedHeader.Retain && topics.IsCommand(pk.TopicName) {
		h.log.Warn("retained command dropped", "topic", pk.TopicName, "client", cl.ID, "remote", cl.Net.Remote)
		return pk, packets.CodeSuccessIgnore
	}
	return pk, nil
}

// OnWill checks a will again as it is sent, as a publish by its client would be: one that is
// not allowed is sent, empty, to the client's own sync topic instead, since mochi offers no way
// to cancel it here. The sender of a delayed will on a command topic is remembered until it is
// due.
func (h *access) OnWill(cl *mqtt.Client, will mqtt.Will) (mqtt.Will, error) {
	s := h.sessions.of(cl)
	if s == nil || !mayPublish(h.cfg, s.identity, will.TopicName, will.Retain) {
		h.log.Warn("last will not allowed; not sent", "client", cl.ID, "topic", will.TopicName, "retained", will.Retain)
		return mqtt.Will{TopicName: topics.Sync(h.cfg.Prefix, cl.ID), Qos: will.Qos}, nil
	}
	if will.WillDelayInterval > 0 && topics.IsCommand(will.TopicName) {
		h.sessions.willDue(s.identity, secondsOf(will.WillDelayInterval))
	}
	return will, nil
}

// OnDisconnect forgets a client whose session ends with the connection; a persistent one is
// forgotten when it expires.
func (h *access) OnDisconnect(cl *mqtt.Client, err error, expire bool) {
	if expire {
		h.sessions.remove(cl)
	}
}

// OnClientExpired forgets a persistent session that expired.
func (h *access) OnClientExpired(cl *mqtt.Client) {
	h.sessions.remove(cl)
}

// info describes a connected client.
func (h *access) info(cl *mqtt.Client) topics.ClientInfo {
	info := topics.ClientInfo{ID: cl.ID, Online: true, Remote: cl.Net.Remote, Listener: cl.Net.Listener,
		Username: string(cl.Properties.Username)}
	if s := h.sessions.of(cl); s != nil {
		info.Role, info.ConnectedAt = s.role, topics.At(s.connected)
	}
	return info
}

// secondsOf is a duration of MQTT seconds.
func secondsOf(s uint32) time.Duration { return time.Duration(s) * time.Second }
