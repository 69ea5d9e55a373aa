package systemtest

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sprinkler/broker/brokertest"
	"sprinkler/topics"
)

// TestBrokerRestart restarts the standalone broker under a connected agent: requests during the
// outage fail fast with exit 3; when the broker is back the agent reconnects by itself and
// publishes its presence, info and states again (the new broker knows nothing), and a zone
// ordered during the outage never opens.
func TestBrokerRestart(t *testing.T) {
	port := brokertest.FreePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	url := brokertest.URL(addr)
	brokerEnv := fmt.Sprintf("SPRINKLER_BROKER_LISTEN=%s", addr)
	brk := startProc(t, filepath.Join(bin, "broker"), nil, brokerEnv)
	agent := startExternalAgent(t, url, "garden", "SPRINKLER_MQTT_KEEPALIVE=2s")
	if code, _, stderr := ctl(t, url, "open", "2", "--for", "10m"); code != 0 {
		t.Fatal(stderr)
	}

	brk.stop(t)
	down := time.Now()
	code, _, stderr := ctl(t, url, "--timeout", "3s", "open", "5")
	if code != 3 || !strings.Contains(stderr, "unreachable") {
		t.Errorf("during the outage: exit %d, %q", code, stderr)
	}
	t.Logf("request during the outage failed after %v", time.Since(down).Round(time.Millisecond))

	brk = startProc(t, filepath.Join(bin, "broker"), nil, brokerEnv)
	back := time.Now()
	awaitOnline(t, url, "garden", agent)
	t.Logf("agent online again %v after the broker came back", time.Since(back).Round(time.Millisecond))
	w := brokertest.Connect(t, url)
	w.Subscribe("sprinkler/garden/info", "sprinkler/garden/zone/+/state", "sprinkler/garden/state")
	w.Await("sprinkler/garden/zone/2/state", topics.StateOpen) // the run went on; its state is back
	w.Await("sprinkler/garden/zone/5/state", topics.StateClosed)
	w.AwaitMsg("sprinkler/garden/info", `"zones"`)
	w.AwaitMsg("sprinkler/garden/state", `"open_count":1`)
	if code, _, stderr := ctl(t, url, "close", "all"); code != 0 {
		t.Errorf("after the restart: %s", stderr)
	}
}
