package setup

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"sprinkler/agent/config"
	"sprinkler/agent/schedule"
	"sprinkler/topics"
)

// firstProgram is the schedule init writes: a program from a few answers, or none (nothing
// waters by itself until one is written). Keep leaves the schedule file as it is.
type firstProgram struct {
	Keep  bool
	Zones []int // none: an empty schedule
	Days  []string
	At    string
	For   time.Duration
}

// programName is the program init writes; offName the one that waters nothing.
const (
	programName = "garden"
	offName     = "off"
)

// parseZonesAnswer reads "1,3", "all", "none" or "keep" against the zones of the answers.
func parseZonesAnswer(s string, zones []zone) (firstProgram, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	switch s {
	case "keep":
		return firstProgram{Keep: true}, nil
	case "none", "":
		return firstProgram{}, nil
	case "all":
		var p firstProgram
		for _, z := range zones {
			p.Zones = append(p.Zones, z.ID)
		}
		return p, nil
	}
	var p firstProgram
	for f := range strings.FieldsFuncSeq(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		id, err := strconv.Atoi(f)
		if err != nil || !slices.ContainsFunc(zones, func(z zone) bool { return z.ID == id }) {
			return p, fmt.Errorf("%q: want zones among %s (such as 1,3), all, none or keep", f, zoneIDs(zones))
		}
		if !slices.Contains(p.Zones, id) {
			p.Zones = append(p.Zones, id)
		}
	}
	return p, nil
}

// parseDays reads "mon,thu", "odd", "even" or "all".
func parseDays(s string) ([]string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "odd" || s == "even" || s == "all" {
		return []string{s}, nil
	}
	var days []string
	for f := range strings.FieldsFuncSeq(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		d, ok := schedule.Weekday(f)
		if !ok {
			return nil, fmt.Errorf("%q: want days of the week (mon,thu), odd, even or all", f)
		}
		days = append(days, strings.ToLower(d.String()[:3]))
	}
	if len(days) == 0 {
		return nil, errors.New("no day: want days of the week (mon,thu), odd, even or all")
	}
	return days, nil
}

func checkAt(s string) error {
	if _, err := time.Parse("15:04", strings.TrimSpace(s)); err != nil {
		return fmt.Errorf("%q: want a time as HH:MM, such as 06:00", s)
	}
	return nil
}

func parseFor(s string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if n, nerr := strconv.Atoi(strings.TrimSpace(s)); nerr == nil {
		d, err = time.Duration(n)*time.Minute, nil // a plain number is minutes, as in the schedule
	}
	if err != nil || d < time.Minute || d > 12*time.Hour {
		return 0, fmt.Errorf("%q: want a duration from 1m to 12h, such as 10m or 1h30m", s)
	}
	return d, nil
}

// parseProgramFlag reads --program: keep, none, or "ZONES DAYS HH:MM DURATION".
func parseProgramFlag(s string) (raw []string, err error) {
	f := strings.Fields(s)
	if len(f) == 1 && (f[0] == "keep" || f[0] == "none") {
		return f, nil
	}
	if len(f) != 4 {
		return nil, fmt.Errorf("--program %q: want keep, none, or zones, days, a time and a duration, such as \"1,2 mon,thu 06:00 10m\"", s)
	}
	return f, nil
}

// programFromFlag makes the first program of --program's fields, against the answered zones.
func programFromFlag(f []string, zones []zone) (firstProgram, error) {
	p, err := parseZonesAnswer(f[0], zones)
	if err != nil || len(f) == 1 {
		return p, err
	}
	if p.Days, err = parseDays(f[1]); err != nil {
		return p, err
	}
	if err = checkAt(f[2]); err != nil {
		return p, err
	}
	p.At = f[2]
	p.For, err = parseFor(f[3])
	return p, err
}

// text is the schedule file of p.
func (p firstProgram) text() []byte {
	var b strings.Builder
	b.WriteString(initHeader + " Change it with `sprinklerctl program edit " + programName + "`,\n" +
		"# on the web page, or here; every rule (every N days, sunrise, seasons, repeats) is shown in\n" +
		"# profiles-examples.yaml (configs/ of the source; installed, /usr/share/doc/sprinkler/examples/).\n")
	active := offName
	if len(p.Zones) > 0 {
		active = programName
	}
	fmt.Fprintf(&b, "active: %s\nprofiles:\n", active)
	if len(p.Zones) > 0 {
		fmt.Fprintf(&b, "  - name: %s\n    about: the first program, from init\n    zones:\n", programName)
		for _, z := range p.Zones {
			fmt.Fprintf(&b, "      - {zone: %d, days: [%s], runs: [{at: %q, for: %s}]}\n", z, strings.Join(p.Days, ", "), p.At, topics.FormatDuration(p.For))
		}
	}
	fmt.Fprintf(&b, "  - name: %s\n    about: Nothing waters by itself\n    zones: []\n", offName)
	return []byte(b.String())
}

// systemZone is the machine's time zone by its IANA name, where the system says it; "" when
// it does not (the agent then takes the machine's, whatever it is).
func systemZone() string {
	if tz := os.Getenv("TZ"); tz != "" {
		return strings.TrimPrefix(tz, ":")
	}
	if b, err := os.ReadFile("/etc/timezone"); err == nil && strings.TrimSpace(string(b)) != "" {
		return strings.TrimSpace(string(b))
	}
	if l, err := os.Readlink("/etc/localtime"); err == nil {
		if _, name, ok := strings.Cut(l, "zoneinfo/"); ok {
			return name
		}
	}
	return ""
}

func checkZone(s string) error {
	if _, err := time.LoadLocation(strings.TrimSpace(s)); err != nil {
		return fmt.Errorf("%q: want an IANA time zone such as Europe/Berlin or America/New_York (%v)", s, err)
	}
	return nil
}

// initHeader starts a schedule file init wrote.
const initHeader = "# The schedule sprinkler-agent init wrote."

// shippedSchedule says whether cfg's schedule is still the example the package shipped: the
// agent never ran (no version of its programs kept) and init did not write it. A first init
// offers to replace it; a later one keeps the schedule unless told otherwise.
func shippedSchedule(cfg config.Config) bool {
	if cfg.Schedule.File == "" {
		return false
	}
	if b, err := os.ReadFile(cfg.Schedule.File); err != nil || strings.HasPrefix(string(b), initHeader) {
		return false
	}
	_, err := os.Stat(filepath.Join(cfg.State.Dir, "programs", "versions.json"))
	return errors.Is(err, os.ErrNotExist)
}

// checkProgram parses the schedule p writes against cfg's zones.
func checkProgram(p firstProgram, cfg config.Config) error {
	if p.Keep {
		return nil
	}
	_, err := schedule.Parse(cfg.Schedule.File, p.text(), cfg.ScheduleEnv())
	return err
}
