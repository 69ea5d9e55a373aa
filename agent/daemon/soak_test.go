package daemon_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"sprinkler/agent/clock/clocktest"
	"sprinkler/agent/relay"
	"sprinkler/agent/relay/relaytest"
	"sprinkler/broker/brokertest"
	"sprinkler/broker/server"
	"sprinkler/topics"
)

// guard is a relay bank that checks the safety rules on every switch, in the agent's (fake)
// time: never more relays on than the power budget, none on past its zone's limit, and never
// two of one sequential group at once.
type guard struct {
	t       *testing.T
	clk     *clocktest.Fake
	maxOpen int
	limit   []time.Duration // by relay: the zone's max_duration plus the watchdog's period
	mu      sync.Mutex
	inner   relay.Bank
	onSince map[int]time.Time
	turnOns int
	group   []string // by relay: the zone's group
}

func (g *guard) wrap(b *relaytest.Bank) relay.Bank {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.inner = b
	return g
}

func (g *guard) Set(i int, on bool) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if err := g.inner.Set(i, on); err != nil {
		return err
	}
	now := g.clk.Now()
	if !on {
		if since, ok := g.onSince[i]; ok && now.Sub(since) > g.limit[i] {
			g.t.Errorf("relay %d was on for %v, past its limit %v", i+1, now.Sub(since), g.limit[i])
		}
		delete(g.onSince, i)
		return nil
	}
	if _, ok := g.onSince[i]; !ok {
		g.onSince[i] = now
		g.turnOns++
	}
	if len(g.onSince) > g.maxOpen {
		g.t.Errorf("%d relays on at %s, the budget is %d", len(g.onSince), now.Format(time.TimeOnly), g.maxOpen)
	}
	for j := range g.onSince {
		if j != i && g.group[i] != "" && g.group[j] == g.group[i] {
			g.t.Errorf("relays %d and %d of group %s on together at %s", i+1, j+1, g.group[i], now.Format(time.TimeOnly))
		}
	}
	return nil
}

// Close is the agent's stop: every relay goes off.
func (g *guard) Close() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	clear(g.onSince)
	return g.inner.Close()
}

// overdue fails the test for any relay on past its limit now.
func (g *guard) overdue() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for i, since := range g.onSince {
		if d := g.clk.Now().Sub(since); d > g.limit[i] {
			g.t.Errorf("relay %d on for %v at %s, past its limit %v", i+1, d, g.clk.Now().Format(time.TimeOnly), g.limit[i])
		}
	}
}

// replies counts the answers to each request id on every response topic.
type replies struct {
	mu sync.Mutex
	n  map[string]int
	ch chan string
}

func (r *replies) handle(_ paho.Client, m paho.Message) {
	var resp topics.Response
	if json.Unmarshal(m.Payload(), &resp) != nil || resp.ID == "" {
		return
	}
	r.mu.Lock()
	r.n[resp.ID]++
	r.mu.Unlock()
	r.ch <- resp.ID
}

