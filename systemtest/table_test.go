package systemtest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sprinkler/broker/brokertest"
	"sprinkler/ctl/bench"
	"sprinkler/ctl/client"
	"sprinkler/topics"
)

// BenchmarkScaleTable prints the performance table of docs/performance.md in one run, this
// agent behind its embedded broker and behind mosquitto 2 (set_tcp_nodelay true), measured from
// outside as clients see them:
//
//	go test -run XXX -bench ScaleTable -benchtime 1x ./systemtest/
//
// OPEN on a set topic until one watcher has the new state (30 toggles 600 ms apart, above the
// agent's 500 ms stagger); a zone change and a plain 64-byte message to 1000 watchers until
// the last has it; the agent's memory idle and with 1000 idle monitors connected, 12 s after they
// did (and its peak over the run);
// its idle CPU over a minute; with mosquitto, mosquitto's memory too.
func BenchmarkScaleTable(b *testing.B) {
	const watchers = 1000
	type row struct{ setToState, zoneFan, plainFan, idleCPU, rssIdle, rssMonitors, peak, brokerRSS float64 }
	rows := map[string]row{}
	for _, setup := range []string{"embedded", "mosquitto"} {
		b.Run(setup, func(b *testing.B) {
			var url string
			var agentPID, brokerPID int
			if setup == "embedded" {
				u, p := startAgent(b, "table", "SPRINKLER_SAFETY_STAGGER=500ms")
				url, agentPID = u, p.cmd.Process.Pid
			} else {
				addr, pid := brokertest.MosquittoFleet(b)
				url, brokerPID = brokertest.URL(addr), pid
				p := startProc(b, filepath.Join(bin, "agent"), nil, "SPRINKLER_AGENT_ID=table", "SPRINKLER_BROKER_EMBEDDED=false",
					"SPRINKLER_MQTT_URL="+url, "SPRINKLER_RELAYS_DRIVER=sim", "SPRINKLER_STATE_DIR="+b.TempDir(), "SPRINKLER_WEB_LISTEN=127.0.0.1:0")
				awaitOnline(b, url, "table", p)
				agentPID = p.cmd.Process.Pid
			}
			agent, _ := topics.NewAgent(topics.DefaultPrefix, "table")
			conn := client.Options{Broker: url}
			var r row
			for range b.N {
				time.Sleep(2 * time.Second) // start-up work is not idling
				r.rssIdle = memory(b, agentPID).rss
				r.idleCPU = cpuShare(b, agentPID, time.Minute)
				run := func(o bench.Options) *bench.FanOut {
					o.Conn, o.Agent = conn, agent
					res, err := bench.Run(context.Background(), o)
					if err != nil {
						b.Fatal(err)
					}
					return res.FanOut
				}
				r.setToState = run(bench.Options{Watchers: 1, Rounds: 30, Zone: 2, Pace: 600 * time.Millisecond}).Last.P50 / 1000
				r.zoneFan = run(bench.Options{Watchers: watchers, Rounds: 20, Zone: 3, Pace: 600 * time.Millisecond}).Last.P50 / 1000
				r.plainFan = run(bench.Options{Watchers: watchers, Rounds: 20}).Last.P50 / 1000
				monitors := idleMonitors(b, url, agent, watchers)
				time.Sleep(12 * time.Second) // connected and quiet: the broker gives memory back after 10 s
				m := memory(b, agentPID)
				r.rssMonitors, r.peak = m.rss, m.peak
				if brokerPID != 0 {
					r.brokerRSS = memory(b, brokerPID).rss
				}
				disconnect(monitors)
			}
			rows[setup] = r
		})
	}
	e, m := rows["embedded"], rows["mosquitto"]
	if e.rssIdle == 0 || m.rssIdle == 0 {
		return
	}
	var t strings.Builder
	fmt.Fprintf(&t, "| figure | embedded broker | through mosquitto (nodelay) | embedded / mosquitto | goal |\n|---|---|---|---|---|\n")
	fmt.Fprintf(&t, "| OPEN on a set topic until one watcher sees the new state, p50 (toggles 600 ms apart) | %.2f ms | %.2f ms | | ≤ 1 ms |\n", e.setToState, m.setToState)
	fmt.Fprintf(&t, "| zone change to 1000 watchers, last receiver p50 | %.1f ms | %.1f ms | %.2f | ≤ 1.1 |\n", e.zoneFan, m.zoneFan, e.zoneFan/m.zoneFan)
	fmt.Fprintf(&t, "| plain fan-out of 64 B to 1000 subscribers, last p50 | %.1f ms | %.1f ms | %.2f | ≤ 1.1 |\n", e.plainFan, m.plainFan, e.plainFan/m.plainFan)
	fmt.Fprintf(&t, "| agent RSS with 1000 watchers connected / peak | %.1f / %.1f MiB | agent %.1f MiB, mosquitto %.1f MiB | | ≤ 48 MiB |\n", e.rssMonitors, e.peak, m.rssMonitors, m.brokerRSS)
	fmt.Fprintf(&t, "| agent idle CPU (a minute) | %.3f %% | %.3f %% | | ≤ 0.05 %% |\n", e.idleCPU, m.idleCPU)
	fmt.Fprintf(&t, "| agent RSS idle | %.1f MiB | %.1f MiB | | ≤ 16 MiB |\n", e.rssIdle, m.rssIdle)
	fmt.Print("\n" + t.String())
	if path := os.Getenv("SPRINKLER_TABLE"); path != "" {
		_ = os.WriteFile(path, []byte(t.String()), 0o644)
	}
}
