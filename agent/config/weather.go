package config

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"sprinkler/agent/balance"
	"sprinkler/agent/et0"
	"sprinkler/agent/reading"
	"sprinkler/agent/weather"
	"sprinkler/configs"
)

// validateWeather checks weather.* and site.elevation.
func (c Config) validateWeather() []error {
	var errs []error
	add := func(key, format string, args ...any) { errs = append(errs, configs.Errorf(key, format, args...)) }
	w := c.Weather
	if e := c.Site.Elevation; e < -500 || e > 9000 || math.IsNaN(e) {
		add("site.elevation", "%v: want -500 to 9000 metres", e)
	}
	if !w.Enabled() {
		return errs
	}
	if !c.Site.Known() {
		add("weather.inputs", "the weather needs site.latitude (and longitude) for the sun's radiation")
	}
	if _, err := w.TimeOfDay(); err != nil {
		add("weather.at", "%q: want HH:MM, the local time of the daily computation", w.At)
	}
	for _, r := range []struct {
		key    string
		v      float64
		lo, hi float64
		want   string
	}{
		{"baseline_et0_mm", w.BaselineMm, 0.5, 15, "0.5 to 15 mm a day (a summer day: 4 to 7)"},
		{"rain_factor", w.RainFactor, 0, 1, "0 to 1"},
		{"rain_skip_mm", w.RainSkipMm, 0, math.Inf(1), "0 (never) or more mm"},
		{"forecast_skip_mm", w.ForecastSkipMm, 0, math.Inf(1), "0 (never) or more mm"},
		{"light_rain_mm", w.LightRainMm, 0, 20, "0 (every drop counts) to 20 mm"},
		{"wind_skip_ms", w.WindSkipMS, 0, 40, "0 (never) to 40 m/s"},
	} {
		if r.v < r.lo || r.v > r.hi || math.IsNaN(r.v) {
			add("weather."+r.key, "%v: want %s", r.v, r.want)
		}
	}
	if f := w.FrostSkipC; f != nil && (*f < -20 || *f > 10 || math.IsNaN(*f)) {
		add("weather.frost_skip_c", "%v: want -20 to 10 °C (leave it out: never)", *f)
	}
	if w.BalanceDays < 1 || w.BalanceDays > 30 {
		add("weather.balance_days", "%d: want 1 to 30", w.BalanceDays)
	}
	if w.FallbackDays < 0 || w.FallbackDays > 30 {
		add("weather.fallback_days", "%d: want 0 to 30", w.FallbackDays)
	}
	seen := map[string]bool{}
	for i, in := range w.Inputs {
		key := fmt.Sprintf("weather.inputs[%d]", i)
		if _, _, err := weather.Unit(in.Quantity, in.Unit); err != nil {
			add(key, "%v", err)
		} else if seen[in.Quantity] {
			add(key+".quantity", "%s is given twice", in.Quantity)
		}
		seen[in.Quantity] = true
		if err := c.dataTopic(in.Topic); err != nil {
			add(key+".topic", "%v", err)
		}
		if _, err := reading.Parse(in.Path); err != nil {
			add(key+".path", "%v", err)
		}
		checkMaxAge(in.MaxAge, func(format string, args ...any) { add(key+".max_age", format, args...) })
		if in.Quantity == weather.Wind && in.HeightM != 0 && (in.HeightM < 0.5 || in.HeightM > 100) {
			add(key+".height_m", "%v: want 0.5 to 100 metres (0: 2 m)", in.HeightM)
		}
	}
	if !seen[weather.Temperature] && !(seen[weather.TemperatureMin] && seen[weather.TemperatureMax]) {
		add("weather.inputs", "no temperature: ET0 needs temperature, or temperature_min and temperature_max")
	}
	return errs
}

