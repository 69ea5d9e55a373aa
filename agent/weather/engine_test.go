package weather_test

import (
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sprinkler/agent/clock/clocktest"
	"sprinkler/agent/config"
	"sprinkler/agent/et0"
	"sprinkler/agent/reading"
	"sprinkler/agent/weather"
	"sprinkler/agent/zones"
	"sprinkler/topics"
)

// garden is a weather station's topics: a JSON document with temperature and humidity, a
// wind speed in km/h at 10 m, a rain gauge's running total and a forecast.
type garden struct {
	e       *weather.Engine
	clk     *clocktest.Fake
	applied []topics.WeatherDay
	dir     string
	watered time.Time
	rules   weather.Rules // nil: fixed ones
}

func paths(t *testing.T, spec string) reading.Path {
	p, err := reading.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func open(t *testing.T, clk *clocktest.Fake, dir string, g *garden) {
	t.Helper()
	var rules weather.Rules = weather.Settings{Site: et0.Site{LatitudeDeg: 50.8, ElevationM: 100}, BaselineMm: 4, BalanceDays: 7,
		RainFactor: 0.8, RainSkipMm: 5, ForecastSkipMm: 6, FallbackDays: 2}
	if g.rules != nil {
		rules = g.rules
	}
	e, err := weather.Open(weather.Options{
		Rules: rules,
		Inputs: []weather.Input{
			{Quantity: weather.Temperature, Topic: "station/outdoor", Path: paths(t, "temperature"), MaxAge: 2 * time.Hour},
			{Quantity: weather.Humidity, Topic: "station/hum", Path: paths(t, "outdoor.humidity"), MaxAge: 2 * time.Hour},
			{Quantity: weather.Wind, Topic: "station/wind", Unit: "km/h", HeightM: 10, MaxAge: 2 * time.Hour},
			{Quantity: weather.Rain, Topic: "station/rain", Unit: "mm", Total: true, MaxAge: 2 * time.Hour},
			{Quantity: weather.ForecastRain, Topic: "ha/forecast", MaxAge: 12 * time.Hour},
		},
		Dir: dir, Location: time.UTC, Clock: clk, At: 3 * time.Hour,
		LastWatered: func() time.Time { return g.watered },
		Apply:       func(d topics.WeatherDay) { g.applied = append(g.applied, d) },
		Log:         slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	g.e, g.clk, g.dir = e, clk, dir
	t.Cleanup(e.Stop)
}

// started is a garden on a fresh clock at 03:30 on 1 July, its engine started.
func started(t *testing.T, dir string) *garden {
	t.Helper()
	return startedWith(t, dir, nil)
}

// startedWith is started with rules (nil: fixed ones).
func startedWith(t *testing.T, dir string, rules weather.Rules) *garden {
	t.Helper()
	g := &garden{rules: rules}
	open(t, clocktest.New(time.Date(2026, 7, 1, 3, 30, 0, 0, time.UTC)), dir, g)
	g.e.Start()
	return g
}

func (g *garden) feed(t *testing.T, topic, payload string) {
	t.Helper()
	if ok, err := g.e.Feed(topic, []byte(payload), false); !ok || err != nil {
		t.Fatalf("feed %s %s: %v %v", topic, payload, ok, err)
	}
}

// day feeds 24 hours of hourly readings: the temperature between lo at 03:00 and hi at
// 15:00, the humidity from 80 % down to 40 % and back, a 10 km/h wind, and rain mm falling in
// the tenth hour.
func (g *garden) day(t *testing.T, lo, hi, rain float64, total *float64) {
	for h := range 24 {
		hour := float64(g.clk.Now().Hour()) + float64(g.clk.Now().Minute())/60
		x := (1 - math.Cos(2*math.Pi*(hour-3)/24)) / 2
		g.feed(t, "station/outdoor", fmt.Sprintf(`{"temperature": %.2f}`, lo+(hi-lo)*x))
		g.feed(t, "station/hum", fmt.Sprintf(`{"outdoor":{"humidity": %.1f}}`, 80-40*x))
		g.feed(t, "station/wind", "10")
		if h == 9 && rain > 0 {
			*total += rain
		}
		g.feed(t, "station/rain", fmt.Sprintf("%.1f", *total))
		g.clk.Advance(time.Hour)
	}
}

func TestWaterBalance(t *testing.T) {
	g := started(t, t.TempDir())
	if len(g.applied) != 1 || g.applied[0].Source != topics.LevelDefault || g.applied[0].Level != 100 {
		t.Fatalf("the first start, without weather: %+v", g.applied)
	}
	total := 100.0
	levels := []int{}
	// A mild day, then a hot dry week: the level follows ET0 up.
	g.day(t, 12, 20, 0, &total)
	for range 4 {
		g.day(t, 20, 34, 0, &total)
	}
	for _, d := range g.applied[1:] {
		if d.Source != topics.LevelFromWeather || d.ET0Mm == nil || d.Skip != "" {
			t.Errorf("a day with weather: %+v", d)
		}
		levels = append(levels, d.Level)
	}
	if len(levels) != 5 || levels[0] >= levels[1] || levels[1] <= 100 {
		t.Errorf("mild then hot: levels %v, want rising above 100", levels)
	}
	// Rain: 12 mm at noon skips the next day, and the balance falls.
	g.day(t, 15, 19, 12, &total)
	rainy := g.applied[len(g.applied)-1]
	if !strings.Contains(rainy.Skip, "rain: 12.0 mm") || rainy.Level >= levels[len(levels)-1] || rainy.RainMm != 12 {
		t.Errorf("after 12 mm of rain: %+v", rainy)
	}
	if d, _ := g.e.Decision(rainy.Date); d.Skip == "" {
		t.Error("today is not skipped")
	}
	// A forecast of 8 mm skips a dry day too.
	g.day(t, 15, 25, 0, &total)
	g.feed(t, "ha/forecast", "8")
	if d := g.e.Compute("test"); !strings.Contains(d.Skip, "forecast: 8.0 mm") {
		t.Errorf("forecast: %+v", d)
	}
}

// TestOfflineFallback: without weather the last level holds for fallback_days, then 100 %;
// each fallback says so.
func TestOfflineFallback(t *testing.T) {
	g := started(t, t.TempDir())
	clk := g.clk
	total := 0.0
	g.day(t, 20, 34, 0, &total)
	hot := g.applied[len(g.applied)-1]
	if hot.Source != topics.LevelFromWeather {
		t.Fatalf("%+v", hot)
	}
	clk.Advance(24 * time.Hour)
	clk.Advance(24 * time.Hour)
	clk.Advance(24 * time.Hour)
	var got []string
	for _, d := range g.applied[len(g.applied)-3:] {
		got = append(got, fmt.Sprintf("%s %d", d.Source, d.Level))
		if len(d.Notes) == 0 {
			t.Errorf("a fallback without a note: %+v", d)
		}
	}
	want := []string{fmt.Sprintf("last %d", hot.Level), fmt.Sprintf("last %d", hot.Level), "default 100"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("offline: %v, want %v", got, want)
	}
}

// TestRestartKeepsReadings: a new engine on the same folder has the day's readings, and a
// line cut short by a crash is skipped and counted.
func TestRestartKeepsReadings(t *testing.T) {
	dir := t.TempDir()
	clk := clocktest.New(time.Date(2026, 7, 1, 0, 30, 0, 0, time.UTC))
	g := &garden{}
	open(t, clk, dir, g)
	total := 0.0
	for h := range 12 {
		g.feed(t, "station/outdoor", fmt.Sprintf(`{"temperature": %d}`, 10+h))
		clk.Advance(time.Hour)
	}
	g.e.Stop()
	f, err := os.OpenFile(filepath.Join(dir, "readings", "2026-07-01.jsonl"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.WriteString(`{"t":"2026-07-01T12:`)
	_ = f.Close()

	g2 := &garden{}
	open(t, clk, dir, g2)
	g2.e.Start()
	rep := g2.e.Report(0)
	if v := rep.Inputs[0].Value; rep.Inputs[0].Quantity != weather.Temperature || v == nil || *v != 21 {
		t.Errorf("after a restart: %+v", rep.Inputs)
	}
	g2.day(t, 22, 22, 0, &total) // finishes the day and runs to 00:30 the next
	clk.Advance(3 * time.Hour)
	d := g2.applied[len(g2.applied)-1]
	if d.Date != "2026-07-02" || d.ET0Mm == nil || !strings.Contains(strings.Join(d.Notes, ";"), "1 damaged lines skipped") {
		t.Errorf("the day after: %+v", d)
	}
}

// TestTwoWeeks runs two weeks of July weather in Brussels through the engine, watering every
// morning the level allows: hourly readings of a day between its lowest and highest
// temperature, and its rain at noon. It logs the decisions (go test -v -run TestTwoWeeks).
func TestTwoWeeks(t *testing.T) {
	g := started(t, t.TempDir())
	clk := g.clk
	total := 0.0
	days := []struct{ lo, hi, rain float64 }{
		{12, 21, 0}, {13, 24, 0}, {15, 28, 0}, {17, 31, 0}, {18, 33, 0}, {19, 34, 0}, {16, 25, 14},
		{13, 19, 3}, {12, 20, 0}, {13, 23, 0}, {14, 26, 0}, {15, 27, 0}, {11, 17, 9}, {12, 22, 0},
	}
	for _, d := range days {
		g.day(t, d.lo, d.hi, d.rain, &total)
		if last := g.applied[len(g.applied)-1]; last.Level > 0 && last.Skip == "" {
			g.watered = time.Date(2026, 7, clk.Now().Day(), 6, 10, 0, 0, time.UTC)
		}
	}
	t.Log("level for   | the day before: Tmin-Tmax  rain mm  ET0 mm | balance window  level  source   skip")
	for i, d := range g.applied[1:] {
		et := "  -  "
		if d.ET0Mm != nil {
			et = fmt.Sprintf("%5.2f", *d.ET0Mm)
		}
		t.Logf("%s  |                 %2.0f-%2.0f °C  %7.1f  %s  | %d d            %3d %%  %-8s %s", d.Date, days[i].lo, days[i].hi, days[i].rain, et, d.Window, d.Level, d.Source, d.Skip)
	}
	byDate := map[string]topics.WeatherDay{}
	for _, d := range g.applied {
		byDate[d.Date] = d
	}
	if hot, mild := byDate["2026-07-07"], byDate["2026-07-02"]; hot.Level <= 100 || mild.Level >= hot.Level {
		t.Errorf("the hottest day %d %%, the mildest %d %%", hot.Level, mild.Level)
	}
	if wet := byDate["2026-07-08"]; wet.Skip == "" || wet.Level != 0 {
		t.Errorf("after 14 mm of rain: %+v", wet)
	}
	if wet := byDate["2026-07-14"]; wet.Skip == "" {
		t.Errorf("after 9 mm of rain: %+v", wet)
	}
}

// TestOldReadingsGo: the daily computation deletes the readings of days older than 60.
func TestOldReadingsGo(t *testing.T) {
	dir := t.TempDir()
	g := started(t, dir)
	clk := g.clk
	g.feed(t, "station/outdoor", `{"temperature": 20}`)
	g.e.Compute("test") // reads the days, once what was queued is written
	old := filepath.Join(dir, "readings", "2026-07-01.jsonl")
	if _, err := os.Stat(old); err != nil {
		t.Fatal(err)
	}
	clk.Advance(61 * 24 * time.Hour)
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Errorf("the readings of 61 days ago are still there: %v", err)
	}
}

// TestReadingsCheckedOnArrival: an implausible reading (1e308 °C, a humidity of 150 %) is
// refused, counted and not stored, so the day's ET0 still comes; a humidity of 102 % in fog
// counts as 100 %; a flood of readings in a moment is kept as one reading per quantity and
// minGap, and its bytes stay bounded.
func TestReadingsCheckedOnArrival(t *testing.T) {
	g := started(t, t.TempDir())
	for _, bad := range []struct{ topic, payload string }{
		{"station/outdoor", `{"temperature":1e308}`}, {"station/hum", `{"outdoor":{"humidity":150}}`}, {"station/wind", "-3"},
	} {
		if _, err := g.e.Feed(bad.topic, []byte(bad.payload), false); err == nil || !strings.Contains(err.Error(), "not a plausible reading") {
			t.Errorf("%s %s: %v", bad.topic, bad.payload, err)
		}
	}
	g.feed(t, "station/hum", `{"outdoor":{"humidity":102}}`)
	refused := map[string]int{}
	for _, in := range g.e.Report(0).Inputs {
		refused[in.Quantity] = in.Refused
		if in.Quantity == weather.Humidity && (in.Value == nil || *in.Value != 100) {
			t.Errorf("a humidity of 102 %% is kept as %v", in.Value)
		}
	}
	if refused[weather.Temperature] != 1 || refused[weather.Humidity] != 1 || refused[weather.Wind] != 1 {
		t.Errorf("refused: %v", refused)
	}
	for i := range 20_000 { // a flood within one second: thinned, not written
		g.feed(t, "station/outdoor", fmt.Sprintf(`{"temperature":%d}`, 10+i%5))
	}
	total := 0.0
	g.day(t, 12, 24, 0, &total) // to 03:30 on 2 July, past the day's computation at 03:00
	if d := g.applied[len(g.applied)-1]; d.Date != "2026-07-02" || d.ET0Mm == nil {
		t.Errorf("the day's ET0 was voided: %+v", d)
	}
	info, err := os.Stat(filepath.Join(g.dir, "readings", "2026-07-01.jsonl"))
	if err != nil || info.Size() > 64<<10 {
		t.Errorf("the day's readings file: %v, %v bytes", err, info.Size())
	}
}

// TestSettingsChangeDuringTheComputation: the site and the balance change in the agent's zone
// model (as site_set does) while the daily computation runs and a window start asks for the
// day's skip; under -race nothing is read unguarded, and each computation uses one whole set
// of settings.
func TestSettingsChangeDuringTheComputation(t *testing.T) {
	cfg := func(i int) config.Config {
		return config.Config{Site: config.Site{Latitude: 40 + float64(i%10), Elevation: 100}, Weather: config.Weather{BaselineMm: 4,
			BalanceDays: 1 + i%7, RainFactor: 0.8, RainSkipMm: 5, ForecastSkipMm: 6, FallbackDays: 2}}
	}
	model := zones.New(cfg(0))
	g := startedWith(t, t.TempDir(), model)
	total := 0.0
	g.day(t, 12, 24, 0, &total)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 200 {
			model.Replace(cfg(i))
			_ = skipOn(g.e, "2026-07-02")
		}
	}()
	for range 20 {
		if d := g.e.Compute("test"); d.Level < 0 || d.Level > 250 {
			t.Errorf("a decision under changing settings: %+v", d)
		}
	}
	<-done
}

// skipOn is the skip the weather decided for date, "" without one.
func skipOn(e *weather.Engine, date string) string {
	d, _ := e.Decision(date)
	return d.Skip
}

// TestHumidityAsAFractionAndLight: a humidity sent as a fraction of 1 is refused with what to do
// (or taken with unit fraction); a station that sends lux is taken as W/m², approximately.
func TestHumidityAsAFractionAndLight(t *testing.T) {
	clk := clocktest.New(time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC))
	e, err := weather.Open(weather.Options{Rules: weather.Settings{BaselineMm: 5, BalanceDays: 1},
		Inputs: []weather.Input{
			{Quantity: weather.Humidity, Topic: "a/hum"},
			{Quantity: weather.Humidity, Topic: "b/hum", Unit: "fraction"},
			{Quantity: weather.Solar, Topic: "a/light", Unit: "lux"},
		},
		Dir: t.TempDir(), Location: time.UTC, Clock: clk, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Stop)
	if _, err := e.Feed("a/hum", []byte("0.47"), false); err == nil || !strings.Contains(err.Error(), "unit: fraction") {
		t.Errorf("0.47 %%: %v", err)
	}
	clk.Advance(time.Minute)
	if _, err := e.Feed("b/hum", []byte("0.47"), false); err != nil {
		t.Errorf("0.47 as a fraction: %v", err)
	}
	if _, err := e.Feed("a/light", []byte("100000"), false); err != nil {
		t.Errorf("100 000 lux: %v", err)
	}
	for _, in := range e.Report(0).Inputs {
		switch {
		case in.Topic == "b/hum" && (in.Value == nil || *in.Value != 47):
			t.Errorf("the fraction kept as %v", in.Value)
		case in.Topic == "a/light" && (in.Value == nil || math.Abs(*in.Value-790) > 1 || in.ValueUnit != "W/m²"):
			t.Errorf("100 000 lux kept as %v %s", in.Value, in.ValueUnit)
		}
	}
}
