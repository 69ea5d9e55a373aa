package scheduler_test

import (
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"sprinkler/agent/clock/clocktest"
	"sprinkler/agent/relay/relaytest"
	"sprinkler/agent/scheduler"
	"sprinkler/agent/valves"
	"sprinkler/topics"
)

// TestPlantFactorsAndWeatherSkip: at a water level of 120 %, a zone with plant factor 0.5
// runs 60 % of its time, a zone that ignores the level runs as written; a day the weather
// skips, only the zones that follow the level skip.
func TestPlantFactorsAndWeatherSkip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "profiles.yaml")
	src := "active: p\nprofiles:\n  - name: p\n    water_level: true\n    zones:\n" +
		"      - {zone: 1, days: [all], runs: [{at: \"06:00\", for: 10m}]}\n" +
		"      - {zone: 2, days: [all], runs: [{at: \"06:00\", for: 10m}]}\n" +
		"      - {zone: 3, days: [all], runs: [{at: \"06:00\", for: 10m}]}\n"
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	clk := clocktest.New(at("2026-07-01 05:00:00"))
	log := slog.New(slog.DiscardHandler)
	zones := []valves.Zone{{ID: 1, MaxDuration: time.Hour}, {ID: 2, MaxDuration: time.Hour}, {ID: 3, MaxDuration: time.Hour}}
	v := valves.New("garden", zones, relaytest.New(3), clk, log, valves.Options{Limits: unlimited})
	wx := decisions{}
	e, err := scheduler.New(scheduler.Options{Path: path, Zones: fixed{ids: []int{1, 2, 3}, unscaled: map[int]bool{3: true}, factors: map[int]float64{2: 0.5}},
		Location: berlin, Clock: clk, Valves: v, Log: log, Weather: wx})
	if err != nil {
		t.Fatal(err)
	}
	wx["2026-07-01"] = topics.WeatherDay{Level: 120, ComputedAt: topics.Time{Time: clk.Now()}}
	runs := map[int]topics.PlannedRun{}
	for _, p := range next(e, 2*time.Hour) {
		runs[p.Zone] = p
	}
	for zone, want := range map[int]time.Duration{1: 12 * time.Minute, 2: 6 * time.Minute, 3: 10 * time.Minute} {
		if got := runs[zone].End.Sub(runs[zone].Start.Time); got != want || runs[zone].Skipped != "" {
			t.Errorf("zone %d: %v (%q), want %v", zone, got, runs[zone].Skipped, want)
		}
	}
	if runs[2].Note != "water level 60%" || runs[3].Note != "" {
		t.Errorf("notes: %q, %q", runs[2].Note, runs[3].Note)
	}
	wx["2026-07-01"] = topics.WeatherDay{Level: 120, Skip: "rain: 12.0 mm in the last 24 hours", ComputedAt: topics.Time{Time: clk.Now()}}
	for _, p := range next(e, 2*time.Hour) {
		if skipped := p.Skipped != ""; skipped != (p.Zone != 3) {
			t.Errorf("on a day skipped for rain, zone %d: %q", p.Zone, p.Skipped)
		}
	}
}

// decisions is a weather of fixed decisions, by date.
type decisions map[string]topics.WeatherDay

func (d decisions) Decision(date string) (topics.WeatherDay, bool) {
	w, ok := d[date]
	return w, ok
}

// Advise holds every run of a day the decision skips; no zone keeps a balance.
func (d decisions) Advise(_ int, at time.Time) topics.WindowAdvice {
	return topics.WindowAdvice{Hold: d[at.In(berlin).Format(time.DateOnly)].Skip}
}

