package topics

import (
	"strconv"
	"strings"
)

// Kind says which topic of an agent a topic name is.
type Kind int

// The kinds of agent topics.
const (
	KindUnknown Kind = iota
	KindStatus
	KindInfo
	KindState
	KindEvent
	KindZoneState
	KindZoneSet
	KindRequest
	KindResponse
	KindProfileState
	KindProfileSet
	KindAutoState       // automatic runs: ON or OFF
	KindAutoSet         // turns automatic runs on or off
	KindDurationState   // a zone's default run, in minutes
	KindDurationSet     // sets a zone's default run, in minutes
	KindHABirth         // Home Assistant's status: online or offline
	KindHealth          // the agent's Health
	KindWaterLevelState // the water level, percent
	KindWaterLevelSet   // sets the water level
	KindPauseState      // watering paused: ON or OFF
	KindPauseSet        // pauses or resumes watering
	KindInput           // a weather reading or a sensor's value, fed to the agent
	KindWeatherState    // the day's WeatherDay
)

// Topic is a parsed agent topic.
type Topic struct {
	Agent   string // agent id
	Kind    Kind
	Zone    int    // for KindZoneState and KindZoneSet
	Command string // for KindRequest and KindResponse
	ReplyTo string // for KindResponse on a private reply topic
}

// maxLevels is the most levels after the prefix that a contract topic has.
const maxLevels = 5

// Parse splits a topic under prefix into its agent, kind, zone and command. It returns false for
// anything that is not an agent topic of the contract. It does not allocate.
func Parse(prefix, topic string) (Topic, bool) {
	rest, ok := strings.CutPrefix(topic, prefix)
	if !ok || !strings.HasPrefix(rest, "/") {
		return Topic{}, false
	}
	var parts [maxLevels]string
	n := 0
	for rest = rest[1:]; ; n++ {
		if n == maxLevels {
			return Topic{}, false
		}
		level, more, found := strings.Cut(rest, "/")
		parts[n] = level
		if !found {
			n++
			break
		}
		rest = more
	}
	if ValidAgentID(parts[0]) != nil {
		return Topic{}, false
	}
	t := Topic{Agent: parts[0]}
	switch {
	case n == 2:
		t.Kind = agentKind(parts[1])
	case n == 3 && parts[1] == "profile":
		t.Kind = stateOrSet(parts[2], KindProfileState, KindProfileSet)
	case n == 3 && parts[1] == "auto":
		t.Kind = stateOrSet(parts[2], KindAutoState, KindAutoSet)
	case n == 3 && parts[1] == "water_level":
		t.Kind = stateOrSet(parts[2], KindWaterLevelState, KindWaterLevelSet)
	case n == 3 && parts[1] == "input" && parts[2] != "":
		t.Kind = KindInput
	case n == 3 && parts[1] == "weather" && parts[2] == "state":
		t.Kind = KindWeatherState
	case n == 3 && parts[1] == "pause":
		t.Kind = stateOrSet(parts[2], KindPauseState, KindPauseSet)
	case n == 3 && parts[1] == "request" && parts[2] != "":
		t.Kind, t.Command = KindRequest, parts[2]
	case (n == 3 || n == 4) && parts[1] == "response" && parts[2] != "":
		t.Kind, t.Command = KindResponse, parts[2]
		if n == 4 {
			if !validReplyTo(parts[3]) {
				return Topic{}, false
			}
			t.ReplyTo = parts[3]
		}
	case (n == 4 || n == 5) && parts[1] == "zone":
		z, err := strconv.Atoi(parts[2])
		if err != nil || z < 1 || strconv.Itoa(z) != parts[2] {
			return Topic{}, false
		}
		t.Zone = z
		if n == 4 {
			t.Kind = stateOrSet(parts[3], KindZoneState, KindZoneSet)
		} else if parts[3] == "duration" {
			t.Kind = stateOrSet(parts[4], KindDurationState, KindDurationSet)
		}
	}
	return t, t.Kind != KindUnknown
}

// agentKind is the kind of a topic one level below an agent's base.
func agentKind(level string) Kind {
	switch level {
	case "status":
		return KindStatus
	case "info":
		return KindInfo
	case "state":
		return KindState
	case "event":
		return KindEvent
	case "health":
		return KindHealth
	}
	return KindUnknown
}

// stateOrSet is state for a "state" level, set for a "set" level, else KindUnknown.
func stateOrSet(level string, state, set Kind) Kind {
	switch level {
	case "state":
		return state
	case "set":
		return set
	}
	return KindUnknown
}

// IsCommand reports whether topic is a command topic of any agent under any prefix: a topic whose
// last level is "set" or whose last but one is "request". Brokers use it to refuse retained
// commands without knowing the prefix.
func IsCommand(topic string) bool {
	parts := strings.Split(topic, "/")
	n := len(parts)
	return n >= 2 && (parts[n-1] == "set" || parts[n-2] == "request")
}
