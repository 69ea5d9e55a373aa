package reading_test

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"sprinkler/agent/reading"
)

func TestValue(t *testing.T) {
	for _, c := range []struct {
		name, path, payload string
		want                float64
		err                 error
	}{
		{"plain number", "", " 21.5\n", 21.5, nil},
		{"plain switch", "", "ON", 1, nil},
		{"plain words", "", "dry", 0, nil},
		{"zigbee2mqtt soil probe", "soil_moisture", `{"soil_moisture": 43, "battery": 90}`, 43, nil},
		{"nested", "outdoor.humidity", `{"outdoor":{"humidity":"61.5"},"indoor":{}}`, 61.5, nil},
		{"array", "sensors.1.t", `{"sensors":[{"t":1},{"t":-3.25}]}`, -3.25, nil},
		{"boolean", "water_leak", `{"water_leak":true}`, 1, nil},
		{"missing key", "temperature", `{"temp":3}`, 0, reading.ErrNoValue},
		{"null", "temperature", `{"temperature":null}`, 0, reading.ErrNoValue},
		{"object", "outdoor", `{"outdoor":{"t":1}}`, 0, reading.ErrNotANumber},
		{"not a number", "", "warm", 0, reading.ErrNotANumber},
		{"NaN is no number", "", "NaN", 0, reading.ErrNotANumber},
		{"index out of range", "a.5", `{"a":[1]}`, 0, reading.ErrNoValue},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := reading.Parse(c.path)
			if err != nil {
				t.Fatal(err)
			}
			got, err := p.Value([]byte(c.payload))
			if !errors.Is(err, c.err) || err == nil && got != c.want {
				t.Errorf("Value(%q) = %v, %v; want %v, %v", c.payload, got, err, c.want, c.err)
			}
		})
	}
}

func TestBadPath(t *testing.T) {
	for _, spec := range []string{".", "a..b", "a.", "a.#", strings.Repeat("a.", 20) + "a"} {
		if _, err := reading.Parse(spec); err == nil {
			t.Errorf("Parse(%q) accepted", spec)
		}
	}
}

// FuzzPath: no path and payload panics, and a number put at a path is read back from it.
func FuzzPath(f *testing.F) {
	for _, s := range [][2]string{{"", "12"}, {"a.b", `{"a":{"b":1}}`}, {"x.0", `{"x":[1,2]}`}, {"t", `{"t":"ON"}`}, {"a", `[`}} {
		f.Add(s[0], s[1], 21.5)
	}
	f.Fuzz(func(t *testing.T, spec, payload string, v float64) {
		p, err := reading.Parse(spec)
		if err != nil {
			return
		}
		_, _ = p.Value([]byte(payload))
		if spec == "" || math.IsNaN(v) || math.IsInf(v, 0) {
			return
		}
		keys := strings.Split(spec, ".")
		var doc any = v
		for i := len(keys) - 1; i >= 0; i-- {
			doc = map[string]any{keys[i]: doc}
		}
		b, err := json.Marshal(doc)
		if err != nil {
			return // keys that JSON cannot hold
		}
		got, err := p.Value(b)
		if err != nil || got != v {
			t.Errorf("path %q in %s: %v, %v; want %v", spec, b, got, err, v)
		}
	})
}
