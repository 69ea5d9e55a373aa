package simulate_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"sprinkler/agent/config"
	"sprinkler/agent/et0"
	"sprinkler/agent/et0/et0test"
	"sprinkler/agent/simulate"
)

// garden writes a configuration of one loam lawn (roots 0.3 m, sprinklers at 12 mm/h) that
// keeps a water balance, with the weather inputs a station sends and a profile that waters it
// at 05:00 on days, and loads it.
func garden(t *testing.T, lat, lon, elev float64, tz, days, extraWeather string) config.Config {
	t.Helper()
	dir := t.TempDir()
	profiles := "active: p\nprofiles:\n  - name: p\n    water_level: true\n    zones:\n      - {zone: 1, days: " + days + ", runs: [{at: \"05:00\", for: 30m}]}\n"
	if err := os.WriteFile(filepath.Join(dir, "profiles.yaml"), []byte(profiles), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`agent: {id: garden, timezone: %s}
site: {latitude: %g, longitude: %g, elevation: %g}
state: {dir: %s}
relays: {driver: sim}
schedule: {file: profiles.yaml}
weather:
  at: "03:00"
%s  inputs:
    - {quantity: temperature, topic: station/t, unit: F, max_age: 2h}
    - {quantity: dewpoint, topic: station/dew, unit: F, max_age: 2h}
    - {quantity: wind, topic: station/wind, unit: mph, height_m: 3, max_age: 2h}
    - {quantity: solar, topic: station/solar, unit: W/m2, max_age: 2h}
    - {quantity: rain, topic: station/rain, unit: mm}
    - {quantity: forecast_rain, topic: station/forecast, max_age: 12h}
zones:
  - {id: 1, name: Lawn, line: 5, max_duration: 3h, default_duration: 30m, soil: loam, root_depth_m: 0.3, precipitation_mm_h: 12}
`, tz, lat, lon, elev, filepath.Join(dir, "state"), extraWeather)
	path := filepath.Join(dir, "agent.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(path, true)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// pst is the station's clock: AgriMet keeps local standard time all year.
var pst = time.FixedZone("PST", -8*3600)

// fallonReadings are AgriMet Fallon's 2015 hourly readings, as the station publishes them.
func fallonReadings(t *testing.T) []simulate.Reading {
	t.Helper()
	dir := et0test.Dir(t)
	var out []simulate.Reading
	for _, r := range et0test.CSV(t, filepath.Join(dir, "FALN_Agrimet_hourly_raw_2015.csv")) {
		at := time.Date(int(et0test.Num(t, r["YEAR"])), time.Month(et0test.Num(t, r["MONTH"])), int(et0test.Num(t, r["DAY"])),
			int(et0test.Num(t, r["HOUR"])), 0, 0, 0, pst)
		solar := et0test.Num(t, r["SI"]) * 41868 / 3600
		out = append(out,
			simulate.Reading{At: at, Topic: "station/t", Payload: r["OB"]},
			simulate.Reading{At: at, Topic: "station/dew", Payload: r["TP"]},
			simulate.Reading{At: at, Topic: "station/wind", Payload: r["WS"]},
			simulate.Reading{At: at, Topic: "station/solar", Payload: fmt.Sprintf("%.2f", solar)})
	}
	return out
}

// TestFallonSeason: a lawn watered by its balance every morning through Fallon's 2015 season
// (May to September, no rain in the hourly data) gets what an FAO-56 bucket fed Ref-ET's daily
// ETo and refilled at the same mornings puts down, within 5 %; its depletion never passes the
// readily available water.
func TestFallonSeason(t *testing.T) {
	if testing.Short() {
		t.Skip("a season")
	}
	cfg := garden(t, 39.4575, -118.77388, 1208.5, "Etc/GMT+8", "[all]", "")
	days, err := simulate.Run(cfg, fallonReadings(t), "2015-05-01", "2015-09-30", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if len(days) != 153 {
		t.Fatalf("%d days; want 153", len(days))
	}
	ref := et0test.RefET(t, filepath.Join(et0test.Dir(t), "FALN_Agrimet_daily_raw_2015.out"))
	applied, bucketApplied, dr := 0.0, 0.0, 0.0
	taw, raw := days[0].TAWMm, days[0].RAWMm
	for _, d := range days {
		applied += d.AppliedMm
		if d.DepletionEndMm > raw {
			t.Errorf("%s: depletion %.1f mm past RAW %.1f", d.Date, d.DepletionEndMm, raw)
		}
		// The bucket: refill at 05:00 what the days before took (when past a fifth of RAW), then
		// the day's ET.
		if dr >= 0.2*raw {
			bucketApplied += dr
			dr = 0
		}
		dr = math.Min(dr+ref[d.Date], taw)
	}
	t.Logf("Fallon 2015-05-01..09-30, a loam lawn of 0.3 m: applied %.1f mm by the agent, %.1f mm by the bucket on Ref-ET's ETo (%+.1f %%)",
		applied, bucketApplied, 100*(applied-bucketApplied)/bucketApplied)
	if math.Abs(applied-bucketApplied) > 0.05*bucketApplied {
		t.Errorf("applied %.1f mm; the bucket %.1f", applied, bucketApplied)
	}
	var csv bytes.Buffer
	if err := simulate.WriteCSV(&csv, days[:3]); err != nil || !strings.HasPrefix(csv.String(), "date,zone,name,et0_mm") {
		t.Errorf("the CSV: %v\n%s", err, csv.String())
	}
	t.Log("\n" + csv.String())
}

// scenario is a month of synthetic hourly weather at 45° N: a hot week, a 50 mm storm in the
// night of day 10, 1 mm of drizzle on day 15, a 10 mm forecast on day 18 that does not come,
// and 14 mm at noon on day 22.
func scenario(start time.Time) []simulate.Reading {
	var out []simulate.Reading
	add := func(at time.Time, topic string, v float64) {
		out = append(out, simulate.Reading{At: at, Topic: topic, Payload: fmt.Sprintf("%.2f", v)})
	}
	for day := 0; day < 30; day++ {
		tmean, amp := 19.0, 7.0
		if day < 7 {
			tmean, amp = 27, 8 // the hot week
		}
		for h := 0; h < 24; h++ {
			at := start.AddDate(0, 0, day).Add(time.Duration(h) * time.Hour)
			c := tmean + amp*math.Sin(2*math.Pi*float64(h-9)/24)
			add(at, "station/t", c*9/5+32)
			add(at, "station/dew", 10.0*9/5+32)
			add(at, "station/wind", 2/0.44704)
			add(at, "station/solar", math.Max(0, 850*math.Sin(math.Pi*float64(h-6)/12)))
		}
	}
	at := func(day, h int) time.Time { return start.AddDate(0, 0, day).Add(time.Duration(h) * time.Hour) }
	for h := 2; h < 7; h++ {
		add(at(10, h).Add(time.Minute), "station/rain", 10) // the storm: 50 mm by 06:01
	}
	add(at(15, 8).Add(time.Minute), "station/rain", 1) // drizzle
	add(at(18, 8).Add(time.Minute), "station/forecast", 10)
	add(at(19, 8).Add(time.Minute), "station/forecast", 0) // it did not come
	add(at(22, 12).Add(time.Minute), "station/rain", 7)
	add(at(22, 13).Add(time.Minute), "station/rain", 7)
	sort.Slice(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}

// TestAMonthAgainstTheBucket replays the scenario for a lawn watered by its balance every
// evening at 19:00, and compares it with an FAO-56 chapter 8 bucket computed here from the
// same days' ET0: the water applied within 5 %, no day past RAW when a run could have watered,
// the storm credited no more than the deficit, the drizzle not at all, the forecast that did
// not come repaid at the next run, and the noon rain skipping the evening run.
func TestAMonthAgainstTheBucket(t *testing.T) {
	cfg := garden(t, 45, 0, 100, "UTC", "[all]", "")
	cfg = withEveningRuns(t, cfg)
	start := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	days, err := simulate.Run(cfg, scenario(start), "2026-07-01", "2026-07-30", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if len(days) != 30 {
		t.Fatalf("%d days", len(days))
	}
	taw, raw := days[0].TAWMm, days[0].RAWMm
	rain := map[int]float64{10: 50, 15: 1, 22: 14}     // by day, all before 19:00
	held := map[int]bool{10: true, 18: true, 22: true} // rain in the 24 h before, the forecast, rain
	applied, bucket, dr := 0.0, 0.0, 0.0
	for i, d := range days {
		if d.ET0Mm == nil {
			t.Fatalf("%s: no ET0", d.Date)
		}
		share := et0.DayShare(45, start.AddDate(0, 0, i).YearDay(), 19)
		// The bucket: the day's rain that counts (none under 2 mm, 80 % of the rest) and ET up
		// to 19:00, a refill of all of it then unless held or under a fifth of RAW, the rest of
		// the day's ET; the soil holds TAW at most and drains above field capacity.
		counted := 0.0
		if rain[i] >= 2 {
			counted = 0.8 * rain[i]
		}
		dr = math.Min(math.Max(dr+share**d.ET0Mm-counted, 0), taw)
		if !held[i] && dr >= 0.2*raw {
			bucket += dr
			dr = 0
		}
		dr = math.Min(dr+(1-share)**d.ET0Mm, taw)
		applied += d.AppliedMm
		t.Logf("%s ET0 %.2f rain %5.1f counted %5.1f depletion %5.2f → %5.2f applied %5.2f (bucket %5.2f) %v",
			d.Date, *d.ET0Mm, d.RainMm, d.RainCountedMm, d.DepletionStartMm, d.DepletionEndMm, d.AppliedMm, dr, d.Skips)
		if !held[i] && d.DepletionEndMm > raw {
			t.Errorf("%s: depletion %.1f mm past RAW %.1f on a day a run could water", d.Date, d.DepletionEndMm, raw)
		}
	}
	t.Logf("a month: applied %.1f mm, the bucket %.1f mm (%+.1f %%)", applied, bucket, 100*(applied-bucket)/bucket)
	if math.Abs(applied-bucket) > 0.05*bucket {
		t.Errorf("applied %.1f mm; the bucket %.1f", applied, bucket)
	}
	storm, after := days[10], days[11]
	if storm.RainCountedMm != 40 || storm.DepletionEndMm < 0 || storm.DepletionEndMm > storm.ETcMm || after.AppliedMm == 0 {
		t.Errorf("the storm: counted %.1f, depletion %.1f at the end of its day, %.1f mm the next evening; want 40 counted, no more credited than the deficit, watering again the next day",
			storm.RainCountedMm, storm.DepletionEndMm, after.AppliedMm)
	}
	if days[15].RainCountedMm != 0 {
		t.Errorf("1 mm of drizzle counted %.1f mm", days[15].RainCountedMm)
	}
	if bust, repaid := days[18], days[19]; bust.AppliedMm != 0 || !strings.Contains(strings.Join(bust.Skips, ";"), "rain forecast") ||
		repaid.AppliedMm < 1.6*days[17].AppliedMm {
		t.Errorf("the forecast that did not come: %.1f mm that evening (%v), %.1f mm the next (a day: %.1f); want none, then two days'",
			bust.AppliedMm, bust.Skips, repaid.AppliedMm, days[17].AppliedMm)
	}
	if noon := days[22]; noon.AppliedMm != 0 || !strings.Contains(strings.Join(noon.Skips, ";"), "rain") {
		t.Errorf("14 mm at noon: the evening run put down %.1f mm (%v)", noon.AppliedMm, noon.Skips)
	}
}

// withEveningRuns rewrites the profile to water at 19:00 every day.
func withEveningRuns(t *testing.T, cfg config.Config) config.Config {
	t.Helper()
	p := "active: p\nprofiles:\n  - name: p\n    water_level: true\n    zones:\n      - {zone: 1, days: [all], runs: [{at: \"19:00\", for: 30m}]}\n"
	if err := os.WriteFile(cfg.Schedule.File, []byte(p), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg
}
