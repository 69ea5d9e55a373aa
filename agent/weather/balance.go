package weather

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"time"

	"sprinkler/agent/balance"
	"sprinkler/agent/et0"
	"sprinkler/topics"
)

// zoneStart is a zone's balance as the engine keeps it: the depletion at the start of Date.
// The day's ET, rain and runs are added as they come, and closed into the next day's start by
// the daily computation.
type zoneStart struct {
	Date        string  `json:"date"`
	DepletionMm float64 `json:"depletion_mm"`
}

// rainKept is how long rain readings stay in memory, for the balance of today and yesterday
// and the last 24 hours' rain at a window.
const rainKept = 48 * time.Hour

func (e *Engine) balancePath() string { return filepath.Join(e.o.Dir, "balance.json") }

// startOf is the local midnight that begins date.
func (e *Engine) startOf(date string) time.Time {
	t, _ := time.ParseInLocation(time.DateOnly, date, e.o.Location)
	return t
}

// countedRain is the rain of a day that counts in a balance (balance.Counted).
func countedRain(set Settings, mm float64) float64 {
	return balance.Counted(mm, set.LightRainMm, set.RainFactor)
}

// Rain is the rain measured in [from, to), mm.
func (e *Engine) Rain(from, to time.Time) float64 { return round2(e.rainSince(from, to)) }

// watered is the water zone z's runs that ended in [from, to) put down, mm. Called without mu.
func (e *Engine) watered(id int, z balance.Zone, from, to time.Time) float64 {
	if e.o.Watered == nil {
		return 0
	}
	mm := 0.0
	for _, r := range e.o.Watered(id, from, to) {
		mm += z.Applied(r)
	}
	return mm
}

// closeDays carries each balance kept to the start of today, a day at a time by FAO-56
// equation 85: the day's ET0 (of the day's readings, else the last known, else the baseline),
// its rain that counts and its runs. A zone new to the balance starts today at field capacity;
// one not carried for longer than the readings are kept starts again there. Called without mu;
// et0Of and rainOf read the store.
func (e *Engine) closeDays(now time.Time, set Settings, start map[int]zoneStart, last float64,
	et0Of func(date string) (float64, bool), rainOf func(date string) float64) map[int]zoneStart {
	today := e.dateOf(now)
	out := map[int]zoneStart{}
	for _, id := range slices.Sorted(maps.Keys(set.Zones)) {
		z := set.Zones[id]
		st, ok := start[id]
		if !ok || st.Date > today || daysBetween(st.Date, today) > keepDays {
			out[id] = zoneStart{Date: today}
			continue
		}
		dr := st.DepletionMm
		for date := st.Date; date < today; date = e.dateOf(e.startOf(date).Add(36 * time.Hour)) {
			v, ok := et0Of(date)
			if !ok {
				v = last
			}
			from, to := e.startOf(date), e.startOf(date).AddDate(0, 0, 1)
			dr, _, _ = z.Step(dr, balance.Day{ET0: v, Rain: countedRain(set, rainOf(date)), Irrigation: e.watered(id, z, from, to)})
		}
		out[id] = zoneStart{Date: today, DepletionMm: round2(dr)}
	}
	return out
}

// lastET0 is the ET0 of the newest decision that has one, else the baseline: what a day
// not yet over is estimated to lose. Called with mu held.
func (e *Engine) lastET0(set Settings) float64 {
	for i := len(e.days) - 1; i >= 0; i-- {
		if e.days[i].ET0Mm != nil {
			return *e.days[i].ET0Mm
		}
	}
	return set.BaselineMm
}

// dayShare is the share of date's ET gone by t: none before its midnight, all after the next,
// between by the sun (solar time is the clock's, moved by the longitude against the time
// zone's offset).
func (e *Engine) dayShare(set Settings, date string, t time.Time) float64 {
	start := e.startOf(date)
	switch {
	case !t.After(start):
		return 0
	case !t.Before(start.AddDate(0, 0, 1)):
		return 1
	}
	_, offset := t.In(e.o.Location).Zone()
	hour := t.Sub(start).Hours() + set.LongitudeDeg/15 - float64(offset)/3600
	return et0.DayShare(set.Site.LatitudeDeg, t.In(e.o.Location).YearDay(), hour)
}

