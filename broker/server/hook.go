package server

import (
	"bytes"
	"hash/maphash"
	"log/slog"
	"net"
	"sync"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"

	"sprinkler/topics"
)

// hook is the broker's own mochi hook. It authenticates clients, refuses retained commands,
// remembers who published each command (so the embedded agent can name its requester) and
// when each client connected.
type hook struct {
	mqtt.HookBase
	cfg     Config
	log     *slog.Logger
	origins *origins

	mu        sync.Mutex
	connected map[*mqtt.Client]time.Time
	stashed   map[*mqtt.Client]packets.Packet
}

func newHook(cfg Config, log *slog.Logger) *hook {
	return &hook{cfg: cfg, log: log, origins: newOrigins(), connected: map[*mqtt.Client]time.Time{}, stashed: map[*mqtt.Client]packets.Packet{}}
}

func (h *hook) ID() string { return "sprinkler" }

func (h *hook) Provides(b byte) bool {
	return bytes.Contains([]byte{
		mqtt.OnConnectAuthenticate, mqtt.OnACLCheck, mqtt.OnPublish,
		mqtt.OnSessionEstablished, mqtt.OnDisconnect, mqtt.OnSubscribe, mqtt.OnSubscribed,
	}, []byte{b})
}

// OnConnectAuthenticate lets in the in-process agent, and anonymous clients from loopback when
// the policy allows them. Accounts come with user management; until then a username is refused.
func (h *hook) OnConnectAuthenticate(cl *mqtt.Client, pk packets.Packet) bool {
	if cl.Net.Listener == internalListener {
		return true
	}
	ok := len(pk.Connect.Username) == 0 && h.cfg.Anonymous == AnonymousLoopback && isLoopback(cl.Net.Remote)
	if !ok {
		h.log.Warn("connection refused", "client", cl.ID, "remote", cl.Net.Remote,
			"username", string(pk.Connect.Username), "anonymous", h.cfg.Anonymous)
	}
	return ok
}

// OnACLCheck allows every authenticated client every topic; roles and ACLs narrow it.
func (h *hook) OnACLCheck(cl *mqtt.Client, topic string, write bool) bool { return true }

// OnPublish drops retained commands: acknowledged so the publisher is not left waiting, but
// neither stored nor delivered, since a retained command would act again on every reconnect.
func (h *hook) OnPublish(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	if !topics.IsCommand(pk.TopicName) {
		return pk, nil
	}
	if pk.FixedHeader.Retain {
		h.log.Warn("retained command dropped", "topic", pk.TopicName, "client", cl.ID, "remote", cl.Net.Remote)
		return pk, packets.CodeSuccessIgnore
	}
	h.origins.put(pk.TopicName, pk.Payload, cl.ID, string(cl.Properties.Username))
	return pk, nil
}

func (h *hook) OnSessionEstablished(cl *mqtt.Client, pk packets.Packet) {
	h.mu.Lock()
	h.connected[cl] = time.Now()
	h.mu.Unlock()
}

func (h *hook) OnDisconnect(cl *mqtt.Client, err error, expire bool) {
	h.mu.Lock()
	delete(h.connected, cl)
	h.mu.Unlock()
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

func (h *hook) connectedAt(cl *mqtt.Client) time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.connected[cl]
}

func isLoopback(remote string) bool {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// origins remembers, per command topic, who published the most recent payloads, until the
// agent asks. It is bounded: old entries go first.
type origins struct {
	mu    sync.Mutex
	seed  maphash.Seed
	queue []origin
}

type origin struct {
	topic    string
	sum      uint64
	client   string
	username string
}

// maxOrigins bounds the remembered publishes; the agent takes each within milliseconds.
const maxOrigins = 256

func newOrigins() *origins { return &origins{seed: maphash.MakeSeed()} }

func (o *origins) put(topic string, payload []byte, client, username string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.queue) >= maxOrigins {
		o.queue = o.queue[1:]
	}
	o.queue = append(o.queue, origin{topic, maphash.Bytes(o.seed, payload), client, username})
}

func (o *origins) take(topic string, payload []byte) (string, string, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	sum := maphash.Bytes(o.seed, payload)
	for i, e := range o.queue {
		if e.topic == topic && e.sum == sum {
			o.queue = append(o.queue[:i], o.queue[i+1:]...)
			return e.client, e.username, true
		}
	}
	return "", "", false
}
