package server_test

import (
	"log/slog"
	"slices"
	"strconv"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"sprinkler/broker/brokertest"
	"sprinkler/broker/server"
)

// BenchmarkEchoRoundTrip measures a request and its reply between two paho clients through
// the broker with all its hooks (authentication, ACL, origins, retained-command guard): the
// broker's share of an agent's round trip. It reports the median and 99th percentile.
func BenchmarkEchoRoundTrip(b *testing.B) {
	brk := server.New(loopbackConfig(), slog.New(slog.DiscardHandler))
	if err := brk.Start(); err != nil {
		b.Fatal(err)
	}
	defer brk.Close()
	url := brokertest.URL(brk.Addr())
	dial := func(id string) paho.Client {
		c := paho.NewClient(paho.NewClientOptions().AddBroker(url).SetClientID(id))
		if t := c.Connect(); !t.WaitTimeout(brokertest.Wait) || t.Error() != nil {
			b.Fatal(t.Error())
		}
		b.Cleanup(func() { c.Disconnect(0) })
		return c
	}
	echo := dial("echo")
	if t := echo.Subscribe("sprinkler/echo/request/+", 1, func(c paho.Client, m paho.Message) {
		c.Publish("sprinkler/echo/response/version", 1, false, m.Payload())
	}); !t.WaitTimeout(brokertest.Wait) || t.Error() != nil {
		b.Fatal(t.Error())
	}
	replies := make(chan string, 1)
	req := dial("requester")
	if t := req.Subscribe("sprinkler/echo/response/version", 1, func(_ paho.Client, m paho.Message) {
		replies <- string(m.Payload())
	}); !t.WaitTimeout(brokertest.Wait) || t.Error() != nil {
		b.Fatal(t.Error())
	}
	brokertest.RoundTrips(b, func(id string) { req.Publish("sprinkler/echo/request/version", 1, false, id) }, replies)
}

// BenchmarkFanOut measures one 64-byte publish reaching 1000 subscribers through the broker,
// all clients in this process: until the last subscriber has it. Profile it with -cpuprofile
// to see the broker's share beside the clients'.
func BenchmarkFanOut(b *testing.B) {
	const n = 1000
	brk := server.New(loopbackConfig(), slog.New(slog.DiscardHandler))
	if err := brk.Start(); err != nil {
		b.Fatal(err)
	}
	defer brk.Close()
	url := brokertest.URL(brk.Addr())
	got := make(chan struct{}, n)
	for i := range n {
		c := paho.NewClient(paho.NewClientOptions().AddBroker(url).SetClientID("w" + strconv.Itoa(i)))
		if t := c.Connect(); !t.WaitTimeout(brokertest.Wait) || t.Error() != nil {
			b.Fatal(t.Error())
		}
		defer c.Disconnect(0)
		if t := c.Subscribe("sprinkler/bench/fan", 0, func(paho.Client, paho.Message) { got <- struct{}{} }); !t.WaitTimeout(brokertest.Wait) || t.Error() != nil {
			b.Fatal(t.Error())
		}
	}
	pub := paho.NewClient(paho.NewClientOptions().AddBroker(url).SetClientID("pub"))
	if t := pub.Connect(); !t.WaitTimeout(brokertest.Wait) || t.Error() != nil {
		b.Fatal(t.Error())
	}
	defer pub.Disconnect(0)
	payload := make([]byte, 64)
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		pub.Publish("sprinkler/bench/fan", 0, false, payload)
		for range n {
			select {
			case <-got:
			case <-time.After(brokertest.Wait):
				b.Fatal("a subscriber missed the message")
			}
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "last-p50-ms")
}
