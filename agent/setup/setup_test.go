package setup

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
	"golang.org/x/crypto/bcrypt"

	"sprinkler/agent/config"
	"sprinkler/agent/relay"
	"sprinkler/broker/server"
	"sprinkler/topics"
)

// shipped copies the shipped configuration and profiles into a folder of the test's, with a
// state folder of its own (an agent that never ran) and the machine's time zone Europe/Vienna.
func shipped(t *testing.T) string {
	t.Helper()
	t.Setenv("SPRINKLER_STATE_DIR", t.TempDir())
	t.Setenv("TZ", "Europe/Vienna")
	dir := t.TempDir()
	for _, f := range []string{"agent.yaml", "profiles.yaml"} {
		src, err := os.ReadFile(filepath.Join("../../configs", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), src, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "agent.yaml")
}

func runInit(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := Run(args, strings.NewReader(stdin), &out, &out)
	return out.String(), err
}

func load(t *testing.T, path string) config.Config {
	t.Helper()
	c, _, err := config.LoadWarn(path, true)
	if err != nil {
		t.Fatalf("the agent cannot load what init wrote: %v", err)
	}
	return c
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestInitFromFlags answers everything with flags, as a script would: the agent loads the
// result with the answers in it, only the answered lines changed, and the admin's password is
// in the users file as a bcrypt hash that only the agent's group may read, never printed.
func TestInitFromFlags(t *testing.T) {
	path := shipped(t)
	before := readFile(t, path)
	pw := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pw, []byte("correct horse\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := runInit(t, "", "--config", path, "--yes", "--id", "front-garden", "--zone", "1=Lawn", "--zone", "2=Roses & beds",
		"--line", "3=17", "--lan", "--admin-user", "gardener", "--admin-password-file", pw, "--homeassistant=false",
		"--latitude", "51.5", "--longitude", "-0.12")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if strings.Contains(out, "correct horse") {
		t.Errorf("the password was printed:\n%s", out)
	}
	for _, want := range []string{"sprinklerctl status", "open http://", "admin user \"gardener\""} {
		if !strings.Contains(out, want) {
			t.Errorf("the output lacks %q:\n%s", want, out)
		}
	}
	c := load(t, path)
	if c.Agent.ID != "front-garden" || c.Zones[0].Name != "Lawn" || c.Zones[1].Name != "Roses & beds" || c.Zones[2].Line != 17 ||
		c.Zones[3].Line != 16 || len(c.Zones) != 8 || c.HomeAssistant.Enabled || c.Site.Latitude != 51.5 || c.Site.Longitude != -0.12 ||
		c.Broker.Listen != "0.0.0.0:1883" || c.Web.Listen != "0.0.0.0:8080" {
		t.Errorf("loaded %+v", c)
	}
	after := readFile(t, path)
	changed := 0
	bl, al := strings.Split(before, "\n"), strings.Split(after, "\n")
	if len(al) != len(bl)+1 { // broker.users_file added
		t.Fatalf("%d lines, want %d:\n%s", len(al), len(bl)+1, after)
	}
	for i, j := 0, 0; i < len(bl); i, j = i+1, j+1 {
		if strings.HasPrefix(al[j], "  users_file:") {
			j++
		}
		if bl[i] != al[j] {
			changed++
		}
	}
	if changed != 10 { // agent.id, agent.timezone, broker.listen, site.*, homeassistant.enabled, web.listen, zones 1-3
		t.Errorf("%d lines changed, want 10:\n%s", changed, after)
	}
	if c.Agent.Timezone != "Europe/Vienna" || !c.Relays.ActiveLow {
		t.Errorf("time zone %q (want the machine's), active low %v", c.Agent.Timezone, c.Relays.ActiveLow)
	}
	if sched := readFile(t, c.Schedule.File); !strings.Contains(sched, "active: off") || strings.Contains(sched, "summer") {
		t.Errorf("a first init left the shipped example's schedule, which waters someone else's garden:\n%s", sched)
	}
	info, err := os.Stat(filepath.Join(filepath.Dir(path), "users.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("users file mode %v, want 0600 (the agent's alone)", info.Mode().Perm())
	}
	if err := c.Broker.CheckUsers(); err != nil {
		t.Errorf("the broker refuses the users file: %v", err)
	}
	var doc struct{ Users []server.User }
	if err := yaml.Unmarshal([]byte(readFile(t, c.Broker.UsersFile)), &doc); err != nil || len(doc.Users) != 1 {
		t.Fatalf("users file: %+v %v", doc, err)
	}
	u := doc.Users[0]
	if u.Name != "gardener" || u.Role != "admin" || bcrypt.CompareHashAndPassword([]byte(u.Hash), []byte("correct horse")) != nil {
		t.Errorf("admin %+v does not log in with its password", u)
	}
}

// TestInitMakesHomeAssistantsUser: with the network and Home Assistant, init keeps a user of
// role homeassistant beside the admin, each with its own password; a second run keeps both.
func TestInitMakesHomeAssistantsUser(t *testing.T) {
	path := shipped(t)
	dir := t.TempDir()
	admin, ha := filepath.Join(dir, "admin"), filepath.Join(dir, "ha")
	for file, pw := range map[string]string{admin: "admin's password\n", ha: "assistant's password\n"} {
		if err := os.WriteFile(file, []byte(pw), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{"--config", path, "--yes", "--lan", "--admin-user", "gardener", "--admin-password-file", admin, "--ha-user", "hass", "--ha-password-file", ha}
	out, err := runInit(t, "", args...)
	if err != nil || !strings.Contains(out, `Home Assistant's user "hass"`) {
		t.Fatalf("%v\n%s", err, out)
	}
	if out, err := runInit(t, "", "--config", path, "--yes"); err != nil {
		t.Fatalf("a second run: %v\n%s", err, out)
	}
	c := load(t, path)
	var doc struct{ Users []server.User }
	if err := yaml.Unmarshal([]byte(readFile(t, c.Broker.UsersFile)), &doc); err != nil || len(doc.Users) != 2 {
		t.Fatalf("users file: %+v %v", doc, err)
	}
	for i, want := range []struct {
		name string
		role topics.Role
		pw   string
	}{{"gardener", server.RoleAdmin, "admin's password"}, {"hass", server.RoleHomeAssistant, "assistant's password"}} {
		u := doc.Users[i]
		if u.Name != want.name || u.Role != want.role || bcrypt.CompareHashAndPassword([]byte(u.Hash), []byte(want.pw)) != nil {
			t.Errorf("user %d: %+v, want %s (%s) with its password", i, u, want.name, want.role)
		}
	}
}

// TestInitAsks answers the questions on stdin: empty lines take the defaults (the file's),
// a bad answer is asked again with the reason, and a second run shows the first run's answers
// as its defaults, so taking them all changes nothing.
func TestInitAsks(t *testing.T) {
	path := shipped(t)
	profiles := "active: a\nprofiles:\n  - name: a\n    zones:\n      - {zone: 1, days: [odd], runs: [{at: \"05:30\", for: 10m}]}\n"
	if err := os.WriteFile(filepath.Join(filepath.Dir(path), "profiles.yaml"), []byte(profiles), 0o644); err != nil {
		t.Fatal(err)
	}
	answers := strings.Join([]string{
		"Bad_Id", "garden", // refused, then taken
		"3",          // zones
		"relays", "", // the board: refused, then the default (gpio)
		"Lawn", "", "", "99", "", "", "", // zone 1 name, line; zone 2 name, line (99 refused); zone 3
		"",           // the relay board: low closes, the default
		"maybe", "n", // network
		"", // Home Assistant: the default, on
		"120", "48.2", "16.37",
		"Mars/Olympus", "Europe/Berlin", // the time zone: refused, then taken
		"4", "1,3", "odd", "25:00", "05:30", "1h30", "12m", // the first program, a bad answer of each refused
	}, "\n") + "\n"
	out, err := runInit(t, answers, "--config", path)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{
		"Agent id (names it in MQTT topics) [", `agent id "Bad_Id": want`, "How many zones (relays) [8]:",
		"mcp23017 or pcf8574 (an I2C relay HAT) [gpio]:", `"relays": answer gpio, opensprinkler, mcp23017, pcf8574`,
		"Zone 1 name [Zone 1]:", "Zone 3 GPIO line (BCM) [13]:", `"99" is not a GPIO line`,
		`"maybe": answer y or n`, `"120" is not a number of degrees from -90 to 90`, "Time zone of the schedule (an IANA name such as Europe/Berlin) [Europe/Vienna]:",
		`"Mars/Olympus": want an IANA time zone`, `"4": want zones among 1, 2, 3`, `"25:00": want a time as HH:MM`, `"1h30": want a duration`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the questions lack %q:\n%s", want, out)
		}
	}
	c := load(t, path)
	if c.Agent.ID != "garden" || len(c.Zones) != 3 || c.Zones[0].Name != "Lawn" || c.Zones[2].Line != 13 || !c.HomeAssistant.Enabled ||
		c.Site.Latitude != 48.2 || c.Site.Longitude != 16.37 || c.Broker.Listen != "127.0.0.1:1883" || c.Agent.Timezone != "Europe/Berlin" {
		t.Errorf("loaded %+v", c)
	}
	sched := readFile(t, c.Schedule.File)
	for _, want := range []string{"active: garden", `- {zone: 1, days: [odd], runs: [{at: "05:30", for: 12m}]}`, `- {zone: 3, days: [odd]`, "name: off"} {
		if !strings.Contains(sched, want) {
			t.Errorf("the first program lacks %q:\n%s", want, sched)
		}
	}
	first := readFile(t, path)
	if out, err := runInit(t, strings.Repeat("\n", 20), "--config", path); err != nil {
		t.Fatalf("again: %v\n%s", err, out)
	} else if !strings.Contains(out, "Agent id (names it in MQTT topics) [garden]:") || !strings.Contains(out, "Zone 1 name [Lawn]:") ||
		!strings.Contains(out, "degrees north (south negative; 0: none) [48.2]:") {
		t.Errorf("the second run does not offer the first's answers:\n%s", out)
	}
	if again := readFile(t, path); again != first {
		t.Errorf("taking every default changed the file:\n%s\nwas\n%s", again, first)
	}
	if again := readFile(t, c.Schedule.File); again != sched {
		t.Errorf("taking every default changed the first program (keep is the default once init wrote it):\n%s", again)
	}
	if out, err := runInit(t, "", "--config", path, "--yes"); err != nil || readFile(t, path) != first {
		t.Errorf("--yes with no flags changed the file or failed: %v\n%s", err, out)
	}
}

// TestInitRefuses: a bad flag, a schedule that waters a zone the answers remove, and the
// network without an admin each stop init with the reason, and the file stays as it was.
func TestInitRefuses(t *testing.T) {
	path := shipped(t)
	before := readFile(t, path)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--line", "3=99"}, `"99" is not a GPIO line`},
		{[]string{"--id", "Front Garden"}, `--id "Front Garden"`},
		{[]string{"--zone", "9=Hedge"}, "--zone 9: no such zone"},
		{[]string{"--latitude", "north"}, `"north" is not a number of degrees`},
		{[]string{"--zones", "4", "--program", "keep"}, `profile "summer", zone 5, the agent has no zone 5`},
		{[]string{"--program", "1,9 mon 06:00 10m"}, `"9": want zones among 1, 2, 3, 4, 5, 6, 7, 8`},
		{[]string{"--program", "1 mon"}, `want keep, none, or zones, days, a time and a duration`},
		{[]string{"--timezone", "Mars/Olympus"}, "want an IANA time zone"},
		{[]string{"--line", "2=5"}, "line"}, // zones 1 and 2 on one line: the agent's own rule
		{[]string{"--lan"}, "the network needs an admin user"},
		{[]string{"--lan", "--admin-user", "a/b"}, "want 1-64 characters"},
	} {
		out, err := runInit(t, "", append([]string{"--config", path, "--yes"}, c.args...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: got %v, want an error with %q\n%s", c.args, err, c.want, out)
		}
		if readFile(t, path) != before {
			t.Fatalf("%v changed the file", c.args)
		}
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(path), "users.yaml")); !os.IsNotExist(err) {
		t.Errorf("a refused init left a users file: %v", err)
	}
}

// TestInitKeepsTheAdmin: run again on the network without a new password, the admin keeps
// its hash; with one, the hash changes; other users stay.
func TestInitKeepsTheAdmin(t *testing.T) {
	path := shipped(t)
	pw := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pw, []byte("first password"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := runInit(t, "", "--config", path, "--yes", "--lan", "--admin-user", "root", "--admin-password-file", pw); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	users := filepath.Join(filepath.Dir(path), "users.yaml")
	first := readFile(t, users)
	if out, err := runInit(t, "", "--config", path, "--yes"); err != nil || readFile(t, users) != first {
		t.Fatalf("a second run changed the users: %v\n%s", err, out)
	}
	if out, err := runInit(t, "second password\n", "--config", path, "--yes", "--admin-password-file", "-"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var doc struct{ Users []server.User }
	if err := yaml.Unmarshal([]byte(readFile(t, users)), &doc); err != nil || len(doc.Users) != 1 ||
		bcrypt.CompareHashAndPassword([]byte(doc.Users[0].Hash), []byte("second password")) != nil {
		t.Errorf("the new password was not taken: %+v %v", doc, err)
	}
}

// TestInitWritesAFirstProgram: with 4 zones, a first program from the flags waters them from
// the first morning, in the time zone given, on a board that closes on a high line; the schedule
// the package shipped (zones 1, 5 and 2 of another garden) is gone.
func TestInitWritesAFirstProgram(t *testing.T) {
	path := shipped(t)
	out, err := runInit(t, "", "--config", path, "--yes", "--zones", "4", "--program", "all mon,thu 06:30 15m",
		"--timezone", "America/Chicago", "--active-low=false")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	c := load(t, path)
	if len(c.Zones) != 4 || c.Agent.Timezone != "America/Chicago" || c.Relays.ActiveLow {
		t.Errorf("loaded %d zones, time zone %q, active low %v", len(c.Zones), c.Agent.Timezone, c.Relays.ActiveLow)
	}
	if err := c.CheckSchedule(); err != nil {
		t.Fatalf("the agent refuses the schedule init wrote: %v", err)
	}
	sched := readFile(t, c.Schedule.File)
	for _, want := range []string{"active: garden", `- {zone: 4, days: [mon, thu], runs: [{at: "06:30", for: 15m}]}`} {
		if !strings.Contains(sched, want) || strings.Contains(sched, "summer") {
			t.Errorf("the schedule lacks %q, or keeps the shipped one:\n%s", want, sched)
		}
	}
	if !strings.Contains(out, "first program") {
		t.Errorf("init did not say it wrote the first program:\n%s", out)
	}
}

// TestInitBoards: init puts the zones on an OpenSprinkler Pi (the boards they need), on an I2C
// HAT (its bus, address and polarity), and back on the Pi's lines, each a configuration the
// agent loads.
func TestInitBoards(t *testing.T) {
	path := shipped(t)
	if out, err := runInit(t, "", "--config", path, "--yes", "--zones", "10", "--board", "opensprinkler"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	c := load(t, path)
	if len(c.Relays.Banks) != 1 || c.Relays.Banks[0].Kind != relay.KindShiftRegister || c.Relays.Banks[0].Boards != 2 ||
		c.Zones[9].Bank != "ospi" || c.Zones[9].Output != 10 {
		t.Errorf("opensprinkler: banks %+v, zone 10 %+v", c.Relays.Banks, c.Zones[9])
	}
	if src := readFile(t, path); strings.Contains(src, "line: 5,") {
		t.Errorf("a zone on the shift register kept its line:\n%s", src)
	}
	// A wiring of its own and the bank's name stay when init runs again on the same board.
	src := strings.Replace(readFile(t, path), "{name: ospi, kind: shift_register, boards: 2}", "{name: front, kind: shift_register, boards: 2, latch: 23}", 1)
	src = strings.ReplaceAll(src, "bank: ospi", "bank: front")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := runInit(t, "", "--config", path, "--yes", "--zones", "12"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	c = load(t, path)
	if b := c.Relays.Banks; len(b) != 1 || b[0].Name != "front" || b[0].Latch == nil || *b[0].Latch != 23 || c.Zones[11].Bank != "front" {
		t.Errorf("again on the same board: banks %+v, zone 12 %+v", b, c.Zones[11])
	}
	if out, err := runInit(t, "", "--config", path, "--yes", "--zones", "16", "--board", "mcp23017", "--i2c-address", "0x21"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	c = load(t, path)
	if b := c.Relays.Banks; len(b) != 1 || b[0].Kind != relay.KindMCP23017 || b[0].Address != 0x21 || b[0].Bus != "/dev/i2c-1" ||
		!b[0].ActiveLow || c.Zones[15].Bank != "hat" || c.Zones[15].Output != 16 {
		t.Errorf("mcp23017: banks %+v, zone 16 %+v", b, c.Zones[15])
	}
	if out, err := runInit(t, "", "--config", path, "--yes", "--zones", "17"); err == nil || !strings.Contains(err.Error(), "mcp23017 takes 16") {
		t.Errorf("17 zones on an MCP23017: %v\n%s", err, out)
	}
	if out, err := runInit(t, "", "--config", path, "--yes", "--zones", "8", "--board", "gpio"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	c = load(t, path)
	if len(c.Relays.Banks) != 0 || c.Zones[0].Bank != "" || c.Zones[0].Line != 5 || c.Zones[7].Line != 26 {
		t.Errorf("back to gpio: banks %+v, zones %+v", c.Relays.Banks, c.Zones)
	}
}
