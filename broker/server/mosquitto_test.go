package server_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"sprinkler/broker/brokertest"
	"sprinkler/broker/server"
	"sprinkler/topics"
)

// fleetUsers are two agents, an operator of garden alone, a viewer, Home Assistant and an
// admin, all with password.
func fleetUsers(t *testing.T) []server.User {
	h := hashed(t, password)
	return []server.User{
		{Name: "garden", Hash: h, Role: server.RoleAgent}, {Name: "shed", Hash: h, Role: server.RoleAgent},
		{Name: "alice", Hash: h, Role: server.RoleOperator, Agents: []string{"garden"}}, {Name: "vera", Hash: h, Role: server.RoleViewer},
		{Name: "ha", Hash: h, Role: server.RoleHomeAssistant}, {Name: "root", Hash: h, Role: server.RoleAdmin},
	}
}

// TestExportMosquitto: the exported files are what mosquitto reads: a "$7$" hash per user that
// mosquitto accepts with the password kept, and no ACL pattern but the sync topic and the
// client's own replies.
func TestExportMosquitto(t *testing.T) {
	m, err := server.ExportMosquitto(fleetUsers(t), "sprinkler", "homeassistant", func(server.User) (string, error) { return password, nil })
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(string(m.Passwd)), "\n"); len(lines) != 6 || !strings.HasPrefix(lines[0], "alice:$7$101$") {
		t.Errorf("passwd:\n%s", m.Passwd)
	}
	acl := string(m.ACL)
	for _, want := range []string{"user shed\ntopic readwrite sprinkler/shed/#\ntopic write homeassistant/+/shed/#\ntopic read homeassistant/status\n",
		"user alice\ntopic read sprinkler/garden/status\n", "topic read sprinkler/garden/zone/+/state\n", "topic write sprinkler/garden/zone/+/set\n",
		"topic write sprinkler/garden/request/open\n", "user vera\ntopic read sprinkler/+/status\n", "user root\ntopic readwrite #\n",
		"pattern read sprinkler/+/response/+/%c\n"} {
		if !strings.Contains(acl, want) {
			t.Errorf("the ACL lacks %q:\n%s", want, acl)
		}
	}
	if strings.Count(acl, "pattern ") != 2 || strings.Contains(acl, "read sprinkler/garden/#") || strings.Contains(acl, "sprinkler/shed/request/open\n") && strings.Contains(acl, "user vera\ntopic write sprinkler/+/request/open") {
		t.Errorf("patterns or a viewer's open:\n%s", acl)
	}
}

// aclCases are what each user may publish and read, the same on our broker and on mosquitto
// with the exported files. A client id is the agent's own where the user is one.
var aclCases = []struct {
	user, topic string
	publish     bool // else read: subscribe to topic and see whether a message there arrives
	allowed     bool
}{
	{"garden", "sprinkler/garden/zone/1/state", true, true},
	{"garden", "homeassistant/valve/garden/z1/config", true, true},
	{"shed", "sprinkler/garden/zone/1/set", true, false},   // another agent's zone
	{"shed", "sprinkler/garden/request/open", true, false}, // another agent's requests
	{"shed", "sprinkler/garden/status", true, false},       // another agent's presence
	{"shed", "homeassistant/valve/garden/z1/config", true, false},
	{"shed", "sprinkler/garden/request/open", false, false}, // reading another agent's requests
	{"shed", "sprinkler/shed/request/open", false, true},
	{"alice", "sprinkler/garden/zone/1/set", true, true},
	{"alice", "sprinkler/garden/request/open", true, true},
	{"alice", "sprinkler/garden/request/zone_set", true, false}, // an admin's command
	{"alice", "sprinkler/shed/zone/1/set", true, false},         // not her agent
	{"alice", "sprinkler/shed/state", false, false},
	{"alice", "sprinkler/garden/state", false, true},
	{"vera", "sprinkler/shed/request/status", true, true},
	{"vera", "sprinkler/shed/request/open", true, false},
	{"vera", "sprinkler/garden/zone/1/set", true, false},
	{"vera", "sprinkler/shed/state", false, true},
	{"ha", "sprinkler/garden/zone/1/set", true, true},
	{"ha", "homeassistant/status", true, true},
	{"ha", "sprinkler/garden/request/limits_set", true, false},
	// Replies are for their requester alone (%c: the reader's own client id), presence records
	// and requests for admins and the agent.
	{"vera", "sprinkler/shed/response/status/%c", false, true},
	{"vera", "sprinkler/shed/response/status/alice-8", false, false},
	{"vera", "sprinkler/shed/response/status", false, false},
	{"vera", "sprinkler/shed/clients/alice-8", false, false},
	{"vera", "sprinkler/shed/request/open", false, false},
	{"alice", "sprinkler/garden/response/logs/%c", false, true},
	{"alice", "sprinkler/garden/response/clients/root-watch", false, false},
	{"ha", "sprinkler/garden/response/close/alice-8", false, false},
	{"root", "sprinkler/garden/response/close/alice-8", false, true},
}

// clientID is the id user connects with: an agent's own, else one of the test's.
func clientID(user string, n int) string {
	if user == "garden" || user == "shed" {
		return topics.AgentClientID(user)
	}
	return fmt.Sprintf("%s-%d", user, n)
}

