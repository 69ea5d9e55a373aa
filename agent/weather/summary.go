package weather

import (
	"fmt"
	"slices"
	"time"

	"sprinkler/agent/et0"
)

// Summary is one day's weather from its readings, in the agent's units; a nil field was not
// measured.
type Summary struct {
	Date                 string
	Tmin, Tmax           *float64
	RHmin, RHmax, RHmean *float64
	Dewpoint             *float64
	Wind2m               *float64 // mean, brought to 2 m
	SolarMJ              *float64
	SunshineH            *float64
	RainMm               *float64
	Readings             int
	// Gaps name the spans longer than an input's max_age without a reading of it, and lines
	// a crash cut short.
	Gaps []string
}

// summarise builds a day's summary from its readings. from and to bound the day (to is now
// for today); maxAge gives each quantity's longest silence that is no gap; solarWm2 says the
// solar input sends W/m² readings (else the day's MJ/m² so far).
func summarise(date string, rs []Reading, from, to time.Time, maxAge map[string]time.Duration, solarWm2 bool) Summary {
	s := Summary{Date: date, Readings: len(rs)}
	by := map[string][]Reading{}
	for _, r := range rs {
		by[r.Q] = append(by[r.Q], r)
	}
	vals := func(q string) []float64 {
		out := make([]float64, len(by[q]))
		for i, r := range by[q] {
			out[i] = r.V
		}
		return out
	}
	if v := vals(Temperature); len(v) > 0 {
		if missed := silent(silences(by[Temperature], from, to, maxAge[Temperature])); missed <= maxMissing {
			s.Tmin, s.Tmax = ptr(slices.Min(v)), ptr(slices.Max(v))
		} else {
			s.Gaps = append(s.Gaps, fmt.Sprintf("temperature not used: no reading for %s of the day", missed.Round(time.Minute)))
		}
	}
	if v := vals(TemperatureMin); len(v) > 0 {
		s.Tmin = ptr(v[len(v)-1]) // as given: the last word on the day
	}
	if v := vals(TemperatureMax); len(v) > 0 {
		s.Tmax = ptr(v[len(v)-1])
	}
	if v := vals(Humidity); len(v) > 0 {
		s.RHmin, s.RHmax, s.RHmean = ptr(slices.Min(v)), ptr(slices.Max(v)), ptr(mean(v))
	}
	if v := vals(Dewpoint); len(v) > 0 {
		s.Dewpoint = ptr(mean(v))
	}
	if v := vals(Wind); len(v) > 0 {
		s.Wind2m = ptr(mean(v))
	}
	if v := vals(Sunshine); len(v) > 0 {
		s.SunshineH = ptr(slices.Max(v))
	}
	if rain := by[Rain]; len(rain) > 0 {
		total := 0.0
		for _, r := range rain {
			total += r.V
		}
		s.RainMm = &total
	}
	for _, q := range Quantities {
		if len(rs) == 0 {
			break // a day without readings says so once
		}
		if q == ForecastRain || q == TemperatureMin || q == TemperatureMax || q == Rain {
			continue // a forecast, a given extreme or a rain gauge speak when they have something to say
		}
		if age, ok := maxAge[q]; ok {
			s.Gaps = append(s.Gaps, gaps(q, silences(by[q], from, to, age), from, age)...)
		}
	}
	if v := vals(Solar); len(v) > 0 {
		switch {
		case !solarWm2:
			s.SolarMJ = ptr(slices.Max(v))
		case len(silences(by[Solar], from, to, maxAge[Solar])) == 0:
			s.SolarMJ = ptr(toMJ(mean(v))) // a day's mean needs the whole day
		default:
			s.Gaps = append(s.Gaps, "solar not used: its readings do not cover the day")
		}
	}
	return s
}

// maxMissing is how much of a day the temperature readings may miss and still give its
// extremes.
const maxMissing = 6 * time.Hour

// span is a stretch of time without a reading.
type span struct{ from, to time.Time }

// silences are the stretches within [from, to) longer than age without a reading in rs
// (sorted); none when age is 0, an input that is never stale.
func silences(rs []Reading, from, to time.Time, age time.Duration) []span {
	if age <= 0 {
		return nil
	}
	var out []span
	prev := from
	for _, at := range append(times(rs), to) {
		if at.Sub(prev) > age {
			out = append(out, span{prev, at})
		}
		prev = at
	}
	return out
}

func times(rs []Reading) []time.Time {
	out := make([]time.Time, len(rs))
	for i, r := range rs {
		out[i] = r.At
	}
	return out
}

// silent is how long the silences last together.
func silent(ss []span) time.Duration {
	var total time.Duration
	for _, s := range ss {
		total += s.to.Sub(s.from)
	}
	return total
}

// maxGapLines is how many silences of a quantity are named one by one; more are summed up.
const maxGapLines = 3

// gaps names quantity q's silences (longer than age) in the local time of the day that starts
// at day; past maxGapLines, in one line that counts them, names the first and the last, and
// says what many alike mean: readings further apart than age.
func gaps(q string, ss []span, day time.Time, age time.Duration) []string {
	loc := day.Location()
	clock := func(s span) string {
		end := s.to.In(loc).Format("15:04")
		if end == "00:00" && s.to.After(day) {
			end = "24:00"
		}
		return s.from.In(loc).Format("15:04") + "-" + end
	}
	if len(ss) > maxGapLines {
		return []string{fmt.Sprintf("%s: %d silences longer than its max_age %v, %v in all, %s first, %s last: "+
			"if the station reports that seldom, raise max_age above its interval", q, len(ss), age, silent(ss), clock(ss[0]), clock(ss[len(ss)-1]))}
	}
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		out = append(out, fmt.Sprintf("%s: no reading %s", q, clock(s)))
	}
	return out
}

// day is the summary as ET0's input; false without the day's extremes of temperature.
func (s Summary) day(date time.Time) (et0.Day, bool) {
	if s.Tmin == nil || s.Tmax == nil {
		return et0.Day{}, false
	}
	d := et0.Day{Date: date, TminC: *s.Tmin, TmaxC: *s.Tmax, RHminPct: s.RHmin, RHmaxPct: s.RHmax, DewpointC: s.Dewpoint,
		WindMS: s.Wind2m, SolarMJ: s.SolarMJ, SunshineH: s.SunshineH}
	if s.RHmin != nil && *s.RHmin == *s.RHmax {
		d.RHminPct, d.RHmaxPct, d.RHmeanPct = nil, nil, s.RHmean // one reading is a mean, not two extremes
	}
	if *s.Tmax < *s.Tmin {
		return et0.Day{}, false
	}
	return d, true
}

func ptr(v float64) *float64 { return &v }

func mean(v []float64) float64 {
	t := 0.0
	for _, x := range v {
		t += x
	}
	return t / float64(len(v))
}
