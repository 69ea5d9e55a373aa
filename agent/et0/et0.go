// Package et0 computes reference evapotranspiration (ET0, the water a well-watered grass lawn
// loses, mm a day) by FAO Irrigation and Drainage Paper 56 (Allen, Pereira, Raes and Smith,
// 1998): the FAO Penman-Monteith equation (its equation 6) for a day or a month, with the
// paper's procedures for missing humidity, radiation and wind (its chapter 3, section
// "Estimating missing climatic data"), and the Hargreaves equation (its equation 52) for a day
// with temperatures alone. Equation numbers in comments are the paper's.
package et0

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// Methods, as Result.Method names them.
const (
	PenmanMonteith = "penman-monteith"
	Hargreaves     = "hargreaves"
)

// Site is where the weather was measured.
type Site struct {
	LatitudeDeg float64 // north positive
	ElevationM  float64
	// KRs is the radiation adjustment of equation 50 for Rs from the temperature range: 0.16
	// inland, 0.19 on a coast; 0 means 0.16.
	KRs float64
}

// Day is one day's weather. Tmin and Tmax are required; a nil field is missing and follows
// the paper's procedure for it.
type Day struct {
	Date       time.Time // its calendar date gives the day of the year
	TminC      float64
	TmaxC      float64
	RHminPct   *float64
	RHmaxPct   *float64
	RHmeanPct  *float64
	DewpointC  *float64
	WindMS     *float64 // mean wind speed at WindHeight
	WindHeight float64  // metres; 0 means 2
	SolarMJ    *float64 // solar radiation, MJ m-2 day-1
	SunshineH  *float64 // actual duration of sunshine, hours
	// Method forces one method: PenmanMonteith, Hargreaves, or "" to choose Hargreaves only
	// when nothing but temperature is known.
	Method string
}

// Result is a computed ET0 and the terms it came from, in the paper's units (kPa, MJ m-2
// day-1, m s-1, °C).
type Result struct {
	ET0Mm  float64
	Method string   // PenmanMonteith or Hargreaves
	Notes  []string // the missing-data procedures used, in the paper's words
	// The Penman-Monteith terms (Hargreaves fills Ra, N and Tmean only).
	PressureKPa, Gamma, Tmean, Delta             float64
	Es, Ea, U2                                   float64
	Dr, Declination, SunsetAngle, Ra, N, Rs, Rso float64
	Rns, Rnl, Rn, G                              float64
}

// Description is the method with its notes, for a reply or an event.
func (r Result) Description() string {
	if len(r.Notes) == 0 {
		return r.Method
	}
	return r.Method + " (" + strings.Join(r.Notes, "; ") + ")"
}

// Errors of the inputs.
var (
	ErrRange = errors.New("value out of range")
)

const (
	solarConstant = 0.0820   // Gsc, MJ m-2 min-1
	stefan        = 4.903e-9 // σ, MJ K-4 m-2 day-1
	albedo        = 0.23     // of the grass reference crop
	lambdaInv     = 0.408    // 1/λ, mm per MJ m-2
	defaultWind   = 2.0      // m s-1, the paper's default where wind is not measured
	kRsInland     = 0.16     // equation 50
	kelvin        = 273.16   // the paper's conversion in equation 39
	kelvinPM      = 273.0    // the paper's conversion in equation 6
	rhPercent     = 100.0
	minutesPerDay = 24 * 60.0
)

// Pressure is the atmospheric pressure at elevation z metres, kPa (equation 7).
func Pressure(z float64) float64 { return 101.3 * math.Pow((293-0.0065*z)/293, 5.26) }

// Psychrometric is γ at pressure p kPa, kPa °C-1 (equation 8).
func Psychrometric(p float64) float64 { return 0.665e-3 * p }

// SaturationVP is e°(T), kPa (equation 11).
func SaturationVP(t float64) float64 { return 0.6108 * math.Exp(17.27*t/(t+237.3)) }

// Slope is Δ, the slope of the saturation vapour pressure curve at t, kPa °C-1 (equation 13).
func Slope(t float64) float64 { return 4098 * SaturationVP(t) / ((t + 237.3) * (t + 237.3)) }

// MeanSaturationVP is es from the day's extremes, kPa (equation 12).
func MeanSaturationVP(tmin, tmax float64) float64 {
	return (SaturationVP(tmin) + SaturationVP(tmax)) / 2
}

