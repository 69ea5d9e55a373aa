package server

import (
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
	"go.yaml.in/yaml/v3"
	"golang.org/x/crypto/bcrypt"
)

// dummyHash is compared against when a username is unknown, so that a wrong name costs as
// long as a wrong password and does not reveal which names exist.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("no such user"), bcrypt.MinCost)

// loadUsers collects the configured accounts, inline and from the users file.
func loadUsers(cfg Config) (map[string]User, []string, error) {
	users := map[string]User{}
	var warnings []string
	all := cfg.Users
	if cfg.UsersFile != "" {
		info, err := os.Stat(cfg.UsersFile)
		if err != nil {
			return nil, nil, fmt.Errorf("broker.users_file: %w", err)
		}
		if info.Mode().Perm()&0o004 != 0 {
			warnings = append(warnings, fmt.Sprintf("%s is readable by every user of this machine; chmod 600 it", cfg.UsersFile))
		}
		src, err := os.ReadFile(cfg.UsersFile)
		if err != nil {
			return nil, nil, fmt.Errorf("broker.users_file: %w", err)
		}
		var doc struct {
			Users []User `yaml:"users"`
		}
		dec := yaml.NewDecoder(strings.NewReader(string(src)))
		dec.KnownFields(true)
		if err := dec.Decode(&doc); err != nil {
			return nil, nil, fmt.Errorf("%s: %s", cfg.UsersFile, strings.TrimPrefix(err.Error(), "yaml: "))
		}
		for i, u := range doc.Users {
			if err := u.check(); err != nil {
				return nil, nil, fmt.Errorf("%s: users[%d]: %v", cfg.UsersFile, i, err)
			}
		}
		all = append(all, doc.Users...)
	}
	for _, u := range all {
		if _, dup := users[u.Name]; dup {
			return nil, nil, fmt.Errorf("broker: user %q is defined twice", u.Name)
		}
		users[u.Name] = u
	}
	return users, warnings, nil
}

// OnConnectAuthenticate decides who a client is and what role it has, or refuses it:
//   - a username must come with the password its bcrypt hash was made from;
//   - without a username, a client certificate signed by broker.tls.client_ca names the user
//     by its common name;
//   - else the client is anonymous, let in from loopback only, if broker.anonymous allows it.
//
// It also refuses client ids with / + #, agent ids (sprinkler-<id>) used by anyone but that
// agent or an admin, a second connection with an agent's id while the first is connected
// (rather than let it take the session over), and more than max_per_remote connections from
// one address.
func (h *hook) OnConnectAuthenticate(cl *mqtt.Client, pk packets.Packet) bool {
	role, user, why := h.authenticate(cl, pk)
	if why == "" {
		why = h.admit(cl, role)
	}
	if why != "" {
		h.log.Warn("connection refused", "client", cl.ID, "remote", cl.Net.Remote, "listener", cl.Net.Listener,
			"username", string(pk.Connect.Username), "reason", why)
		return false
	}
	h.mu.Lock()
	h.sessions[cl] = &session{role: role, user: user, connected: time.Now()}
	h.mu.Unlock()
	h.log.Info("client connected", "client", cl.ID, "remote", cl.Net.Remote, "listener", cl.Net.Listener, "user", user, "role", role)
	return true
}

// authenticate returns the client's role and user, or why it is refused.
func (h *hook) authenticate(cl *mqtt.Client, pk packets.Packet) (role, user, why string) {
	name := string(pk.Connect.Username)
	if name != "" {
		u, ok := h.users[name]
		hash := []byte(u.Hash)
		if !ok {
			hash = dummyHash
		}
		if bcrypt.CompareHashAndPassword(hash, pk.Connect.Password) != nil || !ok {
			return "", "", "wrong username or password"
		}
		return u.Role, u.Name, ""
	}
	if cn := peerName(cl); cn != "" {
		u, ok := h.users[cn]
		if !ok {
			return "", "", fmt.Sprintf("client certificate for %q, who is not a user", cn)
		}
		return u.Role, u.Name, ""
	}
	if h.cfg.Anonymous != AnonymousLoopback {
		return "", "", "anonymous clients are off"
	}
	if !isLoopback(cl.Net.Remote) {
		return "", "", "anonymous clients only from loopback"
	}
	return h.cfg.AnonymousRole, "", ""
}

// admit checks the client id and the connection limits for a client of role.
func (h *hook) admit(cl *mqtt.Client, role string) string {
	id := cl.ID
	if strings.ContainsAny(id, "/+#") {
		return "client id contains / + or #"
	}
	if agent, ok := agentOf(id); ok || strings.HasPrefix(id, agentClientPrefix) {
		if role != RoleAgent && role != RoleAdmin {
			return "client id of an agent, without the agent role"
		}
		if old, ok := h.clients(id); ok && !old.Closed() {
			return fmt.Sprintf("agent %s is connected already; a second connection may not take it over", agent)
		}
	} else if role == RoleAgent {
		return "the agent role connects as sprinkler-<agent-id>"
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
	c, ok := cl.Net.Conn.(*tls.Conn)
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
