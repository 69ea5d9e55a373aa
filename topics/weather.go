package topics

import "time"

// The weather's payloads: the retained <base>/weather/state, the weather and weather_compute
// replies, and et0's arguments and reply.

// WeatherInput is one configured weather input as the agent last heard it.
type WeatherInput struct {
	Quantity string   `json:"quantity"` // temperature, humidity, dewpoint, wind, solar, sunshine, rain, forecast_rain, …
	Topic    string   `json:"topic"`
	Path     string   `json:"path,omitempty"`
	Unit     string   `json:"unit"`            // of the readings on the topic
	Value    *float64 `json:"value,omitempty"` // the last reading, in ValueUnit
	// ValueUnit is the unit the agent keeps the quantity in: °C, %, m/s at 2 m, W/m² or MJ/m², h, mm.
	ValueUnit string   `json:"value_unit,omitempty"`
	At        *Time    `json:"at,omitempty"` // when it came; nil: never since the agent started
	AgeS      *float64 `json:"age_s,omitempty"`
	Stale     bool     `json:"stale"` // older than its max_age, or never heard
	// Refused counts the readings refused since the agent started: implausible values, or more
	// than the agent keeps of an input a day.
	Refused int `json:"refused,omitempty"`
}

// WeatherDay is the decision of one day: the ET0 of the days it weighed, the rain, and the
// water level it set. It is the retained <base>/weather/state, an event's message, and a
// record of the weather history.
type WeatherDay struct {
	Date       string `json:"date"` // the day the level is for, YYYY-MM-DD
	ComputedAt Time   `json:"computed_at"`
	By         string `json:"by,omitempty"` // schedule (the daily computation), startup, or who asked
	// ET0Mm is the ET0 of the day before Date, and Method how it was computed; nil: no
	// weather for it.
	ET0Mm  *float64 `json:"et0_mm"`
	Method string   `json:"method"`
	// The water balance: the days since the last watering (Window of them, from BalanceFrom),
	// their ET0 and effective rain, against Baseline ET0 a day.
	BalanceFrom string  `json:"balance_from"`
	Window      int     `json:"window_days,omitempty"`
	ET0SumMm    float64 `json:"et0_sum_mm"`
	RainMm      float64 `json:"rain_mm"`           // measured, in the window
	EffectiveMm float64 `json:"effective_rain_mm"` // the part of it that counts
	BaselineMm  float64 `json:"baseline_mm"`
	// Level is the water level set, percent; Source says where it came from: weather (the
	// balance), last (no fresh weather: the last computed level kept) or default (100 %).
	Level  int    `json:"level"`
	Source string `json:"source"`
	// Skip says why the day's runs of the zones that follow the water level are skipped; "":
	// they are not.
	Skip string `json:"skip"`
	// Rain24hMm is the rain of the 24 hours before the computation, ForecastMm the forecast for
	// the next 24 (nil: none fresh).
	Rain24hMm  float64  `json:"rain_24h_mm"`
	ForecastMm *float64 `json:"forecast_mm"`
	Notes      []string `json:"notes"` // gaps in the readings, fallbacks
	// Zones are the balances of the zones that keep one: as the computation closed them, and
	// in the retained state as they are when it is published again (every 15 minutes).
	Zones []ZoneBalance `json:"zones"`
}

// Sources of WeatherDay.Source.
const (
	LevelFromWeather = "weather"
	LevelFromLast    = "last"
	LevelDefault     = "default"
)

// WeatherReport is the weather command's reply: the inputs now, today's decision and, with
// days, the decisions of that many days before, oldest first.
type WeatherReport struct {
	Inputs []WeatherInput `json:"inputs"`
	Today  *WeatherDay    `json:"today"`
	Days   []WeatherDay   `json:"days,omitempty"`
	Zones  []ZoneBalance  `json:"zones"` // the zones that keep a water balance, now
}

// ZoneBalance is a zone's water balance (FAO-56 chapter 8) at a moment: its root zone's
// depletion below field capacity, and what made it since the start of the day.
type ZoneBalance struct {
	Zone int    `json:"zone"`
	Name string `json:"name,omitempty"`
	At   Time   `json:"at"`
	Date string `json:"date"` // the day StartMm is the depletion at the start of
	// StartMm is the depletion at the start of Date; LostMm the plants' ET since (today's
	// estimated from the last day's ET0 by the share of the day's sun gone); RainMm the rain
	// that counted; WateredMm the runs' water; DepletionMm what that leaves now.
	StartMm     float64 `json:"start_mm"`
	LostMm      float64 `json:"lost_mm"`
	RainMm      float64 `json:"rain_mm"`
	WateredMm   float64 `json:"watered_mm"`
	DepletionMm float64 `json:"depletion_mm"`
	// TAWMm is all the water the root zone holds for the plants, RAWMm what they take without
	// stress.
	TAWMm float64 `json:"taw_mm"`
	RAWMm float64 `json:"raw_mm"`
	// NeedMm is what a run now would put down (0: it waits), RunS how long that takes.
	NeedMm float64 `json:"need_mm"`
	RunS   float64 `json:"run_s"`
	Note   string  `json:"note"` // the balance in words
	// Next is the zone's next scheduled run in the next 48 hours, with its length by the
	// balance then, or why it is skipped (nil: none; only in the weather reply).
	Next *PlannedRun `json:"next,omitempty"`
}

// WindowAdvice is the weather's answer for a run of a zone the schedule is about to start, or
// plans: why none that follows the weather may start then (rain, a forecast, wind, frost),
// and, for a zone that keeps a water balance, how long it should run to refill its soil.
type WindowAdvice struct {
	Hold     string        `json:"hold,omitempty"`
	Balanced bool          `json:"balanced,omitempty"` // Run is what the zone needs; the level does not scale it
	Run      time.Duration `json:"run,omitempty"`      // 0 with Balanced: it waits
	Why      string        `json:"why,omitempty"`      // the balance in words
	// Cycle and Soak cut a run on a soil slower than the sprinklers: cycles of Cycle with Soak
	// between (0: the run whole).
	Cycle time.Duration `json:"cycle,omitempty"`
	Soak  time.Duration `json:"soak,omitempty"`
}

// WeatherArgs are weather's: how many days of history.
type WeatherArgs struct {
	Days int `json:"days,omitempty"`
}

// ET0Args are et0's: a day's weather at a place. Missing values follow FAO-56's procedures for
// missing data; method forces penman-monteith or hargreaves.
type ET0Args struct {
	Date        string   `json:"date"`
	LatitudeDeg *float64 `json:"latitude_deg"`
	ElevationM  float64  `json:"elevation_m"`
	TminC       *float64 `json:"tmin_c"`
	TmaxC       *float64 `json:"tmax_c"`
	RHMin       *float64 `json:"rh_min,omitempty"`
	RHMax       *float64 `json:"rh_max,omitempty"`
	RHMean      *float64 `json:"rh_mean,omitempty"`
	DewpointC   *float64 `json:"dewpoint_c,omitempty"`
	WindMS      *float64 `json:"wind_ms,omitempty"`
	WindHeightM float64  `json:"wind_height_m,omitempty"`
	SolarMJ     *float64 `json:"solar_mj_m2,omitempty"`
	SunshineH   *float64 `json:"sunshine_h,omitempty"`
	Method      string   `json:"method,omitempty"`
}

// ET0Result is et0's reply: the ET0, the method with the procedures it used, and its terms.
type ET0Result struct {
	ET0Mm  float64            `json:"et0_mm"`
	Method string             `json:"method"`
	Terms  map[string]float64 `json:"terms"`
}
