// Package setup is the agent's first-run step, "sprinkler-agent init": it asks the person at
// the Pi the few answers a new controller needs (or takes them from flags, for scripts), and
// writes them into the configuration file in place, comments and all, after the agent's own
// validation accepted the result. Run again, it offers the file's answers as the defaults.
package setup

import (
	"bufio"
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"sprinkler/agent/config"
	"sprinkler/agent/names"
	"sprinkler/agent/relay"
	"sprinkler/broker/server"
	"sprinkler/configs"
	"sprinkler/configs/secrets"
	"sprinkler/topics"
)

// ServiceUser is the package's system user: the users file is readable by its group.
const ServiceUser = "sprinkler"

// PackageConfig is the configuration file the package installs and its unit reads.
const PackageConfig = "/etc/sprinkler/agent.yaml"

// zone is one zone's answers: a line on the Pi, or a bank's output.
type zone struct {
	ID     int
	Name   string
	Line   int
	Bank   string
	Output int
}

// answers are what init asks; the defaults come from the file, the flags override them.
type answers struct {
	ID            string
	Zones         []zone
	LAN           bool
	Admin         account
	HomeAssistant bool
	HAUser        account // Home Assistant's broker user; no name: none
	Latitude      float64
	Longitude     float64
	Timezone      string // IANA name; "" the machine's
	ActiveLow     bool   // the relay board closes a relay on a low line
	Board         board  // what switches the valves
	Program       firstProgram
}

// options are the command line of init.
type options struct {
	path, passwordFile string
	haPasswordFile     string
	yes                bool
	set                map[string]bool // the flags given
	zoneCount          int
	names              map[int]string
	lines              map[int]int
	program            []string // --program's fields
	flags              answers
}

// Run is "sprinkler-agent init" with args (those after "init").
func Run(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	o, help, err := parseFlags(args, stdout)
	if err != nil || help {
		return err
	}
	src, err := os.ReadFile(o.path)
	if err != nil {
		return fmt.Errorf("init edits the configuration file in place: %w (name another with --config)", err)
	}
	cur, _, err := config.LoadWarn(o.path, true)
	if err != nil {
		return fmt.Errorf("the configuration as it is: %w\n(fix that first; init changes only what it asks)", err)
	}
	users, usersPath, err := readUsers(cur, o.path)
	if err != nil {
		return err
	}
	a := defaults(cur, users)
	if err := o.apply(&a, cur); err != nil {
		return err
	}
	passwords := map[*account]func() error{
		&a.Admin:  func() error { return o.readPassword(&a.Admin, "admin-password-file", o.passwordFile, stdin, users) },
		&a.HAUser: func() error { return o.readPassword(&a.HAUser, "ha-password-file", o.haPasswordFile, stdin, users) },
	}
	password := func(acc *account) error { return passwords[acc]() }
	if !o.yes {
		err = ask(newPrompter(stdin, stdout), &a, o, password)
	} else if a.LAN {
		if err = password(&a.Admin); err == nil && a.HAUser.Name != "" {
			err = password(&a.HAUser)
		}
	}
	if err != nil {
		return err
	}
	return write(o.path, src, cur, a, users, usersPath, stdout)
}

