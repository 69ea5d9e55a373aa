package config_test

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"sprinkler/agent/config"
)

// TestHomeAssistantWeatherExample: the shipped Home Assistant automations publish to input
// topics that the shipped weather configuration reads, and each has triggers and actions.
func TestHomeAssistantWeatherExample(t *testing.T) {
	t.Setenv("SPRINKLER_STATE_DIR", t.TempDir())
	c, err := config.Load("../../configs/agent-weather.yaml", true)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Weather.Enabled() || c.Zones[slices.IndexFunc(c.Zones, func(z config.Zone) bool { return z.ID == 3 })].Factor() != 0.5 || len(c.Sensors) != 1 || c.Sensors[0].Topic == "" {
		t.Fatalf("the weather example: %+v %+v", c.Weather, c.Sensors)
	}
	b, err := os.ReadFile("../../configs/home-assistant-weather.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var autos []struct {
		ID       string           `yaml:"id"`
		Triggers []map[string]any `yaml:"triggers"`
		Actions  []struct {
			Action string         `yaml:"action"`
			Data   map[string]any `yaml:"data"`
		} `yaml:"actions"`
	}
	if err := yaml.Unmarshal(b, &autos); err != nil || len(autos) == 0 {
		t.Fatalf("automations: %v", err)
	}
	read := map[string]bool{}
	for _, in := range c.Weather.Inputs {
		read[in.Topic] = true
	}
	for _, a := range autos {
		if a.ID == "" || len(a.Triggers) == 0 || len(a.Actions) == 0 {
			t.Errorf("automation %+v lacks an id, triggers or actions", a)
		}
		for _, act := range a.Actions {
			if act.Action != "mqtt.publish" {
				continue
			}
			topic, _ := act.Data["topic"].(string)
			if !strings.HasPrefix(topic, "sprinkler/garden/input/") {
				t.Errorf("%s publishes to %q, not an input topic", a.ID, topic)
			}
			if !read[topic] {
				t.Errorf("%s publishes %s, which agent-weather.yaml does not read", a.ID, topic)
			}
		}
	}
}

// TestWeatherErrors: each bad weather setting is refused with its key and value.
func TestWeatherErrors(t *testing.T) {
	good := func() config.Config {
		t.Setenv("SPRINKLER_STATE_DIR", t.TempDir())
		c, err := config.Load("../../configs/agent-weather.yaml", true)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	for _, tc := range []struct {
		name, want string
		mutate     func(*config.Config)
	}{
		{"time", `weather.at: "3am"`, func(c *config.Config) { c.Weather.At = "3am" }},
		{"baseline", "weather.baseline_et0_mm: 40", func(c *config.Config) { c.Weather.BaselineMm = 40 }},
		{"unit", `weather.inputs[2]: unit "furlong/fortnight" of wind`, func(c *config.Config) { c.Weather.Inputs[2].Unit = "furlong/fortnight" }},
		{"quantity", `weather.inputs[0]: quantity "warmth"`, func(c *config.Config) { c.Weather.Inputs[0].Quantity = "warmth" }},
		{"wildcard", `weather.inputs[0].topic: "rtl_433/#"`, func(c *config.Config) { c.Weather.Inputs[0].Topic = "rtl_433/#" }},
		{"own topic", `"sprinkler/garden/state" is one of the agent's own topics`, func(c *config.Config) { c.Weather.Inputs[0].Topic = "sprinkler/garden/state" }},
		{"path", `weather.inputs[0].path: path "a..b"`, func(c *config.Config) { c.Weather.Inputs[0].Path = "a..b" }},
		{"no temperature", "no temperature", func(c *config.Config) { c.Weather.Inputs = c.Weather.Inputs[1:] }},
		{"no site", "needs site.latitude", func(c *config.Config) { c.Site.Latitude, c.Site.Longitude = 0, 0 }},
		{"max age", "weather.inputs[0].max_age: -1m0s", func(c *config.Config) { c.Weather.Inputs[0].MaxAge = -time.Minute }},
		{"plant factor", "plant_factor: 9", func(c *config.Config) { c.Zones[1].PlantFactor = 9 }},
		{"sensor zone", "sensors[soil-veg].zones[0]: 12 is not a zone", func(c *config.Config) { c.Sensors[0].Zones = []int{12} }},
		{"sensor active", `sensors[soil-veg].active: "low": want above`, func(c *config.Config) { c.Sensors[0].Active = "low" }},
		{"line and topic", "not both", func(c *config.Config) { c.Sensors[0].Line = 17 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := good()
			tc.mutate(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
	if c := good(); slices.Contains(c.Weather.Inputs, config.WeatherInput{}) {
		t.Error("an empty input")
	}
}
