package server

import (
	"sync"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// The hooks that work around mochi v2.7.9, each on its own so that it goes with the upgrade
// that fixes its bug. (Two more workarounds are not hooks: Close's timeout in server.go, and
// Compatibilities.NoInheritedPropertiesOnAck, which stops mochi echoing a publish's user
// properties, and with them a reason 0x01, in an MQTT 5 PUBACK.)

// subscribeClash works around mochi refusing a SUBSCRIBE whose packet id equals the id of a
// message the broker itself has in flight to that client, although the two sides number their
// packets independently. The refused subscription looks granted to a v3 client, which then
// never hears from it; paho hits this on its second SUBSCRIBE while retained messages from its
// first are in flight. The clashing in-flight entry is set aside until OnSubscribed, with the
// client locked so that no new outbound message can take its id.
type subscribeClash struct {
	mqtt.HookBase
	mu      sync.Mutex
	stashed map[*mqtt.Client]packets.Packet
}

func (h *subscribeClash) ID() string { return "mochi-2.7.9-subscribe-packet-id" }

func (h *subscribeClash) Provides(b byte) bool {
	return provides(b, mqtt.OnSubscribe, mqtt.OnSubscribed)
}

func (h *subscribeClash) OnSubscribe(cl *mqtt.Client, pk packets.Packet) packets.Packet {
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
func (h *subscribeClash) OnSubscribed(cl *mqtt.Client, pk packets.Packet, reasonCodes []byte) {
	h.mu.Lock()
	in, ok := h.stashed[cl]
	delete(h.stashed, cl)
	h.mu.Unlock()
	if ok {
		cl.State.Inflight.Set(in)
		cl.Unlock()
	}
}

// sendQueue is how many messages may wait in the broker for one client's connection. A new
// subscription's retained messages are queued at once, so it holds a fleet's and the presence
// records (mochi drops what does not fit).
const sendQueue = 1024

// embeddedSendQueue is sendQueue for a broker inside an agent: a subscription there replays one
// agent's retained states (some 25, and a record per connected client under <base>/clients), and
// every client's queue is allocated whole when it connects: 2 KiB each rather than 8.
const embeddedSendQueue = 256

// noSendQuota turns mochi's send quota off for every client. After each packet from a client
// with QoS 1 or 2 messages in flight and quota left, mochi looks for held-back messages under
// a read lock it takes twice (Inflight.NextImmediate); a publish to that client between the
// two waits for the first and blocks the second, which freezes the client, the publisher, and
// in turn every publish and the broker's Close. Without a quota messages are never held back:
// they wait in the client's queue of sendQueue writes. An MQTT 5 client's Receive Maximum is
// not enforced (it could only be, in mochi, through that quota).
type noSendQuota struct{ mqtt.HookBase }

func (h *noSendQuota) ID() string { return "mochi-2.7.9-send-quota" }

func (h *noSendQuota) Provides(b byte) bool { return provides(b, mqtt.OnSessionEstablished) }

// OnSessionEstablished runs after a resumed session's quota is set and before the client's
// first packet is read.
func (h *noSendQuota) OnSessionEstablished(cl *mqtt.Client, pk packets.Packet) {
	cl.State.Inflight.ResetSendQuota(0)
}

// v3Disconnect stops the DISCONNECT mochi sends an MQTT 3.1.1 client when it closes its
// connection (at shutdown, on a takeover, after a refused publish), which 3.1.1 does not allow
// a server to send and Home Assistant's client logs as "Unrecognised command 224". The packet
// is given a size limit it cannot meet, so mochi writes nothing and closes the connection alone.
type v3Disconnect struct{ mqtt.HookBase }

func (h *v3Disconnect) ID() string { return "mochi-2.7.9-v3-disconnect" }

func (h *v3Disconnect) Provides(b byte) bool { return provides(b, mqtt.OnPacketEncode) }

func (h *v3Disconnect) OnPacketEncode(cl *mqtt.Client, pk packets.Packet) packets.Packet {
	if pk.FixedHeader.Type == packets.Disconnect && cl.Properties.ProtocolVersion < 5 {
		pk.Mods.MaxSize = 1
	}
	return pk
}
