package daemon_test

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"sprinkler/broker/brokertest"
	"sprinkler/topics"
)

// BenchmarkRequestResponse measures one request and its reply between a paho client and the
// agent through the embedded broker on loopback, as ctl makes them once connected. Beside the
// mean it reports the median and the 99th percentile.
func BenchmarkRequestResponse(b *testing.B) {
	for _, cmd := range []string{topics.CmdVersion, topics.CmdStatus} {
		b.Run(cmd, func(b *testing.B) {
			cfg := testConfig(b, "bench")
			cfg.Log.Level = "warn"
			a := start(b, cfg, nil)
			replies := make(chan string, 1)
			opts := paho.NewClientOptions().AddBroker(brokertest.URL(a.addr)).SetClientID("bench").
				SetDefaultPublishHandler(func(_ paho.Client, m paho.Message) {
					var r topics.Response
					if json.Unmarshal(m.Payload(), &r) == nil {
						replies <- r.ID
					}
				})
			c := paho.NewClient(opts)
			if tok := c.Connect(); !tok.WaitTimeout(brokertest.Wait) || tok.Error() != nil {
				b.Fatal(tok.Error())
			}
			defer c.Disconnect(10)
			if tok := c.Subscribe(a.topics.Reply(cmd, "bench"), 1, nil); !tok.WaitTimeout(brokertest.Wait) || tok.Error() != nil {
				b.Fatal(tok.Error())
			}
			brokertest.RoundTrips(b, func(id string) {
				c.Publish(a.topics.Request(cmd), 1, false, `{"id":"`+id+`"}`)
			}, replies)
		})
	}
}

// BenchmarkSetToState measures a plain OPEN or CLOSE on a zone's set topic from a paho client
// through the embedded broker: until the relay switched (relay-p50) and until the zone's
// retained state reached the client (state-p50). The stagger is off, so only the path counts.
func BenchmarkSetToState(b *testing.B) {
	cfg := testConfig(b, "bench")
	cfg.Log.Level = "warn"
	cfg.Safety.Stagger = 0
	a := start(b, cfg, nil)
	states := make(chan string, 1)
	opts := paho.NewClientOptions().AddBroker(brokertest.URL(a.addr)).SetClientID("bench")
	c := paho.NewClient(opts)
	if tok := c.Connect(); !tok.WaitTimeout(brokertest.Wait) || tok.Error() != nil {
		b.Fatal(tok.Error())
	}
	defer c.Disconnect(10)
	if tok := c.Subscribe(a.topics.ZoneState(2), 1, func(_ paho.Client, m paho.Message) {
		if !m.Retained() {
			states <- string(m.Payload())
		}
	}); !tok.WaitTimeout(brokertest.Wait) || tok.Error() != nil {
		b.Fatal(tok.Error())
	}
	relay := make([]time.Duration, 0, b.N)
	state := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		cmd, want := "OPEN", topics.StateOpen
		if i%2 == 1 {
			cmd, want = "CLOSE", topics.StateClosed
		}
		start := time.Now()
		c.Publish(a.topics.ZoneSet(2), 1, false, cmd)
		for a.bank.On()[1] != (i%2 == 0) {
			select {
			case <-a.bank.Changed():
			case <-time.After(brokertest.Wait):
				b.Fatalf("relay 2 did not follow %s", cmd)
			}
		}
		relay = append(relay, time.Since(start))
		select {
		case got := <-states:
			if got != want {
				b.Fatalf("state %s after %s", got, cmd)
			}
		case <-time.After(brokertest.Wait):
			b.Fatalf("no state after %s", cmd)
		}
		state = append(state, time.Since(start))
	}
	b.StopTimer()
	for name, d := range map[string][]time.Duration{"relay-p50-µs": relay, "state-p50-µs": state} {
		slices.Sort(d)
		b.ReportMetric(float64(d[len(d)/2].Microseconds()), name)
	}
}