func parseFlags(args []string, stdout io.Writer) (*options, bool, error) {
	o := &options{set: map[string]bool{}, names: map[int]string{}, lines: map[int]int{}}
	fs := flag.NewFlagSet("sprinkler-agent init", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	path := configs.PathFlag(fs, "the configuration file to write")
	fs.BoolVar(&o.yes, "yes", false, "ask nothing: take every answer from the flags and the file")
	fs.StringVar(&o.flags.ID, "id", "", "agent id: 1-23 of a-z 0-9 '-' (default: the file's, else from the host name)")
	fs.IntVar(&o.zoneCount, "zones", 0, "how many zones (relays); new ones get the board's next line")
	fs.Func("zone", "a zone's name, ID=NAME (repeatable)", func(v string) error {
		id, name, err := idValue(v)
		o.names[id] = name
		return err
	})
	fs.Func("line", "a zone's GPIO line (BCM number), ID=LINE (repeatable)", func(v string) error {
		id, s, err := idValue(v)
		if err != nil {
			return err
		}
		o.lines[id], err = checkLine(s)
		return err
	})
	fs.BoolVar(&o.flags.LAN, "lan", false, "let other machines reach the broker and web page; needs an admin user")
	fs.StringVar(&o.flags.Admin.Name, "admin-user", "", "the admin user to create or keep (with --lan)")
	fs.StringVar(&o.passwordFile, "admin-password-file", "", "a file whose first line is the admin's password; - for stdin")
	fs.StringVar(&o.flags.HAUser.Name, "ha-user", "", `Home Assistant's broker user, to create or keep (with --lan); "" for none`)
	fs.StringVar(&o.haPasswordFile, "ha-password-file", "", "a file whose first line is the Home Assistant user's password")
	fs.BoolVar(&o.flags.HomeAssistant, "homeassistant", true, "Home Assistant discovery")
	fs.Func("latitude", "the garden's latitude, degrees north (south negative), for sun rules", func(v string) (err error) {
		o.flags.Latitude, err = checkDegrees(v, 90)
		return err
	})
	fs.Func("longitude", "the garden's longitude, degrees east (west negative)", func(v string) (err error) {
		o.flags.Longitude, err = checkDegrees(v, 180)
		return err
	})
	fs.Func("timezone", "the schedule's time zone, an IANA name such as Europe/Berlin (default: the machine's)", func(v string) error {
		o.flags.Timezone = v
		return checkZone(v)
	})
	fs.Func("board", "what switches the valves: "+strings.Join(boards, ", ")+"; keep: as the file has it", func(v string) error {
		o.flags.Board.Kind = v
		return checkBoard(v)
	})
	fs.Func("i2c-bus", "an I2C relay HAT's bus (with --board mcp23017 or pcf8574; default /dev/i2c-1)", func(v string) error {
		o.flags.Board.Bus = v
		return checkBus(v)
	})
	fs.Func("i2c-address", "an I2C relay HAT's address (default 0x20)", func(v string) (err error) {
		o.flags.Board.Address, err = parseAddress(v)
		return err
	})
	fs.BoolVar(&o.flags.ActiveLow, "active-low", true, "the relay board closes a relay on a low line (most opto-isolated boards); false: on a high one")
	fs.Func("program", `the first program: "ZONES DAYS HH:MM DURATION" ("1,2 mon,thu 06:00 10m"), none (nothing waters by itself) or keep (the schedule as it is)`,
		func(v string) (err error) {
			o.program, err = parseProgramFlag(v)
			return err
		})
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(stdout, "Usage: sprinkler-agent init [flags]\n\n"+
			"Asks the agent id, the zones, the relay board's polarity, whether the broker and page are open\n"+
			"to the network (then an admin user), Home Assistant discovery, the garden's place and time\n"+
			"zone, and a first program, and writes the answers into the configuration file in place and\n"+
			"the program into the schedule file. Each question has a flag; --yes asks nothing.\n\nFlags:\n")
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		return nil, true, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("init: %w", err)
	}
	if fs.NArg() > 0 {
		return nil, false, fmt.Errorf("init: unexpected argument %q", fs.Arg(0))
	}
	fs.Visit(func(f *flag.Flag) { o.set[f.Name] = true })
	o.path, _ = path()
	if o.set["id"] {
		if err := topics.ValidAgentID(o.flags.ID); err != nil {
			return nil, false, fmt.Errorf("init: --id %q: %v", o.flags.ID, err)
		}
	}
	if o.set["zones"] && (o.zoneCount < 1 || o.zoneCount > 32) {
		return nil, false, fmt.Errorf("init: --zones %d: want 1 to 32", o.zoneCount)
	}
	return o, false, nil
}

func idValue(v string) (int, string, error) {
	k, val, ok := strings.Cut(v, "=")
	id, err := strconv.Atoi(k)
	if !ok || err != nil || id < 1 {
		return 0, "", fmt.Errorf("%q: want ID=VALUE, the zone's id first", v)
	}
	return id, strings.TrimSpace(val), nil
}

func checkLine(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 || n > config.MaxLine {
		return 0, fmt.Errorf("%q is not a GPIO line (0 to %d, the BCM number)", s, config.MaxLine)
	}
	return n, nil
}

func checkDegrees(s string, limit float64) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || f < -limit || f > limit {
		return 0, fmt.Errorf("%q is not a number of degrees from %g to %g", s, -limit, limit)
	}
	return f, nil
}

