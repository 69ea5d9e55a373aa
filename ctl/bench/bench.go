// Package bench measures an installation from the outside, as ctl bench does: request/response
// latency to an agent, fan-out of one message to many watchers, a storm of connections, and a
// burst of concurrent requests. It talks to any MQTT broker, so the embedded one and an
// external one can be compared with the same agent behind each.
package bench

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"sprinkler/ctl/client"
	"sprinkler/topics"
)

// Options say what to measure and where. A count of 0 skips its test.
type Options struct {
	Conn  client.Options
	Agent topics.Agent
	// Requests is the number of sequential requests of the latency test.
	Requests int
	// Watchers subscribe for the fan-out test; Rounds messages are fanned out to them.
	Watchers, Rounds int
	// Zone, when above 0, makes the fan-out a real zone change: each round opens or closes
	// that zone through its set topic and waits for every watcher to see the new state. It
	// moves water. At 0 the fan-out uses a topic of the bench's own.
	Zone int
	// Pace is the least time from one fan-out round's start to the next: above the agent's
	// stagger, an OPEN never waits for the turn-on before it.
	Pace time.Duration
	// Connects is the number of clients of the connect storm.
	Connects int
	// Burst is the number of requests of the burst, sent by BurstClients clients that each
	// keep Window requests outstanding.
	Burst, BurstClients, Window int
	// Wait bounds each wait for an answer; 0 means 10 s.
	Wait time.Duration
}

// Latency summarises durations, in microseconds.
type Latency struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50_us"`
	P90 float64 `json:"p90_us"`
	P99 float64 `json:"p99_us"`
	Max float64 `json:"max_us"`
}

// Summarize returns the percentiles of d; it sorts d.
func Summarize(d []time.Duration) Latency {
	if len(d) == 0 {
		return Latency{}
	}
	slices.Sort(d)
	us := func(x time.Duration) float64 { return float64(x.Nanoseconds()) / 1e3 }
	at := func(q float64) float64 { return us(d[min(len(d)-1, int(q*float64(len(d))))]) }
	return Latency{N: len(d), P50: at(0.5), P90: at(0.9), P99: at(0.99), Max: us(d[len(d)-1])}
}

// Results are what a run measured; a test that was skipped is nil.
type Results struct {
	Broker   string   `json:"broker"`
	Agent    string   `json:"agent"`
	Request  *Latency `json:"request,omitempty"` // one request and its reply
	FanOut   *FanOut  `json:"fan_out,omitempty"` // publish to the last watcher receiving it
	Connect  *Latency `json:"connect,omitempty"` // CONNECT to CONNACK, all at once
	Burst    *Burst   `json:"burst,omitempty"`   // concurrent requests
	Duration float64  `json:"duration_s"`        // the whole run
	Errors   []string `json:"errors,omitempty"`  // tests that failed, and why
}

// FanOut is the result of the fan-out test.
type FanOut struct {
	Watchers int     `json:"watchers"`
	Topic    string  `json:"topic"`
	Last     Latency `json:"last"`  // until the last watcher had it
	First    Latency `json:"first"` // until the first watcher had it
}

// Burst is the result of the burst test.
type Burst struct {
	Requests   int     `json:"requests"`
	Clients    int     `json:"clients"`
	Window     int     `json:"window"`
	Answered   int     `json:"answered"`
	Lost       int     `json:"lost"`
	Mismatched int     `json:"mismatched"`
	Errors     int     `json:"errors"` // answered with an error reply
	PerSecond  float64 `json:"per_second"`
	Latency    Latency `json:"latency"`
}

