package topics_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"sprinkler/topics"
)

// TestNodeREDFlow loads the shipped Node-RED flow and checks that it uses core nodes only,
// that every topic it reads is one an agent publishes, and that every command it sends is one
// an agent serves, with a payload the agent accepts and never retained.
func TestNodeREDFlow(t *testing.T) {
	b, err := os.ReadFile("../configs/node-red-flow.json")
	if err != nil {
		t.Fatal(err)
	}
	var nodes []map[string]any
	if err := json.Unmarshal(b, &nodes); err != nil {
		t.Fatal(err)
	}
	core := map[string]bool{"tab": true, "mqtt-broker": true, "mqtt in": true, "mqtt out": true, "inject": true, "debug": true, "switch": true}
	published := []topics.Kind{topics.KindZoneState, topics.KindState, topics.KindEvent, topics.KindResponse, topics.KindStatus, topics.KindProfileState}
	sample := func(filter string) string { return strings.ReplaceAll(filter, "+", "garden") }
	ins, injects := 0, 0
	for _, n := range nodes {
		typ, _ := n["type"].(string)
		if !core[typ] {
			t.Errorf("node %v is not a core node", n["id"])
		}
		switch typ {
		case "mqtt in":
			ins++
			filter := n["topic"].(string)
			// "sprinkler/+/zone/+/state": the wildcards stand for an agent id and a zone number.
			tp, ok := topics.Parse("sprinkler", strings.Replace(strings.Replace(filter, "+", "garden", 1), "+", "3", 1))
			if !ok {
				tp, ok = topics.Parse("sprinkler", sample(filter))
			}
			if !ok || !containsKind(published, tp.Kind) {
				t.Errorf("mqtt in %q reads no topic an agent publishes", filter)
			}
		case "mqtt out":
			if n["retain"] != "false" {
				t.Errorf("mqtt out %v may retain commands", n["id"])
			}
		case "inject":
			injects++
			topic, _ := n["topic"].(string)
			payload, _ := n["payload"].(string)
			tp, ok := topics.Parse("sprinkler", topic)
			if !ok {
				t.Errorf("inject %q sends to %q, not a topic of the contract", n["name"], topic)
				continue
			}
			switch tp.Kind {
			case topics.KindZoneSet:
				if _, err := topics.ParseSet([]byte(payload)); err != nil {
					t.Errorf("inject %q: %v", n["name"], err)
				}
			case topics.KindProfileSet:
				if strings.TrimSpace(payload) == "" {
					t.Errorf("inject %q: no profile name", n["name"])
				}
			case topics.KindRequest:
				if _, ok := topics.LookupCommand(tp.Command); !ok {
					t.Errorf("inject %q: unknown command %s", n["name"], tp.Command)
				}
				r, err := topics.ParseRequest([]byte(payload))
				if err == nil {
					var args struct {
						topics.ZoneArgs
						Hours *float64 `json:"hours"`
					}
					err = r.Decode(&args)
				}
				if err != nil {
					t.Errorf("inject %q: payload %s: %v", n["name"], payload, err)
				}
			default:
				t.Errorf("inject %q sends to %s, which takes no commands", n["name"], topic)
			}
		}
	}
	if ins < 4 || injects < 4 {
		t.Errorf("the flow shows too little: %d mqtt in, %d inject", ins, injects)
	}
}

func containsKind(ks []topics.Kind, k topics.Kind) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}
