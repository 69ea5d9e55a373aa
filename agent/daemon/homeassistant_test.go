package daemon_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"sprinkler/agent/clock/clocktest"
	"sprinkler/agent/config"
	"sprinkler/broker/brokertest"
	"sprinkler/topics"
)

type deviceConfig struct {
	Cmps map[string]map[string]any `json:"cmps"`
}

func haConfig(t *testing.T, id string) config.Config {
	cfg := withSchedule(t, testConfig(t, id))
	cfg.HomeAssistant.BirthDelay = 0
	return cfg
}

// TestHomeAssistantDiscovery plays Home Assistant: it reads the discovery message, opens a
// valve through the command topic it names, watches the state topic it names, uses the other
// entities' topics, and makes the agent announce itself again with a birth message.
func TestHomeAssistantDiscovery(t *testing.T) {
	a := start(t, unlimited(haConfig(t, "garden")), nil)
	ha := brokertest.Connect(t, brokertest.URL(a.addr))
	ha.Subscribe("homeassistant/#", "sprinkler/#")
	topic := "homeassistant/device/garden/config"
	m := ha.AwaitMsg(topic, `"cmps"`)
	var dc deviceConfig
	if err := json.Unmarshal([]byte(m.Payload), &dc); err != nil {
		t.Fatal(err)
	}
	valve := dc.Cmps["zone_2"]
	if valve["p"] != "valve" || dc.Cmps["profile"]["p"] != "select" || len(dc.Cmps) < 8*3+5 {
		t.Fatalf("components: %v", dc.Cmps)
	}
	ha.Publish(valve["cmd_t"].(string), false, valve["pl_open"].(string))
	ha.Await(valve["stat_t"].(string), valve["stat_open"].(string))
	ha.Publish(valve["cmd_t"].(string), false, valve["pl_cls"].(string))
	ha.Await(valve["stat_t"].(string), valve["stat_clsd"].(string))

	number := dc.Cmps["zone_1_duration"]
	ha.Await(number["stat_t"].(string), "10")
	ha.Publish(number["cmd_t"].(string), false, "3")
	ha.Await(number["stat_t"].(string), "3")
	r := request(t, ha, a, "open", "d", `{"id":"d","zones":[1]}`)
	var ch []topics.ZoneChange
	_ = json.Unmarshal(r.Data, &ch)
	if len(ch) != 1 || ch[0].EndsAt == nil {
		t.Fatalf("open: %s", r.Data)
	}

	sw := dc.Cmps["auto"]
	ha.Await(sw["stat_t"].(string), "ON")
	ha.Publish(sw["cmd_t"].(string), false, sw["pl_off"].(string))
	ha.Await(sw["stat_t"].(string), "OFF")
	sel := dc.Cmps["profile"]
	ha.Publish(sel["cmd_t"].(string), false, "winter")
	ha.Await(sel["stat_t"].(string), "winter")

	stop := dc.Cmps["stop_all"]
	ha.Publish(stop["cmd_t"].(string), false, stop["pl_prs"].(string))
	ha.AwaitMsg(a.topics.Response(topics.CmdClose), `"status":"ok"`) // this Home Assistant is the local admin
	if a.bank.AnyOn() {
		t.Error("stop all left a valve open")
	}

	before := len(ha.On(topic))
	ha.Publish("homeassistant/status", false, "online")
	if !ha.WaitFor(func(_ map[string]string, msgs []brokertest.Msg) bool {
		n := 0
		for _, m := range msgs {
			if m.Topic == topic {
				n++
			}
		}
		return n > before
	}) {
		t.Fatal("no discovery after Home Assistant's birth message")
	}
}

