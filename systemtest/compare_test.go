package systemtest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"sprinkler/broker/brokertest"
	"sprinkler/ctl/bench"
	"sprinkler/ctl/client"
	"sprinkler/topics"
)

// BenchmarkCompare measures, in one run, this project's agent behind its embedded broker and
// behind mosquitto (set_tcp_nodelay true), beside two anchors: a minimal echo responder (a
// plain paho client answering version requests) on our standalone broker and on mosquitto.
// Each reports request/response percentiles, fan-out of a 64-byte message to 1000 watchers
// (last receiver), the broker process's RSS idle, with 1000 idle monitors, and its peak; the
// agent rows also a burst of 10 000 requests from 20 clients and a zone's set-to-state time.
// Run it with -benchtime 1x; the time per op is meaningless.
func BenchmarkCompare(b *testing.B) {
	const watchers = 1000
	for _, setup := range []struct {
		name  string
		start func(b *testing.B) (url string, pid int)
	}{
		{"echo-mochi", func(b *testing.B) (string, int) {
			url, p := startBroker(b)
			echo(b, url)
			return url, p.cmd.Process.Pid
		}},
		{"echo-mosquitto", func(b *testing.B) (string, int) {
			addr, pid := brokertest.MosquittoProcess(b)
			echo(b, brokertest.URL(addr))
			return brokertest.URL(addr), pid
		}},
		{"agent-embedded", func(b *testing.B) (string, int) {
			url, p := startAgent(b, "echo", "SPRINKLER_SAFETY_STAGGER=0s")
			return url, p.cmd.Process.Pid
		}},
		{"agent-mosquitto", func(b *testing.B) (string, int) {
			addr, pid := brokertest.MosquittoProcess(b)
			url := brokertest.URL(addr)
			p := startProc(b, filepath.Join(bin, "agent"), nil, "SPRINKLER_AGENT_ID=echo", "SPRINKLER_BROKER_EMBEDDED=false",
				"SPRINKLER_MQTT_URL="+url, "SPRINKLER_RELAYS_DRIVER=sim", "SPRINKLER_STATE_DIR="+b.TempDir(), "SPRINKLER_SAFETY_STAGGER=0s")
			awaitOnline(b, url, "echo", p)
			return url, pid
		}},
	} {
		b.Run(setup.name, func(b *testing.B) {
			url, pid := setup.start(b)
			agent, _ := topics.NewAgent(topics.DefaultPrefix, "echo")
			idle := memory(b, pid).rss
			monitors := idleMonitors(b, url, agent, watchers)
			withMonitors := memory(b, pid).rss
			disconnect(monitors)
			o := bench.Options{Conn: client.Options{Broker: url}, Agent: agent, Requests: 2000, Watchers: watchers, Rounds: 20}
			if strings.HasPrefix(setup.name, "agent") {
				o.Burst, o.BurstClients, o.Window = 10000, 20, 8
			}
			var r *bench.Results
			for range b.N {
				var err error
				if r, err = bench.Run(context.Background(), o); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(r.Request.P50, "req-p50-µs")
			b.ReportMetric(r.Request.P99, "req-p99-µs")
			b.ReportMetric(r.FanOut.Last.P50/1000, "fanout1000-p50-ms")
			b.ReportMetric(idle, "idle-MiB")
			b.ReportMetric(withMonitors, "1000-idle-MiB")
			b.ReportMetric(memory(b, pid).peak, "peak-MiB")
			if r.Burst != nil {
				b.ReportMetric(r.Burst.PerSecond, "burst-req/s")
				b.ReportMetric(float64(r.Burst.Lost+r.Burst.Mismatched), "burst-lost")
				// A plain OPEN or CLOSE on zone 2's set topic until its retained state arrives.
				z, err := bench.Run(context.Background(), bench.Options{Conn: o.Conn, Agent: agent, Watchers: 1, Rounds: 200, Zone: 2})
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(z.FanOut.Last.P50, "set-to-state-p50-µs")
			}
		})
	}
}

// echo answers version requests to agent "echo" with an empty ok reply, as a minimal agent
// would: the anchor that shows what the broker and paho cost without the agent's work.
func echo(b *testing.B, url string) {
	agent, _ := topics.NewAgent(topics.DefaultPrefix, "echo")
	opts := paho.NewClientOptions().AddBroker(url).SetClientID("echo-responder").SetAutoReconnect(false)
	c := paho.NewClient(opts)
	if t := c.Connect(); !t.WaitTimeout(brokertest.Wait) || t.Error() != nil {
		b.Fatalf("echo connect: %v", t.Error())
	}
	b.Cleanup(func() { c.Disconnect(0) })
	t := c.Subscribe(agent.RequestFilter(), 1, func(c paho.Client, m paho.Message) {
		req, _ := topics.ParseRequest(m.Payload())
		c.Publish(agent.Reply(topics.CmdVersion, req.ReplyTo), 1, false, `{"id":"`+req.ID+`","status":"ok","data":{}}`)
	})
	if !t.WaitTimeout(brokertest.Wait) || t.Error() != nil {
		b.Fatalf("echo subscribe: %v", t.Error())
	}
}

// idleMonitors connects n clients that each follow the agent's state and presence, as
// dashboards and Home Assistant do.
func idleMonitors(b *testing.B, url string, agent topics.Agent, n int) []paho.Client {
	cs := make([]paho.Client, n)
	var wg sync.WaitGroup
	for i := range cs {
		wg.Go(func() {
			opts := paho.NewClientOptions().AddBroker(url).SetClientID(fmt.Sprintf("monitor-%d", i)).SetAutoReconnect(false).SetConnectTimeout(brokertest.Wait)
			c := paho.NewClient(opts)
			if t := c.Connect(); !t.WaitTimeout(brokertest.Wait) || t.Error() != nil {
				b.Errorf("monitor %d: %v", i, t.Error())
				return
			}
			// A handler, as a real monitor has: paho acknowledges a QoS 1 message only once one
			// took it, and unacknowledged ones would stay in the broker's in-flight store.
			c.SubscribeMultiple(map[string]byte{agent.Status(): 1, agent.ZoneStateFilter(): 1, agent.Event(): 0},
				func(paho.Client, paho.Message) {}).WaitTimeout(brokertest.Wait)
			cs[i] = c
		})
	}
	wg.Wait()
	if b.Failed() {
		b.FailNow()
	}
	time.Sleep(time.Second) // let retained deliveries and buffers settle before reading RSS
	return cs
}

func disconnect(cs []paho.Client) {
	var wg sync.WaitGroup
	for _, c := range cs {
		wg.Go(func() { c.Disconnect(0) })
	}
	wg.Wait()
}

type mem struct{ rss, peak float64 } // MiB

// memory reads a process's resident memory and its peak from /proc.
func memory(b *testing.B, pid int) mem {
	status, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		b.Skip("no /proc on this system")
	}
	var m mem
	for line := range strings.SplitSeq(string(status), "\n") {
		key, v, _ := strings.Cut(line, ":")
		kib, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
		switch key {
		case "VmRSS":
			m.rss = kib / 1024
		case "VmHWM":
			m.peak = kib / 1024
		}
	}
	return m
}
