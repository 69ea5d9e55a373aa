package topics

import (
	"encoding/json"
	"strconv"
)

// The typed arguments of the requests: ctl builds them and the agent decodes them, so both
// read one definition (a command without arguments takes none). ZoneArgs, for open, close and
// toggle, is beside Zones.

// RunOnceArgs are run_once's: the steps in order, and whether to end every run first.
type RunOnceArgs struct {
	Steps   []Step `json:"steps"`
	Preempt bool   `json:"preempt,omitempty"`
}

// PauseArgs are pause's: how long.
type PauseArgs struct {
	DurationS *float64 `json:"duration_s"`
}

// ActivateArgs are activate's: the profile, and whether to end a scheduled run in progress.
type ActivateArgs struct {
	Profile *ProfileRef `json:"profile"`
	Force   bool        `json:"force,omitempty"`
}

// HoursArgs are next's (how far ahead) and rain_delay's (how long; 0 ends it).
type HoursArgs struct {
	Hours *float64 `json:"hours"`
}

// WaterLevelArgs are water_level's.
type WaterLevelArgs struct {
	Percent *int `json:"percent"`
}

// SkipArgs are skip's: the zones, and next (the default) or today.
type SkipArgs struct {
	Zones Zones  `json:"zones"`
	What  string `json:"what,omitempty"`
}

// HistoryArgs are history's: one zone or every zone (0), and how far back.
type HistoryArgs struct {
	Zone   int      `json:"zone,omitempty"`
	SinceS *float64 `json:"since_s,omitempty"`
}

// UsageArgs are usage's: day or week, and how far back.
type UsageArgs struct {
	By     string   `json:"by,omitempty"`
	SinceS *float64 `json:"since_s,omitempty"`
}

// ClientsArgs are clients': also those that left lately.
type ClientsArgs struct {
	All bool `json:"all,omitempty"`
}

// LogArgs are logs' and errors': how many lines, and texts each must contain.
type LogArgs struct {
	Lines *int     `json:"lines,omitempty"`
	Grep  []string `json:"grep,omitempty"`
}

// ProfileRef is a profile named or numbered: "summer", "1" or 1 on the wire.
type ProfileRef string

// UnmarshalJSON takes a name or an index.
func (p *ProfileRef) UnmarshalJSON(b []byte) error {
	var n int
	if json.Unmarshal(b, &n) == nil {
		*p = ProfileRef(strconv.Itoa(n))
		return nil
	}
	var name string
	if err := json.Unmarshal(b, &name); err != nil {
		return Errorf(CodeBadRequest, "profile: want a name or an index")
	}
	*p = ProfileRef(name)
	return nil
}
