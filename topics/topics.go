// Package topics owns the MQTT contract of sprinkler: every topic name, every payload, and
// the commands an agent serves. The agent, ctl, the broker, Home Assistant, Node-RED and any
// monitor agree through it; nobody else builds a topic string by hand.
//
// An agent lives under the base topic <prefix>/<agent-id> (prefix "sprinkler" by default):
//
//	<base>/status             agent→  retained  online | offline (the agent's last will is offline)
//	<base>/info               agent→  retained  Info JSON
//	<base>/state              agent→  retained  Snapshot JSON, republished on every change
//	<base>/health             agent→  retained  Health JSON, every health.interval
//	<base>/zone/<n>/state     agent→  retained  open | closed
//	<base>/zone/<n>/set       →agent  never     OPEN, CLOSE, ON, OFF, TOGGLE or SetCommand JSON
//	<base>/profile/state      agent→  retained  the active profile's name
//	<base>/profile/set        →agent  never     a profile name to activate
//	<base>/auto/state         agent→  retained  ON | OFF: automatic runs
//	<base>/auto/set           →agent  never     ON | OFF
//	<base>/water_level/state  agent→  retained  percent scaling the profiles that opt in
//	<base>/water_level/set    →agent  never     percent, 0 to MaxWaterLevel
//	<base>/pause/state        agent→  retained  ON | OFF: watering paused
//	<base>/pause/set          →agent  never     a duration (30m), minutes, ON (an hour) or OFF
//	<base>/schedule/next      agent→  retained  []PlannedRun JSON: the coming scheduled runs
//	<base>/zone/<n>/duration/state agent→ retained  the zone's default run, minutes
//	<base>/zone/<n>/duration/set   →agent never     minutes
//	<base>/request/<cmd>      →agent  never     Request JSON {"id":"…", …args}
//	<base>/response/<cmd>/<c> agent→  no        Response JSON for the requester of client id <c> alone
//	<base>/response/<cmd>     agent→  no        Response JSON to an admin's request without reply_to (admins')
//	<base>/event              agent→  no        Event JSON
//	<base>/clients/<id>       broker→ retained  ClientInfo JSON of each client of an embedded broker (admins')
//	<base>/sensor/<name>/state agent→ retained  ON | OFF: a switch sensor (rain, soil moisture)
//	<base>/flow/state         agent→  retained  FlowState JSON of the flow meter
//	<base>/weather/state      agent→  retained  WeatherDay JSON: today's ET0, balance and water level
//	<base>/input/<name>       →agent  any       a weather reading or a sensor's value, as configured
package topics

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// DefaultPrefix is the first level of every sprinkler topic unless configured otherwise.
const DefaultPrefix = "sprinkler"

// Presence payloads of the status topic.
const (
	Online  = "online"
	Offline = "offline"
)

// AgentClientPrefix starts the MQTT client id of every agent: AgentClientID.
const AgentClientPrefix = "sprinkler-"

// AgentClientID is the MQTT client id of agent id, the one a broker lets only that agent use.
func AgentClientID(id string) string { return AgentClientPrefix + id }

// ValidAgentID reports why id cannot name an agent, or nil when it can. An agent id is 1 to 23
// characters of lower-case letters, digits and '-', not starting with '-'.
func ValidAgentID(id string) error {
	if len(id) == 0 || len(id) > 23 || id[0] == '-' || !onlyOf(id, false) {
		return fmt.Errorf("agent id %q: want 1-23 characters of a-z, 0-9 and '-', starting with a letter or digit", id)
	}
	return nil
}

// MaxClientID is the longest client id the contract takes, in bytes.
const MaxClientID = 128

// ValidClientID reports why id cannot be an MQTT client's id in the contract, or nil when it
// can. A client id is a topic level of the client's replies and its sync topic, and is shown to
// people in lists and logs: 1 to MaxClientID bytes of valid UTF-8, of letters, marks, digits,
// punctuation and symbols only: no space, no control or formatting character (a bidi mark, say,
// that would make it read otherwise), and none of / + #.
func ValidClientID(id string) error {
	switch {
	case id == "":
		return fmt.Errorf("client id is empty")
	case len(id) > MaxClientID:
		return fmt.Errorf("client id of %d bytes: at most %d", len(id), MaxClientID)
	case !utf8.ValidString(id):
		return fmt.Errorf("client id %q is not valid UTF-8", id)
	case strings.ContainsAny(id, "/+#"):
		return fmt.Errorf("client id %q contains / + or #", id)
	}
	for _, r := range id {
		if !unicode.IsGraphic(r) || unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) {
			return fmt.Errorf("client id %q holds %U, a space, control or formatting character", id, r)
		}
	}
	return nil
}