// defaults are the answers the file gives now.
func defaults(cur config.Config, users []server.User) answers {
	a := answers{ID: cur.Agent.ID, LAN: server.Exposed(cur.Broker.Listen), HomeAssistant: cur.HomeAssistant.Enabled,
		Latitude: cur.Site.Latitude, Longitude: cur.Site.Longitude, Timezone: cur.Agent.Timezone,
		Admin: account{Name: "admin", Role: server.RoleAdmin}, HAUser: account{Role: server.RoleHomeAssistant},
		ActiveLow: cur.Relays.ActiveLow, Program: firstProgram{Keep: !shippedSchedule(cur)}, Board: currentBoard(cur)}
	if a.Timezone == "" {
		a.Timezone = systemZone()
	}
	for _, z := range cur.Zones {
		a.Zones = append(a.Zones, zone{ID: z.ID, Name: z.Name, Line: z.Line, Bank: z.Bank, Output: z.Output})
	}
	if a.Board.onBank() {
		for _, b := range cur.Relays.Banks {
			if b.Name == a.Zones[0].Bank {
				a.ActiveLow = b.ActiveLow
			}
		}
	}
	for _, acc := range []*account{&a.Admin, &a.HAUser} {
		if i := slices.IndexFunc(users, func(u server.User) bool { return u.Role == acc.Role }); i >= 0 {
			acc.Name = users[i].Name
		}
	}
	return a
}

// apply puts the flags given over the defaults.
func (o *options) apply(a *answers, cur config.Config) error {
	if o.set["id"] {
		a.ID = o.flags.ID
	}
	if o.set["zones"] {
		a.Zones = resize(a.Zones, o.zoneCount)
	}
	for id, name := range o.names {
		i := slices.IndexFunc(a.Zones, func(z zone) bool { return z.ID == id })
		if i < 0 {
			return fmt.Errorf("init: --zone %d: no such zone (zones %s)", id, zoneIDs(a.Zones))
		}
		a.Zones[i].Name = name
	}
	for id, line := range o.lines {
		i := slices.IndexFunc(a.Zones, func(z zone) bool { return z.ID == id })
		if i < 0 {
			return fmt.Errorf("init: --line %d: no such zone (zones %s)", id, zoneIDs(a.Zones))
		}
		a.Zones[i].Line = line
	}
	if o.set["lan"] {
		a.LAN = o.flags.LAN
	}
	if o.set["admin-user"] {
		a.Admin.Name = o.flags.Admin.Name
	}
	if o.set["ha-user"] {
		a.HAUser.Name = o.flags.HAUser.Name
	}
	if o.set["homeassistant"] {
		a.HomeAssistant = o.flags.HomeAssistant
	}
	if o.set["latitude"] {
		a.Latitude = o.flags.Latitude
	}
	if o.set["longitude"] {
		a.Longitude = o.flags.Longitude
	}
	if o.set["timezone"] {
		a.Timezone = o.flags.Timezone
	}
	if o.set["board"] {
		a.ActiveLow = o.flags.Board.polarity(a.Board.Kind, a.ActiveLow)
		a.Board.Kind = o.flags.Board.Kind
	}
	if o.set["i2c-bus"] {
		a.Board.Bus = o.flags.Board.Bus
	}
	if o.set["i2c-address"] {
		a.Board.Address = o.flags.Board.Address
	}
	if n := len(a.Zones); n > a.Board.outputs() {
		return fmt.Errorf("init: %d zones, and %s takes %d", n, a.Board.Kind, a.Board.outputs())
	}
	a.Zones = a.Board.place(a.Zones)
	if o.set["active-low"] {
		a.ActiveLow = o.flags.ActiveLow
	}
	if o.set["program"] {
		if cur.Schedule.File == "" && o.program[0] != "keep" {
			return errors.New("init: --program: schedule.file is empty in this file: there is no schedule to write")
		}
		p, err := programFromFlag(o.program, a.Zones)
		if err != nil {
			return fmt.Errorf("init: --program: %w", err)
		}
		a.Program = p
	}
	if a.LAN && (cur.Broker.Listen == "" || !cur.Broker.Embedded) {
		return errors.New("init: --lan opens the embedded broker, and broker.embedded is false in this file")
	}
	return nil
}

// originalLine is the original board's line of the zone in place i (from 0); 0 past its eight.
func originalLine(i int) int {
	if i < len(config.OriginalLines) {
		return config.OriginalLines[i]
	}
	return 0
}

// resize keeps the first n zones, or adds zones up to n, each on the board's next line.
func resize(zs []zone, n int) []zone {
	if n <= len(zs) {
		return slices.Clone(zs[:n])
	}
	out := slices.Clone(zs)
	for len(out) < n {
		id := 1
		for _, z := range out {
			id = max(id, z.ID+1)
		}
		out = append(out, zone{ID: id, Name: fmt.Sprintf("Zone %d", id), Line: originalLine(len(out))})
	}
	return out
}

