package discovery_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"sprinkler/agent/discovery"
	"sprinkler/topics"
)

func model(device bool) discovery.Model {
	a, _ := topics.NewAgent("sprinkler", "garden")
	m := discovery.Model{Topics: a, Prefix: "homeassistant", Device: device, Version: "1.0.0", Profiles: []string{"summer", "winter"}}
	for i := 1; i <= 3; i++ {
		m.Zones = append(m.Zones, discovery.Zone{ID: i, Name: fmt.Sprintf("Zone %d", i), MaxMinutes: 60})
	}
	return m
}

// known are the discovery keys this package may use: Home Assistant's abbreviations, and the
// few keys that have none.
var known = map[string]bool{
	"name": true, "uniq_id": true, "dev_cla": true, "ic": true, "cmd_t": true, "stat_t": true, "pl_open": true,
	"pl_cls": true, "stat_open": true, "stat_clsd": true, "opt": true, "ret": true, "qos": true, "json_attr_t": true,
	"json_attr_tpl": true, "ent_cat": true, "min": true, "max": true, "step": true, "unit_of_meas": true, "mode": true,
	"val_tpl": true, "pl_prs": true, "stat_cla": true, "sug_dsp_prc": true, "evt_typ": true, "ops": true,
	"pl_on": true, "pl_off": true, "p": true, "dev": true, "o": true, "avty_t": true,
}

// required are the keys each platform needs (Home Assistant's schemas).
var required = map[string][]string{
	"valve": {"cmd_t", "stat_t"}, "number": {"cmd_t"}, "sensor": {"stat_t"}, "button": {"cmd_t"},
	"event": {"stat_t", "evt_typ"}, "select": {"cmd_t", "ops"}, "switch": {"cmd_t"}, "binary_sensor": {"stat_t"},
}

var commandKinds = []topics.Kind{topics.KindZoneSet, topics.KindProfileSet, topics.KindAutoSet, topics.KindDurationSet, topics.KindRequest, topics.KindWaterLevelSet, topics.KindPauseSet}
var stateKinds = []topics.Kind{topics.KindZoneState, topics.KindState, topics.KindProfileState, topics.KindAutoState, topics.KindDurationState, topics.KindEvent, topics.KindStatus, topics.KindWaterLevelState, topics.KindPauseState, topics.KindHealth}

// checkComponent checks one entity's configuration against the schema rules, and that the
// agent accepts every payload it would send.
func checkComponent(t *testing.T, platform, object string, c map[string]any, ids map[string]bool) {
	t.Helper()
	for k := range c {
		if !known[k] {
			t.Errorf("%s: unknown key %q", object, k)
		}
	}
	for _, k := range required[platform] {
		if _, ok := c[k]; !ok {
			t.Errorf("%s (%s): %s is required", object, platform, k)
		}
	}
	if required[platform] == nil {
		t.Errorf("%s: unknown platform %q", object, platform)
	}
	id, _ := c["uniq_id"].(string)
	if id == "" || ids[id] {
		t.Errorf("%s: unique id %q missing or repeated", object, id)
	}
	ids[id] = true
	for key, kinds := range map[string][]topics.Kind{"cmd_t": commandKinds, "stat_t": stateKinds, "json_attr_t": stateKinds, "avty_t": stateKinds} {
		v, ok := c[key].(string)
		if !ok {
			continue
		}
		tp, ok := topics.Parse("sprinkler", v)
		if !ok || !slices.Contains(kinds, tp.Kind) {
			t.Errorf("%s: %s %q is not a topic of the contract of that kind", object, key, v)
		}
	}
	if _, ok := c["cmd_t"]; ok && c["ret"] != false {
		t.Errorf("%s: a command entity must say ret: false", object)
	}
	for _, k := range []string{"pl_open", "pl_cls"} {
		if p, ok := c[k].(string); ok {
			if _, err := topics.ParseSet([]byte(p)); err != nil {
				t.Errorf("%s: %s %q is refused by the agent: %v", object, k, p, err)
			}
		}
	}
	for _, k := range []string{"pl_on", "pl_off"} {
		if p, ok := c[k].(string); ok {
			if _, err := topics.ParseOnOff([]byte(p)); err != nil {
				t.Errorf("%s: %s %q is refused: %v", object, k, p, err)
			}
		}
	}
	if p, ok := c["pl_prs"].(string); ok {
		r, err := topics.ParseRequest([]byte(p))
		if err != nil {
			t.Errorf("%s: press payload %q: %v", object, p, err)
		}
		var args struct {
			Zones *topics.Zones `json:"zones"`
			Hours *float64      `json:"hours"`
		}
		if err := r.Decode(&args); err != nil {
			t.Errorf("%s: press payload %q: %v", object, p, err)
		}
	}
	if platform == "number" && strings.HasSuffix(object, "_duration") {
		if _, err := topics.ParseMinutes([]byte(fmt.Sprint(c["min"]))); err != nil {
			t.Errorf("%s: its minimum is refused: %v", object, err)
		}
	}
}

