package schedule

import (
	"errors"
	"fmt"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"sprinkler/agent/names"
)

// Error is one problem in a profile file, placed as precisely as the file allows.
type Error struct {
	File    string
	Line    int
	Profile string
	Zone    int
	Field   string
	Msg     string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Profile != "" {
		fmt.Fprintf(&b, "profile %q, ", e.Profile)
	}
	if e.Zone > 0 {
		fmt.Fprintf(&b, "zone %d, ", e.Zone)
	}
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Zones says what a profile may name: each zone id a user may water, with its longest run.
type Zones map[int]time.Duration

// Env is what a profile file is checked against: the zones it may water and the site, nil
// when the configuration names none (then no run may start from the sun).
type Env struct {
	Zones Zones
	Site  *Site
}

// ScheduleEnv is e: an Env is the settings of zones that never change.
func (e Env) ScheduleEnv() Env { return e }

// Load reads and checks the profile file at path.
func Load(path string, env Env) (*File, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("schedule: %w", err)
	}
	return Parse(path, src, env)
}

// Parse reads a profile file in either format: the original one (a mapping of profile names,
// each with about, active and relayN entries holding About, Days, Times and durations) or the
// native one (active and a list of profiles). Every problem is reported, each with file,
// line, profile, zone and field.
func Parse(path string, src []byte, env Env) (*File, error) {
	p := &parser{file: &File{Path: path}, env: env}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, &Error{File: path, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, &Error{File: path, Line: 1, Msg: "want a mapping of profiles"}
	}
	root := doc.Content[0]
	if v := value(root, "profiles"); v != nil && v.Kind == yaml.SequenceNode {
		p.native(root)
	} else {
		p.original(root)
	}
	p.check()
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	return p.file, nil
}

type parser struct {
	file *File
	env  Env
	errs []error
}

func (p *parser) fail(n *yaml.Node, profile string, zone int, field, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	p.errs = append(p.errs, &Error{File: p.file.Path, Line: line, Profile: profile, Zone: zone, Field: field, Msg: fmt.Sprintf(format, args...)})
}

// value returns the value of key in mapping n, matched without regard to case.
func value(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if strings.EqualFold(n.Content[i].Value, key) {
			return n.Content[i+1]
		}
	}
	return nil
}

func (p *parser) original(root *yaml.Node) {
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		prof := Profile{Name: k.Value, line: k.Line}
		if v.Kind != yaml.MappingNode {
			p.fail(v, prof.Name, 0, "", "want a mapping of about, active and relayN")
			continue
		}
		for j := 0; j+1 < len(v.Content); j += 2 {
			pk, pv := v.Content[j], v.Content[j+1]
			key := strings.ToLower(pk.Value)
			switch {
			case key == "about":
				prof.About = pv.Value
			case key == "active":
				var on bool
				if pv.Decode(&on) != nil {
					p.fail(pv, prof.Name, 0, "active", "%q is not true or false", pv.Value)
				} else if on {
					p.markActive(pv, prof.Name)
				}
			case strings.HasPrefix(key, "relay"):
				zone, err := strconv.Atoi(key[len("relay"):])
				if err != nil || zone < 1 {
					p.fail(pk, prof.Name, 0, pk.Value, "not relayN with N a zone number")
					continue
				}
				prog := p.originalProgram(pv, prof.Name, zone)
				prog.line = pk.Line
				prof.Programs = append(prof.Programs, prog)
			default:
				p.fail(pk, prof.Name, 0, pk.Value, "unknown key; want about, active or relayN")
			}
		}
		prof.site = p.env.Site
		p.file.Profiles = append(p.file.Profiles, prof)
	}
}

