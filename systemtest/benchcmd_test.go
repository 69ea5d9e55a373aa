package systemtest

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"sprinkler/broker/brokertest"
	"sprinkler/ctl/bench"
	"sprinkler/topics"
)

// runBench runs ctl bench --json with small counts and returns what it measured.
func runBench(t *testing.T, url, agent string, args ...string) *bench.Results {
	t.Helper()
	args = append([]string{"--agent", agent, "--timeout", "15s", "--json", "bench", "--requests", "50",
		"--watchers", "20", "--rounds", "4", "--connects", "20", "--burst", "400", "--clients", "4", "--window", "4"}, args...)
	code, stdout, stderr := ctl(t, url, args...)
	var r bench.Results
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("exit %d, stdout %q, stderr %q: %v", code, stdout, stderr, err)
	}
	if code != 0 || len(r.Errors) > 0 {
		t.Fatalf("exit %d, errors %v, stderr %q", code, r.Errors, stderr)
	}
	return &r
}

// checkBench checks that every test ran in full and nothing was lost.
func checkBench(t *testing.T, r *bench.Results) {
	t.Helper()
	if r.Request == nil || r.Request.N != 50 || r.Request.P50 <= 0 || r.Request.P50 > r.Request.P99 {
		t.Errorf("request: %+v", r.Request)
	}
	if r.FanOut == nil || r.FanOut.Watchers != 20 || r.FanOut.Last.N != 4 || r.FanOut.First.P50 > r.FanOut.Last.P50 {
		t.Errorf("fan-out: %+v", r.FanOut)
	}
	if r.Connect == nil || r.Connect.N != 20 {
		t.Errorf("connect: %+v", r.Connect)
	}
	if b := r.Burst; b == nil || b.Answered != 400 || b.Lost != 0 || b.Mismatched != 0 || b.Errors != 0 || b.PerSecond <= 0 {
		t.Errorf("burst: %+v", b)
	}
}

func TestBenchEmbeddedBroker(t *testing.T) {
	url, _ := startAgent(t, "bench")
	checkBench(t, runBench(t, url, "bench"))

	// The table for people.
	code, stdout, stderr := ctl(t, url, "--agent", "bench", "--timeout", "15s", "bench", "--requests", "20", "--watchers", "0",
		"--connects", "0", "--burst", "40", "--clients", "2")
	if code != 0 || !strings.Contains(stdout, "request/response") || !strings.Contains(stdout, "40 answered") || strings.Contains(stdout, "fan-out") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

// TestBenchRealZone fans a real zone change out: the zone opens and closes, and ends closed.
func TestBenchRealZone(t *testing.T) {
	url, _ := startAgent(t, "bench", "SPRINKLER_SAFETY_STAGGER=0s")
	w := brokertest.Connect(t, url)
	w.Subscribe("sprinkler/bench/zone/2/state")
	r := runBench(t, url, "bench", "--zone", "2", "--rounds", "3", "--requests", "0", "--connects", "0", "--burst", "0")
	if r.FanOut == nil || r.FanOut.Last.N != 3 || r.FanOut.Topic != "sprinkler/bench/zone/2/state" {
		t.Fatalf("fan-out: %+v", r.FanOut)
	}
	w.Await("sprinkler/bench/zone/2/state", topics.StateClosed)
	if z := zoneStatus(t, url, "2"); z.State != topics.StateClosed {
		t.Errorf("zone 2 after the bench: %+v", z)
	}
}

// TestBenchMosquitto runs the same bench through Debian's mosquitto with the agent behind it.
func TestBenchMosquitto(t *testing.T) {
	url := brokertest.URL(brokertest.Mosquitto(t))
	agent := startProc(t, filepath.Join(bin, "agent"), nil, "SPRINKLER_AGENT_ID=bench", "SPRINKLER_BROKER_EMBEDDED=false",
		"SPRINKLER_MQTT_URL="+url, "SPRINKLER_RELAYS_DRIVER=sim", "SPRINKLER_STATE_DIR="+t.TempDir())
	awaitOnline(t, url, "bench", agent)
	checkBench(t, runBench(t, url, "bench"))
}

func TestBenchRefusesNegativeCounts(t *testing.T) {
	url, _ := startAgent(t, "bench")
	if code, _, stderr := ctl(t, url, "bench", "--burst", "-1"); code != 2 || !strings.Contains(stderr, "--burst") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}
