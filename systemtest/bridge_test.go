package systemtest

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"sprinkler/broker/brokertest"
	"sprinkler/topics"
)

// TestMosquittoBridge runs a central mosquitto with the shipped bridge configuration pointed at
// an agent's embedded broker: ctl and watchers on the central broker see the agent, command
// it, and every command arrives exactly once.
func TestMosquittoBridge(t *testing.T) {
	agentURL, _ := startAgent(t, "garden")
	conf, err := os.ReadFile("../configs/mosquitto-bridge.conf")
	if err != nil {
		t.Fatal(err)
	}
	bridge := regexp.MustCompile(`(?m)^address .*$`).ReplaceAllString(string(conf), "address "+strings.TrimPrefix(agentURL, "tcp://"))
	bridge = regexp.MustCompile(`(?m)^remote_(username|password) .*$`).ReplaceAllString(bridge, "") // anonymous from loopback
	addr, _ := brokertest.MosquittoWith(t, bridge)
	central := brokertest.URL(addr)

	w := brokertest.Connect(t, central)
	w.Subscribe("sprinkler/garden/status", "sprinkler/garden/zone/3/state")
	w.Await("sprinkler/garden/status", topics.Online) // presence crossed the bridge
	if code, stdout, stderr := ctl(t, central, "agents"); code != 0 || !strings.Contains(stdout, "garden") || !strings.Contains(stdout, "online") {
		t.Fatalf("agents on the central broker: exit %d, %s %s", code, stdout, stderr)
	}
	// A toggle that arrived twice would leave the zone closed.
	if code, _, stderr := ctl(t, central, "toggle", "3"); code != 0 {
		t.Fatalf("toggle through the bridge: %s", stderr)
	}
	w.Await("sprinkler/garden/zone/3/state", topics.StateOpen)
	if z := zoneStatus(t, agentURL, "3"); z.State != topics.StateOpen {
		t.Fatalf("zone 3 on the agent: %+v", z)
	}
	if code, stdout, _ := ctl(t, central, "status"); code != 0 || !strings.Contains(stdout, "open") {
		t.Errorf("status through the bridge: %s", stdout)
	}
	if z := zoneStatus(t, agentURL, "3"); z.State != topics.StateOpen {
		t.Errorf("zone 3 after more requests: %+v", z)
	}
	if code, _, stderr := ctl(t, central, "close", "all"); code != 0 {
		t.Fatal(stderr)
	}
	w.Await("sprinkler/garden/zone/3/state", topics.StateClosed)
}
