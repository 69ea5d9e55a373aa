package systemtest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"sprinkler/broker/brokertest"
	"sprinkler/topics"
)

// netValvesConfig is an agent with a zone on a GPIO line and one on each kind of network valve:
// two slots of power budget, the zigbee2mqtt valve on its own batteries outside it.
const netValvesConfig = `agent:
  id: garden
relays:
  banks:
    - {name: tap, kind: zigbee2mqtt, confirm: 3s}
    - {name: sonoff, kind: tasmota, confirm: 3s}
    - {name: shelly, kind: shelly, confirm: 3s}
    - {name: esp, kind: esphome, timer: 1m, confirm: 3s}
safety:
  max_open: 2
  stagger: 0s
zones:
  - {id: 1, name: Lawn, line: 5}
  - {id: 2, name: Tap, bank: tap, device: tap_valve}
  - {id: 3, name: Roses, bank: sonoff, device: sonoff-roses}
  - {id: 4, name: Hedge, bank: shelly, device: shellyplus1-hedge}
  - {id: 5, name: Beds, bank: esp, device: garden-node/valve_1, default_duration: 30s, max_duration: 50s}
`

// TestNetworkValves runs an agent whose zones are valves on the network, each a stand-in that
// speaks its vendor's documented MQTT API through the agent's own broker, logged in as a user of
// role device: a run carries the device's own off timer; the power budget holds across banks;
// a valve reported open when it should be closed is closed again; a valve its device closes
// ends its run; an offline device's zone is unavailable and its run fails with the reason, as
// does a device that does not answer; and killing the agent mid-run leaves each valve to close
// by its own timer.
func TestNetworkValves(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.yaml")
	if err := os.WriteFile(path, []byte(netValvesConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	url, agent := startAgentOn(t, "garden", path, "SPRINKLER_BROKER_USERS_FILE="+usersFile(t, "device", "viewer"))
	watch := brokertest.Connect(t, url)
	watch.Subscribe("sprinkler/garden/state", "sprinkler/garden/event", "zigbee2mqtt/#", "cmnd/#", "stat/#", "tele/#",
		"shellyplus1-hedge/#", "sprinkler-garden/rpc", "garden-node/#")
	messages := func() []brokertest.Msg {
		var all []brokertest.Msg
		watch.WaitFor(func(_ map[string]string, msgs []brokertest.Msg) bool { all = slices.Clone(msgs); return true })
		return all
	}
	snapshot := func(what string, cond func(map[string]topics.ZoneStatus) bool) {
		t.Helper()
		if !watch.WaitFor(func(latest map[string]string, _ []brokertest.Msg) bool {
			var s topics.Snapshot
			return json.Unmarshal([]byte(latest["sprinkler/garden/state"]), &s) == nil && cond(s.Zones)
		}) {
			l, _ := watch.Latest("sprinkler/garden/state")
			t.Fatalf("the agent's state never showed %s: %s\n%s", what, l, agent.out)
		}
	}
	event := func(what string, parts ...string) topics.Event {
		t.Helper()
		var found topics.Event
		if !watch.WaitFor(func(_ map[string]string, msgs []brokertest.Msg) bool {
			for _, m := range msgs {
				if m.Topic == "sprinkler/garden/event" && containsAll(m.Payload, parts) {
					return json.Unmarshal([]byte(m.Payload), &found) == nil
				}
			}
			return false
		}) {
			t.Fatalf("no event %s (%q) among %v\n%s", what, parts, watch.On("sprinkler/garden/event"), agent.out)
		}
		return found
	}
	mustCtl := func(args ...string) string {
		t.Helper()
		code, stdout, stderr := ctl(t, url, args...)
		if code != 0 {
			t.Fatalf("ctl %s: exit %d: %s", strings.Join(args, " "), code, stderr)
		}
		return stdout
	}
	isOn := func(v *valve) bool { return v.on }
	isOff := func(v *valve) bool { return !v.on }

	tap := standIn(t, url, "device", "pw-device", "zigbee2mqtt", "tap_valve")
	sonoff := standIn(t, url, "device", "pw-device", "tasmota", "sonoff-roses")
	shelly := standIn(t, url, "device", "pw-device", "shelly", "shellyplus1-hedge")
	esp := standIn(t, url, "device", "pw-device", "esphome", "garden-node/valve_1")
	snapshot("every network valve online and reported closed", func(zs map[string]topics.ZoneStatus) bool {
		for _, id := range []string{"2", "3", "4", "5"} {
			if zs[id].Link != "online" || zs[id].Reported != "closed" {
				return false
			}
		}
		return zs["1"].Link == ""
	})
	out := mustCtl("status")
	for _, want := range []string{"zigbee2mqtt tap_valve", "tasmota sonoff-roses Power1", "shelly shellyplus1-hedge switch:0", "esphome garden-node/valve_1", "online"} {
		if !strings.Contains(out, want) {
			t.Errorf("status does not say %q:\n%s", want, out)
		}
	}
	t.Logf("sprinklerctl status:\n%s", out)

	// The power budget across banks: a GPIO line and a Shelly switch take both slots, the
	// Tasmota relay waits, the battery valve at the tap opens beside them.
	mustCtl("open", "1", "--for", "1m")
	mustCtl("open", "4", "--for", "1m")
	shelly.await("open with toggle_after 65 s", func(v *valve) bool { return v.on && v.armed == 65*time.Second })
	if out := mustCtl("open", "3", "--for", "1m"); !strings.Contains(out, "waits for a free slot") {
		t.Errorf("zone 3 with the budget full: %s", out)
	}
	mustCtl("open", "2", "--for", "1m")
	tap.await("open with on_time 65 s", func(v *valve) bool { return v.on && v.armed == 65*time.Second })
	if sonoff.isOn() {
		t.Fatal("the Tasmota relay opened past the power budget")
	}
	if c := tap.lastCommand(); c != `zigbee2mqtt/tap_valve/set {"state":"ON","on_time":65}` {
		t.Errorf("zigbee2mqtt command: %s", c)
	}
	mustCtl("close", "1")
	sonoff.await("open with PulseTime 65 s once a slot was free", func(v *valve) bool { return v.on && v.armed == 65*time.Second })
	if c := sonoff.lastCommand(); c != "cmnd/sonoff-roses/Backlog0 PulseTime1 165; Power1 ON" {
		t.Errorf("Tasmota command: %s", c)
	}
	snapshot("zones 2, 3 and 4 reported open", func(zs map[string]topics.ZoneStatus) bool {
		return zs["2"].Reported == "open" && zs["3"].Reported == "open" && zs["4"].Reported == "open"
	})
	mustCtl("close", "2", "3", "4")
	for _, v := range []*valve{tap, sonoff, shelly} {
		v.await("closed by the agent", isOff)
	}

	// ESPHome takes ON alone; the firmware's own timer bounds the run.
	mustCtl("open", "5", "--for", "20s")
	esp.await("open", isOn)
	if c := esp.lastCommand(); c != "garden-node/switch/valve_1/command ON" {
		t.Errorf("ESPHome command: %s", c)
	}
	mustCtl("close", "5")
	esp.await("closed", isOff)

	// A valve switched on at the device while its zone is closed is closed again.
	esp.press(true)
	esp.await("closed again by the agent", isOff)
	event("of the valve closed again", `"event_type":"device"`, "reported open while its zone is closed: closed again")

	// A valve its device closes ends the run: reason device.
	mustCtl("open", "2", "--for", "1m")
	tap.await("open", isOn)
	tap.press(false)
	e := event("of the run the device ended", `"event_type":"run_finished"`, `"reason":"device"`)
	if e.Zone != 2 || !strings.Contains(e.Message, "closed by itself") {
		t.Errorf("the run the device ended: %+v", e)
	}

	// An offline device: its zone is unavailable and a run fails with the reason, in the history.
	shelly.vanish()
	snapshot("zone 4 offline", func(zs map[string]topics.ZoneStatus) bool { return zs["4"].Link == "offline" })
	event("of the problem", `"event_type":"problem"`, "zone 4: shelly shellyplus1-hedge switch:0 is offline")
	code, _, stderr := ctl(t, url, "open", "4", "--for", "1m")
	if code == 0 || !strings.Contains(stderr, "relay") {
		t.Errorf("open of an offline device's zone: exit %d, %s", code, stderr)
	}
	event("of the run that failed", `"event_type":"run_finished"`, `"reason":"failed"`, "shellyplus1-hedge switch:0 is offline")
	shelly = standIn(t, url, "device", "pw-device", "shelly", "shellyplus1-hedge")
	snapshot("zone 4 back online", func(zs map[string]topics.ZoneStatus) bool { return zs["4"].Link == "online" })
	event("of the problem gone", `"event_type":"problem_cleared"`, "zone 4: shelly shellyplus1-hedge switch:0 is offline")

	// A device that takes a command and does not confirm it: the run fails after its deadline
	// and the zone is unavailable until the device speaks again.
	sonoff.setMute(true)
	mustCtl("open", "3", "--for", "1m")
	event("of the unconfirmed run", `"event_type":"run_finished"`, `"reason":"failed"`, "did not report open within 3s")
	snapshot("zone 3 without answer", func(zs map[string]topics.ZoneStatus) bool { return zs["3"].Link == "no answer" })
	if code, _, stderr := ctl(t, url, "open", "3", "--for", "1m"); code == 0 || !strings.Contains(stderr, "did not confirm") {
		t.Errorf("open of a zone whose device does not answer: exit %d, %s", code, stderr)
	}
	sonoff.setMute(false)
	sonoff.press(false)
	snapshot("zone 3 back", func(zs map[string]topics.ZoneStatus) bool { return zs["3"].Link == "online" })

	h := history(t, url)
	outcomes := map[int][]string{}
	for _, r := range h.Runs {
		outcomes[r.Zone] = append(outcomes[r.Zone], r.Outcome)
	}
	if !strings.Contains(strings.Join(outcomes[4], ","), "failed") || !strings.Contains(strings.Join(outcomes[3], ","), "failed") ||
		!strings.Contains(strings.Join(outcomes[2], ","), "device") {
		t.Errorf("history outcomes: %v", outcomes)
	}

	// Killed mid-run, the agent leaves each valve to close by its own timer: the run's 3 s and
	// the margin of 5 s.
	before, logged := len(messages()), len(agent.out.String())
	mustCtl("open", "2", "3", "4", "--for", "3s")
	for _, v := range []*valve{tap, sonoff, shelly} {
		v.await("open with its own timer of 8 s", func(v *valve) bool { return v.on && v.armed == 8*time.Second })
	}
	if err := agent.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-agent.done
	var lines []string
	for _, line := range strings.Split(agent.out.String()[logged:], "\n") {
		if strings.Contains(line, "zone=2") {
			lines = append(lines, line)
		}
	}
	t.Logf("the agent's log of zone 2's last run, until SIGKILL:\n%s", strings.Join(lines, "\n"))
	var wire []string
	for _, m := range messages()[before:] {
		if !strings.HasPrefix(m.Topic, "sprinkler/") {
			wire = append(wire, m.Topic+" "+m.Payload)
		}
	}
	t.Logf("the devices' topics from the open to SIGKILL:\n%s", strings.Join(wire, "\n"))
	for _, v := range []*valve{tap, sonoff, shelly} {
		v.await("closed by its own timer", func(v *valve) bool {
			return !v.on && len(v.events) > 0 && strings.HasPrefix(v.events[len(v.events)-1], "off by its own timer")
		})
		t.Logf("%s %s: %q", v.kind, v.device, v.history())
	}
}

// TestNetworkValveThroughMosquitto: the same promises through an external broker, Debian's
// mosquitto, as a zigbee2mqtt or Tasmota household has it: the agent's own link (paho) sends
// the run with its off timer and reads the device's report; killed mid-run, the agent's will
// says offline, and the device, still on the broker, reports itself closed by its own timer.
func TestNetworkValveThroughMosquitto(t *testing.T) {
	url := brokertest.URL(brokertest.Mosquitto(t))
	path := filepath.Join(t.TempDir(), "agent.yaml")
	config := "relays:\n  banks:\n    - {name: sonoff, kind: tasmota, confirm: 3s}\nzones:\n" +
		"  - {id: 1, name: Roses, bank: sonoff, device: sonoff-roses}\n  - {id: 2, name: Lawn, line: 5}\n"
	if err := os.WriteFile(path, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	sonoff := standIn(t, url, "", "", "tasmota", "sonoff-roses")
	watch := brokertest.Connect(t, url)
	watch.Subscribe("sprinkler/garden/state", "sprinkler/garden/status", "cmnd/#", "stat/#", "tele/#")
	agent := startProc(t, filepath.Join(bin, "agent"), []string{"--config", path}, "SPRINKLER_AGENT_ID=garden", "SPRINKLER_BROKER_EMBEDDED=false",
		"SPRINKLER_MQTT_URL="+url, "SPRINKLER_RELAYS_DRIVER=sim", "SPRINKLER_STATE_DIR="+t.TempDir())
	awaitOnline(t, url, "garden", agent)
	if !watch.WaitFor(func(latest map[string]string, _ []brokertest.Msg) bool {
		var s topics.Snapshot
		return json.Unmarshal([]byte(latest["sprinkler/garden/state"]), &s) == nil && s.Zones["1"].Link == "online" && s.Zones["1"].Reported == "closed"
	}) {
		t.Fatalf("the valve never showed online and closed\n%s", agent.out)
	}
	all := func() []brokertest.Msg {
		var out []brokertest.Msg
		watch.WaitFor(func(_ map[string]string, msgs []brokertest.Msg) bool { out = slices.Clone(msgs); return true })
		return out
	}
	before := len(all())
	if code, _, stderr := ctl(t, url, "open", "1", "--for", "2s"); code != 0 {
		t.Fatal(stderr)
	}
	sonoff.await("open with its own timer of 7 s", func(v *valve) bool { return v.on && v.armed == 7*time.Second })
	if !watch.WaitFor(func(latest map[string]string, _ []brokertest.Msg) bool {
		var s topics.Snapshot
		return json.Unmarshal([]byte(latest["sprinkler/garden/state"]), &s) == nil && s.Zones["1"].Reported == "open"
	}) {
		t.Fatal("the agent never read the valve's report of open")
	}
	if err := agent.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-agent.done
	watch.Await("sprinkler/garden/status", topics.Offline) // the will
	sonoff.await("closed by its own timer", func(v *valve) bool {
		return !v.on && strings.HasPrefix(v.events[len(v.events)-1], "off by its own timer")
	})
	watch.Await("stat/sonoff-roses/POWER1", "OFF")
	var wire []string
	for _, m := range all()[before:] {
		if m.Topic != "sprinkler/garden/state" {
			wire = append(wire, m.Topic+" "+m.Payload)
		}
	}
	t.Logf("on mosquitto, the run, SIGKILL, and the relay's own timer:\n%s\nthe device: %q", strings.Join(wire, "\n"), sonoff.history())
}

// TestANetworkValveRunResumesAfterACrash: killed mid-run and started again, the agent takes up
// a network valve's run as it does a wired one's, for what is left of it and no longer: the
// valve, still open by its own timer, is sent the rest of the run before anything else, and is
// never closed in between.
func TestANetworkValveRunResumesAfterACrash(t *testing.T) {
	url := brokertest.URL(brokertest.Mosquitto(t))
	path := filepath.Join(t.TempDir(), "agent.yaml")
	config := "relays:\n  banks:\n    - {name: sonoff, kind: tasmota}\nzones:\n  - {id: 1, name: Roses, bank: sonoff, device: sonoff-roses}\n"
	if err := os.WriteFile(path, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	sonoff := standIn(t, url, "", "", "tasmota", "sonoff-roses")
	state := t.TempDir()
	start := func() *proc {
		p := startProc(t, filepath.Join(bin, "agent"), []string{"--config", path}, "SPRINKLER_AGENT_ID=garden", "SPRINKLER_BROKER_EMBEDDED=false",
			"SPRINKLER_MQTT_URL="+url, "SPRINKLER_RELAYS_DRIVER=sim", "SPRINKLER_STATE_DIR="+state)
		awaitOnline(t, url, "garden", p)
		return p
	}
	agent := start()
	if code, _, stderr := ctl(t, url, "open", "1", "--for", "1m"); code != 0 {
		t.Fatal(stderr)
	}
	sonoff.await("open for the run", func(v *valve) bool { return v.on && v.armed == 65*time.Second })
	ends := zoneStatus(t, url, "1").EndsAt
	if err := agent.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-agent.done
	start()
	sonoff.await("sent the rest of the run", func(v *valve) bool { return len(v.events) >= 2 })
	ev := sonoff.history()
	if ev[0] != "on, own timer 1m5s" || !strings.HasPrefix(ev[1], "on, own timer ") || slices.ContainsFunc(ev, func(e string) bool { return strings.HasPrefix(e, "off") }) {
		t.Fatalf("the valve across the crash: %q", ev)
	}
	if armed := func() time.Duration { sonoff.mu.Lock(); defer sonoff.mu.Unlock(); return sonoff.armed }(); armed > 65*time.Second || armed < 30*time.Second {
		t.Errorf("the rest of the run armed %v: want what was left of 1m, and 5s", armed)
	}
	z := zoneStatus(t, url, "1")
	if z.State != topics.StateOpen || z.EndsAt == nil || z.EndsAt.Sub(ends.Time).Abs() > time.Second {
		t.Fatalf("zone 1 after the restart: %+v, ends before the crash %v", z, ends)
	}
	if code, _, stderr := ctl(t, url, "close", "1"); code != 0 {
		t.Fatal(stderr)
	}
	sonoff.await("closed by the agent", func(v *valve) bool { return !v.on })
}
