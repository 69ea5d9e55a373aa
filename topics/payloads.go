package topics

import (
	"strconv"
)

// ZoneStatus is one zone in a Snapshot and in the reply to "status".
type ZoneStatus struct {
	Zone   int    `json:"zone"`
	Name   string `json:"name"`
	State  string `json:"state"`             // StateOpen or StateClosed
	Since  *Time  `json:"since,omitempty"`   // when it took this state
	EndsAt *Time  `json:"ends_at,omitempty"` // when an open zone closes by itself
	Source string `json:"source,omitempty"`  // who changed it last (see the Source* constants)
	Line   int    `json:"line"`              // BCM GPIO line of its relay
	Pin    int    `json:"pin,omitempty"`     // header pin of that line, when it is on the 40-pin header
}

// Snapshot is the retained <base>/state payload: every zone at one instant. Zones are keyed by
// their number as a string, so Home Assistant templates can write value_json.zones['3'].
type Snapshot struct {
	Agent string                `json:"agent"`
	TS    Time                  `json:"ts"`
	Zones map[string]ZoneStatus `json:"zones"`
}

// ZoneKey is the key of zone n in Snapshot.Zones.
func ZoneKey(n int) string { return strconv.Itoa(n) }

// ZoneInfo describes one zone in Info.
type ZoneInfo struct {
	Zone             int     `json:"zone"`
	Name             string  `json:"name"`
	Line             int     `json:"line"`
	Pin              int     `json:"pin,omitempty"`
	DefaultDurationS float64 `json:"default_duration_s"`
	MaxDurationS     float64 `json:"max_duration_s"`
}

// Info is the retained <base>/info payload.
type Info struct {
	Agent     string     `json:"agent"`
	Version   string     `json:"version"`
	StartedAt Time       `json:"started_at"`
	Relays    string     `json:"relays"` // the relay driver in use: "gpio" or "sim"
	Zones     []ZoneInfo `json:"zones"`
}

// Event types on <base>/event.
const (
	EventZoneOpened     = "zone_opened"
	EventZoneClosed     = "zone_closed"
	EventCommandRefused = "command_refused"
)

// Event is one message on <base>/event. Its event_type key makes it a Home Assistant MQTT event.
type Event struct {
	Type    string `json:"event_type"`
	Zone    int    `json:"zone,omitempty"`
	Source  string `json:"source,omitempty"`
	TS      Time   `json:"ts"`
	EndsAt  *Time  `json:"ends_at,omitempty"`
	Message string `json:"message,omitempty"`
}

// Sources of a zone change, beside the requesting client id.
const (
	SourceMQTT     = "mqtt"     // a request whose sender the agent cannot see
	SourceSet      = "set"      // a plain set topic message whose sender the agent cannot see
	SourceTimer    = "timer"    // the run's duration expired
	SourceSchedule = "schedule" // the watering schedule
	SourceShutdown = "shutdown" // the agent is stopping
	SourceStartup  = "startup"  // the agent is starting
)

// TimeReply is the data of the "time" command.
type TimeReply struct {
	Time     string `json:"time"` // RFC 3339 in the agent's time zone
	Weekday  string `json:"weekday"`
	Location string `json:"location"`
	Unix     int64  `json:"unix"`
}

// VersionReply is the data of the "version" command.
type VersionReply struct {
	Version  string `json:"version"`
	Go       string `json:"go"`
	Revision string `json:"revision,omitempty"`
	Protocol int    `json:"protocol"` // the version of this contract
}

// ProtocolVersion is the version of this contract; it grows when a payload changes shape.
const ProtocolVersion = 1

// ClientInfo is one connected MQTT client in the reply to "clients".
type ClientInfo struct {
	ID          string `json:"id"`
	Remote      string `json:"remote"`
	Listener    string `json:"listener"`
	Username    string `json:"username,omitempty"`
	ConnectedAt *Time  `json:"connected_at,omitempty"`
}

// ZoneChange is one zone in the reply to open, close and toggle.
type ZoneChange struct {
	Zone   int    `json:"zone"`
	State  string `json:"state"`
	EndsAt *Time  `json:"ends_at,omitempty"`
	Note   string `json:"note,omitempty"` // e.g. that a duration was capped
}
