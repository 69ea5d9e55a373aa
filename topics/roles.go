package topics

import "strings"

// Role is what a client may do, given by the broker at login; "" when it cannot be known.
type Role string

// Roles of MQTT clients. Each is allowed what the one before it is, except agent and
// homeassistant, which have their own sets.
const (
	RoleViewer        Role = "viewer"        // reads the agents' topics, sends read requests
	RoleOperator      Role = "operator"      // also moves water and changes the schedule
	RoleAdmin         Role = "admin"         // everything
	RoleAgent         Role = "agent"         // an agent: its own subtree, as client id sprinkler-<agent-id>
	RoleHomeAssistant Role = "homeassistant" // what Home Assistant needs: discovery, state, commands
	RoleDevice        Role = "device"        // a valve on the network (zigbee2mqtt, Tasmota, Shelly, ESPHome): the devices' topics alone
	// RoleExternal marks a message that came through an external broker: that broker's ACL let
	// it through, and MQTT does not tell who sent it.
	RoleExternal Role = "external"
)

// Roles are the roles a broker user may have.
var Roles = []Role{RoleViewer, RoleOperator, RoleAdmin, RoleAgent, RoleHomeAssistant, RoleDevice}

// Permits reports whether a sender of role may send a command of access. A sender whose role
// is not known ("") may send nothing.
func Permits(role Role, access Access) bool {
	switch role {
	case RoleAdmin, RoleExternal:
		return true
	case RoleViewer:
		return access == AccessRead
	case RoleOperator, RoleHomeAssistant:
		return access != AccessAdmin
	}
	return false // agents do not send commands; an unknown sender is refused
}

// Sender is who published a message: the client's id, the user it logged in as and its role.
// A broker that embeds the agent takes them from the packet itself; Role is "" when it cannot
// tell, User "" for an anonymous client.
type Sender struct {
	Client string
	User   string
	Role   Role
}

// Client id prefixes of the contract's own clients, which say the kind of client.
const (
	ClientPrefixCtl = "ctl-" // sprinklerctl
	ClientPrefixWeb = "web-" // the agent's web page
)

// Source is how the sender is named where people read who did something (a run's source, an
// event's, a program version's): the person and the kind of client, then the client id for
// detail: "alice on the page (web-39bdc779)", "admin with sprinklerctl (ctl-pi-1-bf42)",
// "Home Assistant (ha-1)". A sender the broker could not name is its client id alone.
func (s Sender) Source() string {
	if s.Role == "" || s.Role == RoleExternal || s.Client == "" {
		return s.Client
	}
	name := s.User
	if name == "" {
		name = string(s.Role) // anonymous, from loopback: named by what it may do
	}
	switch {
	case s.Role == RoleHomeAssistant:
		name = "Home Assistant"
	case strings.HasPrefix(s.Client, ClientPrefixWeb):
		name += " on the page"
	case strings.HasPrefix(s.Client, ClientPrefixCtl):
		name += " with sprinklerctl"
	}
	return name + " (" + s.Client + ")"
}

// Forbidden is the error for a command of access that a sender of role may not send.
func Forbidden(command string, access Access, role Role) error {
	if role == "" {
		return Errorf(CodeForbidden, "%s refused: its sender could not be identified", command)
	}
	return Errorf(CodeForbidden, "%s needs the %s access, and the requester's role is %s", command, access, role)
}
