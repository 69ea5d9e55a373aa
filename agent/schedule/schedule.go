// Package schedule is the watering schedule: named profiles that say, per zone, on which days
// and at which times to water and for how long; the two file formats that hold them; and the
// pure computation of the watering windows between two instants, which the scheduler and the
// "next" preview share.
package schedule

import (
	"fmt"
	"slices"
	"time"

	"sprinkler/topics"
)

// File is a parsed profile file.
type File struct {
	Path     string
	Profiles []Profile
	Active   string // the profile the file marks active; "" when it marks none
}

// Profile is one named schedule.
type Profile struct {
	Name  string
	About string
	// WaterLevel says the agent's water level (a percentage) scales this profile's runs.
	WaterLevel bool
	Programs   []Program // by zone, in file order
	line       int
	site       *Site // where the file was checked for; nil when the config names none
}

// Program is what a profile says for one zone.
type Program struct {
	Zone  int
	About string
	Days  Days
	Runs  []Run // in file order
	line  int
}

// Clock is a time of day in minutes after midnight, 0 to 1439.
type Clock int

// String writes the time as HH:MM.
func (c Clock) String() string { return fmt.Sprintf("%02d:%02d", int(c)/60, int(c)%60) }

// Window is a stretch of time in which a zone waters: [Start, End).
type Window struct {
	Zone    int
	Start   time.Time
	End     time.Time
	Profile string
	// Cycle and Cycles number a cycle of a run cut for a slow soil (1 of 3, ...), whose run
	// starts at Of; 0: a whole run.
	Cycle, Cycles int
	Of            time.Time
}

// Lookup returns the profile called name, or the one at index i ("0", "1", ...) as the
// original program numbered them.
func (f *File) Lookup(nameOrIndex string) (*Profile, bool) {
	for i := range f.Profiles {
		if f.Profiles[i].Name == nameOrIndex {
			return &f.Profiles[i], true
		}
	}
	var i int
	if _, err := fmt.Sscanf(nameOrIndex, "%d", &i); err == nil && fmt.Sprint(i) == nameOrIndex && i >= 0 && i < len(f.Profiles) {
		return &f.Profiles[i], true
	}
	return nil, false
}

// Names returns the profile names in file order.
func (f *File) Names() []string {
	names := make([]string, len(f.Profiles))
	for i, p := range f.Profiles {
		names[i] = p.Name
	}
	return names
}

// At returns the instant the wall clock in loc shows c on the local date of day. A time that
// a spring-forward change skips runs as long after midnight as it would have: 02:30 on a day
// that jumps from 02:00 to 03:00 runs at 03:30. A time that a fall-back change repeats runs
// once, at its first occurrence.
func At(day time.Time, c Clock, loc *time.Location) time.Time {
	y, m, d := day.In(loc).Date()
	h, mi := int(c)/60, int(c)%60
	_, offMidnight := time.Date(y, m, d, 0, 0, 0, 0, loc).Zone()
	first := time.Date(y, m, d, h, mi, 0, 0, time.FixedZone("", offMidnight)).In(loc)
	if first.Hour() == h && first.Minute() == mi {
		return first // the offset of the start of the day still holds, or the first of two
	}
	_, offNoon := time.Date(y, m, d, 12, 0, 0, 0, loc).Zone()
	if second := time.Date(y, m, d, h, mi, 0, 0, time.FixedZone("", offNoon)).In(loc); second.Hour() == h && second.Minute() == mi {
		return second // after the day's change
	}
	return first // skipped: as long after midnight as the wall clock meant
}

// Windows returns the watering windows of profile p that overlap [from, to), per zone merged
// where they overlap or touch, sorted by start and then zone. A day's windows are computed
// from its local date in loc.
func (p *Profile) Windows(from, to time.Time, loc *time.Location) []Window {
	var out []Window
	for _, prog := range p.Programs {
		for _, w := range prog.windows(from, to, loc, p.site) {
			w.Profile = p.Name
			out = append(out, w)
		}
	}
	slices.SortFunc(out, func(a, b Window) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return a.Zone - b.Zone
	})
	return out
}

// Fit weighs a list of p's runs over span before it is computed: a span that could hold more
// than n runs (every run of every zone on each of span/24h + 1 days, repeats counted) is cut to
// one that cannot (an hour at least) where clamp, else refused with CodeTooLarge naming how far
// ahead a list may look.
func (p *Profile) Fit(span time.Duration, n int, clamp bool) (time.Duration, error) {
	perDay := 0
	for _, prog := range p.Programs {
		for _, r := range prog.Runs {
			perDay += max(r.Times, 1)
		}
	}
	if perDay == 0 {
		return span, nil
	}
	reach := max(time.Hour, time.Duration(n/perDay-1)*24*time.Hour)
	switch {
	case span <= reach:
		return span, nil
	case clamp:
		return reach, nil
	}
	return 0, topics.Errorf(topics.CodeTooLarge, "profile %q starts up to %d runs a day, so a list of its runs looks at most %.0f hours ahead (at most %d runs a reply); ask for fewer hours",
		p.Name, perDay, reach.Hours(), n)
}

// windows returns the program's merged windows that overlap [from, to).
func (prog Program) windows(from, to time.Time, loc *time.Location, site *Site) []Window {
	var ws []Window
	// Start a day early: a window may run past midnight (sunset late, or repeats), and a
	// day's local date in loc may begin before from's.
	for day := from.In(loc).AddDate(0, 0, -1); !day.After(to.In(loc).AddDate(0, 0, 1)); day = day.AddDate(0, 0, 1) {
		if !prog.Days.Match(day) {
			continue
		}
		for _, r := range prog.Runs {
			for _, start := range r.starts(day, loc, site) {
				ws = append(ws, Window{Zone: prog.Zone, Start: start, End: start.Add(r.For)})
			}
		}
	}
	var out []Window
	for _, w := range merge(ws) {
		if w.End.After(from) && w.Start.Before(to) {
			out = append(out, w)
		}
	}
	return out
}

// merge joins the windows of one zone that overlap or touch, so the zone never glitches off
// between them.
func merge(ws []Window) []Window {
	slices.SortFunc(ws, func(a, b Window) int { return a.Start.Compare(b.Start) })
	var out []Window
	for _, w := range ws {
		if n := len(out); n > 0 && !w.Start.After(out[n-1].End) {
			if w.End.After(out[n-1].End) {
				out[n-1].End = w.End
			}
			continue
		}
		out = append(out, w)
	}
	return out
}

// Longest returns the longest merged window of a program, for checking it against the zone's
// maximum run: over one day for wall-clock starts, over a leap year when a start follows the
// sun.
func (prog Program) longest(site *Site) time.Duration {
	from := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	days := 1
	for _, r := range prog.Runs {
		if r.Sun != NoSun {
			days = 366
		}
	}
	all := Program{Zone: prog.Zone, Days: Days{All: true}, Runs: prog.Runs}
	var longest time.Duration
	for _, w := range all.windows(from, from.AddDate(0, 0, days), time.UTC, site) {
		longest = max(longest, w.End.Sub(w.Start))
	}
	return longest
}

// Longest returns the longest merged window of the program on a day it waters.
func (p *Profile) Longest(prog Program) time.Duration { return prog.longest(p.site) }
