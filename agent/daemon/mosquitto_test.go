package daemon_test

import (
	"strings"
	"testing"

	"sprinkler/broker/brokertest"
	"sprinkler/topics"
)

// TestAgainstMosquitto runs the agent against Debian's mosquitto as an external broker: every
// command works, and a retained command that mosquitto stored before the agent came is
// ignored when it replays, and cleared.
func TestAgainstMosquitto(t *testing.T) {
	addr := brokertest.Mosquitto(t)
	url := brokertest.URL(addr)
	watcher := brokertest.Connect(t, url)
	watcher.Subscribe("sprinkler/garden/zone/5/set")
	watcher.Publish("sprinkler/garden/zone/5/set", true, "OPEN")
	watcher.Await("sprinkler/garden/zone/5/set", "OPEN")

	a := start(t, unlimited(external(testConfig(t, "garden"), addr)), nil)
	watcher.Await("sprinkler/garden/zone/5/set", "") // the agent cleared it
	if a.bank.On()[4] {
		t.Fatal("the replayed retained command opened zone 5")
	}

	c := brokertest.Connect(t, url)
	c.Subscribe(a.topics.ZoneStateFilter())
	for _, tc := range []struct{ cmd, payload, want string }{
		{"open", `{"id":"1","zones":[1,2],"duration_s":30}`, `"status":"ok"`},
		{"status", `{"id":"2"}`, `"state":"open"`},
		{"toggle", `{"id":"3","zones":[2]}`, `"state":"closed"`},
		{"close", `{"id":"4","zones":"all"}`, `"status":"ok"`},
		{"time", `{"id":"5"}`, `"weekday"`},
		{"version", `{"id":"6"}`, `"protocol":1`},
		{"commands", `{"id":"7"}`, `"name":"open"`},
		{"clients", `{"id":"8"}`, `"code":"unavailable"`},
		{"sro", `{"id":"9","zones":[3]}`, `"status":"ok"`},
	} {
		r := request(t, c, a, tc.cmd, strings.Split(tc.payload, `"`)[3], tc.payload)
		if got := string(mustMarshal(t, r)); !strings.Contains(got, tc.want) {
			t.Errorf("%s: %s, want %s", tc.cmd, got, tc.want)
		}
	}
	c.Publish(a.topics.ZoneSet(7), false, "on")
	c.Await(a.topics.ZoneState(7), topics.StateOpen)
	if !a.bank.On()[6] {
		t.Error("zone 7 relay off")
	}
	if err := a.stop(); err != nil {
		t.Fatal(err)
	}
	c.Await(a.topics.ZoneState(7), topics.StateClosed)
}