// Wind2m converts a wind speed measured z metres above the ground to 2 m (equation 47).
func Wind2m(u, z float64) float64 { return u * 4.87 / math.Log(67.8*z-5.42) }

// Sun are the day's astronomical terms at a latitude.
type Sun struct {
	Dr, Declination, SunsetAngle float64 // equations 23, 24, 25 (radians)
	Ra                           float64 // extraterrestrial radiation, MJ m-2 day-1 (equation 21)
	N                            float64 // daylight hours (equation 34)
}

// SunOn computes the astronomical terms of day-of-year j at latitude latDeg.
func SunOn(latDeg float64, j int) Sun {
	phi := latDeg * math.Pi / 180
	dr := 1 + 0.033*math.Cos(2*math.Pi/365*float64(j))
	decl := 0.409 * math.Sin(2*math.Pi/365*float64(j)-1.39)
	ws := math.Acos(max(-1, min(1, -math.Tan(phi)*math.Tan(decl))))
	ra := minutesPerDay / math.Pi * solarConstant * dr * (ws*math.Sin(phi)*math.Sin(decl) + math.Cos(phi)*math.Cos(decl)*math.Sin(ws))
	return Sun{Dr: dr, Declination: decl, SunsetAngle: ws, Ra: ra, N: 24 / math.Pi * ws}
}

// DayShare is the share of the day's extraterrestrial radiation that has come by solar time
// hour (0 to 24, noon the sun's highest) at latitude latDeg on day-of-year j: the integral of
// equation 28's sun angle from sunrise, over the day's. Evapotranspiration follows it closely
// enough to spread a day's ET0 through the day.
func DayShare(latDeg float64, j int, hour float64) float64 {
	s := SunOn(latDeg, j)
	phi := latDeg * math.Pi / 180
	a, b := math.Sin(phi)*math.Sin(s.Declination), math.Cos(phi)*math.Cos(s.Declination)
	ws := s.SunsetAngle
	w := max(-ws, min(ws, math.Pi/12*(hour-12))) // equation 31's hour angle, within the day
	whole := 2 * (ws*a + b*math.Sin(ws))
	if whole <= 0 {
		return min(1, max(0, hour/24)) // polar night: evenly
	}
	return ((w+ws)*a + b*(math.Sin(w)+math.Sin(ws))) / whole
}

// NetLongwave is Rnl, MJ m-2 day-1 (equation 39).
func NetLongwave(tmin, tmax, ea, rs, rso float64) float64 {
	k4 := func(t float64) float64 { k := t + kelvin; return k * k * k * k }
	ratio := min(rs/rso, 1)
	return stefan * (k4(tmax) + k4(tmin)) / 2 * (0.34 - 0.14*math.Sqrt(ea)) * (1.35*ratio - 0.35)
}

// Equation is the FAO Penman-Monteith equation (equation 6): ET0, mm, from net radiation rn,
// soil heat flux g, mean temperature t, wind at 2 m u2, es and ea, Δ and γ.
func Equation(rn, g, t, u2, es, ea, delta, gamma float64) float64 {
	return (lambdaInv*delta*(rn-g) + gamma*900/(t+kelvinPM)*u2*(es-ea)) / (delta + gamma*(1+0.34*u2))
}

// HargreavesET0 is equation 52, mm a day, with Ra in MJ m-2 day-1.
func HargreavesET0(tmin, tmax, ra float64) float64 {
	return 0.0023 * ((tmin+tmax)/2 + 17.8) * math.Sqrt(max(tmax-tmin, 0)) * lambdaInv * ra
}

