package server

import (
	"bytes"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha512"
	"encoding/base64"
	"fmt"
	"maps"
	"slices"
	"strings"

	"sprinkler/topics"
)

// Mosquitto is what an external mosquitto needs to enforce our users and roles: its password
// file (mosquitto's own PBKDF2-SHA512 "$7$" hashes) and its ACL file.
type Mosquitto struct {
	Passwd, ACL []byte
}

// mosquittoIterations is the PBKDF2 iteration count mosquitto_passwd 2.0 writes.
const mosquittoIterations = 101

// ExportMosquitto writes users as mosquitto's password file and ACL under prefix and Home
// Assistant's prefix ha; password gives each user's password in clear (mosquitto cannot read
// bcrypt). The ACL names every topic per user, with no pattern that a client id or user name
// fills in but the client's own sync topic and replies, which mosquitto refuses to fill with a
// wildcard: an agent's user writes its own tree and its own discovery topics and reads its own
// commands; a viewer, operator or Home Assistant reads what a reader may of its agents
// (topics.Agent.ReadFilters: not the replies to others, the requests, or presence records) and
// writes what its role may send to them, each request topic by name; an admin everything.
func ExportMosquitto(users []User, prefix, ha string, password func(User) (string, error)) (Mosquitto, error) {
	var passwd, acl bytes.Buffer
	fmt.Fprintf(&acl, "# sprinkler users and roles for mosquitto (acl_file); written by sprinkler-broker export mosquitto.\n")
	fmt.Fprintf(&acl, "# Without a user line: nothing. Every client may use its own sync topic and read the replies to\n"+
		"# its own requests (sent with its client id as reply_to), none of another's.\npattern readwrite %s\npattern read %s\n",
		topics.Sync(prefix, "%c"), prefix+"/+/response/+/%c")
	for _, u := range byName(users) {
		if err := u.check(); err != nil {
			return Mosquitto{}, err
		}
		pw, err := password(u)
		if err != nil {
			return Mosquitto{}, fmt.Errorf("user %s: %w", u.Name, err)
		}
		hash, err := mosquittoHash(pw)
		if err != nil {
			return Mosquitto{}, err
		}
		fmt.Fprintf(&passwd, "%s:%s\n", u.Name, hash)
		fmt.Fprintf(&acl, "\n# %s (%s)\nuser %s\n", u.Name, u.Role, u.Name)
		for _, r := range mosquittoRules(u, prefix, ha) {
			fmt.Fprintf(&acl, "topic %s\n", r)
		}
	}
	return Mosquitto{Passwd: passwd.Bytes(), ACL: acl.Bytes()}, nil
}

// mosquittoRules are u's ACL lines ("read|write|readwrite <topic>"): the same rule as allowed,
// spelt out topic by topic.
func mosquittoRules(u User, prefix, ha string) []string {
	switch u.Role {
	case RoleAdmin:
		return []string{"readwrite #"}
	case RoleAgent:
		return []string{"readwrite " + prefix + "/" + u.Name + "/#", "write " + ha + "/+/" + u.Name + "/#", "read " + ha + "/status"}
	}
	ids := u.Agents
	if len(ids) == 0 {
		ids = []string{"+"}
	}
	var out []string
	for _, id := range ids {
		base := prefix + "/" + id
		a, _ := topics.NewAgent(prefix, "x") // the topics' shapes, for any agent
		for _, f := range a.ReadFilters() {
			out = append(out, "read "+base+strings.TrimPrefix(f, a.Base()))
		}
		if u.Role != RoleViewer {
			for _, f := range a.CommandFilters() {
				if f != a.RequestFilter() {
					out = append(out, "write "+base+strings.TrimPrefix(f, a.Base()))
				}
			}
			out = append(out, "write "+base+"/input/+")
		}
		for _, c := range topics.Commands {
			if topics.Permits(u.Role, c.Access) {
				for _, name := range append([]string{c.Name}, c.Aliases...) {
					out = append(out, "write "+base+"/request/"+name)
				}
			}
		}
	}
	if u.Role == RoleHomeAssistant {
		out = append(out, "read "+ha+"/#", "write "+ha+"/status")
	}
	return out
}

// mosquittoHash is mosquitto's "$7$" password hash: PBKDF2-SHA512, 101 iterations, a 12-byte
// salt, base64.
func mosquittoHash(password string) (string, error) {
	salt := make([]byte, 12)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key, err := pbkdf2.Key(sha512.New, password, salt, mosquittoIterations, sha512.Size)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("$7$%d$%s$%s", mosquittoIterations, base64.StdEncoding.EncodeToString(salt), base64.StdEncoding.EncodeToString(key)), nil
}

// Users are the broker's accounts, broker.users and the users file, checked, by name.
func Users(cfg Config) ([]User, []string, error) {
	m, warnings, err := loadUsers(cfg)
	if err != nil {
		return nil, nil, err
	}
	return byName(slices.Collect(maps.Values(m.byName))), warnings, nil
}

// byName is users sorted by name, a copy.
func byName(users []User) []User {
	out := slices.Clone(users)
	slices.SortFunc(out, func(a, b User) int { return strings.Compare(a.Name, b.Name) })
	return out
}
