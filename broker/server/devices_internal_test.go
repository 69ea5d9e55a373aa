package server

import "testing"

// TestDeviceTreesStayApart: a device tree that could match a topic of the agents' tree, of Home
// Assistant's or $ is refused, whatever its wildcards or the prefix's depth.
func TestDeviceTreesStayApart(t *testing.T) {
	for _, c := range []struct {
		f, prefix string
		ok        bool
	}{
		{"zigbee2mqtt/#", "sprinkler", true},
		{"cmnd/roses/#", "sprinkler", true},
		{"sprinkler-garden/rpc", "sprinkler", true},
		{"home/valves/#", "home/sprinkler", true},
		{"+/#", "sprinkler", false},
		{"#", "sprinkler", false},
		{"sprinkler/#", "sprinkler", false},
		{"sprinkler/garden/zone/1/set", "sprinkler", false},
		{"home/#", "home/sprinkler", false},
		{"home/+/x", "home/sprinkler", false},
		{"homeassistant/valve/x", "sprinkler", false},
		{"$SYS/#", "sprinkler", false},
		{"a/#/b", "sprinkler", false},
	} {
		if err := CheckDeviceTree(c.f, c.prefix, DefaultHomeAssistantPrefix); (err == nil) != c.ok {
			t.Errorf("%q under prefix %s: %v, want ok %v", c.f, c.prefix, err, c.ok)
		}
	}
}