// dataTopic checks a topic the agent takes data from: no wildcards, and none of the agent's own
// topics but <base>/input/<name>.
func (c Config) dataTopic(t string) error {
	if t == "" || strings.ContainsAny(t, "+#\x00") || strings.HasPrefix(t, "$") || len(t) > 1024 {
		return fmt.Errorf("%q: want a topic without wildcards", t)
	}
	base := c.MQTT.Prefix + "/" + c.Agent.ID + "/"
	if rest, ok := strings.CutPrefix(t, base); ok && !(strings.HasPrefix(rest, "input/") && len(rest) > len("input/")) {
		return fmt.Errorf("%q is one of the agent's own topics; use %sinput/<name>", t, base)
	}
	return nil
}

// TimeOfDay is weather.at as a time from local midnight.
func (w Weather) TimeOfDay() (time.Duration, error) {
	t, err := time.Parse("15:04", w.At)
	if err != nil {
		return 0, err
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
}

// WeatherSettings are the weather's rules as the weather engine takes them.
func (c Config) WeatherSettings() weather.Settings {
	w := c.Weather
	s := weather.Settings{Site: et0.Site{LatitudeDeg: c.Site.Latitude, ElevationM: c.Site.Elevation}, LongitudeDeg: c.Site.Longitude,
		BaselineMm: w.BaselineMm, BalanceDays: w.BalanceDays, RainFactor: w.RainFactor, RainSkipMm: w.RainSkipMm,
		ForecastSkipMm: w.ForecastSkipMm, FallbackDays: w.FallbackDays, LightRainMm: w.LightRainMm, WindSkipMS: w.WindSkipMS,
		FrostSkipC: w.FrostSkipC, Zones: map[int]balance.Zone{}}
	for _, z := range c.Zones {
		if b, ok := z.Balance(); ok {
			s.Zones[z.ID] = b
		}
	}
	if w.Coastal {
		s.Site.KRs = 0.19
	}
	return s
}

// WeatherInputs are weather.inputs as the weather engine takes them; they passed validation.
func (c Config) WeatherInputs() []weather.Input {
	var out []weather.Input
	for _, in := range c.Weather.Inputs {
		p, _ := reading.Parse(in.Path)
		out = append(out, weather.Input{Quantity: in.Quantity, Topic: in.Topic, Path: p, Unit: in.Unit, MaxAge: in.MaxAge, HeightM: in.HeightM, Total: in.Total})
	}
	return out
}

// validateTopicSensor checks the MQTT fields of a sensor on a topic.
func (c Config) validateTopicSensor(s Sensor, add func(field, format string, args ...any)) {
	if err := c.dataTopic(s.Topic); err != nil {
		add("topic", "%v", err)
	}
	if _, err := reading.Parse(s.Path); err != nil {
		add("path", "%v", err)
	}
	if s.Active != "" && s.Active != "above" && s.Active != "below" {
		add("active", "%q: want above (active at or above the threshold; the default) or below", s.Active)
	}
	if s.Hysteresis < 0 || math.IsNaN(s.Hysteresis) {
		add("hysteresis", "%v: want 0 or more", s.Hysteresis)
	}
	if s.Threshold != nil && math.IsNaN(*s.Threshold) {
		add("threshold", "NaN is not a threshold")
	}
	checkMaxAge(s.MaxAge, func(format string, args ...any) { add("max_age", format, args...) })
	if s.Pull != "" || s.Line != 0 {
		add("topic", "a sensor is on a line or on a topic, not both (drop line and pull)")
	}
}

// longestMaxAge bounds the max_age of weather inputs and topic sensors.
const longestMaxAge = 7 * 24 * time.Hour

// checkMaxAge reports a max_age out of bounds to bad.
func checkMaxAge(d time.Duration, bad func(format string, args ...any)) {
	if d < 0 || d > longestMaxAge {
		bad("%v: want 0 (never stale) to 168h", d)
	}
}

// validateSensorZones checks a sensor's zones list.
func (c Config) validateSensorZones(s Sensor, add func(field, format string, args ...any)) {
	for j, id := range s.Zones {
		if !slices.ContainsFunc(c.Zones, func(z Zone) bool { return z.ID == id }) {
			add(fmt.Sprintf("zones[%d]", j), "%d is not a zone", id)
		}
	}
}
