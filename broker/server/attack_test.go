package server_test

import (
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"sprinkler/broker/brokertest"
	"sprinkler/broker/server"
	"sprinkler/topics"
)

// inbox is what an embedded agent hears on the broker: each message with its sender.
type inbox struct {
	mu   sync.Mutex
	msgs []heard
	more chan struct{}
}

type heard struct {
	topic, payload string
	from           topics.Sender
}

func listen(t *testing.T, b *server.Broker, filter string) *inbox {
	t.Helper()
	in := &inbox{more: make(chan struct{}, 1)}
	if err := b.Subscribe(filter, func(topic string, payload []byte, _ bool, from topics.Sender) {
		in.mu.Lock()
		in.msgs = append(in.msgs, heard{topic, string(payload), from})
		in.mu.Unlock()
		select {
		case in.more <- struct{}{}:
		default:
		}
	}); err != nil {
		t.Fatal(err)
	}
	return in
}

// await returns the first message on topic with payload, waiting for it.
func (in *inbox) await(t *testing.T, topic, payload string) heard {
	t.Helper()
	deadline := time.After(brokertest.Wait)
	for {
		in.mu.Lock()
		for _, m := range in.msgs {
			if m.topic == topic && m.payload == payload {
				in.mu.Unlock()
				return m
			}
		}
		in.mu.Unlock()
		select {
		case <-in.more:
		case <-deadline:
			t.Fatalf("%s %q never arrived", topic, payload)
		}
	}
}

func (in *inbox) has(topic, payload string) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, m := range in.msgs {
		if m.topic == topic && m.payload == payload {
			return true
		}
	}
	return false
}

// Connack codes.
const (
	accepted         = 0x00
	v3NotAuthorized  = 0x05
	v5NotAuthorized  = 0x87
	v5BadCredentials = 0x86
)

// TestWillsAreCheckedLikePublishes connects with every will a viewer or a loopback client
// must not leave behind (plain, retained and delayed, at QoS 0 to 2, over MQTT 3.1.1 and 5),
// and checks that each connection is refused with "not authorized", and that nothing reaches
// the agent's side or a watcher when the connection then drops. Wills that the client may
// publish are accepted and arrive, named with their sender's role.
func TestWillsAreCheckedLikePublishes(t *testing.T) {
	c := withUsers(t)
	c.Anonymous = server.AnonymousLoopback
	c.AnonymousRole = server.RoleViewer
	c.Agent = "garden"
	b := start(t, c)
	addr := b.Addr()
	agent := listen(t, b, "#") // the agent's side of the broker hears every topic

	attacks := []brokertest.Will{
		{Topic: "sprinkler/garden/zone/2/set", Payload: "OPEN"},
		{Topic: "sprinkler/garden/request/shutdown", Payload: `{"id":"w"}`},
		{Topic: "sprinkler/garden/request/clear-logs", Payload: `{"id":"w"}`},
		{Topic: "sprinkler/garden/status", Payload: "offline", Retain: true},
		{Topic: "homeassistant/valve/garden/z1/config", Payload: "{}", Retain: true},
		{Topic: "elsewhere/planted", Payload: "x", Retain: true},
	}
	n := 0
	for _, user := range []string{"viewer-user", ""} {
		for _, v := range []byte{4, 5} {
			for _, qos := range []byte{0, 1, 2} {
				for _, w := range attacks {
					for _, delay := range []uint32{0, 1} {
						if delay > 0 && v < 5 {
							continue
						}
						n++
						w := w
						w.QoS, w.Delay = qos, delay
						w.Payload = fmt.Sprintf("%s-%d", w.Payload, n)
						raw := brokertest.Dial(t, addr)
						pw := ""
						if user != "" {
							pw = password
						}
						code, err := raw.Connect(brokertest.RawOptions{Version: v, ClientID: fmt.Sprintf("will-%d", n), Username: user, Password: pw, Will: &w})
						want := byte(v3NotAuthorized)
						if v == 5 {
							want = v5NotAuthorized
						}
						if err != nil || code != want {
							t.Errorf("%q, v%d, will %+v: connack %#x, %v; want %#x", user, v, w, code, err, want)
						}
						raw.Drop()
					}
				}
			}
		}
	}
	// What a client may publish, it may leave as a will: it arrives, and the agent learns who.
	op := brokertest.Dial(t, addr)
	if code, err := op.Connect(brokertest.RawOptions{Version: 5, ClientID: "op-will", Username: "operator-user", Password: password,
		Will: &brokertest.Will{Topic: "sprinkler/garden/zone/2/set", Payload: "CLOSE", QoS: 1}}); err != nil || code != accepted {
		t.Fatalf("operator with a will it may publish: %#x, %v", code, err)
	}
	late := brokertest.Dial(t, addr)
	if code, err := late.Connect(brokertest.RawOptions{Version: 5, ClientID: "op-late-will", Username: "operator-user", Password: password,
		Will: &brokertest.Will{Topic: "sprinkler/garden/zone/3/set", Payload: "CLOSE", QoS: 1, Delay: 1}}); err != nil || code != accepted {
		t.Fatalf("operator with a delayed will: %#x, %v", code, err)
	}
	op.Drop()
	late.Drop()
	if m := agent.await(t, "sprinkler/garden/zone/2/set", "CLOSE"); m.from != (topics.Sender{Client: "op-will", User: "operator-user", Role: server.RoleOperator}) {
		t.Errorf("the operator's will came from %+v", m.from)
	}
	if m := agent.await(t, "sprinkler/garden/zone/3/set", "CLOSE"); m.from != (topics.Sender{Client: "op-late-will", User: "operator-user", Role: server.RoleOperator}) {
		t.Errorf("the operator's delayed will came from %+v", m.from)
	}
	// Not even an operator may leave a retained command behind.
	raw := brokertest.Dial(t, addr)
	if code, _ := raw.Connect(brokertest.RawOptions{ClientID: "op-retained", Username: "operator-user", Password: password,
		Will: &brokertest.Will{Topic: "sprinkler/garden/zone/2/set", Payload: "OPEN", Retain: true}}); code != v3NotAuthorized {
		t.Errorf("a retained command as a will: connack %#x", code)
	}
	// A refused client never had a session, so it has no will to send, now or later: each one
	// read its refusal above before it dropped.
	for _, w := range attacks {
		agent.mu.Lock()
		for _, m := range agent.msgs {
			if m.topic == w.Topic && strings.HasPrefix(m.payload, w.Payload+"-") {
				t.Errorf("a refused will reached the agent: %s %q", m.topic, m.payload)
			}
		}
		agent.mu.Unlock()
	}
	t.Logf("%d wills refused at CONNECT", n+1)
}

