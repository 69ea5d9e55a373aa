// Package httplimit bounds what an HTTP listener of the agent's or the broker's gives its
// clients, so that idle or slow connections cannot take the process's file descriptors: a cap on
// connections from one address and in all, and a server whose every phase has a timeout.
package httplimit

import (
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"sprinkler/tally"
)

// The bounds.
const (
	// PerAddress is the most connections one address may hold open at once; Total the most
	// of all addresses (a phone's browser holds a few). The broker keeps descriptors for
	// Total on each of its process's HTTP listeners beside its MQTT clients.
	PerAddress = 16
	Total      = 64
	// IdleTimeout closes a kept-alive connection that sends no request for that long;
	// HeaderTimeout one that takes longer to send a request's headers; ReadTimeout one that
	// takes longer to send a whole request, WriteTimeout one that takes longer to take a
	// response.
	IdleTimeout   = 30 * time.Second
	HeaderTimeout = 5 * time.Second
	ReadTimeout   = 10 * time.Second
	WriteTimeout  = 30 * time.Second
	// MaxHeaderBytes bounds a request's headers.
	MaxHeaderBytes = 16 << 10
)

// Server returns an http.Server for h with the timeouts above. A handler that takes its
// connection over (a WebSocket) sets its own deadlines from then on.
func Server(h http.Handler) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: HeaderTimeout, ReadTimeout: ReadTimeout,
		WriteTimeout: WriteTimeout, IdleTimeout: IdleTimeout, MaxHeaderBytes: MaxHeaderBytes}
}

// Listener caps the connections l hands out: past PerAddress from one address, or Total in
// all, a new connection is closed at once (and logged, once a minute per address).
func Listener(l net.Listener, log *slog.Logger) net.Listener {
	return &listener{Listener: l, open: map[string]int{}, refused: tally.New(log, time.Minute)}
}

type listener struct {
	net.Listener
	refused *tally.Log

	mu    sync.Mutex
	open  map[string]int // connections open per address
	total int
}

func (l *listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		host := hostOf(c.RemoteAddr())
		l.mu.Lock()
		ok := l.open[host] < PerAddress && l.total < Total
		if ok {
			l.open[host]++
			l.total++
		}
		l.mu.Unlock()
		if ok {
			return &conn{Conn: c, l: l, host: host}, nil
		}
		_ = c.Close()
		l.refused.Add(slog.LevelWarn, host, "http: connection refused: too many open", "listener", l.Addr().String(), "remote", host,
			"per_address", PerAddress, "total", Total)
	}
}

func (l *listener) release(host string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total--
	if l.open[host]--; l.open[host] <= 0 {
		delete(l.open, host)
	}
}

// conn gives its place back when closed, once.
type conn struct {
	net.Conn
	l    *listener
	host string
	once sync.Once
}

func (c *conn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.release(c.host) })
	return err
}

// NetConn is the connection under c, for whoever needs the TCP socket (a WebSocket's).
func (c *conn) NetConn() net.Conn { return c.Conn }

func hostOf(a net.Addr) string {
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}
