package server

import (
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// TestStalledClientIsDisconnected: writes to a client that reads nothing return at once; the
// connection is closed once the client has taken nothing for the write timeout, whatever
// deadline mochi sets meanwhile (keepalive 0 clears both on every packet read).
func TestStalledClientIsDisconnected(t *testing.T) {
	server, client := net.Pipe() // unbuffered: a write waits for a read that never comes
	defer client.Close()
	c := newClientConn(server, 50*time.Millisecond, 1<<20)
	for i := 0; i < 3; i++ {
		if _, err := c.Write([]byte{0x30, 0}); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
		_ = c.SetDeadline(time.Time{}) // as mochi does after each packet read with keepalive 0
	}
	<-c.done
	if _, err := c.Write([]byte{0x30, 0}); err == nil {
		t.Error("a write after the timeout succeeded")
	}
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, io.ErrClosedPipe) {
		t.Errorf("after the timeout the connection is not closed: %v", err)
	}
}

// TestClientFarBehindIsDisconnected: a client that lets more than maxBehind bytes pile up is
// disconnected at the write that passes it.
func TestClientFarBehindIsDisconnected(t *testing.T) {
	server, client := net.Pipe()
	defer client.Close()
	c := newClientConn(server, time.Hour, 1000)
	if _, err := c.Write(make([]byte, 600)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write(make([]byte, 600)); !errors.Is(err, errBehind) {
		t.Fatalf("the write past the limit: %v", err)
	}
	<-c.done
}

// TestCloseSendsWhatWasQueued: a refusal written just before Close reaches the client, and
// a Read waiting on the connection returns at Close.
func TestCloseSendsWhatWasQueued(t *testing.T) {
	server, client := net.Pipe()
	defer client.Close()
	c := newClientConn(server, time.Hour, 1<<20)
	read := make(chan error, 1)
	go func() { _, err := c.Read(make([]byte, 1)); read <- err }()
	if _, err := c.Write([]byte{0x20, 2, 0, 5}); err != nil {
		t.Fatal(err)
	}
	_ = c.Close()
	if err := <-read; err == nil {
		t.Error("a Read waiting at Close went on")
	}
	got, err := io.ReadAll(client)
	if err != nil && !errors.Is(err, io.ErrClosedPipe) {
		t.Fatal(err)
	}
	if string(got) != "\x20\x02\x00\x05" {
		t.Errorf("the client got %q", got)
	}
	<-c.done
}
