package sensors

import (
	"fmt"
	"slices"
	"sort"

	"sprinkler/topics"
)

// Set is the agent's switch sensors and which zones ignore which: it says when a sensor holds
// a zone's scheduled runs, or its manual ones too.
type Set struct {
	list   []*Sensor
	ignore map[int][]string // zone -> sensors it ignores
}

// NewSet returns an empty set; ignore lists, by zone, the sensors that zone ignores.
func NewSet(ignore map[int][]string) *Set { return &Set{ignore: ignore} }

// Add puts an open sensor in the set.
func (s *Set) Add(x *Sensor) { s.list = append(s.list, x) }

// Close closes every sensor.
func (s *Set) Close() {
	for _, x := range s.list {
		_ = x.Close()
	}
}

// holding lists the active sensors that zone does not ignore, and that, with manual, also
// block manual runs.
func (s *Set) holding(zone int, manual bool) []string {
	var out []string
	for _, x := range s.list {
		c := x.Config()
		if len(c.Zones) > 0 && !slices.Contains(c.Zones, zone) {
			continue // a sensor of other zones
		}
		if _, stale := reads(x); stale {
			continue // a silent sensor holds nothing
		}
		if active, _ := x.State(); active && !slices.Contains(s.ignore[zone], c.Name) && (!manual || c.BlockManual) {
			out = append(out, c.Name)
		}
	}
	return out
}

// Hold says why zone must not start a scheduled run now, or "".
func (s *Set) Hold(zone int) string {
	if names := s.holding(zone, false); len(names) > 0 {
		return fmt.Sprintf("sensor %s is active", names[0])
	}
	return ""
}

// BlockManual refuses a manual run of a zone that an active sensor with block_manual holds.
func (s *Set) BlockManual(zone int) error {
	if names := s.holding(zone, true); len(names) > 0 {
		return topics.Errorf(topics.CodeUnavailable, "zone %d: sensor %s is active and blocks manual runs", zone, names[0])
	}
	return nil
}

// States are the sensors' states by name, for the snapshot and the retained topics; nil
// without sensors (the snapshot then has no sensors key).
func (s *Set) States() map[string]topics.SensorStatus {
	if len(s.list) == 0 {
		return nil
	}
	out := make(map[string]topics.SensorStatus, len(s.list))
	for _, x := range s.list {
		active, since := x.State()
		value, stale := reads(x)
		out[x.Config().Name] = topics.SensorStatus{Active: active && !stale, Since: topics.At(since), Value: value, Stale: stale}
	}
	return out
}

// Names are the sensors' names, sorted.
func (s *Set) Names() []string {
	var out []string
	for _, x := range s.list {
		out = append(out, x.Config().Name)
	}
	sort.Strings(out)
	return out
}

// reads is a topic sensor's last value and whether it is stale; a line is never stale.
func reads(x *Sensor) (*float64, bool) {
	if t, ok := x.in.(interface{ Reading() (*float64, bool) }); ok {
		return t.Reading()
	}
	return nil, false
}
