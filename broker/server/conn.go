package server

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"
)

// maxConnect bounds a CONNECT packet, the one packet read before a client is known.
const maxConnect = 16 << 10

// writeTimeout is how long a client may take to accept one sendChunk of what is sent to it; a
// client that takes nothing for that long is disconnected.
const writeTimeout = 10 * time.Second

// maxBehind is how many bytes may wait to be sent to one client beyond what its socket holds;
// a client further behind cannot keep up and is disconnected.
const maxBehind = 1 << 20

// socketBuffer is the kernel's send buffer of a client's TCP connection, set rather than left to
// grow to megabytes, so that a client that stops reading shows as one within maxBehind and
// writeTimeout rather than hiding in the kernel.
const socketBuffer = 64 << 10

// sendChunk is the most written to a socket in one call, so that a slow client that is still
// reading gets writeTimeout for each part of a large backlog.
const sendChunk = 64 << 10

// closeFlush bounds how long a closing connection may take to send what was queued before
// it (a CONNACK that refuses, say).
const closeFlush = 2 * time.Second

// guardedListener hands mochi connections that must send a small CONNECT within the connect
// timeout and whose writes never wait on the client (clientConn). Its Accept survives running
// out of file descriptors: it waits and tries again rather than returning, since mochi stops
// serving a listener for good on the first Accept error.
type guardedListener struct {
	net.Listener
	connectTimeout time.Duration
	log            *slog.Logger
	dropped        func() // a client that did not keep up was disconnected
}

func (l guardedListener) Accept() (net.Conn, error) {
	delay := 5 * time.Millisecond
	for {
		c, err := l.Listener.Accept()
		if err == nil {
			if tc, ok := c.(*net.TCPConn); ok {
				_ = tc.SetWriteBuffer(socketBuffer)
			}
			_ = c.SetReadDeadline(time.Now().Add(l.connectTimeout))
			cc := newClientConn(c, writeTimeout, maxBehind)
			cc.log, cc.dropped = l.log, l.dropped
			return cc, nil
		}
		if errors.Is(err, net.ErrClosed) {
			return nil, err
		}
		l.log.Error("accepting a connection failed; trying again", "listener", l.Addr().String(), "in", delay, "err", err)
		time.Sleep(delay)
		delay = min(2*delay, time.Second)
	}
}

// clientConn is a client's connection as mochi uses it.
//
// Reading, it refuses a first packet that is not a CONNECT of at most maxConnect bytes before
// mochi allocates its body.
//
// Writing never waits on the client. mochi writes a client's packets under that client's
// lock, and every publish to the client takes the same lock to number a QoS 1 message, so a
// write blocked on a client that stopped reading would stall every publisher behind it. Write
// only queues the bytes; the connection's own goroutine (send) hands them to the socket. A
// client that takes nothing for writeTimeout, or lets more than maxBehind bytes pile up, is
// disconnected, and what was queued for it is freed.
//
// Deadlines: mochi sets both on every packet read (none with keepalive 0), which would lift the
// write deadline of a write in progress; here SetDeadline moves only the read deadline and the
// sender keeps its own write deadline.
type clientConn struct {
	net.Conn
	writeTimeout time.Duration
	maxBehind    int
	log          *slog.Logger // says why a client that does not keep up was disconnected; may be nil
	dropped      func()       // called when such a client was disconnected; may be nil
	header       []byte       // the fixed header's bytes while it is being read
	known        bool         // the first packet's header passed

	mu      sync.Mutex
	queued  []byte // written, not yet handed to the socket
	err     error  // why the connection ended; every later Write returns it
	closing bool   // Close was called: send what is queued, then close
	wake    chan struct{}
	done    chan struct{} // closed when the sender has ended and the socket is closed
}

var _ net.Conn = (*clientConn)(nil)

// errBehind ends the connection of a client that lets too much pile up.
var errBehind = errors.New("client does not keep up with what is sent to it")

