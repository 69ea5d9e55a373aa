package daemon_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"sprinkler/agent/clock"
	"sprinkler/agent/clock/clocktest"
	"sprinkler/agent/config"
	"sprinkler/agent/daemon"
	"sprinkler/agent/relay"
	"sprinkler/agent/relay/relaytest"
	"sprinkler/agent/sensors"
	"sprinkler/broker/brokertest"
	"sprinkler/broker/server"
	"sprinkler/topics"
)

// agent is an agent running in the test's process.
type agent struct {
	t      testing.TB
	addr   string // the broker address clients use
	bank   *relaytest.Bank
	topics topics.Agent
	cfg    config.Config
	cancel context.CancelFunc
	done   chan error
}

// testConfig is the default configuration with an embedded broker on a free loopback port.
func testConfig(t testing.TB, id string) config.Config {
	t.Helper()
	t.Setenv("SPRINKLER_AGENT_ID", id)
	t.Setenv("SPRINKLER_BROKER_LISTEN", "127.0.0.1:0")
	t.Setenv("SPRINKLER_STATE_DIR", t.TempDir())
	t.Setenv("SPRINKLER_MQTT_KEEPALIVE", "2s")
	t.Setenv("SPRINKLER_WEB_LISTEN", "127.0.0.1:0")
	cfg, err := config.Load("", false)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// external points cfg at a broker outside the agent.
func external(cfg config.Config, addr string) config.Config {
	cfg.Broker.Embedded = false
	cfg.MQTT.URL = brokertest.URL(addr)
	return cfg
}

// start runs an agent for cfg and waits until its retained status says online.
func start(t testing.TB, cfg config.Config, clk clock.Clock) *agent {
	t.Helper()
	return startWith(t, cfg, clk, nil)
}

// startWith is start with the agent's relays seen through wrap, when it is not nil.
func startWith(t testing.TB, cfg config.Config, clk clock.Clock, wrap func(*relaytest.Bank) relay.Bank) *agent {
	t.Helper()
	return startFull(t, cfg, clk, wrap, nil)
}

// startOpts is start with simulated sensor inputs.
func startOpts(t testing.TB, cfg config.Config, clk clock.Clock, inputs map[string]sensors.Input) *agent {
	t.Helper()
	return startFull(t, cfg, clk, nil, func(o *daemon.Options) { o.Inputs = inputs })
}

// startFull is start with the relays seen through wrap and the options changed by opts, each
// when not nil.
func startFull(t testing.TB, cfg config.Config, clk clock.Clock, wrap func(*relaytest.Bank) relay.Bank, opts func(*daemon.Options)) *agent {
	t.Helper()
	a := &agent{t: t, bank: relaytest.New(len(cfg.Zones)), done: make(chan error, 1), cfg: cfg}
	a.topics, _ = topics.NewAgent(cfg.MQTT.Prefix, cfg.Agent.ID)
	var relays relay.Bank = a.bank
	if wrap != nil {
		relays = wrap(a.bank)
	}
	ready := make(chan string, 1)
	o := daemon.Options{Relays: relays, Clock: clk, Log: brokertest.Logger(t), Ready: func(addr string) { ready <- addr }}
	if opts != nil {
		opts(&o)
	}
	d, err := daemon.New(cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a.cancel = cancel
	go func() { a.done <- d.Run(ctx) }()
	select {
	case a.addr = <-ready:
	case err := <-a.done:
		t.Fatalf("agent stopped at start: %v", err)
	case <-time.After(brokertest.Wait):
		t.Fatal("agent not ready")
	}
	if !cfg.Broker.Embedded {
		a.addr = strings.TrimPrefix(cfg.MQTT.URL, "tcp://")
	}
	t.Cleanup(func() { a.stop() })
	w := brokertest.Connect(t, brokertest.URL(a.addr))
	w.Subscribe(a.topics.Status())
	w.Await(a.topics.Status(), topics.Online)
	return a
}

// stop stops the agent and waits for Run to return.
func (a *agent) stop() error {
	a.cancel()
	select {
	case err, ok := <-a.done:
		if ok {
			close(a.done)
		}
		return err
	case <-time.After(2 * brokertest.Wait):
		a.t.Fatal("agent did not stop")
		return nil
	}
}

// request sends cmd with payload from client c, with c's id as reply_to, and returns the reply
// carrying id.
func request(t testing.TB, c *brokertest.Client, a *agent, cmd, id, payload string) topics.Response {
	t.Helper()
	c.Subscribe(a.topics.Reply(cmd, c.ID()))
	if !strings.Contains(payload, `"reply_to"`) && strings.HasPrefix(payload, "{") { // needed through an external broker
		payload = `{"reply_to":"` + c.ID() + `",` + payload[1:]
	}
	c.Publish(a.topics.Request(cmd), false, payload)
	m := c.AwaitMsg(a.topics.Reply(cmd, c.ID()), fmt.Sprintf(`"id":%q`, id))
	var r topics.Response
	if err := json.Unmarshal([]byte(m.Payload), &r); err != nil {
		t.Fatalf("reply %s: %v", m.Payload, err)
	}
	return r
}

// unlimited lifts the power budget and the stagger, for tests of the commands alone.
func unlimited(cfg config.Config) config.Config {
	cfg.Safety.MaxOpen, cfg.Safety.Stagger = len(cfg.Zones), 0
	return cfg
}

func TestEveryCommandThroughTheEmbeddedBroker(t *testing.T) {
	a := start(t, unlimited(testConfig(t, "garden")), nil)
	c := brokertest.Connect(t, brokertest.URL(a.addr))
	c.Subscribe(a.topics.ZoneStateFilter(), a.topics.State(), a.topics.Event())

	r := request(t, c, a, "open", "o1", `{"id":"o1","zones":[1,3],"duration_s":600}`)
	if r.Status != topics.StatusOK || !a.bank.On()[0] || !a.bank.On()[2] {
		t.Fatalf("open: %+v, relays %v", r, a.bank.On())
	}
	// The reply comes after the states it reports.
	if v, _ := c.Latest(a.topics.ZoneState(3)); v != topics.StateOpen {
		t.Errorf("zone 3 state %q when the open reply arrived", v)
	}
	c.AwaitMsg(a.topics.Event(), `"event_type":"zone_opened"`, `"zone":3`, `"source":"admin (`+c.ID()+`)"`)

	r = request(t, c, a, "status", "s1", `{"id":"s1"}`)
	var snap topics.Snapshot
	if err := json.Unmarshal(r.Data, &snap); err != nil || snap.Zones["3"].State != topics.StateOpen || snap.Zones["3"].Source != "admin ("+c.ID()+")" || snap.Zones["3"].EndsAt == nil {
		t.Fatalf("status: %s (%v)", r.Data, err)
	}

	r = request(t, c, a, "toggle", "t1", `{"id":"t1","zones":[3,4]}`)
	if r.Status != topics.StatusOK || a.bank.On()[2] || !a.bank.On()[3] {
		t.Fatalf("toggle: %+v, relays %v", r, a.bank.On())
	}
	r = request(t, c, a, "close", "c1", `{"id":"c1","zones":"all"}`)
	if r.Status != topics.StatusOK || a.bank.AnyOn() {
		t.Fatalf("close all: %+v, relays %v", r, a.bank.On())
	}
	c.Await(a.topics.ZoneState(1), topics.StateClosed)

	for _, cmd := range []string{"time", "version", "commands", "gdt", "gvn", "m", "limits"} {
		if r := request(t, c, a, cmd, "x-"+cmd, `{"id":"x-`+cmd+`"}`); r.Status != topics.StatusOK || len(r.Data) == 0 {
			t.Errorf("%s: %+v", cmd, r)
		}
	}
	r = request(t, c, a, "clients", "cl", `{"id":"cl"}`)
	if strings.Contains(string(r.Data), `"id":"inline"`) || !strings.Contains(string(r.Data), c.ID()) {
		t.Errorf("clients: %s", r.Data)
	}
	// An alias answers on its own name.
	r = request(t, c, a, "grs", "g1", `{"id":"g1"}`)
	if r.Status != topics.StatusOK {
		t.Errorf("grs: %+v", r)
	}
}

func TestBadInputIsAnsweredAndChangesNothing(t *testing.T) {
	a := start(t, testConfig(t, "garden"), nil)
	c := brokertest.Connect(t, brokertest.URL(a.addr))
	before := len(a.bank.Switches())

	c.Subscribe(a.topics.Response("open")) // an admin's request without reply_to (it cannot be read)
	c.Publish(a.topics.Request("open"), false, `{"id":"b2","zones":[`)
	m := c.AwaitMsg(a.topics.Response("open"), `"status":"error"`)
	if !strings.Contains(m.Payload, `"id":""`) || !strings.Contains(m.Payload, `"code":"bad_json"`) {
		t.Errorf("malformed JSON reply: %s", m.Payload)
	}
	for id, payload := range map[string]string{
		"u": `{"id":"u","zones":[99]}`,
		"d": `{"id":"d","zones":[1,1]}`,
		"n": `{"id":"n","zones":[1],"duration_s":-1}`,
	} {
		if r := request(t, c, a, "open", id, payload); r.Status != topics.StatusError || r.Code == "" || r.Error == "" {
			t.Errorf("%s: %+v", payload, r)
		}
	}
	c.Subscribe(a.topics.Event())
	c.Publish(a.topics.ZoneSet(2), false, "flood")
	c.AwaitMsg(a.topics.Event(), `"event_type":"command_refused"`, `"zone":2`)
	c.Publish(a.topics.ZoneSet(42), false, "OPEN")
	c.AwaitMsg(a.topics.Event(), `"event_type":"command_refused"`, `"zone":42`)
	if r := request(t, c, a, "flood", "f", `{"id":"f"}`); r.Code != topics.CodeUnknownCommand {
		t.Errorf("unknown command: %+v", r)
	}
	if len(a.bank.Switches()) != before {
		t.Errorf("bad input switched relays: %v", a.bank.Switches()[before:])
	}
}

// TestPrivateRepliesAndExpiry: a reply goes to its requester's own topic, under the client id
// its reply_to names or, without one, its own, and a viewer that reads everything it may never
// sees it; a request past its ts plus ttl_s is refused without acting.
func TestPrivateRepliesAndExpiry(t *testing.T) {
	cfg := testConfig(t, "garden")
	hash, err := bcrypt.GenerateFromPassword([]byte("viewer password"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Broker.Users = []server.User{{Name: "viewer", Hash: string(hash), Role: server.RoleViewer}}
	a := start(t, cfg, nil)
	c := brokertest.Connect(t, brokertest.URL(a.addr))
	viewer := brokertest.ConnectAs(t, brokertest.URL(a.addr), "viewer", "viewer password")
	viewer.Subscribe(a.topics.Base()+"/#", a.topics.Base()+"/response/#")
	private := a.topics.Reply("open", c.ID())
	c.Subscribe(a.topics.Response("open"), private, a.topics.ZoneState(2))

	now := time.Now().UTC()
	c.Publish(a.topics.Request("open"), false, fmt.Sprintf(`{"id":"p1","reply_to":%q,"ts":%q,"ttl_s":30,"zones":[2]}`, c.ID(), now.Format(time.RFC3339Nano)))
	c.AwaitMsg(private, `"id":"p1"`, `"status":"ok"`)
	c.Await(a.topics.ZoneState(2), topics.StateOpen)

	stale := now.Add(-time.Minute).Format(time.RFC3339)
	c.Publish(a.topics.Request("open"), false, fmt.Sprintf(`{"id":"p2","reply_to":%q,"ts":%q,"ttl_s":5,"zones":[3]}`, c.ID(), stale))
	m := c.AwaitMsg(private, `"id":"p2"`)
	if !strings.Contains(m.Payload, `"code":"expired"`) || a.bank.On()[2] {
		t.Errorf("a stale request: %s, relays %v", m.Payload, a.bank.On())
	}
	// Stamped in the year 2999 with a TTL of a second, it must not outlive every TTL.
	c.Publish(a.topics.Request("open"), false, `{"id":"p4","reply_to":"`+c.ID()+`","ts":"2999-01-01T00:00:00Z","ttl_s":1,"zones":[4]}`)
	m = c.AwaitMsg(private, `"id":"p4"`)
	if !strings.Contains(m.Payload, `"code":"expired"`) || a.bank.On()[3] {
		t.Errorf("a request from the future: %s, relays %v", m.Payload, a.bank.On())
	}
	// The viewer's own request is answered to it; it heard none of the others'.
	viewer.Publish(a.topics.Request("version"), false, `{"id":"v1"}`)
	viewer.AwaitMsg(a.topics.Reply("version", viewer.ID()), `"id":"v1"`)
	for _, topic := range viewer.Topics() {
		if strings.Contains(topic, "/response/") && topic != a.topics.Reply("version", viewer.ID()) {
			t.Errorf("the viewer read %s", topic)
		}
	}
	if got := c.On(a.topics.Response("open")); len(got) > 0 {
		t.Errorf("the shared reply topic carried %v", got)
	}
}

func TestPlainClientOpensZoneThroughSetTopic(t *testing.T) {
	a := start(t, testConfig(t, "garden"), nil)
	url := brokertest.URL(a.addr)
	c := brokertest.Connect(t, url)
	c.Publish(a.topics.ZoneSet(3), false, "OPEN")

	late := brokertest.Connect(t, url)
	late.Subscribe(a.topics.ZoneState(3), a.topics.State())
	late.Await(a.topics.ZoneState(3), topics.StateOpen)
	if msgs := late.On(a.topics.ZoneState(3)); !msgs[len(msgs)-1].Retained && len(msgs) == 1 {
		t.Error("zone state is not retained")
	}
	if !a.bank.On()[2] {
		t.Error("relay 3 is off")
	}
	late.WaitFor(func(l map[string]string, _ []brokertest.Msg) bool {
		return strings.Contains(l[a.topics.State()], `"source":"admin (`+c.ID()+`)"`)
	})
	c.Publish(a.topics.ZoneSet(3), false, `{"state":"close"}`)
	late.Await(a.topics.ZoneState(3), topics.StateClosed)
}

func TestRetainedCommandNeverActs(t *testing.T) {
	a := start(t, testConfig(t, "garden"), nil)
	c := brokertest.Connect(t, brokertest.URL(a.addr))
	c.Subscribe(a.topics.ZoneStateFilter())
	c.Publish(a.topics.ZoneSet(4), true, "OPEN")
	c.Publish(a.topics.ZoneSet(5), false, "OPEN") // a live command after it, as a marker
	c.Await(a.topics.ZoneState(5), topics.StateOpen)
	if a.bank.On()[3] {
		t.Fatal("a retained command opened zone 4")
	}
}

func TestStartupAndShutdownLeaveRelaysOff(t *testing.T) {
	b := brokertest.Start(t)
	cfg := external(testConfig(t, "garden"), b.Addr())
	a := start(t, cfg, nil)
	if sw := a.bank.Switches(); len(sw) != len(cfg.Zones) {
		t.Errorf("start-up switched %v, want every relay off once", sw)
	}
	for _, s := range a.bank.Switches() {
		if s.On {
			t.Fatalf("start-up switched relay %d on", s.Relay)
		}
	}
	w := brokertest.Connect(t, brokertest.URL(b.Addr()))
	w.Subscribe(a.topics.Status(), a.topics.ZoneStateFilter())
	w.Publish(a.topics.ZoneSet(1), false, "ON")
	w.Publish(a.topics.ZoneSet(2), false, `{"state":"on","duration_s":3600}`)
	w.Await(a.topics.ZoneState(2), topics.StateOpen)

	if err := a.stop(); err != nil {
		t.Fatal(err)
	}
	if a.bank.AnyOn() || a.bank.Closed() != 1 {
		t.Fatalf("after shutdown: relays %v, closed %d times", a.bank.On(), a.bank.Closed())
	}
	w.Await(a.topics.ZoneState(1), topics.StateClosed)
	w.Await(a.topics.ZoneState(2), topics.StateClosed)
	w.Await(a.topics.Status(), topics.Offline)
}

// TestPresenceFollowsTheLink cuts the agent's connection without a DISCONNECT: every
// subscriber must see the retained offline from the will, then online and fresh states once the
// agent reconnects, while the relays and their deadlines carry on without MQTT.
func TestPresenceFollowsTheLink(t *testing.T) {
	b := brokertest.Start(t)
	proxy := brokertest.StartProxy(t, b.Addr())
	clk := clocktest.New(time.Date(2026, 6, 1, 6, 0, 0, 0, time.UTC))
	a := start(t, external(testConfig(t, "garden"), proxy.Addr()), clk)

	w := brokertest.Connect(t, brokertest.URL(b.Addr()))
	w.Subscribe(a.topics.Status(), a.topics.ZoneStateFilter())
	w.Publish(a.topics.ZoneSet(2), false, `{"state":"open","duration_s":60}`)
	w.Await(a.topics.ZoneState(2), topics.StateOpen)
	statesBefore := len(w.On(a.topics.ZoneState(7)))

	proxy.SetDown(true)
	proxy.Sever()
	w.Await(a.topics.Status(), topics.Offline)
	late := brokertest.Connect(t, brokertest.URL(b.Addr()))
	late.Subscribe(a.topics.Status())
	late.Await(a.topics.Status(), topics.Offline) // retained for whoever comes later

	clk.Advance(60 * time.Second) // the run ends while the agent is cut off
	if a.bank.AnyOn() {
		t.Fatal("the valve stayed open past its deadline while MQTT was down")
	}
	proxy.SetDown(false)

	w.Await(a.topics.Status(), topics.Online)
	w.Await(a.topics.ZoneState(2), topics.StateClosed)
	if len(w.On(a.topics.ZoneState(7))) <= statesBefore {
		t.Error("no fresh zone states after the reconnect")
	}
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func timeAfterWait() <-chan time.Time { return time.After(2 * brokertest.Wait) }

// TestStuckSubscriberDelaysNobody: a subscriber to everything that never reads does not hold up
// the agent or a healthy watcher. Every request is answered and the watcher sees every zone
// change; the broker drops what the stuck client cannot take.
func TestStuckSubscriberDelaysNobody(t *testing.T) {
	a := start(t, unlimited(testConfig(t, "garden")), nil)
	brokertest.Stuck(t, a.addr, "stuck-dashboard", "#")
	c := brokertest.Connect(t, brokertest.URL(a.addr))
	w := brokertest.Connect(t, brokertest.URL(a.addr))
	w.Subscribe(a.topics.ZoneState(1))
	const rounds = 300 // each round publishes states, events and a snapshot: far more than a socket buffer
	var slowest time.Duration
	for i := range rounds {
		cmd := map[bool]string{true: "open", false: "close"}[i%2 == 0]
		id := fmt.Sprint("r", i)
		start := time.Now()
		if r := request(t, c, a, cmd, id, fmt.Sprintf(`{"id":%q,"zones":[1]}`, id)); r.Status != topics.StatusOK {
			t.Fatalf("%s: %+v", cmd, r)
		}
		slowest = max(slowest, time.Since(start))
	}
	w.Await(a.topics.ZoneState(1), topics.StateClosed)
	if n := len(w.On(a.topics.ZoneState(1))); n < rounds {
		t.Errorf("the healthy watcher saw %d zone changes of %d", n, rounds)
	}
	t.Logf("%d requests with a stuck subscriber: slowest round trip %v", rounds, slowest.Round(time.Microsecond))
}

// TestClientPresence: the embedded broker publishes a retained entry per client, online while
// connected and offline with the time it left, whether it said goodbye or was killed; clients
// --all lists the gone ones; the entries are cleared after broker.client_retention.
func TestClientPresence(t *testing.T) {
	cfg := testConfig(t, "garden")
	cfg.Broker.ClientRetention = 300 * time.Millisecond
	a := start(t, cfg, nil)
	w := brokertest.Connect(t, brokertest.URL(a.addr))
	w.Subscribe(a.topics.Clients() + "/#")

	polite := brokertest.Connect(t, brokertest.URL(a.addr))
	w.AwaitMsg(a.topics.Clients()+"/"+polite.ID(), `"online":true`, `"remote":"127.0.0.1:`, `"role":"admin"`)
	polite.Paho().Disconnect(10)
	w.AwaitMsg(a.topics.Clients()+"/"+polite.ID(), `"online":false`, `"disconnected_at"`)

	kill := brokertest.Stuck(t, a.addr, "killed-dashboard", "sprinkler/garden/status")
	w.AwaitMsg(a.topics.Clients()+"/killed-dashboard", `"online":true`)
	kill()
	w.AwaitMsg(a.topics.Clients()+"/killed-dashboard", `"online":false`)
	r := request(t, w, a, "clients", "c1", `{"id":"c1","all":true}`)
	if !strings.Contains(string(r.Data), polite.ID()) || !strings.Contains(string(r.Data), `"online":false`) {
		t.Errorf("clients --all: %s", r.Data)
	}
	if r := request(t, w, a, "clients", "c2", `{"id":"c2"}`); strings.Contains(string(r.Data), polite.ID()) {
		t.Errorf("clients lists a client that left: %s", r.Data)
	}
	w.Await(a.topics.Clients()+"/"+polite.ID(), "") // cleared after the retention
}

// TestWillsMoveNoValve: a viewer's last will on a set topic or a request is refused at
// CONNECT, so dropping the connection opens nothing and shuts nothing down; an operator's
// will, which it could have published itself, is carried out in its name.
func TestWillsMoveNoValve(t *testing.T) {
	cfg := testConfig(t, "garden")
	hash, err := bcrypt.GenerateFromPassword([]byte("viewer password"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Broker.Users = []server.User{
		{Name: "viewer", Hash: string(hash), Role: server.RoleViewer},
		{Name: "operator", Hash: string(hash), Role: server.RoleOperator},
	}
	a := start(t, cfg, nil)
	c := brokertest.Connect(t, brokertest.URL(a.addr))
	c.Subscribe(a.topics.Event())
	for i, w := range []brokertest.Will{
		{Topic: a.topics.ZoneSet(2), Payload: "OPEN", QoS: 1},
		{Topic: a.topics.Request(topics.CmdShutdown), Payload: `{"id":"w"}`, QoS: 1},
		{Topic: a.topics.ZoneSet(3), Payload: "OPEN", QoS: 1, Delay: 1},
	} {
		raw := brokertest.Dial(t, a.addr)
		code, err := raw.Connect(brokertest.RawOptions{Version: 5, ClientID: fmt.Sprintf("viewer-%d", i), Username: "viewer", Password: "viewer password", Will: &w})
		if err != nil || code != 0x87 {
			t.Errorf("a viewer's will on %s: connack %#x, %v; want not authorized", w.Topic, code, err)
		}
		raw.Drop()
	}
	op := brokertest.Dial(t, a.addr)
	if code, err := op.Connect(brokertest.RawOptions{ClientID: "operator-1", Username: "operator", Password: "viewer password",
		Will: &brokertest.Will{Topic: a.topics.ZoneSet(4), Payload: "OPEN", QoS: 1}}); err != nil || code != 0 {
		t.Fatalf("an operator's will: %#x, %v", code, err)
	}
	op.Drop()
	m := c.AwaitMsg(a.topics.Event(), `"event_type":"run_started"`, `"zone":4`)
	if !strings.Contains(m.Payload, `"source":"operator (operator-1)"`) {
		t.Errorf("the operator's will was not carried out in its name: %s", m.Payload)
	}
	if r := request(t, c, a, topics.CmdVersion, "after", `{"id":"after"}`); r.Status != topics.StatusOK {
		t.Fatalf("the agent did not answer after the wills: %+v", r)
	}
	if on := a.bank.On(); on[1] || on[2] {
		t.Errorf("a viewer's will opened a valve: %v", on)
	}
}
