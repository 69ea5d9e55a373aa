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

// TestEditItems replaces, appends and deletes entries of a block list: the other entries
// and the comments between them stay as written.
func TestEditItems(t *testing.T) {
	src := "# head\nactive: a\nprofiles:\n  - name: a   # the first\n    x: 1\n\n  # about b\n  - name: b\n    x: 2\n# tail\n"
	e, err := NewEdit([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	node := func(s string) *yaml.Node {
		var n yaml.Node
		if err := yaml.Unmarshal([]byte(s), &n); err != nil {
			t.Fatal(err)
		}
		return n.Content[0]
	}
	step := func(what string, err error, want string) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if got := string(e.Bytes()); got != want {
			t.Fatalf("%s: got\n%s\nwant\n%s", what, got, want)
		}
	}
	step("replace a", e.SetItem("profiles", 0, node("name: a\nx: 10\n")),
		"# head\nactive: a\nprofiles:\n  - name: a\n    x: 10\n\n  # about b\n  - name: b\n    x: 2\n# tail\n")
	step("append c", e.SetItem("profiles", 2, node("name: c\nx: 3\n")),
		"# head\nactive: a\nprofiles:\n  - name: a\n    x: 10\n\n  # about b\n  - name: b\n    x: 2\n  - name: c\n    x: 3\n# tail\n")
	step("delete a", e.DeleteItem("profiles", 0),
		"# head\nactive: a\nprofiles:\n  # about b\n  - name: b\n    x: 2\n  - name: c\n    x: 3\n# tail\n")
	step("active c", e.SetTop("active", "c"),
		"# head\nactive: c\nprofiles:\n  # about b\n  - name: b\n    x: 2\n  - name: c\n    x: 3\n# tail\n")
	if n := len(e.Items("profiles")); n != 2 {
		t.Errorf("%d items, want 2", n)
	}
}

// TestEditFlowValue: a list written on one line is added as a key, and replaced in place with
// its comment kept; a list over several lines is refused.
func TestEditFlowValue(t *testing.T) {
	e, err := NewEdit([]byte("relays:\n  chip: auto\n"))
	if err != nil {
		t.Fatal(err)
	}
	list := func(names ...string) *yaml.Node {
		n := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for _, name := range names {
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle,
				Content: []*yaml.Node{{Kind: yaml.ScalarNode, Value: "name"}, {Kind: yaml.ScalarNode, Value: name}}})
		}
		return n
	}
	if err := e.Set("relays.banks", list("ospi")); err != nil {
		t.Fatal(err)
	}
	if got := string(e.Bytes()); got != "relays:\n  banks: [{name: ospi}]\n  chip: auto\n" {
		t.Errorf("added: %q", got)
	}
	e, _ = NewEdit([]byte("relays:\n  banks: [{name: \"a]\"}]   # the HAT\n  chip: auto\n"))
	if err := e.Set("relays.banks", list("hat", "ospi")); err != nil {
		t.Fatal(err)
	}
	if got := string(e.Bytes()); got != "relays:\n  banks: [{name: hat}, {name: ospi}]   # the HAT\n  chip: auto\n" {
		t.Errorf("replaced: %q", got)
	}
	e, _ = NewEdit([]byte("relays:\n  banks:\n    - {name: a}\n"))
	if err := e.Set("relays.banks", list("b")); err == nil {
		t.Error("a list over several lines was replaced")
	}
}