// Balance is zone id's water balance at t (FAO-56 equation 85 from the start of the day the
// balance was last closed to, with the days since estimated from the last day's ET0), and
// false when the zone keeps none.
func (e *Engine) Balance(id int, t time.Time) (topics.ZoneBalance, bool) {
	set := e.o.Rules.WeatherSettings()
	z, ok := set.Zones[id]
	if !ok {
		return topics.ZoneBalance{}, false
	}
	e.mu.Lock()
	st, kept := e.balances[id]
	last := e.lastET0(set)
	rains := slices.Clone(e.rain)
	e.mu.Unlock()
	if !kept {
		st = zoneStart{Date: e.dateOf(e.o.Clock.Now())} // new: from field capacity, today
	}
	b := topics.ZoneBalance{Zone: id, At: topics.Time{Time: t}, Date: st.Date, StartMm: st.DepletionMm, TAWMm: round2(z.TAWmm), RAWMm: round2(z.RAWmm())}
	// Each day from the start: its ET (whole days before t's, a share of t's), its rain that
	// counts, and the runs' water.
	dr, ks := st.DepletionMm, z.Ks(st.DepletionMm)
	for date := st.Date; date <= e.dateOf(t); date = e.dateOf(e.startOf(date).Add(36 * time.Hour)) {
		lost := ks * z.Kc * last * e.dayShare(set, date, t)
		rain := 0.0
		for _, r := range rains {
			if e.dateOf(r.At) == date && !r.At.After(t) {
				rain += r.V
			}
		}
		rain = countedRain(set, rain)
		water := e.watered(id, z, e.startOf(date), t)
		b.LostMm, b.RainMm, b.WateredMm = b.LostMm+lost, b.RainMm+rain, b.WateredMm+water
		dr = min(max(dr+lost-rain-water, 0), z.TAWmm)
	}
	b.DepletionMm = round2(dr)
	b.LostMm, b.RainMm, b.WateredMm = round2(b.LostMm), round2(b.RainMm), round2(b.WateredMm)
	b.NeedMm = round2(z.Need(dr))
	b.RunS = z.RunFor(b.NeedMm).Seconds()
	b.Note = balanceNote(b, z)
	return b, true
}

// balanceNote says a balance in a line.
func balanceNote(b topics.ZoneBalance, z balance.Zone) string {
	s := fmt.Sprintf("depletion %.1f of %.1f mm (%.1f readily available): %.1f mm lost since %s", b.DepletionMm, b.TAWMm, b.RAWMm, b.LostMm, b.Date)
	if b.RainMm > 0 {
		s += fmt.Sprintf(", %.1f mm of rain counted", b.RainMm)
	}
	if b.WateredMm > 0 {
		s += fmt.Sprintf(", %.1f mm watered", b.WateredMm)
	}
	if b.NeedMm == 0 {
		return s + fmt.Sprintf("; under %.1f mm a run waits", balance.SmallShare*b.RAWMm)
	}
	return s + fmt.Sprintf("; a run of %v puts back %.1f mm at %g mm/h", time.Duration(b.RunS)*time.Second, b.NeedMm, z.RateMmPH)
}

// Advise is the weather's answer for a run of zone at t (scheduler.Weather): why none that
// follows the weather may start then, and, for a zone that keeps a balance, what it needs.
// A window ahead is judged by the readings as they are now.
func (e *Engine) Advise(zone int, t time.Time) topics.WindowAdvice {
	a := topics.WindowAdvice{Hold: e.hold(t)}
	if b, ok := e.Balance(zone, t); ok {
		a.Balanced, a.Run, a.Why = true, time.Duration(b.RunS)*time.Second, b.Note
		if n, cycle, soak := e.o.Rules.WeatherSettings().Zones[zone].Cycles(b.NeedMm); n > 1 {
			a.Cycle, a.Soak = cycle, soak
		}
	}
	return a
}

// hold says why no run that follows the weather may start at t: the rain of the 24 hours
// before it, the forecast, the wind, frost; "" when none holds it.
func (e *Engine) hold(t time.Time) string {
	set := e.o.Rules.WeatherSettings()
	now := e.o.Clock.Now()
	e.mu.Lock()
	rain := 0.0
	for _, r := range e.rain {
		if r.At.After(t.Add(-24*time.Hour)) && !r.At.After(t) {
			rain += r.V
		}
	}
	e.mu.Unlock()
	switch {
	case set.RainSkipMm > 0 && rain >= set.RainSkipMm:
		return fmt.Sprintf("rain: %.1f mm in the 24 hours before (weather.rain_skip_mm %g)", rain, set.RainSkipMm)
	}
	if f, ok := e.fresh(ForecastRain, now); ok && set.ForecastSkipMm > 0 && f.V >= set.ForecastSkipMm {
		return fmt.Sprintf("rain forecast: %.1f mm in the next 24 hours (weather.forecast_skip_mm %g)", f.V, set.ForecastSkipMm)
	}
	if w, ok := e.fresh(Wind, now); ok && set.WindSkipMS > 0 && w.V > set.WindSkipMS {
		return fmt.Sprintf("wind: %.1f m/s (weather.wind_skip_ms %g)", w.V, set.WindSkipMS)
	}
	if c, ok := e.fresh(Temperature, now); ok && set.FrostSkipC != nil && c.V < *set.FrostSkipC {
		return fmt.Sprintf("frost: %.1f °C (weather.frost_skip_c %g)", c.V, *set.FrostSkipC)
	}
	return ""
}

// Balances are the balances of every zone that keeps one, at t.
func (e *Engine) Balances(t time.Time) []topics.ZoneBalance {
	out := []topics.ZoneBalance{}
	for _, id := range slices.Sorted(maps.Keys(e.o.Rules.WeatherSettings().Zones)) {
		if b, ok := e.Balance(id, t); ok {
			out = append(out, b)
		}
	}
	return out
}
