package serve

import (
	"slices"
	"time"

	"sprinkler/agent/et0"
	"sprinkler/topics"
)

// Weather is the agent's weather as the weather commands need it.
type Weather interface {
	Report(days int) topics.WeatherReport
	Compute(by string) topics.WeatherDay
}

// maxWeatherDays bounds weather's days: the decisions kept.
const maxWeatherDays = 60

func (s *Service) needWeather(h handler) handler {
	return func(r topics.Request, source string) (any, error) {
		if s.o.Weather == nil {
			return nil, topics.Errorf(topics.CodeUnavailable, "no weather: weather.inputs is empty")
		}
		return h(r, source)
	}
}

func (s *Service) weather(r topics.Request, _ string) (any, error) {
	var args topics.WeatherArgs
	if err := r.Decode(&args); err != nil {
		return nil, err
	}
	if args.Days < 0 || args.Days > maxWeatherDays {
		return nil, topics.Errorf(topics.CodeBadRequest, "days %d: want 0 to %d", args.Days, maxWeatherDays)
	}
	rep := s.o.Weather.Report(args.Days)
	names := map[int]string{}
	for _, z := range s.o.Valves.Zones() {
		names[z.ID] = z.Name
	}
	var next []topics.PlannedRun
	if s.o.Schedule != nil {
		next, _ = s.o.Schedule.Next(48*time.Hour, true)
	}
	for i := range rep.Zones {
		b := &rep.Zones[i]
		b.Name = names[b.Zone]
		if j := slices.IndexFunc(next, func(p topics.PlannedRun) bool { return p.Zone == b.Zone }); j >= 0 {
			b.Next = &next[j]
		}
	}
	return rep, nil
}

func (s *Service) weatherCompute(r topics.Request, source string) (any, error) {
	return s.o.Weather.Compute(source), nil
}

// et0 computes ET0 for the weather given, by FAO-56, and keeps nothing.
func (s *Service) et0(r topics.Request, _ string) (any, error) {
	var a topics.ET0Args
	if err := r.Decode(&a); err != nil {
		return nil, err
	}
	date, err := time.Parse(time.DateOnly, a.Date)
	switch {
	case err != nil:
		return nil, topics.Errorf(topics.CodeBadRequest, "date %q: want YYYY-MM-DD", a.Date)
	case a.LatitudeDeg == nil:
		return nil, topics.Errorf(topics.CodeBadRequest, "latitude_deg is missing: degrees, north positive")
	case a.TminC == nil || a.TmaxC == nil:
		return nil, topics.Errorf(topics.CodeBadRequest, "tmin_c and tmax_c are required: the day's extremes, °C")
	}
	res, err := et0.Daily(et0.Site{LatitudeDeg: *a.LatitudeDeg, ElevationM: a.ElevationM}, et0.Day{Date: date, TminC: *a.TminC, TmaxC: *a.TmaxC,
		RHminPct: a.RHMin, RHmaxPct: a.RHMax, RHmeanPct: a.RHMean, DewpointC: a.DewpointC, WindMS: a.WindMS, WindHeight: a.WindHeightM,
		SolarMJ: a.SolarMJ, SunshineH: a.SunshineH, Method: a.Method})
	if err != nil {
		return nil, topics.Errorf(topics.CodeBadRequest, "%v", err)
	}
	terms := map[string]float64{"ra_mj_m2": res.Ra, "daylight_h": res.N, "tmean_c": res.Tmean}
	if res.Method == et0.PenmanMonteith {
		for k, v := range map[string]float64{"pressure_kpa": res.PressureKPa, "gamma": res.Gamma, "delta": res.Delta, "es_kpa": res.Es, "ea_kpa": res.Ea,
			"u2_ms": res.U2, "rs_mj_m2": res.Rs, "rso_mj_m2": res.Rso, "rns_mj_m2": res.Rns, "rnl_mj_m2": res.Rnl, "rn_mj_m2": res.Rn, "g_mj_m2": res.G} {
			terms[k] = v
		}
	}
	return topics.ET0Result{ET0Mm: res.ET0Mm, Method: res.Description(), Terms: terms}, nil
}
