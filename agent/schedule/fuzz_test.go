package schedule_test

import (
	"testing"
	"time"

	"sprinkler/agent/schedule"
)

// FuzzParse checks that any profile file either parses into profiles that keep every rule
// the parser promises, or fails with an error, and never panics.
func FuzzParse(f *testing.F) {
	f.Add([]byte(original))
	f.Add([]byte(native))
	f.Add([]byte("p:\n  relay1: {Days: [all], Times: [2460], durations: [1]}\n"))
	f.Add([]byte("p:\n  relay1: {Days: [odd], Times: [2359], durations: [1]}\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		file, err := schedule.Parse("fuzz", src, eight)
		if err != nil {
			return
		}
		if len(file.Profiles) == 0 {
			t.Fatal("no profiles and no error")
		}
		for _, p := range file.Profiles {
			for _, prog := range p.Programs {
				if _, ok := eight[prog.Zone]; !ok {
					t.Fatalf("zone %d let through", prog.Zone)
				}
				for _, r := range prog.Runs {
					if r.At < 0 || r.At >= 24*60 || r.For <= 0 || time.Duration(r.At)*time.Minute+r.For > 24*time.Hour {
						t.Fatalf("run %+v let through", r)
					}
				}
				if prog.Longest() > time.Hour {
					t.Fatalf("window of %v let through", prog.Longest())
				}
			}
			day := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
			_ = p.Windows(day, day.Add(48*time.Hour), time.UTC)
		}
	})
}
