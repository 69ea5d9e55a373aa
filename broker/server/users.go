package server

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
	"go.yaml.in/yaml/v3"
	"golang.org/x/crypto/bcrypt"

	"sprinkler/statefile"
	"sprinkler/topics"
)

// userSet is the users in force. It is replaced whole when a user changes, so that a CONNECT
// reads one consistent set without a lock.
type userSet struct {
	byName map[string]User
	inline map[string]bool // in broker.users, the configuration's: changed there only
	dummy  []byte          // compared against for an unknown name (dummyHash)
}

// newUserSet is the users of the configuration (inline) and of the users file; dummy is kept
// when it already has the cost dummyHash would give.
func newUserSet(inline, file []User, dummy []byte) (*userSet, error) {
	s := &userSet{byName: map[string]User{}, inline: map[string]bool{}}
	for _, u := range slices.Concat(inline, file) {
		if _, dup := s.byName[u.Name]; dup {
			return nil, fmt.Errorf("broker: user %q is defined twice", u.Name)
		}
		s.byName[u.Name] = u
	}
	for _, u := range inline {
		s.inline[u.Name] = true
	}
	cost := bcrypt.MinCost
	for _, u := range s.byName {
		if c, err := bcrypt.Cost([]byte(u.Hash)); err == nil {
			cost = max(cost, c)
		}
	}
	if c, err := bcrypt.Cost(dummy); err == nil && c == cost {
		s.dummy = dummy
		return s, nil
	}
	s.dummy, _ = bcrypt.GenerateFromPassword([]byte("no such user"), cost)
	return s, nil
}

// login returns the user name names when password is theirs. An unknown name is checked against
// the dummy hash, so that it costs what a wrong password does and does not tell which names exist.
func (s *userSet) login(name string, password []byte) (User, bool) {
	u, ok := s.byName[name]
	hash := []byte(u.Hash)
	if !ok {
		hash = s.dummy
	}
	return u, bcrypt.CompareHashAndPassword(hash, password) == nil && ok
}

// admins counts the admin users.
func (s *userSet) admins() int {
	n := 0
	for _, u := range s.byName {
		if u.Role == RoleAdmin {
			n++
		}
	}
	return n
}

// loadUsers collects the configured accounts, inline and from the users file.
func loadUsers(cfg Config) (*userSet, []string, error) {
	file, warning, err := ReadUsersFile(cfg.UsersFile)
	if err != nil {
		return nil, nil, err
	}
	var warnings []string
	if warning != "" {
		warnings = append(warnings, warning)
	}
	s, err := newUserSet(cfg.Users, file, nil)
	return s, warnings, err
}

