//go:build linux

package systemtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sprinkler/broker/brokertest"
)

// netns is a network namespace made for one test, removed when it ends.
type netns string

// exec returns the arguments that run a program inside the namespace.
func (n netns) exec(args ...string) []string {
	return append([]string{"netns", "exec", string(n)}, args...)
}

// ip runs ip(8) and fails the test on an error.
func ip(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// twoNamespaces makes namespaces for a broker and an agent, joined by a veth pair: the broker
// side is 10.77.0.1, the agent side 10.77.0.2. It skips the test where namespaces cannot be
// made, unless SPRINKLER_REQUIRE_NETNS is set.
func twoNamespaces(t *testing.T) (broker, agent netns, agentLink string) {
	tag := fmt.Sprintf("%d", os.Getpid()%100000)
	broker, agent = netns("spr-b-"+tag), netns("spr-a-"+tag)
	if out, err := exec.Command("ip", "netns", "add", string(broker)).CombinedOutput(); err != nil {
		msg := fmt.Sprintf("network namespaces unavailable (needs root and ip(8)): %v %s", err, out)
		if os.Getenv("SPRINKLER_REQUIRE_NETNS") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", string(broker)).Run() })
	ip(t, "netns", "add", string(agent))
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", string(agent)).Run() })
	agentLink = "va" + tag
	ip(t, "link", "add", "vb"+tag, "netns", string(broker), "type", "veth", "peer", "name", agentLink, "netns", string(agent))
	ip(t, broker.exec("ip", "addr", "add", "10.77.0.1/24", "dev", "vb"+tag)...)
	ip(t, agent.exec("ip", "addr", "add", "10.77.0.2/24", "dev", agentLink)...)
	for _, ns := range []netns{broker, agent} {
		ip(t, ns.exec("ip", "link", "set", "lo", "up")...)
	}
	ip(t, broker.exec("ip", "link", "set", "vb"+tag, "up")...)
	ip(t, agent.exec("ip", "link", "set", agentLink, "up")...)
	return broker, agent, agentLink
}

// TestNetworkCutWithoutFIN takes the link between an agent and its broker (mosquitto) down, so
// that neither side hears a goodbye: the broker fires the agent's will, a command sent then
// fails and never runs, the agent closes the zone whose time ends during the cut, and when
// the link is back everything converges.
func TestNetworkCutWithoutFIN(t *testing.T) {
	mosquitto, err := exec.LookPath("mosquitto")
	if err != nil {
		mosquitto = "/usr/sbin/mosquitto"
	}
	if _, err := os.Stat(mosquitto); err != nil {
		brokertest.Mosquitto(t) // skips, or fails where mosquitto is required
	}
	brokerNS, agentNS, agentLink := twoNamespaces(t)
	conf := filepath.Join(t.TempDir(), "mosquitto.conf")
	if err := os.WriteFile(conf, []byte("listener 1883 10.77.0.1\nallow_anonymous true\npersistence false\nlog_dest stderr\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	broker := startLinesEnv(t, []string{}, "ip", brokerNS.exec(mosquitto, "-c", conf)...) // its log is on stderr
	broker.await("running")
	const url = "tcp://10.77.0.1:1883"
	ctlIn := func(args ...string) (int, string) {
		cmd := exec.Command("ip", brokerNS.exec(append([]string{filepath.Join(bin, "ctl"), "--broker", url, "--agent", "garden"}, args...)...)...)
		cmd.Env = append(os.Environ(), "SPRINKLER_AGENT=")
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return code, string(out)
	}

	agent := startLinesEnv(t, []string{"SPRINKLER_AGENT_ID=garden", "SPRINKLER_BROKER_EMBEDDED=false", "SPRINKLER_MQTT_URL=" + url,
		"SPRINKLER_MQTT_KEEPALIVE=2s", "SPRINKLER_RELAYS_DRIVER=sim", "SPRINKLER_STATE_DIR=" + t.TempDir()},
		"ip", agentNS.exec(filepath.Join(bin, "agent"))...)
	agent.await("msg=online")
	watch := startLines(t, "ip", brokerNS.exec(filepath.Join(bin, "ctl"), "--broker", url, "--json", "watch", "--agent", "garden")...)
	watch.await(`"status":"online"`)

	if code, out := ctlIn("open", "2", "--for", "6s"); code != 0 {
		t.Fatalf("open: %s", out)
	}
	watch.await(`"zone":2`, `"state":"open"`)

	ip(t, agentNS.exec("ip", "link", "set", agentLink, "down")...)
	cut := time.Now()
	watch.await(`"status":"offline"`)
	t.Logf("the broker fired the will %v after the cut (keepalive 2s)", time.Since(cut).Round(time.Millisecond))
	if code, out := ctlIn("--timeout", "3s", "open", "5"); code != 3 {
		t.Errorf("a command during the cut: exit %d, %s", code, out)
	}
	agent.await(`msg="relay off"`, "zone=2", "source=timer")
	t.Logf("zone 2 closed on time %v after the cut, the link still down", time.Since(cut).Round(time.Millisecond))

	ip(t, agentNS.exec("ip", "link", "set", agentLink, "up")...)
	up := time.Now()
	watch.await(`"zone":2`, `"state":"closed"`) // the agent publishes its states, then online
	watch.await(`"status":"online"`, `"replay":false`)
	t.Logf("converged %v after the link came back", time.Since(up).Round(time.Millisecond))
	if code, out := ctlIn("status"); code != 0 || strings.Contains(out, "open ") {
		t.Errorf("status after the cut: exit %d\n%s", code, out)
	}
	for {
		select {
		case l, ok := <-agent.lines:
			if ok && strings.Contains(l, "zone=5") && strings.Contains(l, "relay on") {
				t.Errorf("the command sent during the cut ran: %s", l)
			}
			if ok {
				continue
			}
		default:
		}
		break
	}
}
