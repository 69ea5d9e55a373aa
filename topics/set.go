package topics

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
)

// Zone states published on ZoneState topics and in the Snapshot. "open" means water flows.
const (
	StateOpen   = "open"
	StateClosed = "closed"
)

// Action is what a set command or request does to a zone.
type Action int

// The actions.
const (
	ActionOpen Action = iota + 1
	ActionClose
	ActionToggle
)

func (a Action) String() string {
	switch a {
	case ActionOpen:
		return "open"
	case ActionClose:
		return "close"
	case ActionToggle:
		return "toggle"
	}
	return "none"
}

// SetCommand is a parsed payload of a zone's set topic.
type SetCommand struct {
	Action   Action
	Duration time.Duration // 0: the zone's default
}

// setWords are the words accepted on a set topic, in lower case, with their action. OPEN/CLOSE
// are Home Assistant's valve defaults, ON/OFF its switch defaults, STOP its optional valve stop.
var setWords = []struct {
	word   string
	action Action
}{
	{"open", ActionOpen}, {"on", ActionOpen},
	{"close", ActionClose}, {"closed", ActionClose}, {"off", ActionClose}, {"stop", ActionClose},
	{"toggle", ActionToggle},
}

// MaxDuration bounds any duration on the wire; zones cap runs far below it.
const MaxDuration = 7 * 24 * time.Hour

// ParseSet parses the payload of a zone's set topic: a plain word (OPEN, CLOSE, ON, OFF, STOP,
// TOGGLE; any case, surrounding space ignored) or a JSON object {"state":"open","duration_s":600}
// whose state takes the same words.
func ParseSet(payload []byte) (SetCommand, error) {
	p := bytes.TrimSpace(payload)
	if len(p) > 0 && p[0] == '{' {
		var body struct {
			State     *string  `json:"state"`
			DurationS *float64 `json:"duration_s"`
		}
		if err := strictUnmarshal(p, &body); err != nil {
			return SetCommand{}, err
		}
		if body.State == nil {
			return SetCommand{}, Errorf(CodeBadRequest, `set: "state" is missing`)
		}
		cmd, err := parseSetWord(*body.State)
		if err != nil {
			return SetCommand{}, err
		}
		if body.DurationS != nil {
			if cmd.Action == ActionClose {
				return SetCommand{}, Errorf(CodeBadRequest, `set: "duration_s" makes no sense with close`)
			}
			if cmd.Duration, err = Seconds(*body.DurationS); err != nil {
				return SetCommand{}, err
			}
		}
		return cmd, nil
	}
	for _, sw := range setWords { // the plain word, without allocating
		if equalFoldASCII(p, sw.word) {
			return SetCommand{Action: sw.action}, nil
		}
	}
	return parseSetWord(string(p))
}

// equalFoldASCII reports whether b is lower, a lower-case ASCII word, in any case.
func equalFoldASCII(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i := range b {
		if c := b[i] | 0x20; c != lower[i] {
			return false
		}
	}
	return true
}

func parseSetWord(w string) (SetCommand, error) {
	w = strings.TrimSpace(w)
	for _, sw := range setWords {
		if strings.EqualFold(w, sw.word) {
			return SetCommand{Action: sw.action}, nil
		}
	}
	return SetCommand{}, Errorf(CodeBadRequest, "set: %q is not one of OPEN, CLOSE, ON, OFF, STOP, TOGGLE", truncate(w))
}

// Seconds converts a duration_s value to a Duration: positive, finite, at most MaxDuration,
// fractions allowed down to the millisecond.
func Seconds(s float64) (time.Duration, error) {
	if math.IsNaN(s) || math.IsInf(s, 0) || s <= 0 {
		return 0, Errorf(CodeBadRequest, "duration_s %v: want a positive number of seconds", s)
	}
	if s > MaxDuration.Seconds() {
		return 0, Errorf(CodeBadRequest, "duration_s %v: more than %v", s, MaxDuration)
	}
	d := time.Duration(s * float64(time.Second)).Round(time.Millisecond)
	if d <= 0 {
		return 0, Errorf(CodeBadRequest, "duration_s %v: shorter than a millisecond", s)
	}
	return d, nil
}

// strictUnmarshal decodes one JSON value into v, refusing unknown fields and trailing data, and
// reports failures as CodeBadJSON errors.
func strictUnmarshal(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return Errorf(CodeBadJSON, "bad JSON: %v", jsonReason(err))
	}
	if dec.More() {
		return Errorf(CodeBadJSON, "bad JSON: data after the object")
	}
	return nil
}

// jsonReason rewords encoding/json errors without the Go type names a user has no use for.
func jsonReason(err error) string {
	if te, ok := err.(*json.UnmarshalTypeError); ok {
		if te.Field != "" {
			return "field " + te.Field + ": got " + te.Value
		}
		return "got " + te.Value
	}
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "json: ")
	if msg == "EOF" || msg == "unexpected EOF" {
		return "the payload ends too early"
	}
	return msg
}

// ParseOnOff parses the payload of an ON/OFF topic such as auto/set: ON, OFF, true, false, 1
// or 0, in any case.
func ParseOnOff(payload []byte) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(string(payload))) {
	case "on", "true", "1":
		return true, nil
	case "off", "false", "0":
		return false, nil
	}
	return false, Errorf(CodeBadRequest, "%q is not ON or OFF", truncate(string(payload)))
}

// ParseMinutes parses the payload of a duration/set topic: a positive number of minutes,
// fractions allowed.
func ParseMinutes(payload []byte) (time.Duration, error) {
	s := strings.TrimSpace(string(payload))
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, Errorf(CodeBadRequest, "%q is not a number of minutes", truncate(s))
	}
	return Seconds(f * 60)
}

// ParsePercent parses the payload of a water_level/set topic: a whole number of percent ("80",
// "80%", "80.0"); the receiver checks its bounds.
func ParsePercent(payload []byte) (int, error) {
	s := strings.TrimSuffix(strings.TrimSpace(string(payload)), "%")
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1e6 {
		return 0, Errorf(CodeBadRequest, "%q is not a whole number of percent", truncate(string(payload)))
	}
	return int(f), nil
}

// MaxWaterLevel is the highest water level, in percent: 100 waters as written, 0 not at all.
const MaxWaterLevel = 250

// DefaultPause is how long a pause/set of ON pauses.
const DefaultPause = time.Hour

// ParsePause parses the payload of a pause/set topic: a duration (30m, 1h30m), a number of
// minutes, ON for DefaultPause, or OFF, 0 or resume, which give 0: end the pause.
func ParsePause(payload []byte) (time.Duration, error) {
	s := strings.ToLower(strings.TrimSpace(string(payload)))
	switch s {
	case "on":
		return DefaultPause, nil
	case "off", "0", "resume":
		return 0, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return d, nil
	}
	if d, err := ParseMinutes(payload); err == nil {
		return d, nil
	}
	return 0, Errorf(CodeBadRequest, "%q: want a duration such as 30m, minutes, ON (%v) or OFF", truncate(s), DefaultPause)
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