// ReadUsersFile reads the users file, its users checked as the broker takes them: none yet (or
// no path) is no users; a file others may read is a warning.
func ReadUsersFile(path string) ([]User, string, error) {
	if path == "" {
		return nil, "", nil
	}
	src, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("broker.users_file: %w", err)
	}
	warning := ""
	if info, err := os.Stat(path); err == nil && info.Mode().Perm()&0o004 != 0 {
		warning = fmt.Sprintf("%s is readable by every user of this machine; chmod 600 it", path)
	}
	var doc struct {
		Users []User `yaml:"users"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(src))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, "", fmt.Errorf("%s: %s", path, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	for i, u := range doc.Users {
		if err := u.check(); err != nil {
			return nil, "", fmt.Errorf("%s: users[%d]: %v", path, i, err)
		}
	}
	return doc.Users, warning, nil
}

// EncodeUsers is the users file for users.
func EncodeUsers(users []User) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("# Broker users (broker.users_file): name, bcrypt hash, role (viewer, operator, admin, agent,\n" +
		"# homeassistant), agents. Kept by sprinkler-agent (init, sprinklerctl user); readable by the agent only.\n")
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(struct {
		Users []User `yaml:"users"`
	}{users}); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Users lists the users, by name: never a hash.
func (b *Broker) Users() []topics.UserInfo {
	s := b.access.users.Load()
	out := []topics.UserInfo{}
	for _, u := range s.byName {
		in := topics.UsersFile
		if s.inline[u.Name] {
			in = topics.UsersConfig
		}
		out = append(out, topics.UserInfo{Name: u.Name, Role: u.Role, Agents: u.Agents, In: in})
	}
	slices.SortFunc(out, func(a, b topics.UserInfo) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// ChangeUser carries out a user command (topics.CmdUserAdd, CmdUserSet or CmdUserRemove): it
// writes the users file (read again first, so that a hand edit is kept) and puts the change
// in force at once. The user's connections end, but the one of client id asker, whose reply
// is still to come; a new password or a removal also ends their sign-ins. A change that would
// leave no admin, or that touches a user of the configuration, is refused; a refused change
// changes nothing.
func (b *Broker) ChangeUser(cmd string, a topics.UserArgs, asker string) (topics.UserInfo, error) {
	b.usersMu.Lock()
	defer b.usersMu.Unlock()
	path := b.cfg.UsersFile
	if path == "" {
		return topics.UserInfo{}, topics.Errorf(topics.CodeUnavailable, "broker.users_file is not set: there is no file to keep users in")
	}
	if err := CheckUserName(a.Name); err != nil {
		return topics.UserInfo{}, topics.Errorf(topics.CodeBadRequest, "user %v", err)
	}
	cur := b.access.users.Load()
	if cur.inline[a.Name] {
		return topics.UserInfo{}, topics.Errorf(topics.CodeBadRequest, "user %s is in the configuration (broker.users): change it there", a.Name)
	}
	file, _, err := ReadUsersFile(path)
	if err != nil {
		return topics.UserInfo{}, topics.Errorf(topics.CodeUnavailable, "nothing changed: %v", err)
	}
	i := slices.IndexFunc(file, func(u User) bool { return u.Name == a.Name })
	file, u, err := changed(cmd, file, i, a)
	if err != nil {
		return topics.UserInfo{}, err
	}
	next, err := newUserSet(b.cfg.Users, file, cur.dummy)
	if err != nil {
		return topics.UserInfo{}, topics.Errorf(topics.CodeBadRequest, "%v", err)
	}
	if cur.admins() > 0 && next.admins() == 0 {
		return topics.UserInfo{}, topics.Errorf(topics.CodeBadRequest, "%s is the last admin: make another user an admin first", a.Name)
	}
	if err := writeUsersFile(path, file); err != nil {
		return topics.UserInfo{}, topics.Errorf(topics.CodeUnavailable, "nothing changed: %v", err)
	}
	b.access.users.Store(next)
	if cmd == topics.CmdUserRemove || a.Password != nil {
		b.access.signins.forget(a.Name)
	}
	ended := b.endSessions(a.Name, asker)
	what := []string{}
	for name, given := range map[string]bool{"password": a.Password != nil, "role": a.Role != nil, "agents": a.Agents != nil} {
		if given {
			what = append(what, name)
		}
	}
	slices.Sort(what)
	b.log.Info("user "+strings.TrimPrefix(cmd, "user_"), "user", a.Name, "role", u.Role, "changed", strings.Join(what, ","), "connections_ended", ended)
	return topics.UserInfo{Name: u.Name, Role: u.Role, Agents: u.Agents, In: topics.UsersFile}, nil
}

// changed applies a user command to the users of the file, where i is the user's index
// (-1: not there), and returns them with the user as it is now.
func changed(cmd string, file []User, i int, a topics.UserArgs) ([]User, User, error) {
	var u User
	switch {
	case cmd == topics.CmdUserAdd && i >= 0:
		return nil, u, topics.Errorf(topics.CodeConflict, "user %s exists already: user_set changes it", a.Name)
	case cmd == topics.CmdUserAdd && (a.Password == nil || a.Role == nil):
		return nil, u, topics.Errorf(topics.CodeBadRequest, "a new user needs a password and a role")
	case cmd != topics.CmdUserAdd && i < 0:
		return nil, u, topics.Errorf(topics.CodeBadRequest, "no user %s in the users file", a.Name)
	case cmd == topics.CmdUserRemove:
		return slices.Delete(slices.Clone(file), i, i+1), file[i], nil
	case cmd == topics.CmdUserSet && a.Password == nil && a.Role == nil && a.Agents == nil:
		return nil, u, topics.Errorf(topics.CodeBadRequest, "nothing to change: give a password, a role or agents")
	}
	u = User{Name: a.Name}
	if i >= 0 {
		u = file[i]
	}
	if a.Role != nil {
		u.Role = *a.Role
	}
	if a.Agents != nil {
		u.Agents = slices.Clone(*a.Agents)
	}
	if a.Password != nil {
		h, err := HashPassword([]byte(*a.Password))
		if err != nil {
			return nil, u, topics.Errorf(topics.CodeBadRequest, "%v", err)
		}
		u.Hash = h
	}
	if err := u.check(); err != nil {
		return nil, u, topics.Errorf(topics.CodeBadRequest, "%v", err)
	}
	out := slices.Clone(file)
	if i >= 0 {
		out[i] = u
	} else {
		out = append(out, u)
	}
	return out, u, nil
}

// writeUsersFile replaces the users file, keeping its mode and owners (statefile.ReplaceLike)
// but any access by others; a new one is 0600.
func writeUsersFile(path string, users []User) error {
	data, err := EncodeUsers(users)
	if err != nil {
		return err
	}
	if err := statefile.ReplaceLike(path, data, 0o600); err != nil {
		return err
	}
	if info, err := os.Stat(path); err == nil && info.Mode().Perm()&0o007 != 0 {
		return os.Chmod(path, info.Mode().Perm()&^0o007)
	}
	return nil
}

// endSessions disconnects the clients logged in as user, but asker's, and reports how many.
func (b *Broker) endSessions(user, asker string) int {
	n := 0
	for _, cl := range b.access.sessions.ofUser(user) {
		if cl.ID == asker || cl.Closed() {
			continue
		}
		_ = b.srv.DisconnectClient(cl, packets.Code{Code: packets.ErrNotAuthorized.Code, Reason: "the user was changed or removed"})
		n++
	}
	return n
}

// ofUser returns the connected clients logged in as user.
func (s *sessions) ofUser(user string) []*mqtt.Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*mqtt.Client
	for cl, x := range s.byCl {
		if x.user == user {
			out = append(out, cl)
		}
	}
	return out
}
