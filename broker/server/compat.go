package server

import (
	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// OnPacketEncode stops a packet mochi v2.7.9 sends wrongly, just before it is written: a
// DISCONNECT to an MQTT 3.1.1 client when mochi closes its connection (at shutdown, on a
// takeover, after a refused publish), which 3.1.1 does not allow a server to send and Home
// Assistant's client logs as "Unrecognised command 224". The packet is given a size limit it
// cannot meet, so mochi writes nothing and closes the connection alone.
//
// (mochi's other slip, a PUBACK to an MQTT 5 publish with reason 0x01 and the publish's user
// properties echoed, is off through Compatibilities.NoInheritedPropertiesOnAck: without
// properties the reason byte, success, is left out.)
func (h *hook) OnPacketEncode(cl *mqtt.Client, pk packets.Packet) packets.Packet {
	if pk.FixedHeader.Type == packets.Disconnect && cl.Properties.ProtocolVersion < 5 {
		pk.Mods.MaxSize = 1
	}
	return pk
}