// Run runs the tests the options ask for, one after the other. A test that fails is recorded
// in Results.Errors and the next one still runs; the error returned is the first failure.
func Run(ctx context.Context, o Options) (*Results, error) {
	if o.Wait <= 0 {
		o.Wait = 10 * time.Second
	}
	start := time.Now()
	r := &Results{Broker: o.Conn.Broker, Agent: o.Agent.ID()}
	var first error
	fail := func(test string, err error) {
		if err != nil {
			r.Errors = append(r.Errors, test+": "+err.Error())
			if first == nil {
				first = fmt.Errorf("%s: %w", test, err)
			}
		}
	}
	var err error
	if o.Requests > 0 {
		r.Request, err = requests(ctx, o)
		fail("request", err)
	}
	if o.Watchers > 0 {
		r.FanOut, err = fanOut(ctx, o)
		fail("fan-out", err)
	}
	if o.Connects > 0 {
		r.Connect, err = storm(ctx, o)
		fail("connect storm", err)
	}
	if o.Burst > 0 {
		r.Burst, err = burst(ctx, o)
		fail("burst", err)
	}
	r.Duration = time.Since(start).Seconds()
	return r, first
}

var seq atomic.Int64

// runID tells this run's clients from another bench's on the same broker.
var runID = sync.OnceValue(func() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
})

func clientID(role string) string {
	return fmt.Sprintf("bench-%s-%s-%d", runID(), role, seq.Add(1))
}

// connect connects a client with a clean session and no reconnects.
func connect(ctx context.Context, o Options, id string) (paho.Client, error) {
	opts := paho.NewClientOptions().AddBroker(o.Conn.Broker).SetClientID(id).
		SetUsername(o.Conn.Username).SetPassword(o.Conn.Password).SetTLSConfig(o.Conn.TLS).
		SetCleanSession(true).SetAutoReconnect(false).SetConnectRetry(false).
		SetConnectTimeout(o.Wait).SetKeepAlive(60 * time.Second).SetOrderMatters(false)
	c := paho.NewClient(opts)
	if err := wait(ctx, c.Connect(), o.Wait); err != nil {
		return nil, err
	}
	return c, nil
}

func wait(ctx context.Context, t paho.Token, limit time.Duration) error {
	select {
	case <-t.Done():
		return t.Error()
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(limit):
		return fmt.Errorf("no answer from the broker within %s", limit)
	}
}

// requester sends version requests on one connection and matches the replies, which come on
// its private reply topic, by id.
type requester struct {
	c       paho.Client
	id      string
	agent   topics.Agent
	n       atomic.Int64
	mu      sync.Mutex
	pending map[string]chan bool // closed with true for an ok reply
	bad     atomic.Int64         // replies to no pending request
}

func newRequester(ctx context.Context, o Options) (*requester, error) {
	r := &requester{id: clientID("r"), agent: o.Agent, pending: map[string]chan bool{}}
	c, err := connect(ctx, o, r.id)
	if err != nil {
		return nil, err
	}
	r.c = c
	// QoS 0 replies: over one TCP connection they are not lost, and they do not count against
	// the broker's in-flight limit per client.
	if err := wait(ctx, c.Subscribe(o.Agent.Reply(topics.CmdVersion, r.id), 0, r.reply), o.Wait); err != nil {
		c.Disconnect(0)
		return nil, fmt.Errorf("subscribe: %w", err)
	}
	return r, nil
}

// reply runs on paho's router; it only signals.
func (r *requester) reply(_ paho.Client, m paho.Message) {
	id, ok := replyID(m.Payload())
	r.mu.Lock()
	ch, found := r.pending[id]
	delete(r.pending, id)
	r.mu.Unlock()
	if !ok || !found {
		r.bad.Add(1)
		return
	}
	ch <- strings.Contains(string(m.Payload()), `"status":"ok"`)
}

// replyID reads the id of a reply without decoding all of it.
func replyID(p []byte) (string, bool) {
	s := string(p)
	i := strings.Index(s, `"id":"`)
	if i < 0 {
		return "", false
	}
	s = s[i+6:]
	j := strings.IndexByte(s, '"')
	if j < 0 {
		return "", false
	}
	return s[:j], true
}

// send publishes a request and returns a channel that receives whether its reply was ok.
func (r *requester) send() chan bool {
	ch := make(chan bool, 1)
	id := r.id + "-" + strconv.FormatInt(r.n.Add(1), 10)
	r.mu.Lock()
	r.pending[id] = ch
	r.mu.Unlock()
	r.c.Publish(r.agent.Request(topics.CmdVersion), 1, false, `{"id":"`+id+`","reply_to":"`+r.id+`"}`)
	return ch
}

