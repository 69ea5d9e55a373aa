// Package reading takes a number out of an MQTT payload: the payload itself ("21.5", "ON"), or
// the value at a path into a JSON document ("temperature", "outdoor.humidity", "sensors.0.t"),
// as weather stations, zigbee2mqtt and Home Assistant publish them.
package reading

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Path says where the value is in a payload; the zero Path is the whole payload.
type Path struct {
	keys []string
}

// maxDepth bounds a path, and maxPayload the payloads read.
const (
	maxDepth   = 16
	maxPayload = 64 << 10
)

// Errors of Value.
var (
	ErrNoValue    = errors.New("no value at the path")
	ErrNotANumber = errors.New("not a number")
)

// Parse reads a path: keys separated by dots; a key of digits also indexes an array. "" is
// the whole payload.
func Parse(spec string) (Path, error) {
	if spec == "" {
		return Path{}, nil
	}
	if !utf8.ValidString(spec) {
		return Path{}, fmt.Errorf("path %q: not UTF-8", spec)
	}
	keys := strings.Split(spec, ".")
	if len(keys) > maxDepth {
		return Path{}, fmt.Errorf("path %q: more than %d keys", spec, maxDepth)
	}
	for _, k := range keys {
		if k == "" {
			return Path{}, fmt.Errorf("path %q: an empty key (two dots, or a dot at an end)", spec)
		}
		if strings.ContainsAny(k, "+#\x00") {
			return Path{}, fmt.Errorf("path %q: key %q holds + # or NUL", spec, k)
		}
	}
	return Path{keys: keys}, nil
}

// String is the path as written.
func (p Path) String() string { return strings.Join(p.keys, ".") }

// Value is the number at the path in payload. Numbers, numeric strings and the switch words
// (true/false, ON/OFF, on/off, open/closed, wet/dry, yes/no) are values: a switch is 1 or 0.
func (p Path) Value(payload []byte) (float64, error) {
	if len(payload) > maxPayload {
		return 0, fmt.Errorf("payload of %d bytes: more than %d", len(payload), maxPayload)
	}
	if len(p.keys) == 0 {
		return scalar(string(bytes.TrimSpace(payload)), true)
	}
	d := json.NewDecoder(bytes.NewReader(payload))
	d.UseNumber()
	var doc any
	if err := d.Decode(&doc); err != nil {
		return 0, fmt.Errorf("payload is not JSON: %w", err)
	}
	for i, k := range p.keys {
		switch v := doc.(type) {
		case map[string]any:
			x, ok := v[k]
			if !ok {
				return 0, fmt.Errorf("%w: no key %q at %s", ErrNoValue, k, p.prefix(i))
			}
			doc = x
		case []any:
			n, err := strconv.Atoi(k)
			if err != nil || n < 0 || n >= len(v) {
				return 0, fmt.Errorf("%w: no element %q in the array at %s", ErrNoValue, k, p.prefix(i))
			}
			doc = v[n]
		default:
			return 0, fmt.Errorf("%w: %s is not an object", ErrNoValue, p.prefix(i))
		}
	}
	switch v := doc.(type) {
	case json.Number:
		return scalar(v.String(), false)
	case string:
		return scalar(strings.TrimSpace(v), true)
	case bool:
		if v {
			return 1, nil
		}
		return 0, nil
	case nil:
		return 0, fmt.Errorf("%w: %s is null", ErrNoValue, p)
	}
	return 0, fmt.Errorf("%w: %s is an object or an array", ErrNotANumber, p)
}

// prefix names the first i keys, for errors.
func (p Path) prefix(i int) string {
	if i == 0 {
		return "the top"
	}
	return strings.Join(p.keys[:i], ".")
}

// switches are the words a switch-like payload says.
var switches = map[string]float64{
	"true": 1, "on": 1, "open": 1, "wet": 1, "yes": 1, "active": 1,
	"false": 0, "off": 0, "closed": 0, "dry": 0, "no": 0, "inactive": 0,
}

// scalar reads a number, or with words a switch word.
func scalar(s string, words bool) (float64, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
		return f, nil
	}
	if words {
		if v, ok := switches[strings.ToLower(s)]; ok {
			return v, nil
		}
	}
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return 0, fmt.Errorf("%w: %q", ErrNotANumber, s)
}
