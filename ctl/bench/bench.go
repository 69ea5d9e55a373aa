// Package bench measures an installation from the outside, as ctl bench: request/response
// latency to an agent, fan-out of one message to many watchers, a storm of connections, and a
// burst of concurrent requests. It talks to any broker, so the embedded one and an external one
// can be compared in the same run.
package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"sprinkler/topics"
)

// Options say what to measure and where.
type Options struct {
	Broker             string
	Username, Password string
	Agent              topics.Agent
	Requests           int // sequential requests for the latency test; 0 skips it
	Watchers           int // subscribers of the fan-out test; 0 skips it
	Rounds             int // fan-out messages
	Connects           int // clients of the connect storm; 0 skips it
	Burst              int // requests of the burst; 0 skips it
	BurstClients       int
}

// Latency summarises durations.
type Latency struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50_us"`
	P90 float64 `json:"p90_us"`
	P99 float64 `json:"p99_us"`
	Max float64 `json:"max_us"`
}

func summarize(d []time.Duration) Latency {
	if len(d) == 0 {
		return Latency{}
	}
	slices.Sort(d)
	at := func(q float64) float64 { return float64(d[min(len(d)-1, int(q*float64(len(d))))].Nanoseconds()) / 1e3 }
	return Latency{N: len(d), P50: at(0.5), P90: at(0.9), P99: at(0.99), Max: float64(d[len(d)-1].Nanoseconds()) / 1e3}
}

// Results are what a run measured.
type Results struct {
	Broker   string   `json:"broker"`
	Agent    string   `json:"agent"`
	Request  *Latency `json:"request,omitempty"`  // one request and its reply
	FanOut   *Latency `json:"fan_out,omitempty"`  // publish to the last of the watchers receiving it
	Connect  *Latency `json:"connect,omitempty"`  // CONNECT to CONNACK under a storm
	Burst    *Burst   `json:"burst,omitempty"`    // concurrent requests
	Watchers int      `json:"watchers,omitempty"` // how many watched the fan-out
}

// Burst is the result of the burst test.
type Burst struct {
	Requests   int     `json:"requests"`
	Clients    int     `json:"clients"`
	Answered   int     `json:"answered"`
	Lost       int     `json:"lost"`
	Mismatched int     `json:"mismatched"`
	PerSecond  float64 `json:"per_second"`
	Latency    Latency `json:"latency"`
}

// Run runs the tests the options ask for.
func Run(ctx context.Context, o Options) (*Results, error) {
	r := &Results{Broker: o.Broker, Agent: o.Agent.ID()}
	var err error
	if o.Requests > 0 {
		if r.Request, err = requests(ctx, o); err != nil {
			return r, fmt.Errorf("requests: %w", err)
		}
	}
	if o.Watchers > 0 {
		r.Watchers = o.Watchers
		if r.FanOut, err = fanOut(ctx, o); err != nil {
			return r, fmt.Errorf("fan-out: %w", err)
		}
	}
	if o.Connects > 0 {
		if r.Connect, err = storm(ctx, o); err != nil {
			return r, fmt.Errorf("connect storm: %w", err)
		}
	}
	if o.Burst > 0 {
		if r.Burst, err = burst(ctx, o); err != nil {
			return r, fmt.Errorf("burst: %w", err)
		}
	}
	return r, nil
}

var seq atomic.Int64

func clientID(role string) string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return fmt.Sprintf("bench-%s-%s-%d", role, hex.EncodeToString(b), seq.Add(1))
}

// connect connects a client whose messages go to handler.
func connect(ctx context.Context, o Options, handler paho.MessageHandler) (paho.Client, error) {
	opts := paho.NewClientOptions().AddBroker(o.Broker).SetClientID(clientID("c")).
		SetUsername(o.Username).SetPassword(o.Password).SetAutoReconnect(false).SetConnectRetry(false).
		SetConnectTimeout(10 * time.Second).SetOrderMatters(true).SetDefaultPublishHandler(handler)
	c := paho.NewClient(opts)
	if err := wait(ctx, c.Connect()); err != nil {
		return nil, err
	}
	return c, nil
}

func wait(ctx context.Context, t paho.Token) error {
	select {
	case <-t.Done():
		return t.Error()
	case <-ctx.Done():
		return ctx.Err()
	}
}

// requester sends version requests on one connection and matches replies by id.
type requester struct {
	c       paho.Client
	agent   topics.Agent
	prefix  string // starts the ids of this client's requests
	mu      sync.Mutex
	pending map[string]chan struct{}
	bad     atomic.Int64
}

func newRequester(ctx context.Context, o Options) (*requester, error) {
	r := &requester{agent: o.Agent, prefix: clientID("r") + "/", pending: map[string]chan struct{}{}}
	c, err := connect(ctx, o, r.reply)
	if err != nil {
		return nil, err
	}
	r.c = c
	// QoS 0: every requester hears every reply on the shared topic, and at QoS 1 the
	// broker's in-flight limit per client would drop them under a burst.
	if err := wait(ctx, c.Subscribe(o.Agent.Response(topics.CmdVersion), 0, r.reply)); err != nil {
		c.Disconnect(0)
		return nil, err
	}
	return r, nil
}

