package server_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sprinkler/broker/brokertest"
	"sprinkler/broker/server"
	"sprinkler/topics"
)

func ptr[T any](v T) *T { return &v }

// TestUsersChangeAtOnce: a user added, changed or removed is in force for the next CONNECT,
// without a restart; a changed or removed user's connections end, but the asker's; the file
// keeps its mode, holds no password, and a restart reads it as it was left.
func TestUsersChangeAtOnce(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "users.yaml")
	c := loopbackConfig()
	c.Anonymous, c.UsersFile = server.AnonymousOff, path
	c.Users = []server.User{{Name: "root", Hash: hashed(t, password), Role: server.RoleAdmin}}
	b := start(t, c)
	url := brokertest.URL(b.Addr())

	if _, err := b.ChangeUser(topics.CmdUserAdd, topics.UserArgs{Name: "ha", Password: ptr("first password"), Role: ptr(server.RoleHomeAssistant)}, ""); err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("a new users file: %v (%v), want 0600", info, err)
	}
	_, lost, err := login(url, "ha-1", "ha", "first password", nil)
	if err != nil {
		t.Fatalf("the user just added cannot log in: %v", err)
	}
	asker, askerLost, err := login(url, "ha-asker", "ha", "first password", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.ChangeUser(topics.CmdUserSet, topics.UserArgs{Name: "ha", Password: ptr("second password")}, "ha-asker"); err != nil {
		t.Fatal(err)
	}
	select { // the other connection ends with the old password
	case <-lost:
	case <-time.After(brokertest.Wait):
		t.Fatal("a connection with the old password is still open")
	}
	if !asker.IsConnectionOpen() {
		t.Error("the asker's own connection ended before its reply")
	}
	select {
	case <-askerLost:
		t.Error("the asker's connection was ended")
	default:
	}
	asker.Disconnect(10)
	if _, _, err := login(url, "ha-2", "ha", "first password", nil); err == nil {
		t.Error("the old password still logs in")
	}
	if _, _, err := login(url, "ha-3", "ha", "second password", nil); err != nil {
		t.Errorf("the new password: %v", err)
	}
	src, _ := os.ReadFile(path)
	if strings.Contains(string(src), "second password") || !strings.Contains(string(src), "$2") {
		t.Errorf("the users file holds a password:\n%s", src)
	}

	for _, tc := range []struct {
		cmd  string
		a    topics.UserArgs
		code topics.Code
		want string
	}{
		{topics.CmdUserAdd, topics.UserArgs{Name: "ha", Password: ptr("third password"), Role: ptr(server.RoleViewer)}, topics.CodeConflict, "exists already"},
		{topics.CmdUserAdd, topics.UserArgs{Name: "eve", Password: ptr("short"), Role: ptr(server.RoleViewer)}, topics.CodeBadRequest, "at least 8"},
		{topics.CmdUserAdd, topics.UserArgs{Name: "eve", Password: ptr("long enough"), Role: ptr(topics.Role("god"))}, topics.CodeBadRequest, "not one of"},
		{topics.CmdUserAdd, topics.UserArgs{Name: "a/b", Password: ptr("long enough"), Role: ptr(server.RoleViewer)}, topics.CodeBadRequest, "without /"},
		{topics.CmdUserAdd, topics.UserArgs{Name: "eve", Role: ptr(server.RoleViewer)}, topics.CodeBadRequest, "needs a password"},
		{topics.CmdUserSet, topics.UserArgs{Name: "nobody", Role: ptr(server.RoleViewer)}, topics.CodeBadRequest, "no user nobody"},
		{topics.CmdUserSet, topics.UserArgs{Name: "ha"}, topics.CodeBadRequest, "nothing to change"},
		{topics.CmdUserSet, topics.UserArgs{Name: "root", Role: ptr(server.RoleViewer)}, topics.CodeBadRequest, "in the configuration"},
		{topics.CmdUserRemove, topics.UserArgs{Name: "root"}, topics.CodeBadRequest, "in the configuration"},
	} {
		before, _ := os.ReadFile(path)
		_, err := b.ChangeUser(tc.cmd, tc.a, "")
		if topics.CodeOf(err) != tc.code || err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %+v: %v (%s), want %s %q", tc.cmd, tc.a, err, topics.CodeOf(err), tc.code, tc.want)
		}
		if after, _ := os.ReadFile(path); string(after) != string(before) {
			t.Errorf("%s %+v was refused but changed the file", tc.cmd, tc.a)
		}
		if err != nil && strings.Contains(err.Error(), "long enough") {
			t.Errorf("a refusal tells the password: %v", err)
		}
	}

	if _, err := b.ChangeUser(topics.CmdUserSet, topics.UserArgs{Name: "ha", Role: ptr(server.RoleViewer), Agents: &[]string{"garden"}}, ""); err != nil {
		t.Fatal(err)
	}
	users := b.Users()
	if len(users) != 2 || users[0].Name != "ha" || users[0].Role != server.RoleViewer || users[0].In != topics.UsersFile ||
		users[1].Name != "root" || users[1].In != topics.UsersConfig {
		t.Errorf("users: %+v", users)
	}
	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	restarted := start(t, func() server.Config { c := c; c.Listen = "127.0.0.1:0"; return c }())
	if got := restarted.Users(); len(got) != 2 || got[0].Role != server.RoleViewer || len(got[0].Agents) != 1 {
		t.Errorf("after a restart: %+v", got)
	}
	if _, err := b.ChangeUser(topics.CmdUserRemove, topics.UserArgs{Name: "ha"}, ""); err != nil {
		t.Fatal(err)
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o640 {
		t.Errorf("the file's mode became %v; it was 0640", info.Mode().Perm())
	}
	if _, _, err := login(url, "ha-4", "ha", "second password", nil); err == nil {
		t.Error("a removed user still logs in")
	}
}

