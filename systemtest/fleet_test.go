package systemtest

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"sprinkler/broker/brokertest"
	"sprinkler/ctl/client"
	"sprinkler/topics"
)

// startExternalAgent runs the agent program against the broker at url and waits until it is
// online there.
func startExternalAgent(t testing.TB, url, id string, env ...string) *proc {
	t.Helper()
	p := startProc(t, filepath.Join(bin, "agent"), nil, append([]string{"SPRINKLER_AGENT_ID=" + id, "SPRINKLER_BROKER_EMBEDDED=false",
		"SPRINKLER_MQTT_URL=" + url, "SPRINKLER_RELAYS_DRIVER=sim", "SPRINKLER_STATE_DIR=" + t.TempDir()}, env...)...)
	awaitOnline(t, url, id, p)
	return p
}

// TestFiftyAgentsOnMosquitto: fifty agents share one mosquitto. ctl agents lists them all
// online, ctl --agent X reaches exactly X, and one watch of every agent sees each zone change
// tagged with its agent.
func TestFiftyAgentsOnMosquitto(t *testing.T) {
	const n = 50
	url := brokertest.URL(brokertest.Mosquitto(t))
	id := func(i int) string { return fmt.Sprintf("garden-%02d", i) }
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { startExternalAgent(t, url, id(i)) })
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	code, stdout, stderr := ctl(t, url, "agents", "--json")
	var all []client.Presence
	if err := json.Unmarshal([]byte(stdout), &all); code != 0 || err != nil {
		t.Fatalf("agents: exit %d, %v, %s", code, err, stderr)
	}
	if len(all) != n {
		t.Fatalf("agents lists %d agents, want %d", len(all), n)
	}
	for i, p := range all {
		if p.Agent != id(i) || p.Status != topics.Online || p.Info == nil || len(p.Info.Zones) != 8 {
			t.Errorf("agent %d: %+v", i, p)
		}
	}

	watch := startLines(t, filepath.Join(bin, "ctl"), "--broker", url, "--json", "watch")
	awaitReplays(t, watch, n)
	// Agent i opens zone i%8+1, and nothing else anywhere opens.
	for i := range n {
		if code, _, stderr := ctl(t, url, "--agent", id(i), "open", strconv.Itoa(i%8+1), "--for", "5m"); code != 0 {
			t.Fatalf("open on %s: %s", id(i), stderr)
		}
	}
	opened := awaitOpens(t, watch, n, map[string]int{})
	for i := range n {
		if opened[id(i)] != i%8+1 {
			t.Errorf("%s opened zone %d, want %d", id(i), opened[id(i)], i%8+1)
		}
	}
	watch.interrupt()
}

// watchRecord is one line of sprinklerctl --json watch.
type watchRecord struct {
	Type, Agent, State, Status string
	Zone                       int
	Replay                     bool
}

// nextRecord is the next line of watch that holds every part of want.
func nextRecord(t *testing.T, watch *lineProc, want ...string) watchRecord {
	t.Helper()
	line := watch.await(want...)
	var rec watchRecord
	if err := json.Unmarshal([]byte(line), &rec); err != nil {
		t.Fatalf("watch line %s: %v", line, err)
	}
	return rec
}

// awaitReplays waits until watch replayed the retained states of n agents (zone 8 comes last).
func awaitReplays(t *testing.T, watch *lineProc, n int) {
	t.Helper()
	for seen := map[string]bool{}; len(seen) < n; {
		seen[nextRecord(t, watch, `"zone":8`, `"replay":true`).Agent] = true
	}
}

// awaitOpens follows watch until n agents, those in opened included, opened a zone, each one
// zone once, and returns each agent's zone.
func awaitOpens(t *testing.T, watch *lineProc, n int, opened map[string]int) map[string]int {
	t.Helper()
	for len(opened) < n {
		rec := nextRecord(t, watch, `"state":"open"`)
		if _, twice := opened[rec.Agent]; twice || rec.Replay {
			t.Fatalf("a second zone opened on %s: %+v", rec.Agent, rec)
		}
		opened[rec.Agent] = rec.Zone
	}
	return opened
}
