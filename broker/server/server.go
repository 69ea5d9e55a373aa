// Package server runs the sprinkler MQTT broker: mochi-mqtt v2 with safe capabilities, an
// explicit authentication hook, and a guard that refuses retained commands. The agent embeds
// it; the broker program runs it on its own.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"

	"sprinkler/httplimit"
	"sprinkler/tally"
	"sprinkler/topics"
)

// closeTimeout bounds Close; mochi's Close can hang on a lock-order bug (mochi#488).
const closeTimeout = 5 * time.Second

// Broker is an MQTT broker. New builds it, Start binds and serves, Close stops it.
type Broker struct {
	cfg   Config
	log   *slog.Logger
	srv   *mqtt.Server
	tcp   net.Listener
	tls   net.Listener
	ws    *wsListener
	extra []listeners.Listener
	// sockets are every listening socket, closed first on Close so that a client that
	// reconnects at once is refused rather than left waiting in a dying listener's backlog.
	sockets  []net.Listener
	access   *access
	memory   *releaser
	guard    *retainGuard
	presence *presence // nil: no presence topics
	close    sync.Once
	usersMu  sync.Mutex   // one user command at a time (ChangeUser)
	subs     atomic.Int64 // inline subscription ids
	reserved int          // descriptors the embedding program keeps (Reserve, WebsocketHandler)
}

// New returns a broker for cfg that logs to log. It does no I/O.
func New(cfg Config, log *slog.Logger) *Broker {
	caps := mqtt.NewDefaultServerCapabilities() // never a partial literal: omitted fields would be 0
	caps.MaximumMessageExpiryInterval = 0       // keep retained presence and state past 24 h
	caps.MaximumSessionExpiryInterval = 3600
	caps.MaximumClients = int64(cfg.MaxClients)
	caps.MaximumPacketSize = uint32(cfg.MaxPacket)
	caps.MaximumInflight = uint16(cfg.MaxInflight)
	caps.ReceiveMaximum = uint16(cfg.MaxInflight)
	caps.MaximumClientWritesPending = sendQueue
	if cfg.Agent != "" {
		caps.MaximumClientWritesPending = embeddedSendQueue // one agent's topics, not a fleet's
	}
	caps.Compatibilities.NoInheritedPropertiesOnAck = true // an ack carries no echo of the publish's properties
	mochiTally := tally.New(log, time.Minute)
	srv := mqtt.New(&mqtt.Options{
		Capabilities:           caps,
		InlineClient:           true, // the embedded agent publishes and subscribes in process
		SysTopicResendInterval: 60,
		Logger:                 slog.New(mochiLog{tally: mochiTally}),
	})
	return &Broker{cfg: cfg, log: log, srv: srv, access: newAccess(cfg, log, srv, mochiTally), memory: newReleaser(), guard: newRetainGuard()}
}

// Start installs the hooks, binds the TCP listener and starts serving. It returns once the
// broker accepts connections, or with the error that prevented it (such as a busy port), having
// closed what it had bound by then.
func (b *Broker) Start() (err error) {
	defer func() {
		if err != nil {
			for _, l := range b.sockets {
				_ = l.Close()
			}
			if b.ws != nil {
				_ = b.ws.Close()
			}
		}
	}()
	users, warnings, err := loadUsers(b.cfg)
	if err != nil {
		return err
	}
	for _, w := range warnings {
		b.log.Warn(w)
	}
	b.access.users.Store(users)
	if len(users.byName) == 0 {
		for key, addr := range map[string]string{"broker.listen": b.cfg.Listen, "broker.tls.listen": b.cfg.TLS.Listen, "broker.websocket.listen": b.cfg.Websocket.Listen} {
			if addr != "" && Exposed(addr) {
				return fmt.Errorf("%s %s takes connections from the network, but no users are configured: "+
					"make a password hash with \"broker hash\" and add {name, hash, role} to broker.users, "+
					"or listen on 127.0.0.1 only", key, addr)
			}
		}
	}
	b.limitClients()
	if b.cfg.Presence != "" {
		b.presence = &presence{describe: b.access.info, base: b.cfg.Presence, retention: b.cfg.ClientRetention, publish: b.Publish,
			log: b.log, clients: map[string]*presenceEntry{}}
	}
	hooks := []mqtt.Hook{b.access, &noRetainedCommands{log: b.log}, b.memory, b.guard}
	if b.presence != nil {
		hooks = append(hooks, b.presence)
	}
	hooks = append(hooks, &subscribeClash{stashed: map[*mqtt.Client]packets.Packet{}}, &noSendQuota{}, &v3Disconnect{})
	for _, h := range hooks { // mochi calls them in this order
		if err := b.srv.AddHook(h, nil); err != nil {
			return fmt.Errorf("broker: %w", err)
		}
	}
	if err := b.listen(); err != nil {
		return err
	}
	for _, l := range b.extra {
		if err := b.srv.AddListener(l); err != nil {
			return fmt.Errorf("broker: %w", err)
		}
	}
	if err := b.srv.Serve(); err != nil {
		return fmt.Errorf("broker: %w", err)
	}
	b.log.Info("broker listening", "tcp", b.Addr(), "tls", b.TLSAddr(), "websocket", b.WebsocketAddr(),
		"anonymous", b.cfg.Anonymous, "users", len(users.byName))
	return nil
}