// TestSenderComesFromThePacket: two clients of different roles send the same bytes to the same
// topic, many times, interleaved; the agent's side hears each with its own sender and role.
func TestSenderComesFromThePacket(t *testing.T) {
	b := start(t, withUsers(t))
	url := brokertest.URL(b.Addr())
	agent := listen(t, b, "sprinkler/garden/request/+")
	viewer, _, err := login(url, "v", "viewer-user", password, nil)
	if err != nil {
		t.Fatal(err)
	}
	operator, _, err := login(url, "o", "operator-user", password, nil)
	if err != nil {
		t.Fatal(err)
	}
	const rounds = 200
	for i := 0; i < rounds; i++ {
		viewer.Publish("sprinkler/garden/request/status", 0, false, `{"id":"same"}`)
		operator.Publish("sprinkler/garden/request/status", 0, false, `{"id":"same"}`)
	}
	viewer.Publish("sprinkler/garden/request/status", 1, false, "end").WaitTimeout(brokertest.Wait)
	operator.Publish("sprinkler/garden/request/status", 1, false, "end").WaitTimeout(brokertest.Wait)
	agent.await(t, "sprinkler/garden/request/status", "end")
	count := map[topics.Sender]int{}
	agent.mu.Lock()
	for _, m := range agent.msgs {
		if m.payload == `{"id":"same"}` {
			count[m.from]++
		}
	}
	agent.mu.Unlock()
	want := map[topics.Sender]int{{Client: "v", User: "viewer-user", Role: server.RoleViewer}: rounds, {Client: "o", User: "operator-user", Role: server.RoleOperator}: rounds}
	if fmt.Sprint(count) != fmt.Sprint(want) {
		t.Errorf("senders heard: %v; want %v", count, want)
	}
}