// TestRemovedZonesLeaveHomeAssistant restarts the agent with fewer zones on the same state:
// the removed zone's entities are deleted, in either discovery form.
func TestRemovedZonesLeaveHomeAssistant(t *testing.T) {
	for _, device := range []bool{false, true} {
		b := brokertest.Start(t)
		cfg := external(haConfig(t, "garden"), b.Addr())
		cfg.HomeAssistant.Device = device
		a := start(t, cfg, nil)
		w := brokertest.Connect(t, brokertest.URL(b.Addr()))
		w.Subscribe("homeassistant/#")
		valve8 := "homeassistant/valve/garden/zone_8/config"
		if device {
			w.AwaitMsg("homeassistant/device/garden/config", `"zone_8":{`)
		} else {
			w.AwaitMsg(valve8, `"uniq_id":"sprinkler-garden-zone_8"`)
		}
		if err := a.stop(); err != nil {
			t.Fatal(err)
		}
		cfg.Zones = cfg.Zones[:7]
		start(t, cfg, nil)
		if device {
			w.AwaitMsg("homeassistant/device/garden/config", `"zone_8":{"p":"valve"}`)
		} else {
			w.Await(valve8, "")
			late := brokertest.Connect(t, brokertest.URL(b.Addr()))
			late.Subscribe("homeassistant/#")
			late.AwaitMsg("homeassistant/valve/garden/zone_7/config", "zone_7")
			if _, ok := late.Latest(valve8); ok {
				t.Error("the removed zone's discovery is still retained")
			}
		}
	}
}

// TestNoRetainedCommandAnywhere runs commands of every kind, retained ones among them, and
// then reads the broker's whole retained store: not one command may be in it.
func TestNoRetainedCommandAnywhere(t *testing.T) {
	a := start(t, unlimited(haConfig(t, "garden")), nil)
	c := brokertest.Connect(t, brokertest.URL(a.addr))
	for _, tp := range []string{a.topics.ZoneSet(1), a.topics.ProfileSet(), a.topics.AutoSet(), a.topics.DurationSet(2), a.topics.Request("status")} {
		c.Publish(tp, true, "OPEN")
		c.Publish(tp, false, "ON")
	}
	request(t, c, a, "status", "s", `{"id":"s"}`)
	store := brokertest.Connect(t, brokertest.URL(a.addr))
	store.Subscribe("#")
	marker := "sprinkler/_sync/" + store.ID()
	store.Publish(marker, false, "end")
	store.Await(marker, "end")
	n := 0
	for _, tp := range store.Topics() {
		msgs := store.On(tp)
		if len(msgs) == 0 || !msgs[0].Retained {
			continue
		}
		n++
		if topics.IsCommand(tp) {
			t.Errorf("retained command on %s: %q", tp, msgs[0].Payload)
		}
	}
	if n < 20 || !strings.Contains(strings.Join(store.Topics(), " "), "homeassistant/device/garden/config") {
		t.Errorf("the retained store holds %d topics: %v", n, store.Topics())
	}
}

// TestBirthFloodAnnouncesOnce: a thousand birth messages make one announcement, and births
// within the window after it one more, not a thousand.
func TestBirthFloodAnnouncesOnce(t *testing.T) {
	clk := clocktest.New(time.Date(2026, 6, 1, 6, 0, 0, 0, time.UTC))
	a := start(t, haConfig(t, "garden"), clk)
	ha := brokertest.Connect(t, brokertest.URL(a.addr))
	device := "homeassistant/device/garden/config"
	ha.Subscribe(device)
	announced := func() int { return len(ha.On(device)) }
	// more waits until there are more than n announcements (WaitFor holds the client's lock).
	more := func(n int) bool {
		return ha.WaitFor(func(_ map[string]string, msgs []brokertest.Msg) bool {
			got := 0
			for _, m := range msgs {
				if m.Topic == device {
					got++
				}
			}
			return got > n
		})
	}
	if !more(0) {
		t.Fatal("no discovery at start")
	}
	floods := 0
	flood := func() {
		for i := 0; i < 1000; i++ {
			ha.Publish("homeassistant/status", false, "online")
		}
		// The worker takes messages in order: once this is answered, every birth was seen.
		floods++
		id := fmt.Sprintf("flood-%d", floods)
		request(t, ha, a, topics.CmdVersion, id, fmt.Sprintf(`{"id":%q}`, id))
	}
	before := announced()
	flood()
	clk.Advance(0) // the birth delay is 0 here
	if !more(before) {
		t.Fatal("no announcement after the births")
	}
	flood() // within the window: answered once, when it has passed
	clk.Advance(10 * time.Second)
	if !more(before + 1) {
		t.Fatal("no announcement after the window")
	}
	request(t, ha, a, topics.CmdVersion, "last", `{"id":"last"}`)
	if n := announced() - before; n != 2 {
		t.Errorf("2000 births in two floods made %d announcements; want 2", n)
	}
}

