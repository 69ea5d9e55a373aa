package daemon_test

import (
	"encoding/json"
	"slices"
	"strconv"
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
			if tok := c.Subscribe(a.topics.Response(cmd), 1, nil); !tok.WaitTimeout(brokertest.Wait) || tok.Error() != nil {
				b.Fatal(tok.Error())
			}
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := range b.N {
				id := strconv.Itoa(i)
				start := time.Now()
				c.Publish(a.topics.Request(cmd), 1, false, `{"id":"`+id+`"}`)
				select {
				case got := <-replies:
					if got != id {
						b.Fatalf("reply %s to request %s", got, id)
					}
				case <-time.After(brokertest.Wait):
					b.Fatal("no reply")
				}
				lat = append(lat, time.Since(start))
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
		})
	}
}