func (p *parser) originalProgram(n *yaml.Node, profile string, zone int) Program {
	prog := Program{Zone: zone, line: n.Line}
	if n.Kind != yaml.MappingNode {
		p.fail(n, profile, zone, "", "want a mapping of About, Days, Times and durations")
		return prog
	}
	var times, durs []*yaml.Node
	var timesNode, dursNode, daysNode *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch strings.ToLower(k.Value) {
		case "about":
			prog.About = v.Value
		case "days":
			daysNode, prog.Days = v, p.days(v, profile, zone)
		case "times":
			timesNode, times = v, p.list(v, profile, zone, "Times")
		case "durations":
			dursNode, durs = v, p.list(v, profile, zone, "durations")
		default:
			p.fail(k, profile, zone, k.Value, "unknown key; want About, Days, Times or durations")
		}
	}
	if timesNode == nil || dursNode == nil || daysNode == nil {
		p.fail(n, profile, zone, "", "needs Days, Times and durations")
		return prog
	}
	if len(times) != len(durs) {
		p.fail(dursNode, profile, zone, "durations", "%d durations for %d times; the k-th duration belongs to the k-th time", len(durs), len(times))
		return prog
	}
	for i := range times {
		r, ok := p.start(times[i], profile, zone, "Times")
		d, ok2 := p.minutes(durs[i], profile, zone, "durations")
		if ok && ok2 {
			r.For = d
			prog.Runs = append(prog.Runs, p.run(durs[i], profile, zone, r))
		}
	}
	return prog
}

func (p *parser) native(root *yaml.Node) {
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch strings.ToLower(k.Value) {
		case "active":
			p.file.Active = v.Value
		case "profiles":
			for _, pn := range v.Content {
				p.nativeProfile(pn)
			}
		default:
			p.fail(k, "", 0, k.Value, "unknown key; want active or profiles")
		}
	}
}

func (p *parser) nativeProfile(n *yaml.Node) {
	prof := Profile{line: n.Line}
	if n.Kind != yaml.MappingNode {
		p.fail(n, "", 0, "", "a profile is a mapping of name, about and zones")
		return
	}
	if v := value(n, "name"); v != nil {
		prof.Name = v.Value
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch strings.ToLower(k.Value) {
		case "name":
		case "about":
			prof.About = v.Value
		case "water_level":
			prof.WaterLevel = p.bool(v, prof.Name, 0, k.Value)
		case "zones":
			for _, zn := range v.Content {
				prof.Programs = append(prof.Programs, p.nativeProgram(zn, prof.Name))
			}
		default:
			p.fail(k, prof.Name, 0, k.Value, "unknown key; want name, about, water_level or zones")
		}
	}
	if prof.Name == "" {
		p.fail(n, "", 0, "name", "missing")
	}
	prof.site = p.env.Site
	p.file.Profiles = append(p.file.Profiles, prof)
}

func (p *parser) nativeProgram(n *yaml.Node, profile string) Program {
	prog := Program{line: n.Line}
	if n.Kind != yaml.MappingNode {
		p.fail(n, profile, 0, "", "a zone entry is a mapping of zone, about, days and runs")
		return prog
	}
	if v := value(n, "zone"); v == nil || v.Decode(&prog.Zone) != nil || prog.Zone < 1 {
		p.fail(n, profile, 0, "zone", "missing or not a zone number")
		prog.Zone = 0
		return prog
	}
	if value(n, "days") == nil {
		p.fail(n, profile, prog.Zone, "days", "missing; write none to water on no day")
	}
	var season *Season
	oddSkips := false
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch strings.ToLower(k.Value) {
		case "zone":
		case "about":
			prog.About = v.Value
		case "days":
			prog.Days = p.days(v, profile, prog.Zone)
		case "season":
			season = p.season(v, profile, prog.Zone)
		case "odd_skips_31":
			oddSkips = p.bool(v, profile, prog.Zone, k.Value)
		case "runs":
			for _, rn := range p.list(v, profile, prog.Zone, "runs") {
				if r, ok := p.nativeRun(rn, profile, prog.Zone); ok {
					prog.Runs = append(prog.Runs, r)
				}
			}
		default:
			p.fail(k, profile, prog.Zone, k.Value, "unknown key; want zone, about, days, season, odd_skips_31 or runs")
		}
	}
	prog.Days.Season, prog.Days.OddSkips31 = season, oddSkips
	if oddSkips && !prog.Days.Odd {
		p.fail(n, profile, prog.Zone, "odd_skips_31", "applies to odd days only")
	}
	return prog
}

