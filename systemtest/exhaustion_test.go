package systemtest

import (
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sprinkler/broker/brokertest"
)

// TestDescriptorExhaustion runs the standalone broker with 128 file descriptors. Clients past
// what that allows are refused with a CONNACK (server unavailable), not left unaccepted; and
// when half-open sockets take every descriptor, the listener waits and serves again once they
// are gone, rather than stopping for good on the first failed accept.
func TestDescriptorExhaustion(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("needs bash for ulimit")
	}
	brk := startProc(t, "bash", []string{"-c", "ulimit -n 128 && exec " + filepath.Join(bin, "broker")},
		"SPRINKLER_BROKER_LISTEN=127.0.0.1:0", "SPRINKLER_BROKER_CONNECT_TIMEOUT=1s")
	addr := brk.listening(t)

	codes := map[byte]int{}
	var held []*brokertest.Raw
	for i := 0; i < 100; i++ {
		raw := brokertest.Dial(t, addr)
		code, err := raw.Connect(brokertest.RawOptions{ClientID: fmt.Sprintf("fd-%d", i), Keepalive: 60})
		if err != nil {
			t.Fatalf("client %d: %v (the broker should answer every CONNECT)", i, err)
		}
		codes[code]++
		if code == 0 {
			held = append(held, raw)
		}
	}
	if codes[0] != 64 || codes[3] != 36 {
		t.Errorf("CONNACK codes for 100 clients with 128 descriptors: %v; want 64 accepted, 36 server unavailable", codes)
	}
	for _, raw := range held {
		raw.Drop()
	}

	// Sockets that never send a CONNECT take the remaining descriptors, and more wait in the
	// kernel's backlog; they stay open until the broker has failed an accept (closed sooner, the
	// broker could find them gone and free each descriptor before it ran out).
	var conns []net.Conn
	for i := 0; i < 200; i++ {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			break
		}
		conns = append(conns, c)
	}
	brk.await(t, "accepting a connection failed; trying again")
	for _, c := range conns {
		_ = c.Close()
	}
	deadline := time.Now().Add(2 * brokertest.Wait)
	for {
		raw := brokertest.Dial(t, addr)
		_ = raw.Conn.SetDeadline(time.Now().Add(time.Second))
		code, err := raw.Connect(brokertest.RawOptions{ClientID: "after", Keepalive: 60})
		raw.Drop()
		if err == nil && code == 0 {
			break
		}
		if time.Now().After(deadline) {
			brk.stop(t)
			t.Fatalf("the broker no longer serves after running out of descriptors: %v, %#x\n%s", err, code, brk.out)
		}
	}
	brk.stop(t) // its output is complete, and ours to read, once it has stopped
	if !strings.Contains(brk.out.String(), "open-file limit") {
		t.Errorf("the lowered max_clients was not logged:\n%s", brk.out)
	}
}
