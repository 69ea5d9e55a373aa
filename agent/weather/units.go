package weather

import (
	"fmt"
	"slices"
	"strings"

	"sprinkler/agent/et0"
)

// Quantities a weather input may carry.
const (
	Temperature    = "temperature"     // air temperature readings; the day's extremes come from them
	TemperatureMin = "temperature_min" // the day's minimum, as given by a station or a forecast
	TemperatureMax = "temperature_max" // the day's maximum, as given
	Humidity       = "humidity"        // relative humidity, %
	Dewpoint       = "dewpoint"        // dew point temperature
	Wind           = "wind"            // wind speed at height_m
	Solar          = "solar"           // solar radiation: W/m² readings, or the day's MJ/m² so far
	Sunshine       = "sunshine"        // hours of sunshine of the day so far
	Rain           = "rain"            // rainfall: per event, or a running total
	ForecastRain   = "forecast_rain"   // rain forecast for the next 24 hours
)

// Quantities lists them, in the order the weather shows them.
var Quantities = []string{Temperature, TemperatureMin, TemperatureMax, Humidity, Dewpoint, Wind, Solar, Sunshine, Rain, ForecastRain}

// units are, per quantity, the units accepted and their conversion to the agent's own (°C, %,
// m/s, W/m² or MJ/m², h, mm); the first is the default.
var units = map[string][]unit{
	Temperature:    temperatureUnits,
	TemperatureMin: temperatureUnits,
	TemperatureMax: temperatureUnits,
	Dewpoint:       temperatureUnits,
	Humidity:       {{"%", 1, 0}, {"fraction", 100, 0}},
	Wind:           {{"m/s", 1, 0}, {"km/h", 1 / 3.6, 0}, {"mph", 0.44704, 0}, {"kn", 0.514444, 0}},
	Solar:          {{"W/m2", 1, 0}, {"MJ/m2", 1, 0}, {"lux", luxWm2, 0}},
	Sunshine:       {{"h", 1, 0}, {"min", 1.0 / 60, 0}},
	Rain:           lengthUnits,
	ForecastRain:   lengthUnits,
}

// luxWm2 is the W/m² of a lux of daylight: an approximation (daylight's luminous efficacy is
// about 100 to 130 lm/W with the sun's height and the clouds), for stations that send only
// illuminance (rtl_433's Fine Offset decoder: light_lux).
const luxWm2 = 0.0079

var (
	temperatureUnits = []unit{{"C", 1, 0}, {"F", 5.0 / 9, -32 * 5.0 / 9}, {"K", 1, -273.15}}
	lengthUnits      = []unit{{"mm", 1, 0}, {"in", 25.4, 0}}
)

// unit converts v to the agent's unit: v*scale + offset.
type unit struct {
	name          string
	scale, offset float64
}

// Unit checks a quantity's unit and returns its conversion; "" is the quantity's default.
func Unit(quantity, name string) (func(float64) float64, string, error) {
	us, ok := units[quantity]
	if !ok {
		return nil, "", fmt.Errorf("quantity %q: want one of %s", quantity, strings.Join(Quantities, ", "))
	}
	if name == "" {
		name = us[0].name
	}
	i := slices.IndexFunc(us, func(u unit) bool { return strings.EqualFold(u.name, name) })
	if i < 0 {
		names := make([]string, len(us))
		for i, u := range us {
			names[i] = u.name
		}
		return nil, "", fmt.Errorf("unit %q of %s: want %s", name, quantity, strings.Join(names, ", "))
	}
	u := us[i]
	return func(v float64) float64 { return v*u.scale + u.offset }, u.name, nil
}

// plausible bounds each quantity's readings in the agent's units: what no station measures is
// refused on arrival (counted, not stored), so that it never voids a day's ET0. Solar depends
// on the unit the readings are kept in; rain bounds one reading's rainfall.
var plausible = map[string][2]float64{
	Temperature: {-60, 60}, TemperatureMin: {-60, 60}, TemperatureMax: {-60, 60}, Dewpoint: {-60, 60},
	Humidity: {0, 100}, Wind: {0, 60}, Sunshine: {0, 24}, Rain: {0, 500}, ForecastRain: {0, 1000},
}

// solarBounds are plausible solar readings: W/m² a moment, or MJ/m² a day.
var solarBounds = map[string][2]float64{"W/m2": {0, 1500}, "MJ/m2": {0, 45}}

// check bounds v, a reading of quantity q in unit (as sent), in the agent's unit: it returns the
// value to keep, or why none is.
func check(q, unit string, v float64) (float64, error) {
	b, ok := plausible[q]
	if q == Solar {
		b, ok = solarBounds[solarKept(unit)]
	}
	if q == Humidity && unit == "%" && v > 0 && v < 1 {
		return 0, fmt.Errorf("humidity %g %% looks like a fraction of 1: send percent, or give the input unit: fraction", v)
	}
	if q == Humidity {
		v, _ = et0.Humidity(v) // a little over 100 % is 100 %; further, the bounds refuse it
	}
	if !ok || v >= b[0] && v <= b[1] { // NaN fails both
		return v, nil
	}
	return 0, fmt.Errorf("%g %s is not a plausible reading (want %g to %g)", v, keptIn(q, unit), b[0], b[1])
}

// keptIn is the unit the agent keeps quantity q in, whose readings come in unit.
func keptIn(q, unit string) string {
	switch q {
	case Temperature, TemperatureMin, TemperatureMax, Dewpoint:
		return "°C"
	case Humidity:
		return "%"
	case Wind:
		return "m/s at 2 m"
	case Solar:
		return strings.Replace(solarKept(unit), "2", "²", 1) // W/m² readings, or the day's MJ/m²
	case Sunshine:
		return "h"
	}
	return "mm"
}

// solarKept is the unit solar readings sent in unit are kept in: the day's MJ/m² so far as
// sent, else W/m² (lux converted).
func solarKept(unit string) string {
	if unit == "MJ/m2" {
		return unit
	}
	return "W/m2"
}

// toMJ converts a day's mean solar radiation in W/m² to MJ/m² a day.
func toMJ(wm2 float64) float64 { return wm2 * 86400 / 1e6 }

// wind2m brings a wind speed at height h metres to 2 m.
func wind2m(v, h float64) float64 {
	if h == 0 || h == 2 {
		return v
	}
	return et0.Wind2m(v, h)
}