// bool reads true or false (yes/no, on/off).
func (p *parser) bool(n *yaml.Node, profile string, zone int, field string) bool {
	switch strings.ToLower(n.Value) {
	case "true", "yes", "on":
		return true
	case "false", "no", "off":
	default:
		p.fail(n, profile, zone, field, "%q: want true or false", n.Value)
	}
	return false
}

// season reads {from: MM-DD, to: MM-DD}.
func (p *parser) season(n *yaml.Node, profile string, zone int) *Season {
	from, to := value(n, "from"), value(n, "to")
	if n.Kind != yaml.MappingNode || from == nil || to == nil || len(n.Content) != 4 {
		p.fail(n, profile, zone, "season", `want {from: "04-01", to: "10-31"}: month-day, both included; to before from wraps the year end`)
		return nil
	}
	f, ok := p.monthDay(from, profile, zone)
	t, ok2 := p.monthDay(to, profile, zone)
	if !ok || !ok2 {
		return nil
	}
	return &Season{From: f, To: t}
}

func (p *parser) monthDay(n *yaml.Node, profile string, zone int) (MonthDay, bool) {
	t, err := time.Parse("01-02", strings.TrimSpace(n.Value))
	if err != nil {
		p.fail(n, profile, zone, "season", "%q is not a month-day such as 04-01", n.Value)
		return MonthDay{}, false
	}
	return MonthDay{t.Month(), t.Day()}, true
}

func (p *parser) nativeRun(n *yaml.Node, profile string, zone int) (Run, bool) {
	const form = `a run is {at: "06:00", for: 10m}; at may be sunrise or sunset moved by a duration (sunrise-30m); times: 4 and every: 45m repeat it`
	if n.Kind != yaml.MappingNode {
		p.fail(n, profile, zone, "runs", form)
		return Run{}, false
	}
	atN, forN, timesN, everyN := value(n, "at"), value(n, "for"), value(n, "times"), value(n, "every")
	keys := 2
	if timesN != nil || everyN != nil {
		keys = 4
	}
	if atN == nil || forN == nil || (timesN == nil) != (everyN == nil) || len(n.Content) != 2*keys {
		p.fail(n, profile, zone, "runs", form+", with nothing else")
		return Run{}, false
	}
	r, ok := p.start(atN, profile, zone, "at")
	d, ok2 := p.duration(forN, profile, zone, "for")
	if !ok || !ok2 {
		return Run{}, false
	}
	r.For = d
	if timesN != nil {
		if timesN.Decode(&r.Times) != nil || r.Times < 1 || r.Times > 96 {
			p.fail(timesN, profile, zone, "times", "%q: want 1 to 96 starts", timesN.Value)
			return Run{}, false
		}
		if r.Every, ok = p.duration(everyN, profile, zone, "every"); !ok {
			return Run{}, false
		}
		if r.Every < time.Minute || time.Duration(r.Times-1)*r.Every >= 24*time.Hour {
			p.fail(everyN, profile, zone, "every", "%v: want at least 1m, and every start within the day", r.Every)
			return Run{}, false
		}
	}
	return p.run(forN, profile, zone, r), true
}

// run checks that a run at a wall-clock time ends by midnight, its repeats included.
func (p *parser) run(n *yaml.Node, profile string, zone int, r Run) Run {
	if r.Sun != NoSun {
		if p.env.Site == nil {
			p.fail(n, profile, zone, "at", "%v needs site.latitude and site.longitude in the agent's configuration", r.Sun)
		}
		return r
	}
	last := time.Duration(r.At)*time.Minute + time.Duration(max(r.Times-1, 0))*r.Every
	if last+r.For > 24*time.Hour {
		p.fail(n, profile, zone, "durations", "the run at %s for %v goes past midnight", Clock(last/time.Minute), r.For)
	}
	return r
}

func (p *parser) list(n *yaml.Node, profile string, zone int, field string) []*yaml.Node {
	if n.Kind == yaml.ScalarNode {
		return []*yaml.Node{n}
	}
	if n.Kind != yaml.SequenceNode {
		p.fail(n, profile, zone, field, "want a list")
		return nil
	}
	return n.Content
}