// TestTheLastAdminStays: the last admin can be neither removed nor made something else; with
// another admin, it can.
func TestTheLastAdminStays(t *testing.T) {
	c := loopbackConfig()
	c.UsersFile = filepath.Join(t.TempDir(), "users.yaml")
	b := start(t, c)
	if _, err := b.ChangeUser(topics.CmdUserAdd, topics.UserArgs{Name: "alice", Password: ptr("alice's password"), Role: ptr(server.RoleAdmin)}, ""); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		cmd string
		a   topics.UserArgs
	}{
		{topics.CmdUserRemove, topics.UserArgs{Name: "alice"}},
		{topics.CmdUserSet, topics.UserArgs{Name: "alice", Role: ptr(server.RoleOperator)}},
	} {
		if _, err := b.ChangeUser(tc.cmd, tc.a, ""); err == nil || !strings.Contains(err.Error(), "last admin") {
			t.Errorf("%s of the last admin: %v", tc.cmd, err)
		}
	}
	if _, err := b.ChangeUser(topics.CmdUserAdd, topics.UserArgs{Name: "bob", Password: ptr("bob's password"), Role: ptr(server.RoleAdmin)}, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := b.ChangeUser(topics.CmdUserRemove, topics.UserArgs{Name: "alice"}, ""); err != nil {
		t.Errorf("alice, with bob an admin too: %v", err)
	}
}

// TestAHandEditIsKept: a user added by hand to the file since the start is kept by the next
// change, and a damaged file is not overwritten.
func TestAHandEditIsKept(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users.yaml")
	c := loopbackConfig()
	c.UsersFile = path
	b := start(t, c)
	hand := "users:\n  - {name: carol, hash: \"" + hashed(t, password) + "\", role: operator}\n"
	if err := os.WriteFile(path, []byte(hand), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := b.ChangeUser(topics.CmdUserAdd, topics.UserArgs{Name: "dave", Password: ptr("dave's password"), Role: ptr(server.RoleViewer)}, ""); err != nil {
		t.Fatal(err)
	}
	if got := b.Users(); len(got) != 2 || got[0].Name != "carol" {
		t.Errorf("users: %+v", got)
	}
	if err := os.WriteFile(path, []byte("users: [ {name: x"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := b.ChangeUser(topics.CmdUserRemove, topics.UserArgs{Name: "dave"}, "")
	if topics.CodeOf(err) != topics.CodeUnavailable || !strings.Contains(err.Error(), "nothing changed") {
		t.Errorf("a damaged file: %v", err)
	}
	if src, _ := os.ReadFile(path); string(src) != "users: [ {name: x" {
		t.Errorf("the damaged file was overwritten: %q", src)
	}
}