// check refuses what no weather station measures.
func (d Day) check() error {
	var errs []error
	bad := func(name string, v, lo, hi float64) {
		if math.IsNaN(v) || v < lo || v > hi {
			errs = append(errs, fmt.Errorf("%s %g: want %g to %g: %w", name, v, lo, hi, ErrRange))
		}
	}
	bad("tmin_c", d.TminC, -60, 60)
	bad("tmax_c", d.TmaxC, -60, 60)
	if d.TmaxC < d.TminC {
		errs = append(errs, fmt.Errorf("tmax_c %g is below tmin_c %g: %w", d.TmaxC, d.TminC, ErrRange))
	}
	opt := func(name string, p *float64, lo, hi float64) {
		if p != nil {
			bad(name, *p, lo, hi)
		}
	}
	for _, h := range []struct {
		name string
		p    *float64
	}{{"rh_min", d.RHminPct}, {"rh_max", d.RHmaxPct}, {"rh_mean", d.RHmeanPct}} {
		if h.p == nil {
			continue
		}
		if _, ok := Humidity(*h.p); !ok {
			errs = append(errs, fmt.Errorf("%s %g: want 0 to 100 (up to %d above counts as 100): %w", h.name, *h.p, HumidityOverPct, ErrRange))
		}
	}
	opt("dewpoint_c", d.DewpointC, -80, 60)
	opt("wind_ms", d.WindMS, 0, 100)
	opt("solar_mj_m2", d.SolarMJ, 0, 50)
	opt("sunshine_h", d.SunshineH, 0, 24)
	if d.WindHeight != 0 {
		bad("wind_height_m", d.WindHeight, 0.5, 100)
	}
	switch d.Method {
	case "", PenmanMonteith, Hargreaves:
	default:
		errs = append(errs, fmt.Errorf("method %q: want %s or %s: %w", d.Method, PenmanMonteith, Hargreaves, ErrRange))
	}
	return errors.Join(errs...)
}

// HumidityOverPct is how far above 100 % a relative humidity may be and count as 100 %: a
// capacitive sensor reads a little over it in fog (CoAgMET's, on 24 days of 2020). Above it, a
// reading is a fault.
const HumidityOverPct = 5

// Humidity is a relative humidity as the equations take it: at most 100 %, from a reading up
// to HumidityOverPct above it; ok is false for a reading below 0 or further above 100.
func Humidity(pct float64) (v float64, ok bool) {
	switch {
	case pct > 100 && pct <= 100+HumidityOverPct:
		return 100, true
	case pct >= 0 && pct <= 100:
		return pct, true
	}
	return pct, false // NaN too
}

// humidity is *p as the equations take it (nil stays nil); check passed it.
func humidity(p *float64) *float64 {
	if p == nil {
		return nil
	}
	v, _ := Humidity(*p)
	return &v
}

// onlyTemperature reports whether nothing but the temperatures is known.
func (d Day) onlyTemperature() bool {
	return d.RHminPct == nil && d.RHmaxPct == nil && d.RHmeanPct == nil && d.DewpointC == nil &&
		d.WindMS == nil && d.SolarMJ == nil && d.SunshineH == nil
}

// Daily computes a day's ET0 at site. With temperatures alone it uses Hargreaves, unless
// d.Method asks for Penman-Monteith with the missing-data procedures.
func Daily(site Site, d Day) (Result, error) {
	if err := d.check(); err != nil {
		return Result{}, err
	}
	if math.Abs(site.LatitudeDeg) > 90 || site.ElevationM < -500 || site.ElevationM > 9000 {
		return Result{}, fmt.Errorf("latitude %g, elevation %g m: %w", site.LatitudeDeg, site.ElevationM, ErrRange)
	}
	d.RHminPct, d.RHmaxPct, d.RHmeanPct = humidity(d.RHminPct), humidity(d.RHmaxPct), humidity(d.RHmeanPct)
	sun := SunOn(site.LatitudeDeg, d.Date.YearDay())
	if d.Method == Hargreaves || d.Method == "" && d.onlyTemperature() {
		r := Result{Method: Hargreaves, Tmean: (d.TminC + d.TmaxC) / 2, Dr: sun.Dr, Declination: sun.Declination,
			SunsetAngle: sun.SunsetAngle, Ra: sun.Ra, N: sun.N}
		r.ET0Mm = max(HargreavesET0(d.TminC, d.TmaxC, sun.Ra), 0)
		return r, nil
	}
	r := penmanMonteith(site, sun, d.TminC, d.TmaxC, d)
	r.ET0Mm = max(Equation(r.Rn, r.G, r.Tmean, r.U2, r.Es, r.Ea, r.Delta, r.Gamma), 0)
	return r, nil
}

