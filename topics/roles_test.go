package topics_test

import (
	"testing"

	"sprinkler/topics"
)

// TestSourceNamesThePerson: who did something reads as the person and the kind of client, the
// client id kept for detail; a sender the broker could not name stays its client id.
func TestSourceNamesThePerson(t *testing.T) {
	for _, c := range []struct {
		s    topics.Sender
		want string
	}{
		{topics.Sender{Client: "web-39bdc779", User: "alice", Role: topics.RoleOperator}, "alice on the page (web-39bdc779)"},
		{topics.Sender{Client: "ctl-pi-17-bf42", Role: topics.RoleAdmin}, "admin with sprinklerctl (ctl-pi-17-bf42)"},
		{topics.Sender{Client: "ha-1", User: "ha", Role: topics.RoleHomeAssistant}, "Home Assistant (ha-1)"},
		{topics.Sender{Client: "nodered", User: "bob", Role: topics.RoleOperator}, "bob (nodered)"},
		{topics.Sender{Client: "far", Role: topics.RoleExternal}, "far"},
		{topics.Sender{Client: "unknown"}, "unknown"},
	} {
		if got := c.s.Source(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.s, got, c.want)
		}
	}
}
