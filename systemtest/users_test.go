package systemtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestUsersFromCtl: an admin adds a user on a terminal (the password asked twice, never
// echoed), the user logs in at once, a role change is in force at the next connection, a
// removed user is refused with exit 4 (not authorized), and the agent's log and the users file
// never hold the password.
func TestUsersFromCtl(t *testing.T) {
	dir := t.TempDir()
	usersFile := filepath.Join(dir, "users.yaml")
	url, agent := startAgent(t, "garden", "SPRINKLER_BROKER_USERS_FILE="+usersFile)
	const pw = "lettuce and leeks"

	cmd := exec.Command(filepath.Join(bin, "ctl"), "--broker", url, "user", "add", "ha", "--role", "homeassistant")
	cmd.Env = append(os.Environ(), "SPRINKLER_AGENT=", "TERM=dumb")
	tm := startTerminal(t, cmd)
	tm.await("password for ha: ")
	tm.awaitNoEcho()
	tm.send(pw)
	tm.await("again: ")
	tm.awaitNoEcho()
	tm.send(pw)
	tm.await("in force now")
	if err := tm.exit(); err != nil || strings.Contains(tm.all.String(), pw) {
		t.Fatalf("user add: %v; the terminal showed:\n%s", err, tm.all.String())
	}

	secret := filepath.Join(dir, "ha.secret")
	if err := os.WriteFile(secret, []byte(pw+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	as := func(args ...string) (int, string, string) {
		return ctl(t, url, append([]string{"--username", "ha", "--password-file", secret}, args...)...)
	}
	if code, out, errOut := as("status"); code != 0 || !strings.Contains(out, "Zone 1") {
		t.Fatalf("the new user at once: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := ctl(t, url, "user", "set", "ha", "--role", "viewer"); code != 0 || !strings.Contains(out, "viewer") {
		t.Fatalf("user set: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := as("whoami"); code != 0 || !strings.Contains(out, "viewer") {
		t.Errorf("whoami after the role changed: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, _ := ctl(t, url, "user", "list"); code != 0 || !strings.Contains(out, "ha") || !strings.Contains(out, "viewer") {
		t.Errorf("user list: exit %d\n%s", code, out)
	}
	if code, out, errOut := ctl(t, url, "user", "remove", "ha"); code != 0 || !strings.Contains(out, "removed ha") {
		t.Fatalf("user remove: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut := as("status"); code != 4 {
		t.Errorf("a removed user: exit %d (%s), want 4", code, errOut)
	}
	src, err := os.ReadFile(usersFile)
	if err != nil || strings.Contains(string(src), pw) {
		t.Errorf("the users file: %v\n%s", err, src)
	}
	agent.stop(t)
	if log := agent.out.String(); strings.Contains(log, pw) || !strings.Contains(log, "user add") {
		t.Errorf("the agent's log holds the password, or not the change:\n%s", log)
	}
}