// listen binds the configured listeners: TCP, TLS and WebSocket.
func (b *Broker) listen() error {
	if b.cfg.Listen != "" {
		l, err := net.Listen("tcp", b.cfg.Listen)
		if err != nil {
			return fmt.Errorf("broker: listen on %s: %w", b.cfg.Listen, err)
		}
		b.tcp = l
		b.serve("tcp", l)
	}
	if b.cfg.TLS.Listen != "" {
		tc, err := tlsConfig(b.cfg.TLS, b.log)
		if err != nil {
			return err
		}
		l, err := net.Listen("tcp", b.cfg.TLS.Listen)
		if err != nil {
			return fmt.Errorf("broker: TLS listen on %s: %w", b.cfg.TLS.Listen, err)
		}
		b.tls = l
		b.serve("tls", tls.NewListener(l, tc))
	}
	if b.cfg.Websocket.Listen != "" {
		ws, err := listenWebsocket(b.cfg.Websocket, b.log)
		if err != nil {
			return err
		}
		b.ws = ws
		b.serve("ws", ws)
	}
	return nil
}

// AddListener serves MQTT on l as well, under listener id; call it before Start. It takes
// listeners made elsewhere, such as a socket a service manager passes on.
func (b *Broker) AddListener(id string, l net.Listener) {
	b.serve(id, l)
}

// WebsocketHandler returns an http.Handler that serves MQTT over WebSocket wherever the
// embedding program's web server mounts it, under listener id; call it before Start. Origins
// are checked as for broker.websocket: the page's own host unless websocket.origins says more;
// the Host header must name this machine or one of hosts.
func (b *Broker) WebsocketHandler(id string, hosts []string) http.Handler {
	b.reserved += httplimit.Total // the server it is mounted in
	w := newWSListener(b.cfg.Websocket.Origins, hosts, b.log)
	b.serve(id, w)
	return w
}

// serve has mochi serve MQTT on l from Start on.
func (b *Broker) serve(id string, l net.Listener) {
	b.extra = append(b.extra, listeners.NewNet(id, guardedListener{Listener: l, connectTimeout: b.cfg.ConnectTimeout, log: b.log,
		dropped: b.memory.freed}))
	b.sockets = append(b.sockets, l)
}

// Reserve keeps files descriptors out of max_clients for the embedding program's own use, such
// as an HTTP listener's connections; call it before Start.
func (b *Broker) Reserve(files int) { b.reserved += files }

// TLSAddr is the address of the TLS listener, or "" without one.
func (b *Broker) TLSAddr() string {
	if b.tls == nil {
		return ""
	}
	return b.tls.Addr().String()
}

// WebsocketAddr is the address of the WebSocket listener, or "" without one.
func (b *Broker) WebsocketAddr() string {
	if b.ws == nil {
		return ""
	}
	return b.ws.Addr().String()
}

// Run starts the broker and serves until ctx ends, then closes it.
func (b *Broker) Run(ctx context.Context) error {
	if err := b.Start(); err != nil {
		return err
	}
	<-ctx.Done()
	return b.Close()
}

// Addr is the address the TCP listener is bound to, with the real port when Listen asked for 0.
func (b *Broker) Addr() string {
	if b.tcp == nil {
		return b.cfg.Listen
	}
	return b.tcp.Addr().String()
}

// Publish publishes payload on topic from inside the process, as the embedded agent does: no
// socket, no ACL; subscribers get it at QoS 1 at most.
func (b *Broker) Publish(topic string, payload []byte, retained bool) error {
	if retained {
		b.guard.lock(true)
		defer b.guard.unlock(true)
	}
	return b.srv.Publish(topic, payload, retained, 1)
}

// Subscribe calls fn for every message on filter, from inside the process: first the retained
// ones (retained true), then each live publish (retained as it was published) on the
// publisher's goroutine, so fn must not block. Each message names its sender, taken from the
// packet itself. A broker that is not started refuses.
func (b *Broker) Subscribe(filter string, fn func(topic string, payload []byte, retained bool, from topics.Sender)) error {
	b.guard.lock(false)
	defer b.guard.unlock(false)
	return b.srv.Subscribe(filter, int(b.subs.Add(1)), func(_ *mqtt.Client, _ packets.Subscription, pk packets.Packet) {
		who := b.access.sessions.sender(pk.Origin)
		fn(pk.TopicName, pk.Payload, pk.FixedHeader.Retain, topics.Sender{Client: who.client, User: who.user, Role: who.role})
	})
}

// Stats returns the connected clients and the publish messages received and sent so far.
func (b *Broker) Stats() (clients, received, sent int64) {
	i := b.srv.Info
	return atomic.LoadInt64(&i.ClientsConnected), atomic.LoadInt64(&i.MessagesReceived), atomic.LoadInt64(&i.MessagesSent)
}

