package server

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"
)

// maxConnect bounds a CONNECT packet, the one packet read before a client is known.
const maxConnect = 16 << 10

// writeTimeout is how long one write to a client may wait for the client to read; a client
// that takes nothing for that long is disconnected.
const writeTimeout = 10 * time.Second

// guardedListener hands mochi connections that must send a small CONNECT within the connect
// timeout and that give up writes a client does not read. Its Accept survives running out of
// file descriptors: it waits and tries again rather than returning, since mochi stops serving
// a listener for good on the first Accept error.
type guardedListener struct {
	net.Listener
	connectTimeout time.Duration
	log            *slog.Logger
}

func (l guardedListener) Accept() (net.Conn, error) {
	delay := 5 * time.Millisecond
	for {
		c, err := l.Listener.Accept()
		if err == nil {
			_ = c.SetReadDeadline(time.Now().Add(l.connectTimeout))
			return &clientConn{Conn: c, writeTimeout: writeTimeout}, nil
		}
		if errors.Is(err, net.ErrClosed) {
			return nil, err
		}
		l.log.Error("accepting a connection failed; trying again", "listener", l.Addr().String(), "in", delay, "err", err)
		time.Sleep(delay)
		delay = min(2*delay, time.Second)
	}
}

// clientConn is a client's connection: it refuses a first packet that is not a CONNECT of at
// most maxConnect bytes before mochi allocates its body, and bounds each write.
type clientConn struct {
	net.Conn
	writeTimeout time.Duration
	header       []byte    // the fixed header's bytes while it is being read
	known        bool      // the first packet's header passed
	deadline     time.Time // the write deadline set last
}

func (c *clientConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if !c.known && n > 0 {
		if cerr := c.check(p[:n]); cerr != nil {
			return 0, cerr
		}
	}
	return n, err
}

// check reads the first packet's fixed header from the first bytes received.
func (c *clientConn) check(b []byte) error {
	for _, x := range b {
		c.header = append(c.header, x)
		if len(c.header) == 1 {
			if x>>4 != 1 {
				return fmt.Errorf("first packet is not a CONNECT")
			}
			continue
		}
		if x&0x80 != 0 && len(c.header) < 5 {
			continue
		}
		size, mult := 0, 1
		for _, d := range c.header[1:] {
			size += int(d&0x7f) * mult
			mult *= 128
		}
		if x&0x80 != 0 || size > maxConnect {
			return fmt.Errorf("CONNECT of %d bytes; at most %d", size, maxConnect)
		}
		c.known, c.header = true, nil
		return nil
	}
	return nil
}

// Write writes p, or closes the connection when the client takes nothing for writeTimeout: a
// write cut short leaves half a packet behind, and a client that stopped reading is gone. The
// deadline moves only once half of it has passed (mochi writes a client's packets under the
// client's lock), so that a fan-out to many clients does not reset a timer per packet: a write
// still has between half and all of writeTimeout.
func (c *clientConn) Write(p []byte) (int, error) {
	if now := time.Now(); c.deadline.Sub(now) < c.writeTimeout/2 {
		c.deadline = now.Add(c.writeTimeout)
		_ = c.Conn.SetWriteDeadline(c.deadline)
	}
	n, err := c.Conn.Write(p)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		_ = c.Conn.Close()
	}
	return n, err
}

// unwrap returns the connection a clientConn wraps.
func unwrap(c net.Conn) net.Conn {
	if cc, ok := c.(*clientConn); ok {
		return cc.Conn
	}
	return c
}
