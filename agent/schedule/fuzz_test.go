package schedule_test

import (
	"testing"
	"time"

	"sprinkler/agent/schedule"
)

// FuzzParse checks that any profile file either parses into profiles that keep every rule
// the parser promises, or fails with an error, and never panics.
// rulesExample uses every day and start rule of the native format.
const rulesExample = `profiles:
  - name: all
    zones:
      - {zone: 1, days: every 3 days from 2026-04-01, season: {from: 11-01, to: 02-28}, runs: [{at: sunrise-30m, for: 5m}]}
      - {zone: 2, days: [1, 15, last, sat, 2026-07-04], runs: [{at: "06:00", for: 10m, times: 4, every: 45m}]}
      - {zone: 3, days: odd, odd_skips_31: true, runs: [{at: sunset+15m, for: 90s}]}
`

func FuzzParse(f *testing.F) {
	f.Add([]byte(original))
	f.Add([]byte(native))
	f.Add([]byte("p:\n  relay1: {Days: [all], Times: [2460], durations: [1]}\n"))
	f.Add([]byte("p:\n  relay1: {Days: [odd], Times: [2359], durations: [1]}\n"))
	f.Add([]byte(rulesExample))
	f.Fuzz(func(t *testing.T, src []byte) {
		file, err := schedule.Parse("fuzz", src, schedule.Env{Zones: eight.Zones, Site: &schedule.Site{Latitude: 52.5, Longitude: 13.4}})
		if err != nil {
			return
		}
		if len(file.Profiles) == 0 {
			t.Fatal("no profiles and no error")
		}
		for _, p := range file.Profiles {
			for _, prog := range p.Programs {
				if _, ok := eight.Zones[prog.Zone]; !ok {
					t.Fatalf("zone %d let through", prog.Zone)
				}
				for _, r := range prog.Runs {
					last := time.Duration(r.At)*time.Minute + time.Duration(max(r.Times-1, 0))*r.Every
					if r.At < 0 || r.At >= 24*60 || r.For <= 0 || (r.Sun == schedule.NoSun && last+r.For > 24*time.Hour) || r.Offset.Abs() > 12*time.Hour {
						t.Fatalf("run %+v let through", r)
					}
				}
				if p.Longest(prog) > time.Hour {
					t.Fatalf("window of %v let through", p.Longest(prog))
				}
			}
			day := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
			_ = p.Windows(day, day.Add(48*time.Hour), time.UTC)
		}
	})
}
