package simulate_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sprinkler/agent/config"
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