func newClientConn(c net.Conn, writeTimeout time.Duration, maxBehind int) *clientConn {
	cc := &clientConn{Conn: c, writeTimeout: writeTimeout, maxBehind: maxBehind,
		wake: make(chan struct{}, 1), done: make(chan struct{})}
	go cc.send()
	return cc
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

// Write queues p for the sender and returns at once; it fails once the connection has ended,
// and ends it when the client is more than maxBehind bytes behind.
func (c *clientConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	switch {
	case c.err != nil:
		err := c.err
		c.mu.Unlock()
		return 0, err
	case c.closing:
		c.mu.Unlock()
		return 0, net.ErrClosed
	case len(c.queued)+len(p) > c.maxBehind:
		c.mu.Unlock()
		c.fail(fmt.Errorf("%w: more than %d bytes behind", errBehind, c.maxBehind))
		return 0, errBehind
	}
	c.queued = append(c.queued, p...)
	c.mu.Unlock()
	c.poke()
	return len(p), nil
}

// poke wakes the sender.
func (c *clientConn) poke() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// send hands what is queued to the socket, sendChunk at a time, each within writeTimeout (or,
// once closing, all of it within closeFlush), until the connection ends. While the kernel
// still holds bytes for the client it looks every writeTimeout whether the client took any:
// one that took nothing is disconnected even when nothing more is written to it.
func (c *clientConn) send() {
	defer close(c.done)
	var buf []byte
	watch := time.NewTimer(c.writeTimeout)
	watch.Stop()
	defer watch.Stop()
	var acked uint64 // what the client had acknowledged when the watch was set
	for {
		select {
		case <-c.wake:
		case <-watch.C:
			queued, now, ok := kernelQueue(c.Conn)
			switch {
			case !ok || queued == 0:
			case now == acked:
				c.fail(fmt.Errorf("%w: took nothing of %d bytes for %v", errBehind, queued, c.writeTimeout))
				return
			default:
				acked = now
				watch.Reset(c.writeTimeout)
			}
			continue
		}
		c.mu.Lock()
		buf, c.queued = c.queued, buf[:0]
		failed, closing := c.err != nil, c.closing
		c.mu.Unlock()
		if failed {
			return
		}
		deadline := time.Now().Add(closeFlush)
		for rest := buf; len(rest) > 0; {
			n := min(len(rest), sendChunk)
			if !closing {
				deadline = time.Now().Add(c.writeTimeout)
			}
			_ = c.Conn.SetWriteDeadline(deadline)
			if _, err := c.Conn.Write(rest[:n]); err != nil {
				if !closing && errors.Is(err, os.ErrDeadlineExceeded) {
					err = fmt.Errorf("%w: took nothing for %v", errBehind, c.writeTimeout)
				}
				c.fail(err)
				return
			}
			rest = rest[n:]
		}
		if closing {
			c.fail(net.ErrClosed)
			return
		}
		if queued, now, ok := kernelQueue(c.Conn); ok && queued > 0 {
			acked = now
			watch.Reset(c.writeTimeout)
		}
		if cap(buf) > sendChunk {
			buf = nil // a burst's buffer is not kept for a quiet client
		}
		buf = buf[:0]
	}
}

// fail ends the connection for err, at once: nothing more is sent.
func (c *clientConn) fail(err error) {
	c.mu.Lock()
	first := c.err == nil && !c.closing
	if c.err == nil {
		c.err = err
	}
	behind := len(c.queued)
	c.queued = nil
	c.mu.Unlock()
	if errors.Is(err, errBehind) {
		if first && c.log != nil {
			c.log.Warn("client disconnected: it does not read what is sent to it", "remote", c.RemoteAddr().String(),
				"queued_bytes", behind, "reason", err)
		}
		if first && c.dropped != nil {
			c.dropped()
		}
		reset(c.Conn)
	}
	_ = c.Conn.Close()
	c.poke()
}

// reset makes closing c drop what its kernel still holds for the client and tell it so (a TCP
// reset), rather than keep the connection half alive until a client that reads nothing takes it.
func reset(c net.Conn) {
	if tc := tcpOf(c); tc != nil {
		_ = tc.SetLinger(0)
	}
}

// tcpOf is the TCP connection under c (plain, TLS or WebSocket), or nil.
func tcpOf(c net.Conn) *net.TCPConn {
	for {
		switch x := c.(type) {
		case *net.TCPConn:
			return x
		case interface{ NetConn() net.Conn }: // TLS, WebSocket
			c = x.NetConn()
		default:
			return nil
		}
	}
}

// Close ends the connection once what was written before it is sent (within closeFlush): a
// Read waiting returns at once, and Close does not wait for the client.
func (c *clientConn) Close() error {
	c.mu.Lock()
	if c.closing || c.err != nil {
		c.mu.Unlock()
		return nil
	}
	c.closing = true
	_ = c.Conn.SetReadDeadline(time.Now())
	c.mu.Unlock()
	c.poke()
	return nil
}

// SetDeadline sets the read deadline only; the sender keeps the write deadline.
func (c *clientConn) SetDeadline(t time.Time) error { return c.SetReadDeadline(t) }

// SetReadDeadline sets the read deadline, unless the connection is closing.
func (c *clientConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing || c.err != nil {
		return net.ErrClosed
	}
	return c.Conn.SetReadDeadline(t)
}

// SetWriteDeadline does nothing: writes do not wait, and the sender bounds each of its own.
func (c *clientConn) SetWriteDeadline(time.Time) error { return nil }

// unwrap returns the connection a clientConn wraps.
func unwrap(c net.Conn) net.Conn {
	if cc, ok := c.(*clientConn); ok {
		return cc.Conn
	}
	return c
}
