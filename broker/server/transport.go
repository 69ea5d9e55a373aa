package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"sprinkler/configs/secrets"
	"sprinkler/httplimit"
)

// tlsConfig builds the TLS listener's configuration: the server certificate (read again when
// renewed), TLS 1.2 at least, and, with a client CA, certificates it signed accepted as logins.
func tlsConfig(c TLS, log *slog.Logger) (*tls.Config, error) {
	get, err := secrets.ServerCertificate(c.Cert, c.Key, log)
	if err != nil {
		return nil, fmt.Errorf("broker.tls: %w", err)
	}
	tc := &tls.Config{GetCertificate: get, MinVersion: tls.VersionTLS12}
	if c.ClientCA != "" {
		pem, err := os.ReadFile(c.ClientCA)
		if err != nil {
			return nil, fmt.Errorf("broker.tls.client_ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("broker.tls.client_ca: %s holds no PEM certificate", c.ClientCA)
		}
		tc.ClientCAs, tc.ClientAuth = pool, tls.VerifyClientCertIfGiven
	}
	return tc, nil
}

// wsListener serves MQTT over WebSocket (subprotocol "mqtt") and hands each connection to the
// broker as a net.Conn. Unlike mochi's own listener it checks the Origin header of browsers
// against an allow-list, so that a page on another site cannot use a visitor's browser to
// reach the broker.
type wsListener struct {
	l       net.Listener // nil when mounted in another server
	srv     *http.Server
	up      websocket.Upgrader
	origins []string
	hosts   []string // host names beside the machine's own (see AllowedHost)
	log     *slog.Logger
	conns   chan net.Conn
	done    chan struct{}
	once    sync.Once
}

var _ net.Listener = (*wsListener)(nil)

func listenWebsocket(c Websocket, log *slog.Logger) (*wsListener, error) {
	l, err := net.Listen("tcp", c.Listen)
	if err != nil {
		return nil, fmt.Errorf("broker: websocket listen on %s: %w", c.Listen, err)
	}
	w := newWSListener(c.Origins, c.Hosts, log)
	w.l = l
	w.srv = httplimit.Server(w)
	go func() { _ = w.srv.Serve(httplimit.Listener(l, log)) }()
	return w, nil
}

// newWSListener returns a WebSocket listener without a socket of its own: it accepts what its
// ServeHTTP upgrades, wherever a web server mounts it.
func newWSListener(origins, hosts []string, log *slog.Logger) *wsListener {
	w := &wsListener{origins: origins, hosts: hosts, log: log, conns: make(chan net.Conn), done: make(chan struct{})}
	w.up = websocket.Upgrader{Subprotocols: []string{"mqtt"}, CheckOrigin: w.checkOrigin, HandshakeTimeout: 10 * time.Second}
	return w
}

// ServeHTTP upgrades a request to a WebSocket and hands it to Accept, if it is addressed to
// this machine by a name it answers to.
func (w *wsListener) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	if !AllowedHost(r.Host, w.hosts) {
		w.log.Warn("websocket refused: host not allowed", "host", r.Host, "remote", r.RemoteAddr)
		http.Error(rw, "this host name is not allowed (broker.websocket.hosts, web.hosts)", http.StatusMisdirectedRequest)
		return
	}
	c, err := w.up.Upgrade(rw, r, nil)
	if err != nil {
		return // the upgrader answered the client
	}
	select {
	case w.conns <- &wsConn{Conn: c, remote: r.RemoteAddr}:
	case <-w.done:
		_ = c.Close()
	}
}

// checkOrigin accepts clients that send no Origin (not a browser), and browsers whose page
// comes from an allowed origin, or from the broker's own host when none is configured.
func (w *wsListener) checkOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	ok := slices.Contains(w.origins, origin)
	if len(w.origins) == 0 {
		u, err := url.Parse(origin)
		ok = err == nil && u.Host == r.Host
	}
	if !ok {
		w.log.Warn("websocket refused: origin not allowed", "origin", origin, "remote", r.RemoteAddr)
	}
	return ok
}

func (w *wsListener) Accept() (net.Conn, error) {
	select {
	case c := <-w.conns:
		return c, nil
	case <-w.done:
		return nil, net.ErrClosed
	}
}

func (w *wsListener) Close() error {
	w.once.Do(func() {
		close(w.done)
		if w.srv != nil {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			_ = w.srv.Shutdown(ctx)
		}
	})
	return nil
}

func (w *wsListener) Addr() net.Addr {
	if w.l == nil {
		return mountedAddr{}
	}
	return w.l.Addr()
}

// mountedAddr is the address of a listener mounted in another program's web server.
type mountedAddr struct{}

func (mountedAddr) Network() string { return "websocket" }
func (mountedAddr) String() string  { return "mounted" }

// wsConn is a WebSocket connection read and written as a byte stream.
type wsConn struct {
	*websocket.Conn
	remote string
	r      interface{ Read([]byte) (int, error) }
	rmu    sync.Mutex
	wmu    sync.Mutex
}

func (c *wsConn) Read(p []byte) (int, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	for {
		if c.r == nil {
			typ, r, err := c.NextReader()
			if err != nil {
				return 0, err
			}
			if typ != websocket.BinaryMessage {
				continue
			}
			c.r = r
		}
		n, err := c.r.Read(p)
		if errors.Is(err, io.EOF) {
			c.r = nil
			if n > 0 {
				return n, nil
			}
			continue
		}
		return n, err
	}
}

func (c *wsConn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.WriteMessage(websocket.BinaryMessage, p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// SetDeadline sets both deadlines. gorilla's write deadline is not safe beside a write, and
// mochi sets deadlines from its read goroutine while its write goroutine writes.
func (c *wsConn) SetDeadline(t time.Time) error {
	return errors.Join(c.Conn.SetReadDeadline(t), c.SetWriteDeadline(t))
}

// SetWriteDeadline sets the write deadline between writes.
func (c *wsConn) SetWriteDeadline(t time.Time) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.Conn.SetWriteDeadline(t)
}

func (c *wsConn) RemoteAddr() net.Addr { return wsAddr(c.remote) }

type wsAddr string

func (a wsAddr) Network() string { return "ws" }
func (a wsAddr) String() string  { return string(a) }
