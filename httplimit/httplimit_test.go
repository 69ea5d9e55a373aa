package httplimit_test

import (
	"errors"
	"log/slog"
	"net"
	"os"
	"testing"
	"time"

	"sprinkler/httplimit"
)

// TestListenerCapsConnections: past PerAddress connections from one address the listener
// closes new ones at once; closing one gives its place back, once however often it is closed.
func TestListenerCapsConnections(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := httplimit.Listener(inner, slog.New(slog.DiscardHandler))
	defer l.Close()
	accepted := make(chan net.Conn, httplimit.PerAddress+1)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	var clients []net.Conn
	dial := func() net.Conn {
		c, err := net.Dial("tcp", inner.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		clients = append(clients, c)
		return c
	}
	defer func() {
		for _, c := range clients {
			_ = c.Close()
		}
	}()
	var held []net.Conn
	for range httplimit.PerAddress {
		dial()
		held = append(held, <-accepted)
	}
	refused := func(what string) {
		t.Helper()
		c := dial()
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Read(make([]byte, 1)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("%s was kept open: %v", what, err)
		}
	}
	refused("a connection past the cap")
	_ = held[0].Close()
	_ = held[0].Close() // a second close gives nothing back twice
	dial()
	select {
	case c := <-accepted:
		held = append(held, c)
	case <-time.After(5 * time.Second):
		t.Fatal("the place a closed connection left was not given again")
	}
	refused("a connection past the cap after one place came back")
}

// TestServerHasTimeouts: every phase of a request has a bound.
func TestServerHasTimeouts(t *testing.T) {
	s := httplimit.Server(nil)
	if s.ReadHeaderTimeout == 0 || s.ReadTimeout == 0 || s.WriteTimeout == 0 || s.IdleTimeout == 0 || s.MaxHeaderBytes == 0 {
		t.Errorf("a bound is missing: %+v", s)
	}
}