// TestAgentIdentityIsBound: the agent role is bound to the agent id its user names, the
// embedded agent's id is nobody's, and a client id in use is taken over by its own user only.
func TestAgentIdentityIsBound(t *testing.T) {
	c := withUsers(t)
	h := hashed(t, password)
	c.Users = append(c.Users, server.User{Name: "shed", Hash: h, Role: server.RoleAgent})
	c.Agent = "shed" // the agent inside the broker's process
	b := start(t, c)
	url := brokertest.URL(b.Addr())
	for _, tc := range []struct{ id, user string }{
		{"sprinkler-shed", "shed"},       // the embedded agent's own id
		{"sprinkler-shed", "admin-user"}, // not even an admin's
		{"sprinkler-other", "garden"},    // agent garden as another agent
		{"sprinkler-garden", "operator-user"},
	} {
		if _, _, err := login(url, tc.id, tc.user, password, nil); err == nil {
			t.Errorf("%s connected as %s", tc.user, tc.id)
		}
	}
	ha, lost, err := login(url, "home-assistant", "homeassistant-user", password, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := login(url, "home-assistant", "viewer-user", password, nil); err == nil {
		t.Error("a viewer took over Home Assistant's client id")
	}
	select {
	case <-lost:
		t.Error("Home Assistant was disconnected by another user's connection")
	default:
	}
	again, lost2, err := login(url, "home-assistant", "homeassistant-user", password, nil)
	if err != nil {
		t.Fatalf("Home Assistant reconnecting while its old connection lingers: %v", err)
	}
	<-lost
	ha.Disconnect(10)
	again.Disconnect(10)
	_ = lost2
}

// TestStuckViewerDelaysOnlyItself: a viewer subscribed to everything, at QoS 0 and at QoS 1,
// with a small receive buffer and no keepalive, publishes to its own topic until its socket is
// full, sends a second SUBSCRIBE and never reads again. Meanwhile the agent's side publishes
// states, a request goes back and forth and other clients subscribe; all of it must go on, and
// the viewer is disconnected.
func TestStuckViewerDelaysOnlyItself(t *testing.T) {
	for _, qos := range []byte{0, 1} {
		t.Run(fmt.Sprintf("QoS %d", qos), func(t *testing.T) { stuckViewer(t, qos) })
	}
}

func stuckViewer(t *testing.T, qos byte) {
	c := withUsers(t)
	c.Anonymous = server.AnonymousLoopback // ctl below is the local admin
	b := start(t, c)
	addr := b.Addr()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	_ = conn.(*net.TCPConn).SetReadBuffer(4096)
	raw := brokertest.Wrap(t, conn)
	if code, err := raw.Connect(brokertest.RawOptions{ClientID: "stuck-viewer", Username: "viewer-user", Password: password}); err != nil || code != accepted {
		t.Fatalf("connect: %#x, %v", code, err)
	}
	raw.Subscribe(1, "sprinkler/#", qos)
	payload := strings.Repeat("x", 8000)
	_ = conn.SetWriteDeadline(time.Now().Add(3 * time.Second))
	for i := 0; i < 2000; i++ { // echoed back to it, until neither side's buffers take more
		if _, err := conn.Write(brokertest.Frame(0x30, append(brokertest.Str("sprinkler/_sync/stuck-viewer"), payload...))); err != nil {
			break
		}
	}
	_, _ = conn.Write(brokertest.Frame(0x82, append(append([]byte{0, 2}, brokertest.Str("sprinkler/garden/#")...), qos)))
	_ = conn.SetWriteDeadline(time.Time{})
	runtime.Gosched()

	// publish is the embedded agent's publish, which froze behind the stuck viewer before.
	publish := func(topic, payload string, retained bool) {
		t.Helper()
		done := make(chan error, 1)
		go func() { done <- b.Publish(topic, []byte(payload), retained) }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(brokertest.Wait):
			t.Fatalf("publishing %s froze behind the stuck viewer", topic)
		}
	}
	agent := listen(t, b, "sprinkler/garden/request/+")
	ctl := brokertest.Connect(t, brokertest.URL(addr)) // the anonymous local admin
	ctl.Subscribe("sprinkler/garden/response/+")
	for i := 0; i < 50; i++ {
		id := fmt.Sprintf(`{"id":"%d"}`, i)
		ctl.Publish("sprinkler/garden/request/status", false, id)
		agent.await(t, "sprinkler/garden/request/status", id)
		publish("sprinkler/garden/response/status", id, false)
		publish("sprinkler/garden/state", id, true)
		ctl.Await("sprinkler/garden/response/status", id)
	}
	late := brokertest.Connect(t, brokertest.URL(addr))
	late.Subscribe("sprinkler/garden/state")
	late.Await("sprinkler/garden/state", `{"id":"49"}`)

	// The viewer is gone: its socket reads to the end of what was sent, then EOF.
	_ = conn.SetReadDeadline(time.Now().Add(brokertest.Wait))
	if _, err := io.Copy(io.Discard, conn); err != nil {
		t.Errorf("the stuck viewer was not disconnected: %v", err)
	}
}

