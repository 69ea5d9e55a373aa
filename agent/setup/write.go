package setup

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"sprinkler/agent/config"
	"sprinkler/broker/server"
	"sprinkler/configs"
	"sprinkler/statefile"
	"sprinkler/topics"
)

// write puts the answers into the configuration file src (at path) and, for the network, the
// admin into the users file; both only once the agent's validation accepts the result.
func write(path string, src []byte, cur config.Config, a answers, users []server.User, usersPath string, out io.Writer) error {
	e, err := configs.NewEdit(src)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := setKeys(e, path, cur, a, usersPath); err != nil {
		return err
	}
	items, err := zoneItems(src, a.Zones, a.Board)
	if err != nil {
		return fmt.Errorf("%s: zones: %w", path, err)
	}
	if err := e.SetList("zones", items); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}

	var newUsers []byte
	if a.LAN {
		if users, err = withAccount(users, a.Admin); err != nil {
			return err
		}
		if a.HAUser.Name != "" && a.HomeAssistant {
			if users, err = withAccount(users, a.HAUser); err != nil {
				return err
			}
		}
		if err := (server.Config{Users: users}).CheckUsers(); err != nil {
			return fmt.Errorf("%s: %w", usersPath, err)
		}
		if newUsers, err = server.EncodeUsers(users); err != nil {
			return err
		}
	}
	cfg, err := validate(path, e.Bytes(), a.Program)
	if err != nil {
		return err
	}

	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	if newUsers != nil {
		if err := writeUsers(usersPath, newUsers); err != nil {
			return fmt.Errorf("init: %w", err)
		}
	}
	if err := statefile.ReplaceLike(path, e.Bytes(), info.Mode().Perm()); err != nil {
		return fmt.Errorf("init: %w", err)
	}
	if !a.Program.Keep {
		if err := writeSchedule(cfg.Schedule.File, a.Program); err != nil {
			return err
		}
	}
	report(out, path, usersPath, cfg.Schedule.File, cur.Web.Listen, a, newUsers != nil)
	return nil
}

// setKeys sets the keys init answers for in e, the edit of the configuration at path.
func setKeys(e *configs.Edit, path string, cur config.Config, a answers, usersPath string) error {
	host := "127.0.0.1"
	if a.LAN {
		host = "0.0.0.0"
	}
	set := []struct {
		key string
		v   any
	}{
		{"agent.id", a.ID},
		{"broker.listen", withHost(cur.Broker.Listen, host)},
		{"homeassistant.enabled", a.HomeAssistant},
		{"site.latitude", a.Latitude},
		{"site.longitude", a.Longitude},
		{"agent.timezone", a.Timezone},
	}
	switch {
	case a.Board.Kind == boardGPIO:
		set = append(set, struct {
			key string
			v   any
		}{"relays.active_low", a.ActiveLow})
		if len(cur.Relays.Banks) > 0 { // the zones left their banks
			set = append(set, struct {
				key string
				v   any
			}{"relays.banks", a.Board.banks(0, false)})
		}
	case a.Board.onBank():
		set = append(set, struct {
			key string
			v   any
		}{"relays.banks", a.Board.banks(len(a.Zones), a.ActiveLow)})
	}
	if cur.Web.Listen != "" {
		set = append(set, struct {
			key string
			v   any
		}{"web.listen", withHost(cur.Web.Listen, host)})
	}
	if a.LAN {
		rel, err := filepath.Rel(filepath.Dir(path), usersPath)
		if err != nil || strings.HasPrefix(rel, "..") {
			rel = usersPath
		}
		set = append(set, struct {
			key string
			v   any
		}{"broker.users_file", rel})
	}
	for _, s := range set {
		if err := e.Set(s.key, s.v); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	return nil
}

// zoneItems are the zones list's entries: each existing entry as the file has it, with the
// answered name and relay (a line, or an output of the board's bank in order; kept as it is
// with the keep board), and new ones shaped like the last (its durations, its style).
func zoneItems(src []byte, zs []zone, b board) ([]*yaml.Node, error) {
	var doc struct {
		Zones []yaml.Node `yaml:"zones"`
	}
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, err
	}
	var items []*yaml.Node
	for i, z := range zs {
		var n *yaml.Node
		switch {
		case i < len(doc.Zones):
			n = &doc.Zones[i]
		case len(doc.Zones) > 0:
			n = configs.Clone(&doc.Zones[len(doc.Zones)-1])
		default:
			n = &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}
		}
		configs.SetField(n, "id", strconv.Itoa(z.ID), "!!int")
		configs.SetField(n, "name", z.Name, "!!str")
		switch {
		case b.onBank():
			configs.DropField(n, "line")
			configs.SetField(n, "bank", b.bankName(), "!!str")
			configs.SetField(n, "output", strconv.Itoa(i+1), "!!int")
		case b.Kind == boardGPIO || z.Bank == "":
			configs.DropField(n, "bank")
			configs.DropField(n, "output")
			configs.SetField(n, "line", strconv.Itoa(z.Line), "!!int")
		}
		if i >= len(doc.Zones) {
			for _, own := range []string{"ignore_sensors", "expected_lpm", "group"} {
				configs.DropField(n, own) // a new zone takes the durations of the last, nothing of its own
			}
		}
		items = append(items, n)
	}
	return items, nil
}