// penmanMonteith fills the terms of equation 6 but ET0, with G 0 (a day).
func penmanMonteith(site Site, sun Sun, tmin, tmax float64, d Day) Result {
	r := Result{Method: PenmanMonteith, Dr: sun.Dr, Declination: sun.Declination, SunsetAngle: sun.SunsetAngle, Ra: sun.Ra, N: sun.N}
	r.PressureKPa = Pressure(site.ElevationM)
	r.Gamma = Psychrometric(r.PressureKPa)
	r.Tmean = (tmin + tmax) / 2
	r.Delta = Slope(r.Tmean)
	r.Es = MeanSaturationVP(tmin, tmax)
	r.Ea = actualVP(tmin, tmax, d, &r.Notes)
	switch {
	case d.WindMS != nil && (d.WindHeight == 0 || d.WindHeight == 2):
		r.U2 = *d.WindMS
	case d.WindMS != nil:
		r.U2 = Wind2m(*d.WindMS, d.WindHeight)
	default:
		r.U2 = defaultWind
		r.Notes = append(r.Notes, "wind 2 m/s (no wind data)")
	}
	r.Rso = (0.75 + 2e-5*site.ElevationM) * sun.Ra // equation 37
	switch {
	case d.SolarMJ != nil:
		r.Rs = *d.SolarMJ
	case d.SunshineH != nil:
		r.Rs = (0.25 + 0.50*min(*d.SunshineH, sun.N)/sun.N) * sun.Ra // equation 35
		r.Notes = append(r.Notes, "Rs from sunshine hours")
	default:
		k := site.KRs
		if k == 0 {
			k = kRsInland
		}
		r.Rs = min(k*math.Sqrt(max(tmax-tmin, 0))*sun.Ra, r.Rso) // equation 50, at most Rso
		r.Notes = append(r.Notes, "Rs from the temperature range")
	}
	r.Rns = (1 - albedo) * r.Rs // equation 38
	if r.Rso > 0 {
		r.Rnl = NetLongwave(tmin, tmax, r.Ea, r.Rs, r.Rso)
	}
	r.Rn = r.Rns - r.Rnl // equation 40
	return r
}

// actualVP is ea by the best data at hand (equations 14 to 19, and 48 without humidity data),
// noting the procedure used.
func actualVP(tmin, tmax float64, d Day, notes *[]string) float64 {
	switch {
	case d.DewpointC != nil:
		return SaturationVP(*d.DewpointC) // equation 14
	case d.RHmaxPct != nil && d.RHminPct != nil:
		return (SaturationVP(tmin)**d.RHmaxPct/rhPercent + SaturationVP(tmax)**d.RHminPct/rhPercent) / 2 // equation 17
	case d.RHmaxPct != nil:
		*notes = append(*notes, "ea from RHmax")
		return SaturationVP(tmin) * *d.RHmaxPct / rhPercent // equation 18
	case d.RHmeanPct != nil:
		*notes = append(*notes, "ea from RHmean")
		return *d.RHmeanPct / rhPercent * MeanSaturationVP(tmin, tmax) // equation 19
	}
	*notes = append(*notes, "ea from Tmin (no humidity data)")
	return SaturationVP(tmin) // equation 48: the dewpoint near Tmin
}

// Month is a month's mean weather, for the paper's monthly procedure: Tmin and Tmax are the
// means of the daily extremes; Ea is given (kPa); PrevTmean and NextTmean are the neighbouring
// months' mean temperatures for the soil heat flux (equation 43; without NextTmean, 44).
type Month struct {
	Mid                  time.Time // the 15th of the month
	TminC, TmaxC         float64
	EaKPa                float64
	U2                   float64
	SunshineH            float64 // mean daily sunshine hours
	PrevTmean, NextTmean *float64
}

// Monthly computes a month's mean daily ET0 by Penman-Monteith, with the monthly soil heat flux.
func Monthly(site Site, m Month) Result {
	sun := SunOn(site.LatitudeDeg, m.Mid.YearDay())
	d := Day{Date: m.Mid, TminC: m.TminC, TmaxC: m.TmaxC, DewpointC: nil, WindMS: &m.U2, SunshineH: &m.SunshineH}
	r := penmanMonteith(site, sun, m.TminC, m.TmaxC, d)
	r.Notes = nil
	r.Ea = m.EaKPa
	r.Rnl = NetLongwave(m.TminC, m.TmaxC, r.Ea, r.Rs, r.Rso)
	r.Rn = r.Rns - r.Rnl
	switch {
	case m.PrevTmean != nil && m.NextTmean != nil:
		r.G = 0.07 * (*m.NextTmean - *m.PrevTmean) // equation 43
	case m.PrevTmean != nil:
		r.G = 0.14 * (r.Tmean - *m.PrevTmean) // equation 44
	}
	r.ET0Mm = Equation(r.Rn, r.G, r.Tmean, r.U2, r.Es, r.Ea, r.Delta, r.Gamma)
	return r
}