func zoneIDs(zs []zone) string {
	ids := make([]int, len(zs))
	for i, z := range zs {
		ids[i] = z.ID
	}
	return topics.JoinZones(ids)
}

// withHost is addr on host, keeping its port.
func withHost(addr, host string) string {
	_, port, err := net.SplitHostPort(addr)
	if err != nil || addr == "" {
		return addr
	}
	return net.JoinHostPort(host, port)
}

// readUsers reads the broker's users file, if the configuration names one; its path is where
// init keeps the admin user, users.yaml beside the configuration when none is named.
func readUsers(cur config.Config, cfgPath string) ([]server.User, string, error) {
	path := cur.Broker.UsersFile
	if path == "" {
		return nil, filepath.Join(filepath.Dir(cfgPath), "users.yaml"), nil
	}
	users, _, err := server.ReadUsersFile(path)
	if err != nil {
		return nil, "", err
	}
	return users, path, nil
}

// prompter asks questions on a terminal or of a script's stdin.
type prompter struct {
	in  *bufio.Reader
	out io.Writer
}

func newPrompter(stdin io.Reader, stdout io.Writer) *prompter {
	return &prompter{in: bufio.NewReader(stdin), out: stdout}
}

// ask asks question with def as the answer taken on an empty line, until check accepts one.
func (p *prompter) ask(question, def string, check func(string) error) (string, error) {
	for {
		fmt.Fprintf(p.out, "%s [%s]: ", question, def)
		line, err := p.in.ReadString('\n')
		if err != nil && (line == "" || !errors.Is(err, io.EOF)) {
			fmt.Fprintln(p.out)
			return "", fmt.Errorf("init: no answer to %q (use --yes and flags in scripts)", question)
		}
		ans := strings.TrimSpace(line)
		if ans == "" {
			ans = def
		}
		if err := check(ans); err != nil {
			fmt.Fprintf(p.out, "  %v\n", err)
			continue
		}
		return ans, nil
	}
}

func yesNo(b bool) string {
	if b {
		return "y"
	}
	return "n"
}

func parseYesNo(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "y", "yes":
		return true, nil
	case "n", "no":
		return false, nil
	}
	return false, fmt.Errorf("%q: answer y or n", s)
}

func anything(string) error { return nil }

// ask asks every question no flag answered; password asks the admin's, when the network
// needs one, right after its name.
func ask(p *prompter, a *answers, o *options, password func(*account) error) error {
	var err error
	if !o.set["id"] {
		if a.ID, err = p.ask("Agent id (names it in MQTT topics)", a.ID, topics.ValidAgentID); err != nil {
			return err
		}
	}
	if !o.set["zones"] {
		n, err := p.ask("How many zones (relays)", strconv.Itoa(len(a.Zones)), func(s string) error {
			if n, err := strconv.Atoi(s); err != nil || n < 1 || n > 32 {
				return fmt.Errorf("%q: want a number from 1 to 32", s)
			}
			return nil
		})
		if err != nil {
			return err
		}
		count, _ := strconv.Atoi(n)
		a.Zones = resize(a.Zones, count)
	}
	if err := askBoard(p, a, o); err != nil {
		return err
	}
	if err := askZones(p, a, o); err != nil {
		return err
	}
	if !o.set["active-low"] && a.Board.Kind != boardOSPi { // an OpenSprinkler Pi's triacs switch on high
		s, err := p.ask("Does the relay board close a relay on a LOW line (most opto-isolated boards: y; a board\n"+
			"that closes on HIGH: n, or every valve opens when the agent means them off)? y/n", yesNo(a.ActiveLow),
			func(s string) error { _, err := parseYesNo(s); return err })
		if err != nil {
			return err
		}
		a.ActiveLow, _ = parseYesNo(s)
	}
	if err := askNetwork(p, a, o, password); err != nil {
		return err
	}
	for _, q := range []struct {
		set   bool
		text  string
		limit float64
		v     *float64
	}{
		{o.set["latitude"], "Latitude of the garden for sunrise and sunset runs, degrees north (south negative; 0: none)", 90, &a.Latitude},
		{o.set["longitude"], "Longitude, degrees east (west negative)", 180, &a.Longitude},
	} {
		if q.set {
			continue
		}
		s, err := p.ask(q.text, strconv.FormatFloat(*q.v, 'f', -1, 64), func(s string) error { _, err := checkDegrees(s, q.limit); return err })
		if err != nil {
			return err
		}
		*q.v, _ = checkDegrees(s, q.limit)
	}
	if !o.set["timezone"] {
		if a.Timezone, err = p.ask("Time zone of the schedule (an IANA name such as Europe/Berlin)", a.Timezone, checkZone); err != nil {
			return err
		}
	}
	if !o.set["program"] {
		return askProgram(p, a)
	}
	return nil
}

