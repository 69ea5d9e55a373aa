package configs

import (
	"os"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestEditKeepsTheText changes values of the shipped configuration: only the changed values
// differ, comments stay aligned, and what is read back is what was set.
func TestEditKeepsTheText(t *testing.T) {
	src, err := os.ReadFile("agent.yaml")
	if err != nil {
		t.Fatal(err)
	}
	e, err := NewEdit(src)
	if err != nil {
		t.Fatal(err)
	}
	for key, v := range map[string]any{
		"agent.id": "front-garden", "broker.listen": "0.0.0.0:1883", "broker.users_file": "users.yaml",
		"site.latitude": 38.8951, "homeassistant.enabled": false, "web.listen": "0.0.0.0:8080",
		"agent.timezone": "Europe/Berlin", "extra.key": "new section",
	} {
		if err := e.Set(key, v); err != nil {
			t.Fatalf("Set(%s): %v", key, err)
		}
	}
	got := string(e.Bytes())
	for _, want := range []string{
		"  id: front-garden    # names the agent in topics",
		"  timezone: Europe/Berlin # IANA name",
		"  listen: 0.0.0.0:1883\n",
		"broker:\n  users_file: users.yaml\n  embedded: true      # run the MQTT broker",
		"  latitude: 38.8951   # degrees, north positive",
		"  enabled: false          # publish MQTT discovery",
		"else learned\n\nextra:\n  key: new section\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("edited file lacks %q:\n%s", want, got)
		}
	}
	before, after := strings.Split(string(src), "\n"), strings.Split(got, "\n")
	if len(after) != len(before)+4 {
		t.Errorf("%d lines, want %d (a key, and a section of one after a blank line, added)", len(after), len(before)+3)
	}
	var back struct {
		Agent struct{ ID string }
		Site  struct{ Latitude float64 }
	}
	if err := yaml.Unmarshal(e.Bytes(), &back); err != nil || back.Agent.ID != "front-garden" || back.Site.Latitude != 38.8951 {
		t.Errorf("read back %+v, %v", back, err)
	}
}

// TestEditList replaces the zones with fewer and more, and the block after them stays whole.
func TestEditList(t *testing.T) {
	src := "a: 1\nzones:\n  - {id: 1, name: One}   # first\n  - {id: 2, name: Two}\n\n# about b\nb: 2\n"
	e, err := NewEdit([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var items []*yaml.Node
	for _, z := range []string{"{id: 1, name: Lawn}", "{id: 2, name: Beds}", "{id: 3, name: Hedge}"} {
		var n yaml.Node
		if err := yaml.Unmarshal([]byte(z), &n); err != nil {
			t.Fatal(err)
		}
		items = append(items, n.Content[0])
	}
	if err := e.SetList("zones", items); err != nil {
		t.Fatal(err)
	}
	want := "a: 1\nzones:\n  - {id: 1, name: Lawn}\n  - {id: 2, name: Beds}\n  - {id: 3, name: Hedge}\n\n# about b\nb: 2\n"
	if got := string(e.Bytes()); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if err := e.SetList("zones", nil); err != nil {
		t.Fatal(err)
	}
	if got, want := string(e.Bytes()), "a: 1\nzones: []\n\n# about b\nb: 2\n"; got != want {
		t.Errorf("emptied: got\n%s\nwant\n%s", got, want)
	}
}
