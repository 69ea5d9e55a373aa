package server

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"strings"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"

	"sprinkler/topics"
)

// CheckUsers reports what is wrong with the accounts, inline and in the users file, as the
// broker would at start.
func (c Config) CheckUsers() error {
	_, _, err := loadUsers(c)
	return err
}

// OnConnect decides who a client is and what role it has, or refuses it with a CONNACK that
// says why (and closes the connection):
//   - a username must come with the password its bcrypt hash was made from;
//   - without a username, a client certificate signed by broker.tls.client_ca names the user
//     by its common name;
//   - else the client is anonymous, let in from loopback only, if broker.anonymous allows it.
//
// It also refuses client ids the contract cannot take (topics.ValidClientID: / + #, spaces,
// control and formatting characters, more than 128 bytes) and the in-process client's; agent ids
// (sprinkler-<id>) but to the agent whose user is <id>, or an admin, and never the embedded
// agent's own; a client id held by a connected client of another user (rather than let it take
// the session over), or by a connected agent; more than max_per_remote connections from one
// address; and a last will that the client could not publish itself.
func (h *access) OnConnect(cl *mqtt.Client, pk packets.Packet) error {
	who, code, why := h.authenticate(cl, pk)
	if why == "" {
		code, why = packets.ErrNotAuthorized, h.admit(cl, who)
	}
	if why == "" && pk.Connect.WillFlag && !mayPublish(h.cfg, who, pk.Connect.WillTopic, pk.Connect.WillRetain) {
		why = fmt.Sprintf("a last will on %s (retained: %v) is not allowed to role %s", pk.Connect.WillTopic, pk.Connect.WillRetain, roleName(who.role))
	}
	if why != "" {
		_, known := h.users.Load().byName[string(pk.Connect.Username)]
		h.tally.Add(slog.LevelWarn, fmt.Sprint("refused ", hostOf(cl.Net.Remote), " ", why, " ", known), "connection refused",
			"client", cl.ID, "remote", hostOf(cl.Net.Remote), "listener", cl.Net.Listener, "username", string(pk.Connect.Username),
			"known_user", known, "reason", why)
		_ = h.connack(cl, code, why)
		return packets.Code{Code: code.Code, Reason: why}
	}
	h.sessions.add(cl, who)
	h.tally.Add(slog.LevelInfo, "connected "+hostOf(cl.Net.Remote)+" "+who.user, "client connected", "client", cl.ID, "remote", cl.Net.Remote,
		"listener", cl.Net.Listener, "user", who.user, "role", who.role)
	return nil
}

// OnConnectAuthenticate lets in the clients OnConnect accepted.
func (h *access) OnConnectAuthenticate(cl *mqtt.Client, pk packets.Packet) bool {
	return h.sessions.of(cl) != nil
}

// connack refuses cl with code; an MQTT 5 client also gets why as the reason string, an MQTT
// 3.1.1 client the nearest return code (5, not authorized, as mosquitto answers).
func (h *access) connack(cl *mqtt.Client, code packets.Code, why string) error {
	if cl.Properties.ProtocolVersion < 5 {
		v3, ok := packets.V5CodesToV3[code]
		if !ok {
			v3 = packets.Err3NotAuthorized
		}
		return h.srv.SendConnack(cl, v3, false, nil)
	}
	return h.srv.SendConnack(cl, packets.Code{Code: code.Code, Reason: why}, false, &packets.Properties{})
}

// roleName names a role in a message; the anonymous have one too.
func roleName(role topics.Role) string {
	if role == "" {
		return "(none)"
	}
	return string(role)
}

// authenticate returns who the client is, or the CONNACK code and why it is refused.
func (h *access) authenticate(cl *mqtt.Client, pk packets.Packet) (who identity, code packets.Code, why string) {
	who.client = cl.ID
	name := string(pk.Connect.Username)
	if name != "" {
		users := h.users.Load()
		u, known := users.byName[name]
		if token := string(pk.Connect.Password); known && strings.HasPrefix(token, signinPrefix) {
			if !h.signins.check(u, token, h.signins.now()) {
				return who, packets.ErrBadUsernameOrPassword, "sign-in ended: expired, signed out, or the password changed"
			}
		} else if u, known = users.login(name, pk.Connect.Password); !known {
			return who, packets.ErrBadUsernameOrPassword, "wrong username or password"
		}
		who.user, who.role, who.agents = u.Name, u.Role, u.Agents
		return who, code, ""
	}
	if cn := peerName(cl); cn != "" {
		u, ok := h.users.Load().byName[cn]
		if !ok {
			return who, packets.ErrNotAuthorized, fmt.Sprintf("client certificate for %q, who is not a user", cn)
		}
		who.user, who.role, who.agents = u.Name, u.Role, u.Agents
		return who, code, ""
	}
	if h.cfg.Anonymous != AnonymousLoopback {
		return who, packets.ErrBadUsernameOrPassword, "anonymous clients are off"
	}
	if !isLoopback(cl.Net.Remote) {
		return who, packets.ErrBadUsernameOrPassword, "anonymous clients only from loopback"
	}
	who.role = h.cfg.AnonymousRole
	return who, code, ""
}

// admit checks the client id and the connection limits for who.
func (h *access) admit(cl *mqtt.Client, who identity) string {
	id := cl.ID
	if err := topics.ValidClientID(id); err != nil {
		return err.Error()
	}
	if id == inlineClientID {
		return "client id " + id + " is the broker's own"
	}
	old, connected := h.clients(id)
	connected = connected && !old.Closed()
	if agent, ok := agentOf(id); ok || strings.HasPrefix(id, topics.AgentClientPrefix) {
		switch {
		case h.cfg.Agent != "" && agent == h.cfg.Agent:
			return fmt.Sprintf("agent %s runs inside this broker's process; no client may use its id", agent)
		case who.role != RoleAdmin && (who.role != RoleAgent || who.user != agent):
			return fmt.Sprintf("client id of agent %s: only that agent's user (agent role) may use it", agent)
		case connected:
			return fmt.Sprintf("agent %s is connected already; a second connection may not take it over", agent)
		}
	} else if who.role == RoleAgent {
		return fmt.Sprintf("the agent role connects as %s%s", topics.AgentClientPrefix, who.user)
	}
	if connected {
		if cur, ok := h.sessions.byClient(id); ok && (cur.user != who.user || cur.role != who.role) {
			return fmt.Sprintf("client id %s is in use by another user; a connection may take over only its own user's session", id)
		}
	}
	if host := hostOf(cl.Net.Remote); host != "" && !isLoopback(cl.Net.Remote) {
		n := 0
		for _, other := range h.all() {
			if other != cl && !other.Closed() && hostOf(other.Net.Remote) == host {
				n++
			}
		}
		if n >= h.cfg.MaxPerRemote {
			return fmt.Sprintf("%d connections from %s already", n, host)
		}
	}
	return ""
}

// peerName is the common name of a verified client certificate, or "".
func peerName(cl *mqtt.Client) string {
	c, ok := unwrap(cl.Net.Conn).(*tls.Conn)
	if !ok {
		return ""
	}
	st := c.ConnectionState()
	if len(st.VerifiedChains) == 0 || len(st.PeerCertificates) == 0 {
		return ""
	}
	return st.PeerCertificates[0].Subject.CommonName
}

func hostOf(remote string) string {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		return ""
	}
	return host
}

func isLoopback(remote string) bool {
	ip := net.ParseIP(hostOf(remote))
	return ip != nil && ip.IsLoopback()
}
