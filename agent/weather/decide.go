package weather

import (
	"fmt"
	"math"

	"sprinkler/agent/balance"
	"sprinkler/agent/et0"
	"sprinkler/topics"
)

// Settings are the rules that turn weather into a water level.
type Settings struct {
	Site et0.Site
	// BaselineMm is the ET0 of a day on which the programs' durations are right: the level
	// is 100 % when the balance's days lost this much each.
	BaselineMm float64
	// BalanceDays bounds the days since the last watering that the balance weighs.
	BalanceDays int
	// RainFactor is the part of rain that counts (the rest runs off or evaporates).
	RainFactor float64
	// RainSkipMm and ForecastSkipMm: rain of the last 24 hours, or forecast for the next 24,
	// at or above these skips the day's runs; 0 turns the check off.
	RainSkipMm, ForecastSkipMm float64
	// FallbackDays is how many days the last computed level is kept without fresh weather,
	// before 100 %.
	FallbackDays int
	// LongitudeDeg, east positive, gives solar time, for the share of a day's ET gone by an hour.
	LongitudeDeg float64
	// Zones are the zones that keep a water balance, by id.
	Zones map[int]balance.Zone
	// LightRainMm: a day's rain below it does not count in a zone's balance.
	LightRainMm float64
	// WindSkipMS and FrostSkipC hold a run when it would start: wind above (0: never), air below
	// (nil: never).
	WindSkipMS float64
	FrostSkipC *float64
}

// WeatherSettings is s: a Settings is rules that never change.
func (s Settings) WeatherSettings() Settings { return s }

// balanceDay is one day the balance weighs.
type balanceDay struct {
	date   string
	et0    *et0.Result
	rainMm float64
}

// decide sets the day's level from the balance of days (oldest first; the last is
// yesterday), the rain of the last 24 hours, the forecast, and the last decision made from
// weather (nil: none). The level is never 0 for want of weather: without it, the last
// computed level holds for FallbackDays, then 100 %.
func decide(s Settings, d topics.WeatherDay, days []balanceDay, last *topics.WeatherDay) topics.WeatherDay {
	d.BaselineMm = s.BaselineMm
	if n := len(days); n > 0 && days[n-1].et0 != nil {
		y := days[n-1].et0
		d.ET0Mm, d.Method = ptr(round2(y.ET0Mm)), y.Description()
	}
	counted := 0
	for _, b := range days {
		d.RainMm += b.rainMm
		if b.et0 == nil {
			continue
		}
		if counted == 0 {
			d.BalanceFrom = b.date
		}
		counted++
		d.ET0SumMm += b.et0.ET0Mm
	}
	d.Window = counted
	d.EffectiveMm = round2(d.RainMm * s.RainFactor)
	d.ET0SumMm, d.RainMm = round2(d.ET0SumMm), round2(d.RainMm)
	switch {
	case d.ET0Mm != nil && s.BaselineMm > 0:
		need := (d.ET0SumMm - d.EffectiveMm) / (s.BaselineMm * float64(counted))
		d.Level, d.Source = int(math.Round(max(0, min(need, topics.MaxWaterLevel/100.0))*100)), topics.LevelFromWeather
	case last != nil && last.Level > 0 && daysBetween(last.Date, d.Date) <= s.FallbackDays:
		d.Level, d.Source = last.Level, topics.LevelFromLast
		d.Notes = append(d.Notes, fmt.Sprintf("no weather for the day before: the level of %s kept (%d of %d days)", last.Date, daysBetween(last.Date, d.Date), s.FallbackDays))
	default:
		d.Level, d.Source = 100, topics.LevelDefault
		why := "no weather for the day before"
		if last != nil {
			why += fmt.Sprintf(", and the last computed level (%s) is older than %d days or 0", last.Date, s.FallbackDays)
		}
		d.Notes = append(d.Notes, why+": 100 %")
	}
	switch {
	case s.RainSkipMm > 0 && d.Rain24hMm >= s.RainSkipMm:
		d.Skip = fmt.Sprintf("rain: %.1f mm in the last 24 hours (weather.rain_skip_mm %g)", d.Rain24hMm, s.RainSkipMm)
	case s.ForecastSkipMm > 0 && d.ForecastMm != nil && *d.ForecastMm >= s.ForecastSkipMm:
		d.Skip = fmt.Sprintf("rain forecast: %.1f mm in the next 24 hours (weather.forecast_skip_mm %g)", *d.ForecastMm, s.ForecastSkipMm)
	}
	return d
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }
