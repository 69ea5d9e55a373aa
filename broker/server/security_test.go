package server_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/gorilla/websocket"
	"golang.org/x/crypto/bcrypt"

	"sprinkler/broker/brokertest"
	"sprinkler/broker/server"
	"sprinkler/topics"
)

const password = "correct horse battery"

// userOf names the test user of role.
func userOf(role topics.Role) string {
	if role == server.RoleAgent {
		return "garden"
	}
	return string(role) + "-user"
}

func hashed(t *testing.T, pw string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

// withUsers is a loopback broker configuration with one user per role, all with password:
// userOf(role) names each; the agent's is agent garden's.
func withUsers(t *testing.T) server.Config {
	c := loopbackConfig()
	h := hashed(t, password)
	for _, r := range topics.Roles {
		c.Users = append(c.Users, server.User{Name: userOf(r), Hash: h, Role: r})
	}
	c.Anonymous = server.AnonymousOff
	return c
}

func start(t *testing.T, c server.Config, extra ...net.Listener) *server.Broker {
	t.Helper()
	b := server.New(c, brokertest.Logger(t))
	for i, l := range extra {
		b.AddListener(fmt.Sprintf("extra%d", i), l)
	}
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// login connects as user with pw and client id; it returns the client or the connect error.
func login(url, id, user, pw string, tc *tls.Config) (paho.Client, chan struct{}, error) {
	lost := make(chan struct{})
	opts := paho.NewClientOptions().AddBroker(url).SetClientID(id).SetUsername(user).SetPassword(pw).
		SetAutoReconnect(false).SetConnectRetry(false).SetConnectTimeout(brokertest.Wait).SetTLSConfig(tc).
		SetConnectionLostHandler(func(paho.Client, error) { close(lost) })
	c := paho.NewClient(opts)
	tok := c.Connect()
	if !tok.WaitTimeout(brokertest.Wait) {
		return nil, nil, errTimeout
	}
	if tok.Error() != nil {
		return nil, nil, tok.Error()
	}
	return c, lost, nil
}

// observer is an admin watching every topic; settle returns once every message published
// before it was called has reached the observer.
type observer struct {
	*brokertest.Client
}

func (o observer) settle(t *testing.T) {
	t.Helper()
	marker := fmt.Sprintf("settle-%d", time.Now().UnixNano())
	o.Publish("sprinkler/_sync/"+o.ID(), false, marker)
	o.Await("sprinkler/_sync/"+o.ID(), marker)
}

// TestRoleMatrix publishes every class of topic as every role, at QoS 0 and 1, and checks
// with an admin watching everything that exactly the allowed ones are delivered.
func TestRoleMatrix(t *testing.T) {
	c := withUsers(t)
	c.Anonymous = server.AnonymousLoopback                // the observer is the anonymous local admin
	c.Inputs = []string{"zigbee2mqtt/soil"}               // a soil probe the agent reads
	c.Devices = []string{"zigbee2mqtt/#", "cmnd/roses/#"} // valves on the network: zigbee2mqtt's, a Tasmota relay's
	b := start(t, c)
	url := brokertest.URL(b.Addr())
	obs := observer{brokertest.Connect(t, url)}
	obs.Subscribe("#")

	// topic → roles allowed to publish it (admin always is).
	cases := map[string][]topics.Role{
		"sprinkler/garden/zone/1/set":          {"operator", "homeassistant", "agent"},
		"sprinkler/garden/profile/set":         {"operator", "homeassistant", "agent"},
		"sprinkler/garden/request/status":      {"viewer", "operator", "homeassistant", "agent"},
		"sprinkler/garden/request/open":        {"operator", "homeassistant", "agent"},
		"sprinkler/garden/request/clients":     {"agent"},
		"sprinkler/garden/zone/1/state":        {"agent"},
		"sprinkler/garden/status":              {"agent"},
		"sprinkler/other/status":               {},
		"homeassistant/status":                 {"homeassistant"},
		"homeassistant/valve/garden/z1/config": {"agent"},
		"homeassistant/device/garden/config":   {"agent"},
		"homeassistant/valve/other/z1/config":  {},
		"elsewhere/topic":                      {},
		"sprinkler/garden/input/rain":          {"operator", "homeassistant", "agent"},
		"zigbee2mqtt/soil":                     {"operator", "homeassistant", "device"},
		"zigbee2mqtt/tap/set":                  {"device", "agent"}, // a valve's command bypasses the governor
		"zigbee2mqtt/tap":                      {"device", "agent"},
		"cmnd/roses/Power1":                    {"device", "agent"},
		"cmnd/other/Power1":                    {},
	}
	n := 0
	for topic, allowedRoles := range cases {
		for _, role := range topics.Roles {
			for _, qos := range []byte{0, 1} {
				n++
				want := role == "admin"
				for _, r := range allowedRoles {
					want = want || r == role
				}
				id := fmt.Sprintf("matrix-%d", n)
				if role == "agent" {
					id = "sprinkler-garden"
				}
				cl, lost, err := login(url, id, userOf(role), password, nil)
				if err != nil {
					t.Fatalf("%s: %v", role, err)
				}
				payload := fmt.Sprintf("%s/%d/%d", role, qos, n)
				tok := cl.Publish(topic, qos, false, payload)
				select {
				case <-tok.Done():
					// A publish to the own sync topic, acknowledged, proves the broker has
					// handled, and delivered, the one before it.
					if !cl.Publish("sprinkler/_sync/"+id, 1, false, "x").WaitTimeout(brokertest.Wait) {
						t.Fatal("sync publish")
					}
				case <-lost: // a denied QoS 1 publish ends an MQTT 3.1.1 connection
				case <-time.After(brokertest.Wait):
					t.Fatal("publish neither acknowledged nor refused")
				}
				obs.settle(t)
				got := false
				for _, m := range obs.On(topic) {
					got = got || m.Payload == payload
				}
				if got != want {
					t.Errorf("%s publishing %s at QoS %d: delivered %v, want %v", role, topic, qos, got, want)
				}
				cl.Disconnect(10)
				awaitGone(t, b, id)
			}
		}
	}
}

// awaitGone waits until the broker has let go of client id, so that the next connection with
// that id is not a takeover, which the broker refuses for agents.
func awaitGone(t *testing.T, b *server.Broker, id string) {
	t.Helper()
	deadline := time.Now().Add(brokertest.Wait)
	for time.Now().Before(deadline) {
		if !slices.ContainsFunc(b.Clients(false), func(c topics.ClientInfo) bool { return c.ID == id }) {
			return
		}
		time.Sleep(time.Millisecond) // the broker signals nothing when a client is gone
	}
	t.Fatalf("client %s still connected", id)
}

// awaitLeft waits until the broker lists client id as gone (its presence took the disconnect)
// and returns every client it lists then.
func awaitLeft(t *testing.T, b *server.Broker, id string) []topics.ClientInfo {
	t.Helper()
	deadline := time.Now().Add(brokertest.Wait)
	for time.Now().Before(deadline) {
		all := b.Clients(true)
		if slices.ContainsFunc(all, func(c topics.ClientInfo) bool { return c.ID == id && !c.Online }) {
			return all
		}
		time.Sleep(time.Millisecond) // the broker signals nothing when a client is gone
	}
	t.Fatalf("client %s not listed as gone", id)
	return nil
}

func TestSubscriptionsPerRole(t *testing.T) {
	b := start(t, withUsers(t))
	url := brokertest.URL(b.Addr())
	for _, tc := range []struct {
		role   topics.Role
		filter string
		ok     bool
	}{
		{"viewer", "sprinkler/#", true},
		{"viewer", "#", false},
		{"viewer", "homeassistant/#", false},
		{"viewer", "$SYS/#", false},
		{"homeassistant", "homeassistant/#", true},
		{"homeassistant", "sprinkler/+/zone/+/state", true},
		{"agent", "sprinkler/garden/#", true},
		{"agent", "sprinkler/#", false},
		{"agent", "sprinkler/other/request/+", false},
		{"admin", "#", true},
	} {
		id := "sub-" + string(tc.role)
		if tc.role == "agent" {
			id = "sprinkler-garden"
		}
		cl, _, err := login(url, id, userOf(tc.role), password, nil)
		if err != nil {
			t.Fatal(err)
		}
		tok := cl.Subscribe(tc.filter, 1, nil)
		tok.WaitTimeout(brokertest.Wait)
		granted := tok.(*paho.SubscribeToken).Result()[tc.filter] < 0x80
		if granted != tc.ok {
			t.Errorf("%s subscribing %s: granted %v, want %v", tc.role, tc.filter, granted, tc.ok)
		}
		cl.Disconnect(10)
		awaitGone(t, b, id)
	}
}

func TestPasswords(t *testing.T) {
	b := start(t, withUsers(t))
	url := brokertest.URL(b.Addr())
	for _, tc := range []struct {
		name, user, pw string
		ok             bool
	}{
		{"right password", "operator-user", password, true},
		{"wrong password", "operator-user", "correct horse battery!", false},
		{"unknown user", "mallory", password, false},
		{"no password", "operator-user", "", false},
		{"anonymous with anonymous off", "", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cl, _, err := login(url, "pw-test", tc.user, tc.pw, nil)
			if (err == nil) != tc.ok {
				t.Fatalf("connect: %v, want ok=%v", err, tc.ok)
			}
			if cl != nil {
				cl.Disconnect(10)
			}
		})
	}
}

// lanListener accepts loopback connections but reports them as coming from a LAN address, so
// the broker treats them as it would a client on the network. No traffic leaves loopback.
type lanListener struct {
	net.Listener
	seq int
}

func (l *lanListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.seq++
	return lanConn{c, &net.TCPAddr{IP: net.ParseIP("192.0.2.10"), Port: 40000 + l.seq}}, nil
}

type lanConn struct {
	net.Conn
	remote net.Addr
}

func (c lanConn) RemoteAddr() net.Addr { return c.remote }

func TestLANClients(t *testing.T) {
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := withUsers(t)
	c.Anonymous = server.AnonymousLoopback
	c.MaxPerRemote = 3
	start(t, c, &lanListener{Listener: raw})
	url := brokertest.URL(raw.Addr().String())
	if _, _, err := login(url, "lan-anon", "", "", nil); err == nil {
		t.Error("an anonymous client from the LAN was let in")
	}
	var kept []paho.Client
	for i := range 3 {
		cl, _, err := login(url, fmt.Sprintf("lan-%d", i), "viewer-user", password, nil)
		if err != nil {
			t.Fatalf("client %d: %v", i, err)
		}
		kept = append(kept, cl)
	}
	if _, _, err := login(url, "lan-4", "viewer-user", password, nil); err == nil {
		t.Error("a fourth connection from one address was let in with max_per_remote 3")
	}
	for _, cl := range kept {
		cl.Disconnect(10)
	}
}

func TestExposedListenerNeedsUsers(t *testing.T) {
	c := loopbackConfig()
	c.Listen = "0.0.0.0:0"
	err := server.New(c, brokertest.Logger(t)).Start()
	if err == nil || !strings.Contains(err.Error(), "broker hash") {
		t.Fatalf("Start with an exposed listener and no users: %v", err)
	}
}

func TestClientIDRules(t *testing.T) {
	b := start(t, withUsers(t))
	url := brokertest.URL(b.Addr())
	if _, _, err := login(url, "sprinkler-garden", "operator-user", password, nil); err == nil {
		t.Error("an operator took an agent's client id")
	}
	if _, _, err := login(url, "garden-impostor", "garden", password, nil); err == nil {
		t.Error("the agent role connected without an agent's client id")
	}
	if _, _, err := login(url, "a/b", "admin-user", password, nil); err == nil {
		t.Error("a client id with / was accepted")
	}
	first, lost, err := login(url, "sprinkler-garden", "garden", password, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := login(url, "sprinkler-garden", "garden", password, nil); err == nil {
		t.Error("a second connection took the agent's session over")
	}
	select {
	case <-lost:
		t.Error("the first agent connection was kicked")
	default:
	}
	if !first.IsConnectionOpen() {
		t.Error("the first agent connection is down")
	}
	first.Disconnect(10)
}

func TestOversizedInputIsRefused(t *testing.T) {
	c := loopbackConfig()
	b := start(t, c)
	url := brokertest.URL(b.Addr())
	obs := observer{brokertest.Connect(t, url)}
	obs.Subscribe("#")
	cl, lost, err := login(url, "big", "", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	cl.Publish("sprinkler/garden/zone/1/set", 1, false, strings.Repeat("x", c.MaxPacket+1))
	select {
	case <-lost:
	case <-time.After(brokertest.Wait):
		t.Fatal("an oversized packet did not end the connection")
	}
	long, _, err := login(url, "long", "", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	long.Publish("sprinkler/"+strings.Repeat("a", c.MaxTopic), 0, false, "x")
	long.Publish("sprinkler/_sync/long", 1, false, "x").WaitTimeout(brokertest.Wait)
	obs.settle(t)
	for _, topic := range obs.Topics() {
		if len(topic) > c.MaxTopic || strings.HasSuffix(topic, "/set") {
			t.Errorf("delivered %.40s…", topic)
		}
	}
}

func TestUsersFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "users.yaml")
	body := fmt.Sprintf("users:\n  - {name: bob, hash: %q, role: operator}\n", hashed(t, password))
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	c := loopbackConfig()
	c.UsersFile, c.Anonymous = path, server.AnonymousOff
	b := start(t, c)
	cl, _, err := login(brokertest.URL(b.Addr()), "bob-1", "bob", password, nil)
	if err != nil {
		t.Fatal(err)
	}
	cl.Disconnect(10)
	if err := os.WriteFile(path, []byte("users:\n  - {name: eve, hash: plain, role: admin}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := server.New(c, brokertest.Logger(t)).Start(); err == nil || !strings.Contains(err.Error(), "bcrypt") {
		t.Errorf("a plain-text password in the users file: %v", err)
	}
}

// pki is a throwaway CA with a server certificate for 127.0.0.1 and a client certificate.
type pki struct {
	dir                    string
	ca, serverCert, client string
	serverKey, clientKey   string
	pool                   *x509.CertPool
}

func newPKI(t *testing.T, clientCN string) *pki {
	t.Helper()
	p := &pki{dir: t.TempDir(), pool: x509.NewCertPool()}
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	p.pool.AddCert(caCert)
	p.ca = p.write(t, "ca.pem", "CERTIFICATE", caDER)
	issue := func(name, cn string, serial int64, usage x509.ExtKeyUsage, ips []net.IP) (string, string) {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn}, NotBefore: time.Now().Add(-time.Hour),
			NotAfter: time.Now().Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{usage}, IPAddresses: ips, KeyUsage: x509.KeyUsageDigitalSignature}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kb, _ := x509.MarshalECPrivateKey(key)
		return p.write(t, name+".pem", "CERTIFICATE", der), p.write(t, name+"-key.pem", "EC PRIVATE KEY", kb)
	}
	p.serverCert, p.serverKey = issue("server", "broker", 2, x509.ExtKeyUsageServerAuth, []net.IP{net.ParseIP("127.0.0.1")})
	p.client, p.clientKey = issue("client", clientCN, 3, x509.ExtKeyUsageClientAuth, nil)
	return p
}

func (p *pki) write(t *testing.T, name, typ string, der []byte) string {
	path := filepath.Join(p.dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestTLS(t *testing.T) {
	p := newPKI(t, "operator-user")
	c := withUsers(t)
	c.TLS = server.TLS{Listen: "127.0.0.1:0", Cert: p.serverCert, Key: p.serverKey, ClientCA: p.ca}
	b := start(t, c)
	url := "ssl://" + b.TLSAddr()

	trusted := &tls.Config{RootCAs: p.pool, MinVersion: tls.VersionTLS12}
	cl, _, err := login(url, "tls-1", "viewer-user", password, trusted)
	if err != nil {
		t.Fatalf("TLS with a trusted CA: %v", err)
	}
	cl.Disconnect(10)

	if _, _, err := login(url, "tls-2", "viewer-user", password, &tls.Config{MinVersion: tls.VersionTLS12}); err == nil {
		t.Error("TLS handshake succeeded without trusting the broker's CA")
	}

	cert, err := tls.LoadX509KeyPair(p.client, p.clientKey)
	if err != nil {
		t.Fatal(err)
	}
	withCert := &tls.Config{RootCAs: p.pool, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	cl, _, err = login(url, "tls-3", "", "", withCert)
	if err != nil {
		t.Fatalf("client certificate login: %v", err)
	}
	cl.Disconnect(10)

	other := newPKI(t, "operator-user")
	otherCert, _ := tls.LoadX509KeyPair(other.client, other.clientKey)
	if _, _, err := login(url, "tls-4", "", "", &tls.Config{RootCAs: p.pool, Certificates: []tls.Certificate{otherCert}, MinVersion: tls.VersionTLS12}); err == nil {
		t.Error("a client certificate from another CA logged in")
	}
}

// TestWebsocketRefusesForeignHosts: DNS rebinding. A hostile page whose name now points at
// this machine sends its own name as both Host and Origin, which the same-origin rule alone
// would accept; the Host must name this machine.
func TestWebsocketRefusesForeignHosts(t *testing.T) {
	c := loopbackConfig()
	c.Websocket = server.Websocket{Listen: "127.0.0.1:0", Hosts: []string{"garden.example"}}
	b := start(t, c)
	// dial connects over WebSocket and logs in, so that the broker is done with the connection
	// before it closes.
	dial := func(host string) error {
		h := http.Header{"Host": {host}, "Origin": {"http://" + host}}
		d := websocket.Dialer{Subprotocols: []string{"mqtt"}, HandshakeTimeout: brokertest.Wait}
		conn, _, err := d.Dial("ws://"+b.WebsocketAddr()+"/mqtt", h)
		if err != nil {
			return err
		}
		defer conn.Close()
		connect := append(brokertest.Str("MQTT"), 4, 2, 0, 60)
		if err := conn.WriteMessage(websocket.BinaryMessage, brokertest.Frame(0x10, append(connect, brokertest.Str(host)...))); err != nil {
			return err
		}
		_ = conn.SetReadDeadline(time.Now().Add(brokertest.Wait))
		_, ack, err := conn.ReadMessage()
		if err == nil && (len(ack) < 4 || ack[0] != 0x20 || ack[3] != 0) {
			err = fmt.Errorf("CONNACK % x", ack)
		}
		return err
	}
	if dial("evil.example") == nil {
		t.Error("a WebSocket addressed to a foreign host name was accepted")
	}
	for _, host := range []string{b.WebsocketAddr(), "garden.example", "localhost"} {
		if err := dial(host); err != nil {
			t.Errorf("Host %s: %v", host, err)
		}
	}
}

func TestWebsocketOrigins(t *testing.T) {
	c := loopbackConfig()
	c.Websocket = server.Websocket{Listen: "127.0.0.1:0", Origins: []string{"http://garden.example"}}
	b := start(t, c)
	u := "ws://" + b.WebsocketAddr() + "/mqtt"
	dialHost := func(host, origin string) (*websocket.Conn, error) {
		h := http.Header{}
		if origin != "" {
			h.Set("Origin", origin)
		}
		if host != "" {
			h.Set("Host", host)
		}
		d := websocket.Dialer{Subprotocols: []string{"mqtt"}, HandshakeTimeout: brokertest.Wait}
		conn, _, err := d.Dial(u, h)
		return conn, err
	}
	dial := func(origin string) (*websocket.Conn, error) { return dialHost("", origin) }
	if conn, err := dial("http://evil.example"); err == nil {
		conn.Close()
		t.Error("a page from another origin connected")
	}
	conn, err := dial("http://garden.example")
	if err != nil {
		t.Fatalf("allowed origin: %v", err)
	}
	conn.Close()

	// MQTT over the WebSocket listener, as a browser page's client would use it.
	cl, _, err := login(u, "ws-client", "", "", nil)
	if err != nil {
		t.Fatalf("MQTT over WebSocket: %v", err)
	}
	defer cl.Disconnect(10)
	got := make(chan string, 1)
	cl.Subscribe("sprinkler/ws/test", 1, func(_ paho.Client, m paho.Message) { got <- string(m.Payload()) }).WaitTimeout(brokertest.Wait)
	cl.Publish("sprinkler/ws/test", 1, false, "hello").WaitTimeout(brokertest.Wait)
	select {
	case v := <-got:
		if v != "hello" {
			t.Errorf("got %q", v)
		}
	case <-time.After(brokertest.Wait):
		t.Fatal("no message over WebSocket")
	}
}

// TestAClosedTabIsNoWarning: a page's WebSocket that ends with a close frame (a tab closed, a
// page left) is a connection's ordinary end, not a warning; one that sends garbage is.
func TestAClosedTabIsNoWarning(t *testing.T) {
	var log syncLog
	c := loopbackConfig()
	c.Websocket = server.Websocket{Listen: "127.0.0.1:0"}
	b := server.New(c, slog.New(slog.NewTextHandler(&log, nil)))
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	for i, code := range []int{websocket.CloseGoingAway, websocket.CloseNormalClosure} {
		d := websocket.Dialer{Subprotocols: []string{"mqtt"}, HandshakeTimeout: brokertest.Wait}
		conn, _, err := d.Dial("ws://"+b.WebsocketAddr()+"/mqtt", http.Header{"Origin": {"http://" + b.WebsocketAddr()}})
		if err != nil {
			t.Fatal(err)
		}
		connect := append(brokertest.Str("MQTT"), 4, 2, 0, 60)
		if err := conn.WriteMessage(websocket.BinaryMessage, brokertest.Frame(0x10, append(connect, brokertest.Str(fmt.Sprintf("web-%d", i))...))); err != nil {
			t.Fatal(err)
		}
		_ = conn.SetReadDeadline(time.Now().Add(brokertest.Wait))
		if _, _, err := conn.ReadMessage(); err != nil {
			t.Fatal(err)
		}
		_ = conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(code, ""))
		_ = conn.Close()
	}
	// The broker has taken both ends, and logged what it would, once it counts no client.
	deadline := time.Now().Add(brokertest.Wait)
	for clients, _, _ := b.Stats(); clients > 0; clients, _, _ = b.Stats() {
		if time.Now().After(deadline) {
			t.Fatalf("%d clients still connected", clients)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if strings.Contains(log.String(), "level=WARN") {
		t.Errorf("a closed tab was logged as a warning:\n%s", log.String())
	}
}

// syncLog is a log the test reads while the broker writes it.
type syncLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestDeniedPublishesAreTallied: a viewer flooding a topic it may not write (an admin's request,
// at QoS 0, which costs it nothing) is one warning and a count, not a line a message.
func TestDeniedPublishesAreTallied(t *testing.T) {
	var log syncLog
	b := server.New(withUsers(t), slog.New(slog.NewTextHandler(&log, nil)))
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	viewer, _, err := login(brokertest.URL(b.Addr()), "viewer-1", userOf(server.RoleViewer), password, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer viewer.Disconnect(10)
	echoed := make(chan struct{})
	sync := "sprinkler/_sync/viewer-1"
	if tok := viewer.Subscribe(sync, 0, func(paho.Client, paho.Message) { close(echoed) }); !tok.WaitTimeout(brokertest.Wait) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	for range 1000 {
		viewer.Publish("sprinkler/garden/request/user_add", 0, false, `{"name":"eve","password":"long enough","role":"admin"}`)
	}
	viewer.Publish(sync, 0, false, "after") // the broker takes a connection's packets in order
	select {
	case <-echoed:
	case <-time.After(brokertest.Wait):
		t.Fatal("the marker after the flood never came back")
	}
	if n := strings.Count(log.String(), `msg="publish denied"`); n != 1 {
		t.Errorf("1000 denied publishes logged %d times, want once (then counted)", n)
	}
}