// askNetwork asks whether the broker and page are open to the network, then its admin and
// Home Assistant's user (each with a password); and whether Home Assistant discovery is on.
func askNetwork(p *prompter, a *answers, o *options, password func(*account) error) error {
	var err error
	if !o.set["lan"] {
		s, err := p.ask("Open the broker and web page to the network (phone, Home Assistant)? Needs an admin user, y/n",
			yesNo(a.LAN), func(s string) error { _, err := parseYesNo(s); return err })
		if err != nil {
			return err
		}
		a.LAN, _ = parseYesNo(s)
	}
	if a.LAN && !o.set["admin-user"] {
		if a.Admin.Name, err = p.ask("Admin user", a.Admin.Name, server.CheckUserName); err != nil {
			return err
		}
	}
	if a.LAN {
		if err := password(&a.Admin); err != nil {
			return err
		}
	}
	if !o.set["homeassistant"] {
		s, err := p.ask("Home Assistant discovery, y/n", yesNo(a.HomeAssistant), func(s string) error { _, err := parseYesNo(s); return err })
		if err != nil {
			return err
		}
		a.HomeAssistant, _ = parseYesNo(s)
	}
	if a.LAN && a.HomeAssistant && !o.set["ha-user"] {
		name, err := p.ask("Home Assistant's broker user (none: no user yet; sprinklerctl user add makes one later)", cmp.Or(a.HAUser.Name, "none"),
			func(s string) error {
				if s == "none" {
					return nil
				}
				if s == a.Admin.Name {
					return fmt.Errorf("%q is the admin; Home Assistant gets a user of its own", s)
				}
				return server.CheckUserName(s)
			})
		if err != nil {
			return err
		}
		a.HAUser.Name = strings.TrimSuffix(name, "none")
	}
	if a.LAN && a.HomeAssistant && a.HAUser.Name != "" {
		if err := password(&a.HAUser); err != nil {
			return err
		}
	}
	return nil
}

// askProgram asks for a first program: which zones, which days, what time, how long; none
// writes a schedule in which nothing waters by itself, keep leaves the schedule as it is.
func askProgram(p *prompter, a *answers) error {
	def := "none"
	if a.Program.Keep {
		def = "keep"
	}
	s, err := p.ask("A first program: which zones water (such as 1,3 or all); none: nothing waters by itself\n"+
		"until you write a program; keep: the schedule file as it is", def,
		func(s string) error { _, err := parseZonesAnswer(s, a.Zones); return err })
	if err != nil {
		return err
	}
	if a.Program, err = parseZonesAnswer(s, a.Zones); err != nil || len(a.Program.Zones) == 0 {
		return err
	}
	s, err = p.ask("On which days (mon,thu; odd; even; all)", "mon,thu", func(s string) error { _, err := parseDays(s); return err })
	if err != nil {
		return err
	}
	a.Program.Days, _ = parseDays(s)
	if a.Program.At, err = p.ask("At what time (HH:MM)", "06:00", checkAt); err != nil {
		return err
	}
	s, err = p.ask("For how long, each zone (10m, 1h30m)", "10m", func(s string) error { _, err := parseFor(s); return err })
	if err != nil {
		return err
	}
	a.Program.For, _ = parseFor(s)
	return nil
}