// checkACL runs aclCases against the broker at url, with root (an admin) watching and
// publishing: what it publishes to a topic and then to a reader's sync topic reaches the reader
// in that order, so the second says whether the first would come. Each
// user connects once, with its own sync topic to know its publishes were handled; publishes are
// QoS 0, so that a refused one leaves the connection up.
func checkACL(t *testing.T, url string) {
	obs, _, err := login(url, "root-watch", "root", password, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer obs.Disconnect(10)
	seen := make(chan string, 256)
	obs.Subscribe("#", 1, func(_ paho.Client, m paho.Message) { seen <- m.Topic() + " " + string(m.Payload()) }).WaitTimeout(brokertest.Wait)
	type user struct {
		c    paho.Client
		in   chan string
		sync string
	}
	users := map[string]*user{}
	for n, c := range aclCases {
		u := users[c.user]
		if u == nil {
			cl, _, err := login(url, clientID(c.user, n), c.user, password, nil)
			if err != nil {
				t.Fatalf("%s: %v", c.user, err)
			}
			defer cl.Disconnect(10)
			u = &user{c: cl, in: make(chan string, 64), sync: topics.Sync("sprinkler", clientID(c.user, n))}
			cl.Subscribe(u.sync, 1, func(_ paho.Client, m paho.Message) { u.in <- m.Topic() + " " + string(m.Payload()) }).WaitTimeout(brokertest.Wait)
			users[c.user] = u
		}
		payload, marker := fmt.Sprintf("case-%d", n), fmt.Sprintf("settled-%d", n)
		c.topic = strings.ReplaceAll(c.topic, "%c", strings.TrimPrefix(u.sync, "sprinkler/_sync/"))
		var got bool
		if c.publish {
			u.c.Publish(c.topic, 0, false, payload)
			u.c.Publish(u.sync, 1, false, marker).WaitTimeout(brokertest.Wait) // the publish before it was handled
			obs.Publish("sprinkler/_sync/root-watch", 1, false, marker)
			got = awaitPayload(seen, c.topic+" "+payload, "sprinkler/_sync/root-watch "+marker)
		} else {
			u.c.Subscribe(c.topic, 1, func(_ paho.Client, m paho.Message) { u.in <- m.Topic() + " " + string(m.Payload()) }).WaitTimeout(brokertest.Wait)
			obs.Publish(c.topic, 1, false, payload)
			obs.Publish(u.sync, 1, false, marker).WaitTimeout(brokertest.Wait) // after the payload, from the same publisher
			got = awaitPayload(u.in, c.topic+" "+payload, u.sync+" "+marker)
			u.c.Unsubscribe(c.topic).WaitTimeout(brokertest.Wait)
		}
		if got != c.allowed {
			t.Errorf("%s %s %s: %v, want %v", c.user, map[bool]string{true: "publishing", false: "reading"}[c.publish], c.topic, got, c.allowed)
		}
	}
}

// awaitPayload reads msgs until want ("topic payload") or settle, a marker that says
// everything before it was delivered; it reports whether want came.
func awaitPayload(msgs chan string, want, settle string) bool {
	timeout := time.After(brokertest.Wait)
	for {
		select {
		case m := <-msgs:
			if m == want {
				return true
			}
			if m == settle {
				return false
			}
		case <-timeout:
			return false
		}
	}
}

// TestACLOnOurBroker runs the ACL cases on our standalone broker with the fleet's users.
func TestACLOnOurBroker(t *testing.T) {
	c := loopbackConfig()
	c.Users, c.Anonymous = fleetUsers(t), server.AnonymousOff
	b := start(t, c)
	checkACL(t, brokertest.URL(b.Addr()))
}

// TestACLOnMosquitto runs the same cases on a real mosquitto with the exported files, and the
// wildcard client ids: a client id of # or + fills no pattern with a wildcard.
func TestACLOnMosquitto(t *testing.T) {
	dir := t.TempDir()
	m, err := server.ExportMosquitto(fleetUsers(t), "sprinkler", "homeassistant", func(server.User) (string, error) { return password, nil })
	if err != nil {
		t.Fatal(err)
	}
	passwd, acl := filepath.Join(dir, "passwd"), filepath.Join(dir, "acl")
	for path, data := range map[string][]byte{passwd: m.Passwd, acl: m.ACL} {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	addr, _ := brokertest.MosquittoSecured(t, passwd, acl)
	url := brokertest.URL(addr)
	if _, _, err := login(url, "x", "vera", "wrong", nil); err == nil {
		t.Error("a wrong password let in")
	}
	checkACL(t, url)

	obs, _, err := login(url, "root-watch-2", "root", password, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer obs.Disconnect(10)
	for _, id := range []string{"#", "+"} {
		cl, _, err := login(url, id, "shed", password, nil)
		if err != nil {
			t.Fatalf("client id %s: %v", id, err)
		}
		in := make(chan string, 8)
		record := func(_ paho.Client, m paho.Message) { in <- m.Topic() + " " + string(m.Payload()) }
		cl.Subscribe("sprinkler/_sync/#", 1, record).WaitTimeout(brokertest.Wait)
		cl.Subscribe("sprinkler/garden/request/+", 1, record).WaitTimeout(brokertest.Wait)
		obs.Publish("sprinkler/_sync/victim", 1, false, "secret").WaitTimeout(brokertest.Wait)
		obs.Publish("sprinkler/garden/request/open", 1, false, "secret").WaitTimeout(brokertest.Wait)
		cl.Subscribe("sprinkler/shed/#", 1, record).WaitTimeout(brokertest.Wait)
		obs.Publish("sprinkler/shed/marker", 1, false, "settled").WaitTimeout(brokertest.Wait)
		for m := range in {
			if m == "sprinkler/shed/marker settled" {
				break
			}
			t.Errorf("client id %q with shed's password got %s", id, m)
		}
		cl.Disconnect(10)
	}
}