// TestHalfConnectsAreClosed: a connection that never finishes its CONNECT is closed after
// broker.connect_timeout, and one that announces a CONNECT larger than a login needs is closed
// before the broker reads (or allocates) it.
func TestHalfConnectsAreClosed(t *testing.T) {
	c := loopbackConfig()
	c.ConnectTimeout = time.Second
	b := start(t, c)
	closedAfter := func(send []byte) time.Duration {
		t.Helper()
		conn, err := net.Dial("tcp", b.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		start := time.Now()
		if _, err := conn.Write(send); err != nil {
			t.Fatal(err)
		}
		_ = conn.SetReadDeadline(time.Now().Add(brokertest.Wait))
		if _, err := conn.Read(make([]byte, 16)); err == nil {
			t.Fatal("the broker answered a half CONNECT")
		} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatalf("a half CONNECT (%d bytes) stayed open past %v", len(send), brokertest.Wait)
		}
		return time.Since(start)
	}
	if d := closedAfter([]byte{0x10}); d < c.ConnectTimeout/2 || d > c.ConnectTimeout+time.Second {
		t.Errorf("one byte of a CONNECT: closed after %v, want about %v", d, c.ConnectTimeout)
	} else {
		t.Logf("one byte of a CONNECT: closed after %v", d.Round(time.Millisecond))
	}
	big := append([]byte{0x10}, brokertest.Varint(64<<10)...)
	if d := closedAfter(append(big, make([]byte, 1000)...)); d > c.ConnectTimeout/2 {
		t.Errorf("a 64 KiB CONNECT: closed after %v, want at once", d)
	}
	if d := closedAfter([]byte{0x82, 5, 0, 1, 0, 1, 'a'}); d > c.ConnectTimeout/2 {
		t.Errorf("a SUBSCRIBE before CONNECT: closed after %v, want at once", d)
	}
	// A client that connects properly is not affected by the deadline.
	cl := brokertest.Connect(t, brokertest.URL(b.Addr()))
	time.Sleep(c.ConnectTimeout + 200*time.Millisecond) // past the CONNECT deadline
	cl.Subscribe("sprinkler/x")
	cl.Publish("sprinkler/x", false, "still here")
	cl.Await("sprinkler/x", "still here")
}

// TestPresenceIsBounded: clients that come and go with new ids each time leave at most
// a bounded number of presence records, retained messages included, oldest forgotten first.
func TestPresenceIsBounded(t *testing.T) {
	c := loopbackConfig()
	c.Presence = "sprinkler/garden/clients"
	b := start(t, c)
	url := brokertest.URL(b.Addr())
	const churn = 600
	for i := 0; i < churn; i++ {
		raw := brokertest.Dial(t, b.Addr())
		if code, err := raw.Connect(brokertest.RawOptions{ClientID: fmt.Sprintf("churn-%04d", i)}); err != nil || code != accepted {
			t.Fatalf("connect %d: %#x, %v", i, code, err)
		}
		raw.Disconnect()
		awaitGone(t, b, fmt.Sprintf("churn-%04d", i))
	}
	left := awaitLeft(t, b, fmt.Sprintf("churn-%04d", churn-1))
	if len(left) != server.MaxGone {
		t.Errorf("%d clients listed after %d came and went; want the last %d", len(left), churn, server.MaxGone)
	}
	if len(left) > 0 && left[0].ID != fmt.Sprintf("churn-%04d", churn-server.MaxGone) {
		t.Errorf("oldest listed %s; the oldest should go first", left[0].ID)
	}
	w := brokertest.Connect(t, url)
	w.Subscribe("sprinkler/garden/clients/+")
	ok := w.WaitFor(func(latest map[string]string, _ []brokertest.Msg) bool { return len(latest) >= server.MaxGone+1 })
	if n := len(w.Topics()); !ok || n != server.MaxGone+1 {
		t.Errorf("a wildcard subscriber got %d retained presence messages; want %d (the gone and itself): %v", n, server.MaxGone+1, w.Topics())
	}
}

// readUntil reads packets from raw until one of type typ (the high nibble) arrives; it returns
// its body, or fails when the connection ends first.
func readUntil(t *testing.T, raw *brokertest.Raw, typ byte) []byte {
	t.Helper()
	_ = raw.Conn.SetReadDeadline(time.Now().Add(brokertest.Wait))
	for {
		h, body, err := raw.Read()
		if err != nil {
			t.Fatalf("waiting for packet type %d: %v", typ, err)
		}
		if h>>4 == typ {
			return body
		}
	}
}