// TestSoak runs the agent through simulated time (30 minutes; SPRINKLER_SOAK sets another
// span, such as 6h) with random commands, its schedule, broker restarts and agent restarts,
// and checks the safety rules on every relay switch and that no request was answered twice.
// SPRINKLER_SOAK_SEED repeats a run.
func TestSoak(t *testing.T) {
	span := 30 * time.Minute
	if s := os.Getenv("SPRINKLER_SOAK"); s != "" {
		var err error
		if span, err = time.ParseDuration(s); err != nil {
			t.Fatalf("SPRINKLER_SOAK=%q: %v", s, err)
		}
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("SPRINKLER_SOAK_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("seed %d (SPRINKLER_SOAK_SEED repeats it)", seed)
	rng := rand.New(rand.NewPCG(seed, 1))

	addr := fmt.Sprintf("127.0.0.1:%d", brokertest.FreePort(t))
	var brk *server.Broker
	startBroker := func() {
		bcfg := server.DefaultConfig()
		bcfg.Listen = addr
		brk = server.New(bcfg, brokertest.Logger(t))
		if err := brk.Start(); err != nil {
			t.Fatal(err)
		}
	}
	startBroker()
	t.Cleanup(func() { _ = brk.Close() })

	cfg := withProfiles(t, external(testConfig(t, "garden"), addr), `active: soak
profiles:
  - name: soak
    zones:
      - {zone: 1, days: [all], runs: [{at: "06:00", for: 7m}, {at: "06:20", for: 5m}]}
      - {zone: 2, days: [all], runs: [{at: "06:02", for: 6m}]}
      - {zone: 3, days: [all], runs: [{at: "06:03", for: 9m}]}
      - {zone: 4, days: [all], runs: [{at: "06:15", for: 12m}]}
`)
	cfg.Log.Level = "warn"
	cfg.Zones[1].Group, cfg.Zones[2].Group, cfg.Zones[5].Group = "beds", "beds", "beds"
	clk := clocktest.New(time.Date(2026, 6, 1, 5, 55, 0, 0, time.UTC))
	g := &guard{t: t, clk: clk, maxOpen: cfg.Safety.MaxOpen, onSince: map[int]time.Time{}}
	for _, z := range cfg.Zones {
		g.limit = append(g.limit, z.MaxDuration+cfg.Safety.Watchdog)
		g.group = append(g.group, z.Group)
	}
	a := startWith(t, cfg, clk, g.wrap)

	got := &replies{n: map[string]int{}, ch: make(chan string, 64)}
	opts := paho.NewClientOptions().AddBroker(brokertest.URL(addr)).SetClientID("soak").SetAutoReconnect(true).
		SetConnectRetry(true).SetConnectRetryInterval(100 * time.Millisecond).SetMaxReconnectInterval(time.Second).
		SetOnConnectHandler(func(c paho.Client) { c.Subscribe(a.topics.Base()+"/response/#", 1, got.handle) })
	c := paho.NewClient(opts)
	if tok := c.Connect(); !tok.WaitTimeout(brokertest.Wait) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	defer c.Disconnect(50)
	w := brokertest.Connect(t, brokertest.URL(addr))
	w.Subscribe(a.topics.Status())

	const step = 10 * time.Second
	steps := int(span / step)
	sent, answered, timedOut, restarts := 0, 0, 0, 0
	for i := range steps {
		// Four restarts spread over the span: the agent, the broker, the agent, the broker.
		restart := ""
		if q := steps / 5; q > 0 && i%q == 0 && i > 0 && i/q <= 4 {
			restart = map[bool]string{true: "agent", false: "broker"}[(i/q)%2 == 1]
		}
		switch k := rng.IntN(40); {
		case restart == "agent": // the agent stops and starts again on its state
			restarts++
			if err := a.stop(); err != nil {
				t.Fatal(err)
			}
			a = startWith(t, cfg, clk, g.wrap)
		case restart == "broker": // the broker goes away and comes back
			restarts++
			_ = brk.Close()
			startBroker()
			w = brokertest.Connect(t, brokertest.URL(addr))
			w.Subscribe(a.topics.Status())
			w.Await(a.topics.Status(), topics.Online)
		case k < 8: // a plain command on a set topic
			c.Publish(a.topics.ZoneSet(1+rng.IntN(8)), 1, false, []string{"OPEN", "CLOSE", "TOGGLE"}[rng.IntN(3)])
		default: // a request
			sent++
			id := "s" + strconv.Itoa(sent)
			cmd, payload := randomRequest(rng, id)
			c.Publish(a.topics.Request(cmd), 1, false, payload)
			deadline := time.After(2 * time.Second)
		wait:
			for {
				select {
				case r := <-got.ch:
					if r == id {
						answered++
						break wait
					}
				case <-deadline:
					timedOut++
					break wait
				}
			}
		}
		clk.Advance(step)
		g.overdue()
	}
	if err := a.stop(); err != nil {
		t.Fatal(err)
	}
	got.mu.Lock()
	defer got.mu.Unlock()
	for id, n := range got.n {
		if n > 1 {
			t.Errorf("request %s answered %d times", id, n)
		}
	}
	if answered < sent*9/10 {
		t.Errorf("only %d of %d requests answered", answered, sent)
	}
	t.Logf("%v simulated: %d requests (%d answered, %d timed out), %d relay turn-ons, %d restarts", span, sent, answered, timedOut, g.turnOns, restarts)
}

// randomRequest returns a command and its payload: opens of one or more zones for random
// times (some past a zone's limit), closes, toggles, run-once lists, pauses and reads.
func randomRequest(rng *rand.Rand, id string) (string, string) {
	zones := []int{1 + rng.IntN(8)}
	if rng.IntN(3) == 0 {
		zones = append(zones, 1+rng.IntN(8))
	}
	z, _ := json.Marshal(zones)
	switch rng.IntN(9) {
	case 6:
		return topics.CmdRunOnce, fmt.Sprintf(`{"id":%q,"steps":[{"zone":%d,"duration_s":%d},{"zone":%d}],"preempt":%v}`,
			id, 1+rng.IntN(8), 30+rng.IntN(5400), 1+rng.IntN(8), rng.IntN(4) == 0)
	case 7:
		return topics.CmdPause, fmt.Sprintf(`{"id":%q,"duration_s":%d}`, id, 1+rng.IntN(900))
	case 8:
		return topics.CmdResume, fmt.Sprintf(`{"id":%q}`, id)
	case 0, 1:
		return topics.CmdOpen, fmt.Sprintf(`{"id":%q,"zones":%s,"duration_s":%d}`, id, z, 30+rng.IntN(5400))
	case 2:
		return topics.CmdClose, fmt.Sprintf(`{"id":%q,"zones":%s}`, id, z)
	case 3:
		return topics.CmdToggle, fmt.Sprintf(`{"id":%q,"zones":%s}`, id, z)
	case 4:
		return topics.CmdClose, fmt.Sprintf(`{"id":%q,"zones":"all"}`, id)
	}
	return topics.CmdStatus, fmt.Sprintf(`{"id":%q}`, id)
}
