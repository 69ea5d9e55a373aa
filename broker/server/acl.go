package server

import (
	"slices"
	"strings"

	"sprinkler/topics"
)

// inlineClientID is the id mochi gives its in-process client; no network client may use it,
// since the agent trusts what that client publishes as its own.
const inlineClientID = "inline"

// agentOf returns the agent id a client id claims, if it has the form of an agent's.
func agentOf(clientID string) (string, bool) {
	id, ok := strings.CutPrefix(clientID, topics.AgentClientPrefix)
	return id, ok && topics.ValidAgentID(id) == nil
}

// identity is who a connected client is: its id, the user it logged in as ("" when
// anonymous) and that user's role.
type identity struct {
	client, user string
	role         topics.Role
	agents       []string // the user's agents; empty: every agent
}

// allowed decides whether who may write (publish) to topic, or read (subscribe to it as a
// filter, or receive it) when write is false. Under prefix it distinguishes the contract's
// topic classes; everything else is for admins alone, but for Home Assistant's discovery tree.
// An agent is bound to the agent id its user names: it writes its own subtree and its own
// discovery topics, and nothing else.
func allowed(cfg Config, who identity, topic string, write bool) bool {
	prefix, ha := cfg.Prefix, cfg.HomeAssistant
	if who.role == RoleAdmin {
		return true
	}
	device := slices.ContainsFunc(cfg.Devices, func(f string) bool { return topics.Matches(f, topic) })
	if slices.Contains(cfg.Inputs, topic) { // the agents' inputs outside their trees: a reading moves water
		switch who.role {
		case RoleAgent:
			return !write
		case RoleDevice:
			return device // a zigbee2mqtt probe beside the valves
		}
		return topics.Permits(who.role, topics.AccessOperate)
	}
	if device { // a valve's command bypasses the governor: devices and agents alone
		return who.role == RoleDevice || who.role == RoleAgent
	}
	if who.role == RoleDevice {
		return false
	}
	if topic == topics.Sync(prefix, who.client) {
		return true // every client's own sync topic
	}
	if rest, ok := strings.CutPrefix(topic, ha+"/"); ok || topic == ha+"/#" {
		switch who.role {
		case RoleAgent:
			// <ha>/<component>/<agent-id>/... and <ha>/device/<agent-id>/config
			parts := strings.Split(rest, "/")
			return !write || len(parts) >= 3 && parts[1] == who.user
		case RoleHomeAssistant:
			return !write || rest == "status"
		}
		return false
	}
	rest, ok := strings.CutPrefix(topic, prefix+"/")
	if !ok {
		return false
	}
	parts := strings.Split(rest, "/")
	if who.role == RoleAgent {
		id, ok := agentOf(who.client)
		return ok && id == who.user && parts[0] == id
	}
	if !(User{Role: who.role, Agents: who.agents}).reaches(parts[0]) {
		return false // another agent than the user's, or a wildcard over them
	}
	if !write {
		if who.role != RoleViewer && who.role != RoleOperator && who.role != RoleHomeAssistant {
			return false
		}
		if strings.ContainsAny(rest, "+#") {
			return true // a subscription's filter: what it delivers is checked topic by topic
		}
		return topics.Readable(prefix, who.client, topic) // not another's reply, a request, or presence records
	}
	if strings.ContainsAny(rest, "+#") || topics.ValidAgentID(parts[0]) != nil {
		return false
	}
	t, ok := topics.Parse(prefix, topic)
	if !ok {
		return false
	}
	switch t.Kind {
	case topics.KindRequest: // the contract's rule, as the agent applies it
		return topics.Permits(who.role, topics.CommandAccess(t.Command))
	case topics.KindZoneSet, topics.KindProfileSet, topics.KindAutoSet, topics.KindDurationSet, topics.KindWaterLevelSet, topics.KindPauseSet,
		topics.KindInput: // a reading moves water as surely as a command

		return topics.Permits(who.role, topics.AccessOperate)
	}
	return false // state topics are written by agents only
}

// mayPublish decides a publish by who, as a live message or as a last will: the ACL, and no
// retained command, since a retained command would act again on every reconnect.
func mayPublish(cfg Config, who identity, topic string, retained bool) bool {
	return allowed(cfg, who, topic, true) && !(retained && topics.IsCommand(topic))
}