// Clients lists the connected clients, sorted by id; with all, also those that left within
// broker.client_retention (when presence is on).
func (b *Broker) Clients(all bool) []topics.ClientInfo {
	var out []topics.ClientInfo
	for _, cl := range b.srv.Clients.GetAll() {
		if cl.Net.Inline || cl.Closed() {
			continue
		}
		out = append(out, b.access.info(cl))
	}
	if all && b.presence != nil {
		out = append(out, b.presence.left()...)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Close disconnects every client (their wills fire) and stops the broker. Later calls do
// nothing. It returns within a few seconds even if mochi hangs.
func (b *Broker) Close() error {
	var err error
	b.close.Do(func() {
		b.memory.stop()
		defer b.access.tally.Flush()
		for _, l := range b.sockets {
			_ = l.Close()
		}
		b.drain(time.Second)
		done := make(chan struct{})
		go func() { _ = b.srv.Close(); close(done) }()
		select {
		case <-done:
			b.log.Info("broker stopped")
		case <-time.After(closeTimeout):
			err = fmt.Errorf("broker: close did not finish within %v", closeTimeout)
		}
	})
	return err
}

// drain waits, at most limit, until no client has a message in flight, so that what was
// published just before Close (an agent's offline, say) reaches its QoS 1 subscribers before
// they are disconnected. mochi offers no event for it, so it looks every few milliseconds.
func (b *Broker) drain(limit time.Duration) {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		busy := false
		for _, cl := range b.srv.Clients.GetAll() {
			if !cl.Closed() && cl.State.Inflight.Len() > 0 {
				busy = true
				break
			}
		}
		if !busy {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// mochiLog is mochi's logger: it drops records below WARN and mochi's reports of a connection
// that simply ended (the client closed or reset it, or the broker closed it and said why
// itself), and tallies the rest (tally.Log), so that mochi's line per connection (a client
// with keepalive 0, a failed login) cannot flood the log.
type mochiLog struct {
	tally *tally.Log
	attrs []slog.Attr
}

func (h mochiLog) Handle(_ context.Context, r slog.Record) error {
	key, ended := r.Message, false
	args := make([]any, 0, len(h.attrs)+r.NumAttrs())
	for _, a := range h.attrs {
		args = append(args, a)
	}
	r.Attrs(func(a slog.Attr) bool {
		if err, ok := a.Value.Any().(error); ok {
			ended = ended || connectionEnded(err)
			key += " " + err.Error()
		}
		if a.Key != "client" && a.Key != "remote" { // one per connection: not part of the kind
			args = append(args, a)
		}
		return true
	})
	if ended {
		return nil
	}
	msg := r.Message
	if msg == "" {
		msg = "client connection ended with an error"
	}
	h.tally.Add(r.Level, key, "broker: "+msg, args...)
	return nil
}

func (h mochiLog) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }

func (h mochiLog) WithAttrs(a []slog.Attr) slog.Handler {
	return mochiLog{h.tally, append(slices.Clip(h.attrs), a...)}
}

func (h mochiLog) WithGroup(string) slog.Handler { return h }

// connectionEnded reports whether err is the ordinary end of a client's connection.
func connectionEnded(err error) bool {
	for _, end := range []error{io.EOF, io.ErrUnexpectedEOF, net.ErrClosed, os.ErrDeadlineExceeded, syscall.ECONNRESET, syscall.EPIPE, errBehind} {
		if errors.Is(err, end) {
			return true
		}
	}
	// A browser tab closed, or a page left: its WebSocket says so with a close frame.
	if websocket.IsCloseError(err, websocket.CloseNormalClosure, websocket.CloseGoingAway, websocket.CloseNoStatusReceived, websocket.CloseAbnormalClosure) {
		return true
	}
	return false
}

// reservedFiles are the descriptors kept for what is not an MQTT client: listeners, the state
// and history files, GPIO lines. The connections of the process's HTTP listeners (each capped
// at httplimit.Total) are kept beside them: the WebSocket listener's, a mounted WebSocket
// handler's server (the web page), and what the embedding program reserves (Reserve).
const reservedFiles = 64

// limitClients lowers max_clients to what the descriptor limit allows, so that a client beyond
// it is refused with a CONNACK rather than left unaccepted. (Go raises the soft limit to the
// hard one at start-up; the systemd unit sets LimitNOFILE.)
func (b *Broker) limitClients() {
	reserved := uint64(reservedFiles + b.reserved)
	if b.cfg.Websocket.Listen != "" {
		reserved += httplimit.Total
	}
	files := openFiles()
	if files == 0 || uint64(b.cfg.MaxClients)+reserved <= files {
		return
	}
	n := int64(0)
	if files > reserved {
		n = int64(files - reserved)
	}
	b.log.Warn("broker.max_clients is above what the open-file limit allows; lowered", "max_clients", b.cfg.MaxClients,
		"open_files", files, "now", n)
	b.srv.Options.Capabilities.MaximumClients = n
}