// askZones asks each zone's name and GPIO line that no flag gave.
// askBoard asks what switches the valves, and an I2C HAT's bus and address; the zones become
// its outputs in order (an answer that does not take them all is asked again).
func askBoard(p *prompter, a *answers, o *options) error {
	if !o.set["board"] {
		s, err := p.ask("What switches the valves: gpio (relays on the Pi's lines), opensprinkler (an OpenSprinkler Pi),\n"+
			"mcp23017 or pcf8574 (an I2C relay HAT)", a.Board.Kind, func(s string) error {
			if err := checkBoard(s); err != nil {
				return err
			}
			if n := (board{Kind: s}).outputs(); len(a.Zones) > n {
				return fmt.Errorf("%s takes %d zones, not %d", s, n, len(a.Zones))
			}
			return nil
		})
		if err != nil {
			return err
		}
		a.ActiveLow = board{Kind: s}.polarity(a.Board.Kind, a.ActiveLow)
		a.Board.Kind = s
	}
	a.Zones = a.Board.place(a.Zones)
	if a.Board.Kind != relay.KindMCP23017 && a.Board.Kind != relay.KindPCF8574 {
		return nil
	}
	if !o.set["i2c-bus"] {
		s, err := p.ask("Its I2C bus", a.Board.Bus, checkBus)
		if err != nil {
			return err
		}
		a.Board.Bus = s
	}
	if !o.set["i2c-address"] {
		s, err := p.ask("Its address (i2cdetect -y 1 lists them)", fmt.Sprintf("0x%02x", a.Board.Address), func(s string) error {
			_, err := parseAddress(s)
			return err
		})
		if err != nil {
			return err
		}
		a.Board.Address, _ = parseAddress(s)
	}
	return nil
}

func askZones(p *prompter, a *answers, o *options) error {
	var err error
	for i := range a.Zones {
		z := &a.Zones[i]
		if _, given := o.names[z.ID]; !given {
			if z.Name, err = p.ask(fmt.Sprintf("Zone %d name", z.ID), z.Name, names.Check); err != nil {
				return err
			}
		}
		if _, given := o.lines[z.ID]; !given && (a.Board.Kind == boardGPIO || a.Board.Kind == boardKeep && z.Bank == "") {
			s, err := p.ask(fmt.Sprintf("Zone %d GPIO line (BCM)", z.ID), strconv.Itoa(z.Line), func(s string) error {
				_, err := checkLine(s)
				return err
			})
			if err != nil {
				return err
			}
			z.Line, _ = checkLine(s)
		}
	}
	return nil
}

// terminal reports whether r is a terminal a person types at.
func terminal(r io.Reader) bool {
	_, ok := secrets.Terminal(r)
	return ok
}

// account is one of the users init keeps: its name, role and new password.
type account struct {
	Name     string
	Role     topics.Role
	Password []byte // nil: keep its hash, if it has one
}

// readPassword gets an account's password when it needs one: a new account always, an existing
// one when a password file is given or the person types one. Never from the command line, and
// never echoed. fileFlag names the flag of its password file, file that flag's value.
func (o *options) readPassword(acc *account, fileFlag, file string, stdin io.Reader, users []server.User) error {
	exists := slices.ContainsFunc(users, func(u server.User) bool { return u.Name == acc.Name })
	if err := server.CheckUserName(acc.Name); err != nil {
		return fmt.Errorf("init: %s: %v", acc.Name, err)
	}
	switch {
	case file != "":
		var r io.Reader = stdin
		if file != "-" {
			f, err := os.Open(file)
			if err != nil {
				return fmt.Errorf("init: --%s: %w", fileFlag, err)
			}
			defer f.Close()
			r = f
		}
		line, err := bufio.NewReader(r).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("init: --%s: %w", fileFlag, err)
		}
		acc.Password = []byte(strings.TrimRight(line, "\r\n"))
	case exists && (o.yes || !terminal(stdin)):
		return nil
	case o.yes && acc.Role == server.RoleAdmin:
		return fmt.Errorf("init: the network needs an admin user: give --admin-user and --%s (user %q has no password yet)", fileFlag, acc.Name)
	case o.yes:
		return fmt.Errorf("init: user %q has no password yet: give --%s", acc.Name, fileFlag)
	case !terminal(stdin):
		return fmt.Errorf("init: the password of %q is read from a terminal, or from --%s", acc.Name, fileFlag)
	default:
		for {
			prompt := fmt.Sprintf("Password for %s", acc.Name)
			if exists {
				prompt += " (empty: keep the current one)"
			}
			pw, err := secrets.NewPassword(stdin, os.Stderr, prompt)
			if errors.Is(err, secrets.ErrDiffer) {
				fmt.Fprintln(os.Stderr, "  the two differ; again")
				continue
			}
			if err != nil {
				return err
			}
			if len(pw) == 0 && exists {
				return nil
			}
			if err := checkPassword(pw); err != nil {
				fmt.Fprintf(os.Stderr, "  %v\n", err)
				continue
			}
			acc.Password = pw
			return nil
		}
	}
	return checkPassword(acc.Password)
}

func checkPassword(p []byte) error {
	if err := server.CheckPassword(p); err != nil {
		return fmt.Errorf("init: %w", err)
	}
	return nil
}
