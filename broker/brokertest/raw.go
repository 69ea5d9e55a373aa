package brokertest

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"testing"
	"time"
)

// Raw is a hand-made MQTT connection, for what paho cannot send: MQTT 5 wills with a delay,
// odd or partial packets, a client that stops reading. Its methods fail the test on a socket
// error, but for those that return one.
type Raw struct {
	t    testing.TB
	Conn net.Conn
	r    *bufio.Reader
	v    byte // protocol level: 4 (3.1.1) or 5
}

// Will is a last will for RawOptions.
type Will struct {
	Topic, Payload string
	QoS            byte
	Retain         bool
	Delay          uint32 // seconds, MQTT 5 only
}

// RawOptions describe a CONNECT.
type RawOptions struct {
	Version            byte // 4 or 5; 0 means 4
	ClientID           string
	Username, Password string
	Persistent         bool   // clean session (3.1.1) or clean start (5) off
	SessionExpiry      uint32 // MQTT 5: seconds the session outlives the connection
	Keepalive          uint16
	Will               *Will
}

// Dial opens a TCP connection to addr; it is closed when the test ends.
func Dial(t testing.TB, addr string) *Raw {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return &Raw{t: t, Conn: c, r: bufio.NewReader(c)}
}

// Connect sends a CONNECT and returns the CONNACK's return (3.1.1) or reason (5) code, or
// the error of a connection the broker closed without one.
func (r *Raw) Connect(o RawOptions) (byte, error) {
	r.t.Helper()
	r.v = o.Version
	if r.v == 0 {
		r.v = 4
	}
	flags := byte(0)
	if !o.Persistent {
		flags |= 0x02
	}
	var payload []byte
	payload = append(payload, str(o.ClientID)...)
	if w := o.Will; w != nil {
		flags |= 0x04 | w.QoS<<3
		if w.Retain {
			flags |= 0x20
		}
		if r.v == 5 {
			var props []byte
			if w.Delay > 0 {
				props = append([]byte{0x18}, binary.BigEndian.AppendUint32(nil, w.Delay)...)
			}
			payload = append(append(payload, varint(len(props))...), props...)
		}
		payload = append(append(payload, str(w.Topic)...), str(w.Payload)...)
	}
	if o.Username != "" {
		flags |= 0x80
		payload = append(payload, str(o.Username)...)
	}
	if o.Password != "" {
		flags |= 0x40
		payload = append(payload, str(o.Password)...)
	}
	body := append(str("MQTT"), r.v, flags, byte(o.Keepalive>>8), byte(o.Keepalive))
	if r.v == 5 {
		var props []byte
		if o.SessionExpiry > 0 {
			props = append([]byte{0x11}, binary.BigEndian.AppendUint32(nil, o.SessionExpiry)...)
		}
		body = append(append(body, varint(len(props))...), props...)
	}
	r.Send(Frame(0x10, append(body, payload...)))
	_ = r.Conn.SetReadDeadline(time.Now().Add(Wait))
	defer func() { _ = r.Conn.SetReadDeadline(time.Time{}) }()
	typ, ack, err := r.Read()
	if err != nil {
		return 0, err
	}
	if typ>>4 != 2 || len(ack) < 2 {
		return 0, fmt.Errorf("got packet type %#x, not a CONNACK", typ)
	}
	return ack[1], nil
}

// Publish sends a PUBLISH; id is its packet id, for QoS 1 and 2.
func (r *Raw) Publish(topic, payload string, qos byte, retain bool, id uint16) {
	r.t.Helper()
	h := byte(0x30) | qos<<1
	if retain {
		h |= 1
	}
	body := str(topic)
	if qos > 0 {
		body = append(body, byte(id>>8), byte(id))
	}
	if r.v == 5 {
		body = append(body, 0) // no properties
	}
	r.Send(Frame(h, append(body, payload...)))
}

// Subscribe sends a SUBSCRIBE for filter at qos with packet id.
func (r *Raw) Subscribe(id uint16, filter string, qos byte) {
	r.t.Helper()
	body := []byte{byte(id >> 8), byte(id)}
	if r.v == 5 {
		body = append(body, 0)
	}
	r.Send(Frame(0x82, append(append(body, str(filter)...), qos)))
}

// Disconnect sends a DISCONNECT, which discards the will.
func (r *Raw) Disconnect() {
	r.t.Helper()
	if r.v == 5 {
		r.Send(Frame(0xe0, []byte{0}))
		return
	}
	r.Send(Frame(0xe0, nil))
}

// Drop closes the connection without a DISCONNECT, as a crash would: the will is sent.
func (r *Raw) Drop() { _ = r.Conn.Close() }

// Send writes b as it is.
func (r *Raw) Send(b []byte) {
	r.t.Helper()
	if _, err := r.Conn.Write(b); err != nil {
		r.t.Fatalf("raw mqtt write: %v", err)
	}
}

// Read reads one packet: its first header byte and its body.
func (r *Raw) Read() (byte, []byte, error) {
	typ, err := r.r.ReadByte()
	if err != nil {
		return 0, nil, err
	}
	n, mult := 0, 1
	for i := 0; i < 4; i++ {
		b, err := r.r.ReadByte()
		if err != nil {
			return 0, nil, err
		}
		n += int(b&0x7f) * mult
		mult *= 128
		if b&0x80 == 0 {
			break
		}
	}
	body := make([]byte, n)
	_, err = io.ReadFull(r.r, body)
	return typ, body, err
}

// Frame makes an MQTT control packet of its first header byte and body.
func Frame(header byte, body []byte) []byte {
	return append(append([]byte{header}, varint(len(body))...), body...)
}

// varint encodes an MQTT variable byte integer.
func varint(n int) []byte {
	var out []byte
	for {
		b := byte(n % 128)
		n /= 128
		if n > 0 {
			b |= 0x80
		}
		out = append(out, b)
		if n == 0 {
			return out
		}
	}
}

// Wrap is Dial for a connection the test made itself.
func Wrap(t testing.TB, c net.Conn) *Raw { return &Raw{t: t, Conn: c, r: bufio.NewReader(c)} }

// Str encodes an MQTT string: a two-byte length, then the bytes.
func Str(s string) []byte { return str(s) }

// Varint encodes n as an MQTT variable byte integer, as a packet's remaining length.
func Varint(n int) []byte { return varint(n) }