var dayNames = map[string]time.Weekday{}

// Weekday reads a day of the week as a program writes it: "monday" or "mon", lower case.
func Weekday(name string) (time.Weekday, bool) {
	d, ok := dayNames[name]
	return d, ok
}

func init() {
	for d := time.Sunday; d <= time.Saturday; d++ {
		name := strings.ToLower(d.String())
		dayNames[name] = d
		dayNames[name[:3]] = d
	}
}

var everyRe = regexp.MustCompile(`^every (\d+) days? from (\d{4}-\d{2}-\d{2})$`)

// days reads the days of a program: weekday names, days of the month (1 to 31, last) and
// dates (YYYY-MM-DD), which add up; or all, even, odd, none or "every N days from
// YYYY-MM-DD", which stand alone.
func (p *parser) days(n *yaml.Node, profile string, zone int) Days {
	var d Days
	items := p.list(n, profile, zone, "Days")
	if len(items) == 0 {
		p.fail(n, profile, zone, "Days", "empty; write none to water on no day")
	}
	special := 0
	for _, it := range items {
		w := strings.ToLower(strings.Join(strings.Fields(it.Value), " "))
		if wd, ok := dayNames[w]; ok {
			d.Weekdays[wd] = true
			continue
		}
		switch w {
		case "all":
			d.All = true
			special++
			continue
		case "even":
			d.Even = true
			special++
			continue
		case "odd":
			d.Odd = true
			special++
			continue
		case "none":
			d.None = true
			special++
			continue
		case "last":
			d.MonthDays[0] = true
			continue
		}
		if g := everyRe.FindStringSubmatch(w); g != nil {
			every, err := strconv.Atoi(g[1])
			anchor, err2 := time.Parse(time.DateOnly, g[2])
			if err != nil || err2 != nil || every < 1 || every > 366 {
				p.fail(it, profile, zone, "Days", "%q: want every 1 to 366 days from a date such as 2026-04-01", it.Value)
				continue
			}
			d.Every, d.Anchor = every, DateOf(anchor)
			special++
			continue
		}
		if md, err := strconv.Atoi(w); err == nil {
			if md < 1 || md > 31 {
				p.fail(it, profile, zone, "Days", "%q is not a day of the month: want 1 to 31, or last", it.Value)
				continue
			}
			d.MonthDays[md] = true
			continue
		}
		if t, err := time.Parse(time.DateOnly, w); err == nil {
			d.Dates = append(d.Dates, DateOf(t))
			continue
		}
		p.fail(it, profile, zone, "Days", "%q is not a day: want a weekday name, a day of the month (1-31, last), a date (2026-07-04), all, even, odd, none or every N days from a date", it.Value)
	}
	if special > 1 || (special == 1 && len(items) > 1) {
		p.fail(n, profile, zone, "Days", "all, even, odd, none and every N days stand alone")
	}
	return d
}

var clockRe = regexp.MustCompile(`^(\d{1,2}):(\d{2})$`)

// start reads when a run starts: a time of day, HHMM or HMM as the original wrote it (830,
// 1745) or "HH:MM"; or sunrise or sunset, alone or moved by a duration (sunset+15m,
// sunrise-1h).
func (p *parser) start(n *yaml.Node, profile string, zone int, field string) (Run, bool) {
	s := strings.ToLower(strings.ReplaceAll(n.Value, " ", ""))
	for _, sun := range []Sun{Sunrise, Sunset} {
		rest, ok := strings.CutPrefix(s, sun.String())
		if !ok {
			continue
		}
		r := Run{Sun: sun}
		if rest != "" {
			d, err := time.ParseDuration(rest)
			if err != nil || (rest[0] != '+' && rest[0] != '-') || d < -12*time.Hour || d > 12*time.Hour {
				p.fail(n, profile, zone, field, "%q: want %v, or %v moved by up to 12h such as %v-30m", n.Value, sun, sun, sun)
				return Run{}, false
			}
			r.Offset = d
		}
		return r, true
	}
	c, ok := p.clock(n, profile, zone, field)
	return Run{At: c}, ok
}

