package schedule

import (
	"fmt"
	"sprinkler/topics"
	"time"

	"github.com/nathan-osman/go-sunrise"
)

// Sun names the solar event a run starts from.
type Sun int

// The solar events a run can start from.
const (
	NoSun   Sun = iota // a wall-clock time
	Sunrise            // the upper edge of the sun rises above the horizon
	Sunset             // the upper edge of the sun sets
)

func (s Sun) String() string {
	switch s {
	case Sunrise:
		return "sunrise"
	case Sunset:
		return "sunset"
	}
	return ""
}

// Site is where the garden is, for sunrise and sunset.
type Site struct {
	Latitude  float64 // degrees, north positive
	Longitude float64 // degrees, east positive
}

// Run is one start rule in a day: a wall-clock time, or sunrise or sunset moved by Offset;
// it waters For, and starts Times times (at least once), Every apart.
type Run struct {
	At     Clock
	Sun    Sun
	Offset time.Duration // from Sun; negative is before it
	For    time.Duration
	Times  int // starts in the day; 0 and 1 both mean one
	Every  time.Duration
}

// Start writes the first start as it would be written in a file: 06:00, sunrise,
// sunset-30m.
func (r Run) Start() string {
	if r.Sun == NoSun {
		return r.At.String()
	}
	switch {
	case r.Offset > 0:
		return fmt.Sprintf("%v+%v", r.Sun, topics.FormatDuration(r.Offset))
	case r.Offset < 0:
		return fmt.Sprintf("%v-%v", r.Sun, topics.FormatDuration(-r.Offset))
	}
	return r.Sun.String()
}

// starts returns the instants run r starts on the local date of day in loc; none when its sun
// event does not happen that day (a polar day or night).
func (r Run) starts(day time.Time, loc *time.Location, site *Site) []time.Time {
	var first time.Time
	if r.Sun == NoSun {
		first = At(day, r.At, loc)
	} else {
		if site == nil {
			return nil
		}
		y, m, d := day.In(loc).Date()
		rise, set := sunrise.SunriseSunset(site.Latitude, site.Longitude, y, m, d)
		first = rise
		if r.Sun == Sunset {
			first = set
		}
		if first.IsZero() {
			return nil
		}
		first = first.Add(r.Offset).Truncate(time.Second)
	}
	out := []time.Time{first}
	for k := 1; k < r.Times; k++ {
		out = append(out, first.Add(time.Duration(k)*r.Every))
	}
	return out
}
