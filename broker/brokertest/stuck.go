package brokertest

import (
	"net"
	"testing"
)

// Stuck connects a client that subscribes to filter at QoS 1 and then never reads again, as a
// hung dashboard would: its socket buffers fill and the broker must not wait for it. The
// connection closes, without a goodbye, when the test ends or when the returned kill is
// called.
func Stuck(t testing.TB, addr, clientID, filter string) (kill func()) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetReadBuffer(4096) // fill up quickly
	}
	connect := append([]byte{0, 4, 'M', 'Q', 'T', 'T', 4, 2, 0, 60}, str(clientID)...) // v3.1.1, clean, keepalive 60 s
	subscribe := append(append([]byte{0, 1}, str(filter)...), 1)                       // packet id 1, QoS 1
	for _, pk := range [][]byte{Frame(0x10, connect), Frame(0x82, subscribe)} {
		if _, err := c.Write(pk); err != nil {
			t.Fatal(err)
		}
	}
	return func() { _ = c.Close() }
}

// str encodes an MQTT string: a two-byte length, then the bytes.
func str(s string) []byte { return append([]byte{byte(len(s) >> 8), byte(len(s))}, s...) }
