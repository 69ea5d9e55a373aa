package server

import (
	"strings"

	"sprinkler/topics"
)

// homeAssistantPrefix is Home Assistant's discovery prefix and birth topic root.
const homeAssistantPrefix = "homeassistant"

// agentClientPrefix starts the client id of every agent: sprinkler-<agent-id>.
const agentClientPrefix = "sprinkler-"

// agentOf returns the agent id a client id claims, if it has the form of an agent's.
func agentOf(clientID string) (string, bool) {
	id, ok := strings.CutPrefix(clientID, agentClientPrefix)
	return id, ok && topics.ValidAgentID(id) == nil
}

// allowed decides whether a client of role with clientID may write (publish) to topic, or
// read (subscribe to it as a filter, or receive it) when write is false. Under prefix it
// distinguishes the contract's topic classes; everything else is for admins alone, but for
// Home Assistant's discovery tree.
func allowed(prefix, role, clientID, topic string, write bool) bool {
	if role == RoleAdmin {
		return true
	}
	if topic == topics.Sync(prefix, clientID) {
		return true // every client's own sync topic
	}
	if rest, ok := strings.CutPrefix(topic, homeAssistantPrefix+"/"); ok || topic == homeAssistantPrefix+"/#" {
		switch role {
		case RoleAgent:
			return true
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
	if role == RoleAgent {
		// An agent owns its own subtree, named by its client id, and nothing else.
		id, ok := agentOf(clientID)
		return ok && parts[0] == id
	}
	if !write {
		return role == RoleViewer || role == RoleOperator || role == RoleHomeAssistant
	}
	if strings.ContainsAny(rest, "+#") || topics.ValidAgentID(parts[0]) != nil {
		return false
	}
	t, ok := topics.Parse(prefix, topic)
	if !ok {
		return false
	}
	operate := role == RoleOperator || role == RoleHomeAssistant
	switch t.Kind {
	case topics.KindRequest:
		switch topics.CommandAccess(t.Command) {
		case topics.AccessRead:
			return true
		case topics.AccessOperate:
			return operate
		}
		return false
	case topics.KindZoneSet, topics.KindProfileSet, topics.KindAutoSet, topics.KindDurationSet, topics.KindWaterLevelSet, topics.KindPauseSet:
		return operate
	}
	return false // state topics are written by agents only
}
