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
	KindAutoState     // automatic runs: ON or OFF
	KindAutoSet       // turns automatic runs on or off
	KindDurationState // a zone's default run, in minutes
	KindDurationSet   // sets a zone's default run, in minutes
	KindHABirth       // Home Assistant's status: online or offline
	KindHealth        // the agent's Health
)

// Topic is a parsed agent topic.
type Topic struct {
	Agent   string // agent id
	Kind    Kind
	Zone    int    // for KindZoneState and KindZoneSet
	Command string // for KindRequest and KindResponse
}

// Parse splits a topic under prefix into its agent, kind, zone and command. It returns false for
// anything that is not an agent topic of the contract.
func Parse(prefix, topic string) (Topic, bool) {
	rest, ok := strings.CutPrefix(topic, prefix+"/")
	if !ok {
		return Topic{}, false
	}
	parts := strings.Split(rest, "/")
	if ValidAgentID(parts[0]) != nil {
		return Topic{}, false
	}
	t := Topic{Agent: parts[0]}
	switch {
	case len(parts) == 2:
		t.Kind = map[string]Kind{"status": KindStatus, "info": KindInfo, "state": KindState, "event": KindEvent, "health": KindHealth}[parts[1]]
	case len(parts) == 3 && parts[1] == "profile":
		t.Kind = map[string]Kind{"state": KindProfileState, "set": KindProfileSet}[parts[2]]
	case len(parts) == 3 && parts[1] == "auto":
		t.Kind = map[string]Kind{"state": KindAutoState, "set": KindAutoSet}[parts[2]]
	case len(parts) == 3 && parts[2] != "" && (parts[1] == "request" || parts[1] == "response"):
		t.Kind, t.Command = KindResponse, parts[2]
		if parts[1] == "request" {
			t.Kind = KindRequest
		}
	case (len(parts) == 4 || len(parts) == 5) && parts[1] == "zone":
		n, err := strconv.Atoi(parts[2])
		if err != nil || n < 1 || strconv.Itoa(n) != parts[2] {
			return Topic{}, false
		}
		t.Zone = n
		if len(parts) == 4 {
			t.Kind = map[string]Kind{"state": KindZoneState, "set": KindZoneSet}[parts[3]]
		} else if parts[3] == "duration" {
			t.Kind = map[string]Kind{"state": KindDurationState, "set": KindDurationSet}[parts[4]]
		}
	}
	return t, t.Kind != KindUnknown
}

// IsCommand reports whether topic is a command topic of any agent under any prefix: a topic whose
// last level is "set" or whose last but one is "request". Brokers use it to refuse retained
// commands without knowing the prefix.
func IsCommand(topic string) bool {
	parts := strings.Split(topic, "/")
	n := len(parts)
	return n >= 2 && (parts[n-1] == "set" || parts[n-2] == "request")
}
