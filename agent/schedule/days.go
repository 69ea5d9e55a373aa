package schedule

import (
	"fmt"
	"strings"
	"time"
)

// Days says on which days a program waters. Weekdays, days of the month and dates add up (a
// day that matches any of them waters); All, Even, Odd, None and Every stand alone. A Season,
// when set, limits all of them to part of the year.
type Days struct {
	All, Even, Odd, None bool
	Weekdays             [7]bool // indexed by time.Weekday
	// MonthDays are days of the month, 1 to 31; index 0 is the last day of each month.
	MonthDays [32]bool
	Dates     []Date // single dates
	// Every waters every Every days counted from Anchor, before it as after it.
	Every  int
	Anchor Date
	// OddSkips31 keeps Odd from watering on the 31st and on 29 February, so that odd days
	// never come two in a row.
	OddSkips31 bool
	Season     *Season
}

// Date is a calendar date.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the date of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// days counts the days from 1970-01-01 to d.
func (d Date) days() int {
	return int(time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// String writes the date as YYYY-MM-DD.
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// MonthDay is a day of the year without its year: 1 to 12 and 1 to 31.
type MonthDay struct {
	Month time.Month
	Day   int
}

// String writes the day as MM-DD.
func (m MonthDay) String() string { return fmt.Sprintf("%02d-%02d", m.Month, m.Day) }

func (m MonthDay) ord() int { return int(m.Month)*100 + m.Day }

// Season is the part of every year from From to To, both included; To before From wraps the
// year end (11-01 to 02-28 is November to February).
type Season struct{ From, To MonthDay }

// Contains reports whether the season holds the day of the year of d.
func (s Season) Contains(d Date) bool {
	md := MonthDay{d.Month, d.Day}.ord()
	if s.From.ord() <= s.To.ord() {
		return s.From.ord() <= md && md <= s.To.ord()
	}
	return md >= s.From.ord() || md <= s.To.ord()
}

// lastDay returns the number of days of month m of year y.
func lastDay(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// Match reports whether the program waters on the local date of t.
func (d Days) Match(t time.Time) bool {
	date := DateOf(t)
	if d.Season != nil && !d.Season.Contains(date) {
		return false
	}
	switch {
	case d.None:
		return false
	case d.All:
		return true
	case d.Even:
		return date.Day%2 == 0
	case d.Odd:
		return date.Day%2 == 1 && !(d.OddSkips31 && (date.Day == 31 || date.Month == time.February && date.Day == 29))
	case d.Every > 0:
		n := date.days() - d.Anchor.days()
		return (n%d.Every+d.Every)%d.Every == 0
	}
	if d.Weekdays[t.Weekday()] || d.MonthDays[date.Day] || d.MonthDays[0] && date.Day == lastDay(date.Year, date.Month) {
		return true
	}
	for _, x := range d.Dates {
		if x == date {
			return true
		}
	}
	return false
}

// Last returns the last day the program can water, or the zero Date when it has no last day:
// a program of single dates is over after the latest.
func (d Days) Last() Date {
	if d.All || d.Even || d.Odd || d.Every > 0 || len(d.Dates) == 0 || d.MonthDays != [32]bool{} || d.Weekdays != [7]bool{} {
		return Date{}
	}
	last := d.Dates[0]
	for _, x := range d.Dates[1:] {
		if x.days() > last.days() {
			last = x
		}
	}
	return last
}

// String writes the days as they would be written in a file.
func (d Days) String() string {
	w := d.words()
	for i, x := range w {
		if _, ok := dayNames[x]; ok {
			w[i] = strings.ToUpper(x[:1]) + x[1:] // Mon, as people write it
		}
	}
	s := strings.Join(w, ",")
	if d.Odd && d.OddSkips31 {
		s += " (not the 31st or 29 Feb)"
	}
	if d.Season != nil {
		s += fmt.Sprintf(" from %s to %s", d.Season.From, d.Season.To)
	}
	return s
}