// clock reads a time of day: HHMM or HMM as the original wrote it (830, 1745), or "HH:MM".
func (p *parser) clock(n *yaml.Node, profile string, zone int, field string) (Clock, bool) {
	s := strings.TrimSpace(n.Value)
	var h, m int
	if g := clockRe.FindStringSubmatch(s); g != nil {
		h, _ = strconv.Atoi(g[1])
		m, _ = strconv.Atoi(g[2])
	} else if v, err := strconv.Atoi(s); err == nil && v >= 0 && len(s) <= 4 {
		h, m = v/100, v%100
	} else {
		p.fail(n, profile, zone, field, "%q is not a time: want HHMM (830, 1745), HH:MM, sunrise or sunset (sunset+15m)", n.Value)
		return 0, false
	}
	if h > 23 || m > 59 {
		p.fail(n, profile, zone, field, "%q is not a time of day: hours 0-23, minutes 0-59", n.Value)
		return 0, false
	}
	return Clock(h*60 + m), true
}

// minutes reads a duration in minutes, fractions allowed (1.5 = 90 s).
func (p *parser) minutes(n *yaml.Node, profile string, zone int, field string) (time.Duration, bool) {
	f, err := strconv.ParseFloat(strings.TrimSpace(n.Value), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f <= 0 || f > 24*60 {
		p.fail(n, profile, zone, field, "%q is not a number of minutes above 0", n.Value)
		return 0, false
	}
	return time.Duration(f * float64(time.Minute)).Round(time.Second), true
}

// duration reads 90s, 10m or 1h30m, or a plain number of minutes.
func (p *parser) duration(n *yaml.Node, profile string, zone int, field string) (time.Duration, bool) {
	if _, err := strconv.ParseFloat(strings.TrimSpace(n.Value), 64); err == nil {
		return p.minutes(n, profile, zone, field)
	}
	d, err := time.ParseDuration(strings.TrimSpace(n.Value))
	if err != nil || d < time.Second {
		p.fail(n, profile, zone, field, "%q is not a duration such as 90s, 10m or 1h30m", n.Value)
		return 0, false
	}
	return d, true
}

func (p *parser) markActive(n *yaml.Node, name string) {
	if p.file.Active != "" {
		p.fail(n, name, 0, "active", "profile %q is active already; exactly one may be", p.file.Active)
		return
	}
	p.file.Active = name
}

// check validates what the structure alone cannot: names, zones, bounds.
func (p *parser) check() {
	seen := map[string]string{} // names.Key → the name
	for _, prof := range p.file.Profiles {
		if prof.Name != "" {
			if err := names.Check(prof.Name); err != nil {
				p.fail(&yaml.Node{Line: prof.line}, prof.Name, 0, "name", "%v", err)
			} else if first, ok := seen[names.Key(prof.Name)]; ok {
				p.fail(&yaml.Node{Line: prof.line}, prof.Name, 0, "", "a second profile of that name, or one that reads like it: %q", first)
			} else {
				seen[names.Key(prof.Name)] = prof.Name
			}
		}
		zones := map[int]bool{}
		for _, prog := range prof.Programs {
			max, ok := p.env.Zones[prog.Zone]
			at := &yaml.Node{Line: prog.line}
			switch {
			case prog.Zone == 0:
				continue
			case !ok:
				p.fail(at, prof.Name, prog.Zone, "", "the agent has no zone %d it may water", prog.Zone)
			case zones[prog.Zone]:
				p.fail(at, prof.Name, prog.Zone, "", "the zone appears twice in the profile")
			case prog.longest(p.env.Site) > max:
				p.fail(at, prof.Name, prog.Zone, "durations", "a window lasts %v (overlapping runs merged), more than the zone's max_duration %v", prog.longest(p.env.Site), max)
			}
			zones[prog.Zone] = true
		}
	}
	if len(p.file.Profiles) == 0 {
		p.fail(nil, "", 0, "", "no profiles")
	}
	if a := p.file.Active; a != "" && seen[names.Key(a)] != a {
		p.fail(nil, "", 0, "active", "no profile %q", a)
	}
}