// ValidPrefix reports why p cannot be a topic prefix, or nil when it can. A prefix is one or more
// topic levels without wildcards, leading or trailing '/', or a leading '$'.
func ValidPrefix(p string) error {
	switch {
	case p == "":
		return fmt.Errorf("topic prefix is empty")
	case strings.ContainsAny(p, "+#\x00"):
		return fmt.Errorf("topic prefix %q contains a wildcard or NUL", p)
	case strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") || strings.Contains(p, "//"):
		return fmt.Errorf("topic prefix %q has an empty level", p)
	case strings.HasPrefix(p, "$"):
		return fmt.Errorf("topic prefix %q starts with '$', which brokers reserve", p)
	}
	return nil
}

// Agent names the topics of one agent. Its zero value is not useful; build it with NewAgent.
type Agent struct {
	prefix string
	id     string
	base   string
}

// NewAgent returns the topic names of agent id under prefix, or an error naming what is wrong.
func NewAgent(prefix, id string) (Agent, error) {
	if err := ValidPrefix(prefix); err != nil {
		return Agent{}, err
	}
	if err := ValidAgentID(id); err != nil {
		return Agent{}, err
	}
	return Agent{prefix: prefix, id: id, base: prefix + "/" + id}, nil
}

// ID is the agent id.
func (a Agent) ID() string { return a.id }

// Prefix is the topic prefix the agent lives under.
func (a Agent) Prefix() string { return a.prefix }

// Base is <prefix>/<agent-id>.
func (a Agent) Base() string { return a.base }

// Status is the retained presence topic: Online or Offline.
func (a Agent) Status() string { return a.base + "/status" }

// Info is the retained topic of the agent's Info.
func (a Agent) Info() string { return a.base + "/info" }

// State is the retained topic of the agent's Snapshot.
func (a Agent) State() string { return a.base + "/state" }

// Health is the retained topic of the agent's Health, republished at an interval.
func (a Agent) Health() string { return a.base + "/health" }

// Event is the topic of the agent's Event stream.
func (a Agent) Event() string { return a.base + "/event" }

// ZoneState is the retained topic holding StateOpen or StateClosed for zone n.
func (a Agent) ZoneState(n int) string { return a.base + "/zone/" + strconv.Itoa(n) + "/state" }

// ZoneSet is the command topic of zone n.
func (a Agent) ZoneSet(n int) string { return a.base + "/zone/" + strconv.Itoa(n) + "/set" }

// Request is the topic on which the agent takes command cmd.
func (a Agent) Request(cmd string) string { return a.base + "/request/" + cmd }

// Response is the topic on which the agent answers command cmd.
func (a Agent) Response(cmd string) string { return a.base + "/response/" + cmd }

// Reply is the topic on which the agent answers a request for cmd from the client whose id is
// replyTo: a level under Response(cmd) that only that client may read (Readable), or
// Response(cmd) itself when replyTo is "".
func (a Agent) Reply(cmd, replyTo string) string {
	if replyTo == "" {
		return a.Response(cmd)
	}
	return a.base + "/response/" + cmd + "/" + replyTo
}

// WaterLevelState is the retained water level, percent; WaterLevelSet sets it.
func (a Agent) WaterLevelState() string { return a.base + "/water_level/state" }

// WaterLevelSet takes a water level, percent.
func (a Agent) WaterLevelSet() string { return a.base + "/water_level/set" }

// PauseState is the retained topic saying whether watering is paused: ON or OFF; the
// snapshot's paused_until says until when.
func (a Agent) PauseState() string { return a.base + "/pause/state" }

// PauseSet pauses watering: a duration (30m) or minutes (30), ON for an hour; OFF or 0
// resumes at once.
func (a Agent) PauseSet() string { return a.base + "/pause/set" }

// SensorState is the retained state of sensor name: ON while active, else OFF.
func (a Agent) SensorState(name string) string { return a.base + "/sensor/" + name + "/state" }

// WeatherState is the retained WeatherDay of today.
func (a Agent) WeatherState() string { return a.base + "/weather/state" }

// Input is the topic an operator (Home Assistant, say) feeds a configured input on.
func (a Agent) Input(name string) string { return a.base + "/input/" + name }

// FlowState is the retained FlowState of the agent's flow meter.
func (a Agent) FlowState() string { return a.base + "/flow/state" }

// Clients is the topic under which the embedded broker publishes each client's presence,
// retained: Clients()+"/"+clientID holds a ClientInfo.
func (a Agent) Clients() string { return a.base + "/clients" }

// ProfileState is the retained topic holding the name of the active profile.
func (a Agent) ProfileState() string { return a.base + "/profile/state" }

// NextRuns is the retained topic of the coming 48 hours' scheduled runs ([]PlannedRun, as
// "next" answers), published whenever the schedule, a program or a zone changes.
func (a Agent) NextRuns() string { return a.base + "/schedule/next" }

// ProfileSet is the command topic that activates a profile by name.
func (a Agent) ProfileSet() string { return a.base + "/profile/set" }

// AutoState is the retained topic saying whether automatic runs are on: ON or OFF.
func (a Agent) AutoState() string { return a.base + "/auto/state" }

// AutoSet turns automatic runs on or off: ON or OFF (any case).
func (a Agent) AutoSet() string { return a.base + "/auto/set" }

