package server_test

import (
	"net"
	"testing"
	"time"

	"sprinkler/broker/brokertest"
	"sprinkler/broker/server"
)

// TestRetainGuardIsReleasedWhateverMochiCalls: the retain guard is taken in one mochi callback
// and released in another, so it holds only while mochi calls them in the order this package
// expects. Each way a retained message is stored or scanned (a retained publish at QoS 0 and 1,
// one the ACL refuses, a subscription's replay, a retained will sent now, a retained will with a
// delay, a client gone mid-packet) must leave it free; a mochi that changes the order fails here.
func TestRetainGuardIsReleasedWhateverMochiCalls(t *testing.T) {
	b := start(t, loopbackConfig())
	free := func(what string) {
		t.Helper()
		deadline := time.Now().Add(brokertest.Wait)
		for !server.RetainGuardFree(b) { // released by the client's goroutine after its packet
			if time.Now().After(deadline) {
				t.Fatalf("after %s the retain guard is still held", what)
			}
			time.Sleep(time.Millisecond)
		}
	}
	raw := func(id string, o brokertest.RawOptions) *brokertest.Raw {
		r := brokertest.Dial(t, b.Addr())
		o.ClientID, o.Keepalive = id, 60
		if code, err := r.Connect(o); err != nil || code != 0 {
			t.Fatalf("%s: connack %#x, %v", id, code, err)
		}
		return r
	}
	p := raw("publisher", brokertest.RawOptions{})
	p.Publish("sprinkler/garden/state", "a", 0, true, 0)
	p.Publish("sprinkler/garden/state", "b", 1, true, 1)
	p.Publish("sprinkler/garden/zone/1/set", "OPEN", 1, true, 2) // a retained command: dropped
	p.Subscribe(3, "sprinkler/#", 1)
	for range 4 { // the acks and the SUBACK: every packet handled
		if _, _, err := p.Read(); err != nil {
			t.Fatal(err)
		}
	}
	free("retained publishes and a replay")
	w := raw("will-now", brokertest.RawOptions{Will: &brokertest.Will{Topic: "sprinkler/_sync/will-now", Payload: "gone", Retain: true, QoS: 1}})
	w.Drop()
	free("a retained will")
	d := raw("will-later", brokertest.RawOptions{Version: 5, Will: &brokertest.Will{Topic: "sprinkler/_sync/will-later", Payload: "gone", Retain: true, Delay: 1}})
	d.Drop()
	free("a delayed retained will")
	cut := brokertest.Dial(t, b.Addr())
	if code, err := brokertest.Wrap(t, cut.Conn).Connect(brokertest.RawOptions{ClientID: "cut", Keepalive: 60}); err != nil || code != 0 {
		t.Fatal(code, err)
	}
	_, _ = cut.Conn.Write(brokertest.Frame(0x31, append(brokertest.Str("sprinkler/garden/state"), "half"...))[:10]) // half a packet
	_ = cut.Conn.(*net.TCPConn).Close()
	free("a client gone mid-packet")
}
