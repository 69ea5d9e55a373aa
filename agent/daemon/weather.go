package daemon

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"sprinkler/agent/balance"
	"sprinkler/agent/weather"
	"sprinkler/topics"
)

// openWeather opens the weather, when inputs are configured: each decision sets the water
// level, is an event and the retained weather state.
func (a *run) openWeather() error {
	d := a.d
	if !d.cfg.Weather.Enabled() {
		return nil
	}
	at, _ := d.cfg.Weather.TimeOfDay() // validated
	loc, err := d.cfg.Location()
	if err != nil {
		return err
	}
	wx, err := weather.Open(weather.Options{Rules: a.zones, Inputs: d.cfg.WeatherInputs(),
		Dir: filepath.Join(d.cfg.State.Dir, "weather"), Location: loc, Clock: d.opts.Clock, At: at,
		LastWatered: a.lastWatered, Apply: a.applyWeather, Watered: a.watered, Rained: a.publishWeather, Log: d.log.With("component", "weather")})
	if err != nil {
		return err
	}
	a.wx = wx
	for _, t := range wx.Filters() {
		addFeed(a.feeds, t, func(payload []byte, retained bool) error {
			_, err := wx.Feed(t, payload, retained)
			return err
		})
	}
	a.onClose(func() error { wx.Stop(); return nil })
	return nil
}

// lastWatered is when a scheduled run of a zone that follows the water level (as the zones'
// settings are now) last watered. A run is the schedule's by its owner, whatever its source is
// named.
func (a *run) lastWatered() time.Time {
	var last time.Time
	for _, r := range a.hist.Runs(0, a.started.AddDate(0, 0, -31)) {
		if r.Owner == topics.OwnerSchedule && r.ActualS > 0 && a.zones.FollowsLevel(r.Zone) && r.Ended.After(last) {
			last = r.Ended.Time
		}
	}
	return last
}

// watered lists zone's runs that ended in [from, to) and watered, for its water balance: the
// time each ran and the litres a flow meter measured.
func (a *run) watered(zone int, from, to time.Time) []balance.Run {
	var out []balance.Run
	for _, r := range a.hist.Runs(zone, from) {
		if r.Ended.Before(to) && r.ActualS > 0 {
			out = append(out, balance.Run{Seconds: r.ActualS, Litres: r.Litres})
		}
	}
	return out
}

// applyWeather tells a decision of the weather: an event and the retained state; the schedule
// reads the decision itself, from the weather, for each window (scheduler.Weather), and is told
// only that it changed.
func (a *run) applyWeather(day topics.WeatherDay) {
	if a.sched != nil {
		a.sched.WeatherDecided()
	}
	typ := topics.EventWeather
	if day.Source != topics.LevelFromWeather {
		typ = topics.EventWeatherFallback
	}
	a.v.AddEvent(topics.Event{Type: typ, Source: "weather", Message: weatherMessage(day)})
	a.postWeather(day)
}

// postWeather publishes a decision as the retained weather state, its zones named.
func (a *run) postWeather(day topics.WeatherDay) {
	day.Zones = slices.Clone(day.Zones) // the weather keeps the decision's
	for i := range day.Zones {
		day.Zones[i].Name = a.zones.Name(day.Zones[i].Zone)
	}
	a.rep.post(a.d.topics.WeatherState(), mustJSON(day))
}

// balancesEvery is how often the retained weather state is published again with the zones'
// balances as they are then: the soil dries through the day.
const balancesEvery = 15 * time.Minute

// publishWeather publishes today's decision again, with the zones' balances now.
func (a *run) publishWeather() {
	if a.wx == nil {
		return
	}
	if day := a.wx.Today(); day != nil {
		day.Zones = a.wx.Balances(a.d.opts.Clock.Now())
		a.postWeather(*day)
	}
}

// weatherMessage says what a decision was and why, in one line.
func weatherMessage(d topics.WeatherDay) string {
	var b strings.Builder
	fmt.Fprintf(&b, "water level %d%% for %s", d.Level, d.Date)
	switch {
	case d.Source == topics.LevelFromWeather:
		fmt.Fprintf(&b, ": ET0 %.1f mm yesterday (%s); %d days since the last watering lost %.1f mm, rain gave %.1f mm, against %.1f mm a day",
			*d.ET0Mm, d.Method, d.Window, d.ET0SumMm, d.EffectiveMm, d.BaselineMm)
	case len(d.Notes) > 0:
		b.WriteString(": " + d.Notes[len(d.Notes)-1])
	}
	if d.Skip != "" {
		b.WriteString("; today's runs skipped: " + d.Skip)
	}
	return b.String()
}
