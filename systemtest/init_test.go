package systemtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
	"golang.org/x/crypto/bcrypt"

	"sprinkler/broker/brokertest"
	"sprinkler/broker/server"
)

// TestInitOnATerminal answers the agent's first-run questions at a terminal, as the person at
// the Pi does: Enter takes each default, the network gets an admin whose password is typed
// twice and never shown, and the file it writes starts an agent that takes that admin's login.
func TestInitOnATerminal(t *testing.T) {
	path := shipped(t)
	dir := filepath.Dir(path)
	cmd := exec.Command(filepath.Join(bin, "agent"), "init", "--config", path)
	cmd.Env = append(os.Environ(), "TERM=dumb", "SPRINKLER_STATE_DIR="+t.TempDir()) // an agent that never ran
	tm := startTerminal(t, cmd)
	tm.await("Agent id (names it in MQTT topics) [")
	tm.send("backyard")
	tm.await("How many zones (relays) [8]: ")
	tm.send("")
	tm.await("mcp23017 or pcf8574 (an I2C relay HAT) [gpio]: ")
	tm.send("")
	for z := 1; z <= 8; z++ { // every zone's name and line as the board has them
		tm.await("name [")
		tm.send("")
		tm.await("GPIO line (BCM) [")
		tm.send("")
	}
	tm.await("or every valve opens when the agent means them off)? y/n [y]: ")
	tm.send("")
	tm.await("Needs an admin user, y/n [n]: ")
	tm.send("y")
	tm.await("Admin user [admin]: ")
	tm.send("gardener")
	tm.await("Password for gardener: ")
	tm.awaitNoEcho()
	tm.send("typed secret")
	tm.await("again: ")
	tm.awaitNoEcho()
	tm.send("typed secret")
	tm.await("Home Assistant discovery, y/n [y]: ")
	tm.send("")
	tm.await("Home Assistant's broker user (none: no user yet; sprinklerctl user add makes one later) [none]: ")
	tm.send("hass")
	tm.await("Password for hass: ")
	tm.awaitNoEcho()
	tm.send("assistant's secret")
	tm.await("again: ")
	tm.awaitNoEcho()
	tm.send("assistant's secret")
	tm.await("0: none) [0]: ")
	tm.send("47.37")
	tm.await("Longitude, degrees east (west negative) [0]: ")
	tm.send("8.54")
	tm.await("Time zone of the schedule (an IANA name such as Europe/Berlin) [")
	tm.send("Europe/Zurich")
	tm.await("keep: the schedule file as it is [none]: ")
	tm.send("1,2")
	tm.await("On which days (mon,thu; odd; even; all) [mon,thu]: ")
	tm.send("")
	tm.await("At what time (HH:MM) [06:00]: ")
	tm.send("06:30")
	tm.await("For how long, each zone (10m, 1h30m) [10m]: ")
	tm.send("8m")
	tm.await("Next:")
	if err := tm.exit(); err != nil {
		t.Fatalf("init exited with %v:\n%s", err, tm.all.String())
	}
	if strings.Contains(tm.all.String(), "typed secret") || strings.Contains(tm.all.String(), "assistant's secret") {
		t.Errorf("the password was shown on the terminal:\n%s", tm.all.String())
	}
	var doc struct{ Users []server.User }
	b, err := os.ReadFile(filepath.Join(dir, "users.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &doc); err != nil || len(doc.Users) != 2 ||
		bcrypt.CompareHashAndPassword([]byte(doc.Users[0].Hash), []byte("typed secret")) != nil ||
		doc.Users[1].Role != server.RoleHomeAssistant || bcrypt.CompareHashAndPassword([]byte(doc.Users[1].Hash), []byte("assistant's secret")) != nil {
		t.Fatalf("users file %s: %v", b, err)
	}

	p := startProc(t, filepath.Join(bin, "agent"), []string{"--config", path}, "SPRINKLER_BROKER_LISTEN=127.0.0.1:0",
		"SPRINKLER_WEB_LISTEN=127.0.0.1:0", "SPRINKLER_RELAYS_DRIVER=sim", "SPRINKLER_STATE_DIR="+t.TempDir())
	url := brokertest.URL(p.listening(t))
	awaitOnline(t, url, "backyard", p)
	pw := filepath.Join(dir, "pw")
	if err := os.WriteFile(pw, []byte("typed secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, stdout, stderr := ctl(t, url, "--username", "gardener", "--password-file", pw, "whoami"); code != 0 || !strings.Contains(stdout, "admin") {
		t.Errorf("the admin init made: exit %d, %s%s", code, stdout, stderr)
	}
	if code, stdout, stderr := ctl(t, url, "--username", "gardener", "--password-file", pw, "next", "--hours", "168"); code != 0 ||
		!regexp.MustCompile(`(?m)^1 +\S+ \S+ 06:30:00 +06:38:00 +garden`).MatchString(stdout) || strings.Contains(stdout, "summer") {
		t.Errorf("the first program init wrote, in Europe/Zurich: exit %d\n%s%s", code, stdout, stderr)
	}
	if err := os.WriteFile(pw, []byte("guessed\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := ctl(t, url, "--username", "gardener", "--password-file", pw, "whoami"); code != 4 ||
		!strings.Contains(stderr, "not authorized as gardener: the broker at "+url+" refused the username or password") {
		t.Errorf("a wrong password: exit %d, want 4 (refused by the broker, which is reachable): %s", code, stderr)
	}
	// A person at a terminal who gives a name and no password is asked for it, without echo.
	cmd = exec.Command(filepath.Join(bin, "ctl"), "--broker", url, "--username", "gardener", "whoami")
	cmd.Env = append(os.Environ(), "SPRINKLER_PASSWORD=")
	tm = startTerminal(t, cmd)
	tm.await("password for gardener at " + url + ": ")
	tm.awaitNoEcho()
	tm.send("typed secret")
	if err := tm.exit(); err != nil || !strings.Contains(tm.all.String(), "admin") || strings.Contains(tm.all.String(), "typed secret") {
		t.Errorf("the password asked on a terminal: %v\n%s", err, tm.all.String())
	}
}
