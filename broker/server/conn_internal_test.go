package server

import (
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// TestStalledClientIsDisconnected: a write the client does not take within the write timeout
// fails, and the connection is closed rather than left with half a packet in it.
func TestStalledClientIsDisconnected(t *testing.T) {
	server, client := net.Pipe() // unbuffered: a write waits for a read that never comes
	defer client.Close()
	c := &clientConn{Conn: server, writeTimeout: 50 * time.Millisecond}
	if _, err := c.Write([]byte{0x30, 0}); err == nil {
		t.Fatal("a write nobody reads succeeded")
	}
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, io.ErrClosedPipe) {
		t.Errorf("after the timeout the connection is not closed: %v", err)
	}
}