// TestPersistentSessionsGetWhatTheyMissed: a client with a persistent session (3.1.1 clean
// session off, or 5 with a session expiry) gets on its return the QoS 1 messages published
// while it was away, as MQTT promises.
func TestPersistentSessionsGetWhatTheyMissed(t *testing.T) {
	b := start(t, withUsers(t))
	for _, o := range []brokertest.RawOptions{
		{Version: 4, ClientID: "dashboard-3", Persistent: true},
		{Version: 5, ClientID: "dashboard-5", Persistent: true, SessionExpiry: 600},
	} {
		o.Username, o.Password, o.Keepalive = "viewer-user", password, 60
		raw := brokertest.Dial(t, b.Addr())
		if code, err := raw.Connect(o); err != nil || code != accepted {
			t.Fatalf("v%d: connect %#x, %v", o.Version, code, err)
		}
		raw.Subscribe(1, "sprinkler/garden/event", 1)
		readUntil(t, raw, 9) // SUBACK
		raw.Disconnect()
		awaitGone(t, b, o.ClientID)
		payload := fmt.Sprintf(`{"type":"missed-%d"}`, o.Version)
		if err := b.Publish("sprinkler/garden/event", []byte(payload), false); err != nil {
			t.Fatal(err)
		}
		back := brokertest.Dial(t, b.Addr())
		if code, err := back.Connect(o); err != nil || code != accepted {
			t.Fatalf("v%d: reconnect %#x, %v", o.Version, code, err)
		}
		body := readUntil(t, back, 3)
		if !strings.Contains(string(body), payload) {
			t.Errorf("v%d: the missed message: %q", o.Version, body)
		}
		back.Disconnect()
	}
}

// TestPacketsFollowTheProtocol: an MQTT 3.1.1 client is never sent DISCONNECT (the broker
// closes the connection), and an MQTT 5 publish at QoS 1 is acknowledged with reason 0x00 and
// without an echo of its user properties.
func TestPacketsFollowTheProtocol(t *testing.T) {
	b := start(t, loopbackConfig())
	v5 := brokertest.Dial(t, b.Addr())
	if code, err := v5.Connect(brokertest.RawOptions{Version: 5, ClientID: "v5", Keepalive: 60}); err != nil || code != accepted {
		t.Fatalf("connect: %#x, %v", code, err)
	}
	props := append([]byte{0x26}, append(brokertest.Str("trace"), brokertest.Str("abc")...)...)
	body := append(brokertest.Str("sprinkler/garden/zone/1/state"), 0, 7)
	body = append(append(body, brokertest.Varint(len(props))...), props...)
	v5.Send(brokertest.Frame(0x32, append(body, "open"...)))
	ack := readUntil(t, v5, 4)
	if len(ack) > 2 && ack[2] != 0 || strings.Contains(string(ack), "trace") {
		t.Errorf("PUBACK to an MQTT 5 publish: % x; want reason 0x00 and no echoed properties", ack)
	}

	v3 := brokertest.Dial(t, b.Addr())
	if code, err := v3.Connect(brokertest.RawOptions{ClientID: "v3", Keepalive: 60}); err != nil || code != accepted {
		t.Fatalf("connect: %#x, %v", code, err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	_ = v3.Conn.SetReadDeadline(time.Now().Add(brokertest.Wait))
	for {
		h, _, err := v3.Read()
		if err != nil {
			break // closed, as it should be
		}
		if h>>4 == 14 {
			t.Fatal("the broker sent DISCONNECT to an MQTT 3.1.1 client")
		}
	}
}

// TestHomeAssistantPrefixIsTheAgents: with the agent's own discovery prefix, the ACL's Home
// Assistant tree is that prefix (it was fixed to "homeassistant").
func TestHomeAssistantPrefixIsTheAgents(t *testing.T) {
	c := withUsers(t)
	c.HomeAssistant = "ha"
	c.Anonymous = server.AnonymousLoopback
	b := start(t, c)
	agent := listen(t, b, "#")
	cl, _, err := login(brokertest.URL(b.Addr()), "sprinkler-garden", "garden", password, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Disconnect(10)
	cl.Publish("homeassistant/valve/garden/z1/config", 0, false, "old tree")
	cl.Publish("ha/valve/garden/z1/config", 1, false, "own tree").WaitTimeout(brokertest.Wait)
	agent.await(t, "ha/valve/garden/z1/config", "own tree")
	if agent.has("homeassistant/valve/garden/z1/config", "old tree") {
		t.Error("an agent wrote outside its Home Assistant prefix")
	}
}