// DurationState is the retained topic of zone n's default run, in minutes.
func (a Agent) DurationState(n int) string {
	return a.base + "/zone/" + strconv.Itoa(n) + "/duration/state"
}

// DurationSet sets zone n's default run, in minutes.
func (a Agent) DurationSet(n int) string {
	return a.base + "/zone/" + strconv.Itoa(n) + "/duration/set"
}

// DurationSetFilter matches the default-run command topics of every zone.
func (a Agent) DurationSetFilter() string { return a.base + "/zone/+/duration/set" }

// ZoneSetFilter matches the command topics of every zone.
func (a Agent) ZoneSetFilter() string { return a.base + "/zone/+/set" }

// ZoneStateFilter matches the state topics of every zone.
func (a Agent) ZoneStateFilter() string { return a.base + "/zone/+/state" }

// RequestFilter matches every request topic.
func (a Agent) RequestFilter() string { return a.base + "/request/+" }

// CommandFilters are the filters an agent subscribes to for its commands: every set topic and
// the requests.
func (a Agent) CommandFilters() []string {
	return []string{a.ZoneSetFilter(), a.RequestFilter(), a.ProfileSet(), a.AutoSet(), a.DurationSetFilter(),
		a.WaterLevelSet(), a.PauseSet()}
}

// ReadFilters are the topics of the agent that every reader of it may read, whatever its role:
// its presence, states, events and inputs. The rest of its tree is not for readers: a reply is
// for its requester alone (ReplyFilter), a request for the agent, and the broker's presence
// records (Clients) for admins.
func (a Agent) ReadFilters() []string {
	b := a.base + "/"
	return []string{b + "status", b + "info", b + "state", b + "health", b + "event", b + "zone/+/state",
		b + "zone/+/duration/state", b + "profile/state", b + "auto/state", b + "water_level/state", b + "pause/state",
		b + "sensor/+/state", b + "flow/state", b + "weather/state", b + "schedule/next", b + "input/+"}
}

// ReplyFilter matches the replies to the requester whose client id is clientID, to a request of
// any command that named it as reply_to: the only replies that requester may read.
func (a Agent) ReplyFilter(clientID string) string { return a.base + "/response/+/" + clientID }

// Readable reports whether the client clientID, not an admin, may read topic, a topic name
// without wildcards: one of an agent's ReadFilters or its own ReplyFilter.
func Readable(prefix, clientID, topic string) bool {
	t, ok := Parse(prefix, topic)
	agent := t.Agent
	if !ok {
		rest, found := strings.CutPrefix(topic, prefix+"/")
		agent, _, _ = strings.Cut(rest, "/")
		if !found || ValidAgentID(agent) != nil {
			return false
		}
	}
	a, err := NewAgent(prefix, agent)
	if err != nil {
		return false
	}
	if ok && t.Kind == KindResponse {
		return t.ReplyTo != "" && t.ReplyTo == clientID
	}
	for _, f := range a.ReadFilters() {
		if Matches(f, topic) {
			return true
		}
	}
	return false
}

// Matches reports whether topic, a topic name, matches filter, a topic filter with the
// wildcards + (one level) and # (the rest, the level above included).
func Matches(filter, topic string) bool {
	fs, ts := strings.Split(filter, "/"), strings.Split(topic, "/")
	for i, f := range fs {
		if f == "#" {
			return true
		}
		if i >= len(ts) || f != "+" && f != ts[i] {
			return false
		}
	}
	return len(fs) == len(ts)
}

// WatchFilters match the presence, the zone states and the events of agent, or of every agent
// under prefix when agent is "": what a watcher follows.
func WatchFilters(prefix, agent string) []string {
	base := prefix + "/+"
	if agent != "" {
		base = prefix + "/" + agent
	}
	return []string{base + "/status", base + "/zone/+/state", base + "/event"}
}

// InfoFilter matches the info topic of every agent under prefix.
func InfoFilter(prefix string) string { return prefix + "/+/info" }

// StatusFilter matches the status topic of every agent under prefix.
func StatusFilter(prefix string) string { return prefix + "/+/status" }

// HABirth is Home Assistant's status topic under its discovery prefix: online when it
// (re)starts, when every device should publish its discovery again.
func HABirth(haPrefix string) string { return haPrefix + "/status" }

// Sync is a topic only its own client publishes and reads. A client that subscribes to some
// topics and then publishes to Sync knows, once its message comes back, that every retained
// message of those subscriptions has been delivered before it. Its second level starts with
// '_', which no agent id can, so it never collides with an agent.
func Sync(prefix, clientID string) string { return prefix + "/_sync/" + clientID }

// onlyOf reports whether s holds only a-z, 0-9 and '-', and with upper also A-Z and '_'.
func onlyOf(s string, upper bool) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-':
		case upper && (c >= 'A' && c <= 'Z' || c == '_'):
		default:
			return false
		}
	}
	return true
}