// jinjaPath finds each value_json access of a template: value_json.a['b'].c.
var jinjaPath = regexp.MustCompile(`value_json((?:\.[A-Za-z_][A-Za-z0-9_]*|\['[^']*'\])+)`)

// undefinedIn returns the value_json accesses of tpl that Jinja would find undefined in doc,
// as Home Assistant's strict rendering does (a warning in its log for every message): a key
// that is missing, or a step past a null.
func undefinedIn(tpl string, doc any) []string {
	var bad []string
	for _, m := range jinjaPath.FindAllStringSubmatch(tpl, -1) {
		v := doc
		for _, step := range regexp.MustCompile(`\.([A-Za-z_][A-Za-z0-9_]*)|\['([^']*)'\]`).FindAllStringSubmatch(m[1], -1) {
			key := step[1] + step[2]
			obj, ok := v.(map[string]any)
			if !ok {
				bad = append(bad, m[0])
				break
			}
			if v, ok = obj[key]; !ok {
				bad = append(bad, m[0])
				break
			}
		}
	}
	return bad
}

// TestTemplatesReadOnlyWhatTheStateHas renders, in the strict sense above, every discovery
// template against the agent's own state documents, empty, running, paused and rain-delayed,
// and its health: no template may read a key the document lacks. A real Home Assistant logged
// 510 "Template variable warning" lines in 32 s when last_run and the other unset keys were left
// out.
func TestTemplatesReadOnlyWhatTheStateHas(t *testing.T) {
	a := start(t, unlimited(haConfig(t, "garden")), nil)
	ha := brokertest.Connect(t, brokertest.URL(a.addr))
	device := "homeassistant/device/garden/config"
	ha.Subscribe(device, a.topics.State(), a.topics.Health())
	m := ha.AwaitMsg(device, `"cmps"`)
	var dc deviceConfig
	if err := json.Unmarshal([]byte(m.Payload), &dc); err != nil {
		t.Fatal(err)
	}
	docs := map[string]string{}
	capture := func(name string, parts ...string) {
		t.Helper()
		docs[name] = ha.AwaitMsg(a.topics.State(), parts...).Payload
	}
	capture("empty", `"open_count":0`)
	request(t, ha, a, topics.CmdOpen, "o", `{"id":"o","zones":[1]}`)
	capture("running", `"open_count":1`)
	request(t, ha, a, topics.CmdPause, "p", `{"id":"p","duration_s":600}`)
	capture("paused", `"paused_until":"`)
	request(t, ha, a, topics.CmdResume, "r", `{"id":"r"}`)
	request(t, ha, a, topics.CmdRainDelay, "d", `{"id":"d","hours":24}`)
	capture("delayed", `"rain_delay_until":"`)
	docs["health"] = ha.AwaitMsg(a.topics.Health(), `"problems"`).Payload

	checked := 0
	for object, c := range dc.Cmps {
		for _, pair := range [][2]string{{"stat_t", "val_tpl"}, {"json_attr_t", "json_attr_tpl"}} {
			topic, _ := c[pair[0]].(string)
			tpl, _ := c[pair[1]].(string)
			if tpl == "" {
				continue
			}
			for name, payload := range docs {
				if (topic == a.topics.Health()) != (name == "health") || topic != a.topics.State() && topic != a.topics.Health() {
					continue
				}
				var doc any
				if err := json.Unmarshal([]byte(payload), &doc); err != nil {
					t.Fatal(err)
				}
				checked++
				if bad := undefinedIn(tpl, doc); len(bad) > 0 {
					t.Errorf("%s: %s reads %v, undefined in the %s document", object, pair[1], bad, name)
				}
			}
		}
	}
	if checked < 20 {
		t.Errorf("only %d template renderings checked", checked)
	}
}