func (r *requester) reply(_ paho.Client, m paho.Message) {
	var resp topics.Response
	if json.Unmarshal(m.Payload(), &resp) != nil {
		return
	}
	r.mu.Lock()
	ch, ok := r.pending[resp.ID]
	delete(r.pending, resp.ID)
	r.mu.Unlock()
	if ok {
		close(ch)
	} else if strings.HasPrefix(resp.ID, r.prefix) {
		r.bad.Add(1) // a second reply, or one to a request this client never sent
	}
}

// send publishes a request and returns a channel closed by its reply.
func (r *requester) send(id string) chan struct{} {
	ch := make(chan struct{})
	id = r.prefix + id
	r.mu.Lock()
	r.pending[id] = ch
	r.mu.Unlock()
	r.c.Publish(r.agent.Request(topics.CmdVersion), 1, false, `{"id":"`+id+`"}`)
	return ch
}

func requests(ctx context.Context, o Options) (*Latency, error) {
	r, err := newRequester(ctx, o)
	if err != nil {
		return nil, err
	}
	defer r.c.Disconnect(50)
	lat := make([]time.Duration, 0, o.Requests)
	for i := range o.Requests + o.Requests/10 { // the first tenth warms up
		start := time.Now()
		select {
		case <-r.send("l" + strconv.Itoa(i)):
		case <-time.After(5 * time.Second):
			return nil, errors.New("no reply within 5 s: is the agent online?")
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if i >= o.Requests/10 {
			lat = append(lat, time.Since(start))
		}
	}
	l := summarize(lat)
	return &l, nil
}

func fanOut(ctx context.Context, o Options) (*Latency, error) {
	topic := topics.Sync(o.Agent.Prefix(), clientID("fan"))
	rounds := max(o.Rounds, 1)
	type arrival struct{ round int }
	arrivals := make(chan arrival, o.Watchers*rounds)
	var watchers []paho.Client
	defer func() {
		for _, w := range watchers {
			w.Disconnect(0)
		}
	}()
	for range o.Watchers {
		w, err := connect(ctx, o, nil)
		if err != nil {
			return nil, err
		}
		watchers = append(watchers, w)
		if err := wait(ctx, w.Subscribe(topic, 0, func(_ paho.Client, m paho.Message) {
			n, _ := strconv.Atoi(string(m.Payload()))
			arrivals <- arrival{n}
		})); err != nil {
			return nil, err
		}
	}
	pub, err := connect(ctx, o, nil)
	if err != nil {
		return nil, err
	}
	defer pub.Disconnect(0)
	var lat []time.Duration
	for round := range rounds {
		start := time.Now()
		pub.Publish(topic, 0, false, strconv.Itoa(round))
		for got := 0; got < o.Watchers; {
			select {
			case a := <-arrivals:
				if a.round == round {
					got++
				}
			case <-time.After(10 * time.Second):
				return nil, fmt.Errorf("round %d: %d of %d watchers received it", round, got, o.Watchers)
			}
		}
		lat = append(lat, time.Since(start))
	}
	l := summarize(lat)
	return &l, nil
}

func storm(ctx context.Context, o Options) (*Latency, error) {
	lat := make([]time.Duration, o.Connects)
	clients := make([]paho.Client, o.Connects)
	errs := make([]error, o.Connects)
	var wg sync.WaitGroup
	for i := range o.Connects {
		wg.Go(func() {
			start := time.Now()
			clients[i], errs[i] = connect(ctx, o, nil)
			lat[i] = time.Since(start)
		})
	}
	wg.Wait()
	for _, c := range clients {
		if c != nil {
			c.Disconnect(0)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	l := summarize(lat)
	return &l, nil
}

func burst(ctx context.Context, o Options) (*Burst, error) {
	n := max(o.BurstClients, 1)
	b := &Burst{Requests: o.Burst, Clients: n}
	var reqs []*requester
	defer func() {
		for _, r := range reqs {
			r.c.Disconnect(50)
		}
	}()
	for range n {
		r, err := newRequester(ctx, o)
		if err != nil {
			return nil, err
		}
		reqs = append(reqs, r)
	}
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	start := time.Now()
	for ci, r := range reqs {
		share := o.Burst / n
		if ci < o.Burst%n {
			share++
		}
		wg.Go(func() {
			type sent struct {
				at time.Time
				ch chan struct{}
			}
			all := make([]sent, share)
			for i := range share {
				all[i] = sent{time.Now(), r.send(fmt.Sprintf("b%d-%d", ci, i))}
			}
			deadline := time.After(30 * time.Second)
			for _, s := range all {
				select {
				case <-s.ch:
					d := time.Since(s.at)
					mu.Lock()
					lat = append(lat, d)
					b.Answered++
					mu.Unlock()
				case <-deadline:
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	for _, r := range reqs {
		b.Mismatched += int(r.bad.Load())
	}
	b.Lost = b.Requests - b.Answered
	b.PerSecond = float64(b.Answered) / elapsed.Seconds()
	b.Latency = summarize(lat)
	return b, nil
}