// withAccount is users with acc: its hash replaced when a password was given, the account
// added when new; an existing account of that name takes acc's role.
func withAccount(users []server.User, acc account) ([]server.User, error) {
	var hash string
	if acc.Password != nil {
		h, err := server.HashPassword(acc.Password)
		if err != nil {
			return nil, fmt.Errorf("init: %w", err)
		}
		hash = h
	}
	out := slices.Clone(users)
	i := slices.IndexFunc(out, func(u server.User) bool { return u.Name == acc.Name })
	switch {
	case i >= 0:
		out[i].Role = acc.Role
		if hash != "" {
			out[i].Hash = hash
		}
	case hash == "":
		return nil, fmt.Errorf("init: user %q has no password yet", acc.Name)
	default:
		out = append(out, server.User{Name: acc.Name, Hash: hash, Role: acc.Role})
	}
	return out, nil
}

// writeUsers replaces the users file, keeping its mode and owners; a new one is the agent's
// alone (0600, the service user's when there is one), since the agent changes it when an
// admin adds a user.
func writeUsers(path string, data []byte) error {
	_, statErr := os.Stat(path)
	if err := statefile.ReplaceLike(path, data, 0o600); err != nil {
		return err
	}
	if u, err := user.Lookup(ServiceUser); err == nil && os.Geteuid() == 0 && errors.Is(statErr, os.ErrNotExist) {
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		return os.Chown(path, uid, gid)
	}
	return nil
}

// validate loads the new configuration as the agent will, schedule included, and names the
// real file in any error.
func validate(path string, data []byte, p firstProgram) (config.Config, error) {
	cfg, err := config.LoadCandidate(path, data)
	if fe, ok := errors.AsType[*config.FolderError](err); ok {
		if errors.Is(fe, os.ErrPermission) {
			return cfg, fmt.Errorf("init: cannot write in %s: %w (run it as root: sudo sprinkler-agent init)", filepath.Dir(path), fe)
		}
		return cfg, fmt.Errorf("init: %w", fe)
	}
	if err != nil {
		return cfg, fmt.Errorf("init: nothing written: %v", err)
	}
	if !p.Keep {
		if err := checkProgram(p, cfg); err != nil {
			return cfg, fmt.Errorf("init: nothing written: the first program: %v", err)
		}
		return cfg, nil
	}
	if err := cfg.CheckSchedule(); err != nil {
		return cfg, fmt.Errorf("init: nothing written: the schedule does not fit these answers:\n%v\n(answer a first program, or none, "+
			"in place of it, or take those zones out of %s first)", err, cfg.Schedule.File)
	}
	return cfg, nil
}

// writeSchedule replaces the schedule file with the first program, keeping its mode and owners.
func writeSchedule(path string, p firstProgram) error {
	if err := statefile.ReplaceLike(path, p.text(), 0o644); err != nil {
		return fmt.Errorf("init: %w", err)
	}
	return nil
}

// report says what was written and the next three commands.
func report(out io.Writer, path, usersPath, schedulePath, web string, a answers, admin bool) {
	reach := "this machine only"
	if a.LAN {
		reach = "the network"
	}
	fmt.Fprintf(out, "\nWrote %s: agent %q, %d zones, broker and web page open to %s, Home Assistant discovery %s.\n",
		path, a.ID, len(a.Zones), reach, map[bool]string{true: "on", false: "off"}[a.HomeAssistant])
	if admin {
		who := fmt.Sprintf("admin user %q", a.Admin.Name)
		if a.HAUser.Name != "" && a.HomeAssistant {
			who += fmt.Sprintf(", Home Assistant's user %q", a.HAUser.Name)
		}
		fmt.Fprintf(out, "Wrote %s: %s.\n", usersPath, who)
	}
	if !a.Program.Keep {
		what := "nothing waters by itself until you write a program (sprinklerctl program edit, or the web page)"
		if len(a.Program.Zones) > 0 {
			what = fmt.Sprintf("the first program, %q: zones %s on %s at %s for %s each", programName, topics.JoinZones(a.Program.Zones),
				strings.Join(a.Program.Days, ","), a.Program.At, topics.FormatDuration(a.Program.For))
		}
		fmt.Fprintf(out, "Wrote %s: %s.\n", schedulePath, what)
	}
	start := "sudo systemctl restart sprinkler-agent   # start it (again) with these answers"
	if abs, _ := filepath.Abs(path); abs != PackageConfig {
		start = "sprinkler-agent --config " + path
	}
	third := "sprinklerctl watch                       # follow it (the web page is off)"
	if _, port, err := net.SplitHostPort(web); err == nil {
		third = "open http://127.0.0.1:" + port + "/"
		if a.LAN {
			h, _ := os.Hostname()
			third = "open http://" + h + ".local:" + port + "/   # from a phone; log in as " + a.Admin.Name
		}
	}
	fmt.Fprintf(out, "\nNext:\n  %s\n  sprinklerctl status\n  %s\n", start, third)
}