// close disconnects; replies still on their way are dropped.
func (r *requester) close() {
	r.c.Disconnect(50)
}

func requests(ctx context.Context, o Options) (*Latency, error) {
	r, err := newRequester(ctx, o)
	if err != nil {
		return nil, err
	}
	defer r.close()
	warm := max(o.Requests/10, 1)
	lat := make([]time.Duration, 0, o.Requests)
	for i := range o.Requests + warm {
		start := time.Now()
		select {
		case ok := <-r.send():
			if !ok {
				return nil, errors.New("the agent answered the version request with an error")
			}
		case <-time.After(o.Wait):
			return nil, fmt.Errorf("no reply within %s: is agent %s online?", o.Wait, o.Agent.ID())
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if i >= warm {
			lat = append(lat, time.Since(start))
		}
	}
	l := Summarize(lat)
	return &l, nil
}

// pad makes fan-out payloads 64 bytes long, like a zone's state with some JSON around it.
const pad = "................................................................"

func fanOut(ctx context.Context, o Options) (*FanOut, error) {
	pubID := clientID("pub")
	topic, subTopic := topics.Sync(o.Agent.Prefix(), pubID), ""
	if o.Zone > 0 {
		topic, subTopic = o.Agent.ZoneSet(o.Zone), o.Agent.ZoneState(o.Zone)
	} else {
		subTopic = topic
	}
	rounds := max(o.Rounds, 1)
	// arrivals[i] counts the watchers that had round i.
	arrivals := make([]atomic.Int64, rounds+1)
	firstSeen := make([]atomic.Int64, rounds+1) // unix nanoseconds of the first arrival
	lastSeen := make(chan int, rounds+1)
	var round atomic.Int64
	round.Store(-1)
	handler := func(_ paho.Client, m paho.Message) {
		if m.Retained() {
			return
		}
		n := int(round.Load())
		if o.Zone == 0 {
			n, _ = strconv.Atoi(strings.TrimRight(string(m.Payload()), "."))
		}
		if n < 0 || n >= rounds {
			return
		}
		firstSeen[n].CompareAndSwap(0, time.Now().UnixNano())
		if arrivals[n].Add(1) == int64(o.Watchers) {
			lastSeen <- n
		}
	}
	watchers, err := subscribeWatchers(ctx, o, subTopic, handler)
	defer func() { disconnectAll(watchers) }()
	if err != nil {
		return nil, err
	}
	pub, err := connect(ctx, o, pubID)
	if err != nil {
		return nil, err
	}
	defer pub.Disconnect(50)
	var last, first []time.Duration
	var started time.Time
	for i := range rounds {
		payload := strconv.Itoa(i) + pad
		payload = payload[:max(len(pad), len(strconv.Itoa(i)))]
		if o.Zone > 0 {
			payload = map[bool]string{true: "OPEN", false: "CLOSE"}[i%2 == 0]
		}
		if i > 0 && o.Pace > 0 {
			select {
			case <-time.After(o.Pace - time.Since(started)):
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		round.Store(int64(i))
		start := time.Now()
		started = start
		pub.Publish(topic, 0, false, payload)
		select {
		case <-lastSeen:
		case <-time.After(o.Wait):
			return nil, fmt.Errorf("round %d: %d of %d watchers received it within %s", i, arrivals[i].Load(), o.Watchers, o.Wait)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		last = append(last, time.Since(start))
		first = append(first, time.Unix(0, firstSeen[i].Load()).Sub(start))
	}
	if o.Zone > 0 && rounds%2 == 1 {
		pub.Publish(topic, 1, false, "CLOSE").WaitTimeout(o.Wait)
	}
	return &FanOut{Watchers: o.Watchers, Topic: subTopic, Last: Summarize(last), First: Summarize(first)}, nil
}

// subscribeWatchers connects o.Watchers clients subscribed to topic with handler; it returns
// those it connected, also with an error.
func subscribeWatchers(ctx context.Context, o Options, topic string, handler paho.MessageHandler) ([]paho.Client, error) {
	watchers := make([]paho.Client, 0, o.Watchers)
	for range o.Watchers {
		w, err := connect(ctx, o, clientID("w"))
		if err != nil {
			return watchers, fmt.Errorf("watcher %d: %w", len(watchers)+1, err)
		}
		watchers = append(watchers, w)
		if err := wait(ctx, w.Subscribe(topic, 0, handler), o.Wait); err != nil {
			return watchers, fmt.Errorf("watcher %d: subscribe: %w", len(watchers), err)
		}
	}
	return watchers, nil
}

func disconnectAll(cs []paho.Client) {
	var wg sync.WaitGroup
	for _, c := range cs {
		wg.Go(func() { c.Disconnect(0) })
	}
	wg.Wait()
}

func storm(ctx context.Context, o Options) (*Latency, error) {
	lat := make([]time.Duration, o.Connects)
	clients := make([]paho.Client, o.Connects)
	errs := make([]error, o.Connects)
	var wg sync.WaitGroup
	for i := range o.Connects {
		wg.Go(func() {
			start := time.Now()
			clients[i], errs[i] = connect(ctx, o, clientID("s"))
			lat[i] = time.Since(start)
		})
	}
	wg.Wait()
	disconnectAll(slices.DeleteFunc(clients, func(c paho.Client) bool { return c == nil }))
	var failed int
	var firstErr error
	for _, err := range errs {
		if err != nil {
			failed++
			firstErr = cmp.Or(firstErr, err)
		}
	}
	if failed > 0 {
		return nil, fmt.Errorf("%d of %d connections failed; the first: %w", failed, o.Connects, firstErr)
	}
	l := Summarize(lat)
	return &l, nil
}

func burst(ctx context.Context, o Options) (*Burst, error) {
	n := max(o.BurstClients, 1)
	window := max(o.Window, 1)
	b := &Burst{Requests: o.Burst, Clients: n, Window: window}
	reqs := make([]*requester, 0, n)
	defer func() {
		for _, r := range reqs {
			r.close()
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
	lat := make([]time.Duration, 0, o.Burst)
	var wg sync.WaitGroup
	start := time.Now()
	for ci, r := range reqs {
		share := o.Burst / n
		if ci < o.Burst%n {
			share++
		}
		wg.Go(func() {
			mine, answered, errs := client1(ctx, r, share, window, o.Wait)
			mu.Lock()
			lat = append(lat, mine...)
			b.Answered += answered
			b.Errors += errs
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	for _, r := range reqs {
		b.Mismatched += int(r.bad.Load())
	}
	b.Lost = b.Requests - b.Answered
	b.PerSecond = float64(b.Answered) / elapsed.Seconds()
	b.Latency = Summarize(lat)
	if b.Lost > 0 || b.Mismatched > 0 {
		return b, fmt.Errorf("%d of %d requests unanswered, %d replies mismatched", b.Lost, b.Requests, b.Mismatched)
	}
	return b, nil
}

// client1 sends share requests on r, keeping window of them outstanding, and returns their
// latencies, how many were answered and how many of those were error replies.
func client1(ctx context.Context, r *requester, share, window int, limit time.Duration) (lat []time.Duration, answered, errs int) {
	type sent struct {
		at time.Time
		ch chan bool
	}
	var out []sent
	for next := 0; next < share || len(out) > 0; {
		for len(out) < window && next < share {
			out = append(out, sent{time.Now(), r.send()})
			next++
		}
		select {
		case ok := <-out[0].ch:
			lat = append(lat, time.Since(out[0].at))
			answered++
			if !ok {
				errs++
			}
			out = out[1:]
		case <-time.After(limit):
			return lat, answered, errs // the rest count as lost
		case <-ctx.Done():
			return lat, answered, errs
		}
	}
	return lat, answered, errs
}
