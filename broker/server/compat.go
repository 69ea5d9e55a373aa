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

// sendWindow is how many QoS 1 and 2 messages may be on their way to a client before it
// acknowledges them; the rest wait in the broker.
const sendWindow = 100

// window works around two faults of mochi's send window. It sets none for MQTT 3.1.1 clients
// and drops what its per-client queue of writes (128) cannot hold, so a subscription that
// matches hundreds of retained messages lost all past the 128th: every client gets a window of
// sendWindow. And a message that waited for the window is forgotten as soon as it is written,
// so its PUBACK gives no slot back, and the window closes for good once as many messages have
// waited as it holds: a PUBACK mochi did not count gives its slot back here.
type window struct {
	mqtt.HookBase
	acked sync.Map // *mqtt.Client: mochi counted the PUBACK being processed
}

func (h *window) ID() string { return "mochi-2.7.9-send-window" }

func (h *window) Provides(b byte) bool {
	return provides(b, mqtt.OnSessionEstablish, mqtt.OnQosComplete, mqtt.OnPacketProcessed)
}

func (h *window) OnSessionEstablish(cl *mqtt.Client, pk packets.Packet) {
	if q := cl.Properties.Props.ReceiveMaximum; q == 0 || q > sendWindow {
		cl.State.Inflight.ResetSendQuota(sendWindow)
	}
}

func (h *window) OnQosComplete(cl *mqtt.Client, pk packets.Packet) { h.acked.Store(cl, true) }

func (h *window) OnPacketProcessed(cl *mqtt.Client, pk packets.Packet, err error) {
	if pk.FixedHeader.Type == packets.Puback {
		if _, ok := h.acked.LoadAndDelete(cl); !ok {
			cl.State.Inflight.IncreaseSendQuota()
		}
	}
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