// TestTheLevelSetByHandAndTheWeathers: the weather's decision for the day is the level in force;
// a level set by hand after it wins until the weather decides again; days without a decision
// keep the level set by hand.
func TestTheLevelSetByHandAndTheWeathers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "profiles.yaml")
	if err := os.WriteFile(path, []byte("active: p\nprofiles:\n  - name: p\n    water_level: true\n    zones:\n      - {zone: 1, days: [all], runs: [{at: \"06:00\", for: 10m}]}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	clk := clocktest.New(at("2026-07-01 03:00:00"))
	log := slog.New(slog.DiscardHandler)
	v := valves.New("garden", []valves.Zone{{ID: 1, MaxDuration: time.Hour}}, relaytest.New(1), clk, log, valves.Options{Limits: unlimited})
	wx := decisions{"2026-07-01": {Level: 150, ComputedAt: topics.Time{Time: clk.Now()}}}
	e, err := scheduler.New(scheduler.Options{Path: path, Zones: zonesOf(1), Location: berlin, Clock: clk, Valves: v, Log: log, Weather: wx})
	if err != nil {
		t.Fatal(err)
	}
	if e.WaterLevel() != 150 {
		t.Errorf("with the weather's decision: %d%%", e.WaterLevel())
	}
	clk.Advance(time.Hour)
	if err := e.SetWaterLevel(80, "alice"); err != nil {
		t.Fatal(err)
	}
	if e.WaterLevel() != 80 {
		t.Errorf("set by hand after the decision: %d%%", e.WaterLevel())
	}
	clk.Advance(time.Hour)
	wx["2026-07-01"] = topics.WeatherDay{Level: 110, ComputedAt: topics.Time{Time: clk.Now()}} // weather compute, later
	if e.WaterLevel() != 110 {
		t.Errorf("decided again after the hand: %d%%", e.WaterLevel())
	}
	delete(wx, "2026-07-01")
	if e.WaterLevel() != 80 {
		t.Errorf("a day without a decision: %d%%, want the level set by hand", e.WaterLevel())
	}
}

// soil is a weather by which zone 1 keeps a balance: it needs need, on a soil that takes it in
// cycles of cycle with soak between (0: whole).
type soil struct{ need, cycle, soak time.Duration }

func (soil) Decision(string) (topics.WeatherDay, bool) { return topics.WeatherDay{}, false }

func (s soil) Advise(zone int, _ time.Time) topics.WindowAdvice {
	if zone != 1 {
		return topics.WindowAdvice{}
	}
	return topics.WindowAdvice{Balanced: true, Run: s.need, Cycle: s.cycle, Soak: s.soak, Why: "depletion 9 mm"}
}

// TestCycleAndSoak: a run the soil needs (25 minutes, not the 10 written) on a slow soil goes
// down in cycles of 10 minutes with 20 minutes of soaking between, and zone 2, waiting for the
// one valve the power supply allows, runs during the first soak.
func TestCycleAndSoak(t *testing.T) {
	path := filepath.Join(t.TempDir(), "profiles.yaml")
	if err := os.WriteFile(path, []byte("active: p\nprofiles:\n  - name: p\n    water_level: true\n    zones:\n"+
		"      - {zone: 1, days: [all], runs: [{at: \"06:00\", for: 10m}]}\n      - {zone: 2, days: [all], runs: [{at: \"06:00\", for: 15m}]}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	clk := clocktest.New(at("2026-07-01 05:00:00"))
	log := slog.New(slog.DiscardHandler)
	bank := relaytest.New(2)
	one := unlimited
	one.MaxOpen = 1
	v := valves.New("garden", []valves.Zone{{ID: 1, MaxDuration: time.Hour}, {ID: 2, MaxDuration: time.Hour}}, bank, clk, log, valves.Options{Limits: one})
	if err := v.Reset(topics.SourceStartup); err != nil {
		t.Fatal(err)
	}
	e, err := scheduler.New(scheduler.Options{Path: path, Zones: zonesOf(1, 2), Location: berlin, Clock: clk, Valves: v, Log: log,
		Weather: soil{need: 25 * time.Minute, cycle: 10 * time.Minute, soak: 20 * time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	e.Start()
	t.Cleanup(e.Stop)
	next, err := e.Next(3*time.Hour, false)
	if err != nil {
		t.Fatal(err)
	}
	var ones []string
	for _, p := range next {
		if p.Zone == 1 {
			ones = append(ones, p.Start.In(berlin).Format("15:04")+"-"+p.End.In(berlin).Format("15:04")+" "+p.Note)
		}
	}
	want := []string{"06:00-06:10 cycle 1 of 3", "06:30-06:40 cycle 2 of 3", "07:00-07:05 cycle 3 of 3"}
	if len(ones) != 3 {
		t.Fatalf("zone 1's runs: %q", ones)
	}
	for i := range want {
		if !strings.HasPrefix(ones[i], want[i]) {
			t.Errorf("zone 1's run %d: %q, want %q…", i+1, ones[i], want[i])
		}
	}
	for _, c := range []struct {
		at   string
		open []bool
	}{
		{"2026-07-01 06:05:00", []bool{true, false}}, {"2026-07-01 06:15:00", []bool{false, true}},
		{"2026-07-01 06:35:00", []bool{true, false}}, {"2026-07-01 06:50:00", []bool{false, false}},
		{"2026-07-01 07:02:00", []bool{true, false}}, {"2026-07-01 07:06:00", []bool{false, false}},
	} {
		clk.Advance(at(c.at).Sub(clk.Now()))
		if got := bank.On(); !slices.Equal(got, c.open) {
			t.Errorf("at %s: relays %v, want %v", c.at, got, c.open)
		}
	}
}