func TestPerEntityDiscoveryFollowsTheSchema(t *testing.T) {
	m := model(false)
	msgs, comps := m.Messages(nil)
	ids := map[string]bool{}
	for topic, payload := range msgs {
		parts := strings.Split(topic, "/")
		if len(parts) != 5 || parts[0] != "homeassistant" || parts[2] != "garden" || parts[4] != "config" {
			t.Fatalf("topic %s", topic)
		}
		var c map[string]any
		if err := json.Unmarshal(payload, &c); err != nil {
			t.Fatal(err)
		}
		if o, _ := c["o"].(map[string]any); o["name"] != discovery.Origin {
			t.Errorf("%s: origin %v", topic, c["o"])
		}
		if d, _ := c["dev"].(map[string]any); d["ids"] == nil || d["name"] == nil {
			t.Errorf("%s: device %v", topic, c["dev"])
		}
		checkComponent(t, parts[1], parts[3], c, ids)
	}
	if len(comps) != len(msgs) || comps["zone_2"] != "valve" || comps["profile"] != "select" {
		t.Errorf("components %v", comps)
	}
}

func TestDeviceDiscoveryFollowsTheSchema(t *testing.T) {
	m := model(true)
	msgs, _ := m.Messages(map[string]string{"zone_9": "valve"})
	payload, ok := msgs["homeassistant/device/garden/config"]
	if !ok || len(msgs) != 1 {
		t.Fatalf("messages %v", discovery.Sorted(msgs))
	}
	var d struct {
		Dev   map[string]any            `json:"dev"`
		O     map[string]any            `json:"o"`
		AvtyT string                    `json:"avty_t"`
		Cmps  map[string]map[string]any `json:"cmps"`
	}
	if err := json.Unmarshal(payload, &d); err != nil {
		t.Fatal(err)
	}
	if d.O["name"] != discovery.Origin || d.Dev["ids"] == nil || d.AvtyT != "sprinkler/garden/status" {
		t.Fatalf("device message %s", payload)
	}
	ids := map[string]bool{}
	for object, c := range d.Cmps {
		p, _ := c["p"].(string)
		if object == "zone_9" {
			if len(c) != 1 || p != "valve" {
				t.Errorf("a removed component is announced as %v", c)
			}
			continue
		}
		delete(c, "p")
		checkComponent(t, p, object, c, ids)
	}
}

func TestNoScheduleNoScheduleEntities(t *testing.T) {
	m := model(false)
	m.Profiles = nil
	for _, e := range m.Entities() {
		if e.Platform == "select" || e.Object == "next_run" || e.Object == "auto" {
			t.Errorf("%s without a schedule", e.Object)
		}
	}
}

// TestEveryKeyATemplateReadsIsPublished: each key of a payload that a template of Home
// Assistant reads (value_json.key) is in that payload whatever its state, null when unknown:
// a key left out is an error in Home Assistant's log at each message.
func TestEveryKeyATemplateReadsIsPublished(t *testing.T) {
	m := model(false)
	m.Weather, m.Flow = true, true
	m.Zones[0].Balance = true
	payloads := map[string]any{m.Topics.State(): topics.Snapshot{}, m.Topics.WeatherState(): topics.WeatherDay{},
		m.Topics.Health(): topics.Health{}, m.Topics.FlowState(): topics.FlowState{}}
	key := regexp.MustCompile(`value_json\.([a-z_0-9]+)`)
	msgs, _ := m.Messages(nil)
	read := 0
	for topic, payload := range msgs {
		var c map[string]any
		if err := json.Unmarshal(payload, &c); err != nil {
			t.Fatal(err)
		}
		for tpl, src := range map[string]string{"val_tpl": "stat_t", "json_attr_tpl": "json_attr_t"} {
			text, _ := c[tpl].(string)
			v, ok := payloads[fmt.Sprint(c[src])]
			if text == "" || !ok {
				continue
			}
			var fields map[string]any
			b, _ := json.Marshal(v)
			_ = json.Unmarshal(b, &fields)
			for _, k := range key.FindAllStringSubmatch(text, -1) {
				read++
				if _, ok := fields[k[1]]; !ok {
					t.Errorf("%s: %s reads %s, which %s leaves out when empty", topic, tpl, k[1], c[src])
				}
			}
		}
	}
	if read < 20 {
		t.Errorf("only %d keys read: the test does not see the templates", read)
	}
}
