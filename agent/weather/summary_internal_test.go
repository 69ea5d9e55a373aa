package weather

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// TestGaps: a silence longer than an input's max_age is a gap, named in local time to 24:00;
// an input of max_age 0 is never stale and has none; solar W/m² readings with a gap give no
// radiation.
func TestGaps(t *testing.T) {
	day := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	at := func(h int) time.Time { return day.Add(time.Duration(h) * time.Hour) }
	var rs []Reading
	for _, h := range []int{1, 2, 3, 10, 11, 23} {
		rs = append(rs, Reading{At: at(h), Q: Temperature, V: float64(h)}, Reading{At: at(h), Q: Solar, V: 500}, Reading{At: at(h), Q: Humidity, V: 50})
	}
	s := summarise("2026-07-01", rs, day, day.AddDate(0, 0, 1), map[string]time.Duration{Temperature: 2 * time.Hour, Solar: 2 * time.Hour, Humidity: 0}, true)
	want := []string{"temperature: no reading 03:00-10:00", "temperature: no reading 11:00-23:00", "solar: no reading 03:00-10:00",
		"solar: no reading 11:00-23:00", "temperature not used: no reading for 19h0m0s of the day", "solar not used: its readings do not cover the day"}
	for _, g := range want {
		if !slices.Contains(s.Gaps, g) {
			t.Errorf("gaps %q lack %q", s.Gaps, g)
		}
	}
	if len(s.Gaps) != len(want) {
		t.Errorf("gaps %q, want %q (humidity, never stale, has none)", s.Gaps, want)
	}
	if s.SolarMJ != nil || s.Tmin != nil || s.RHmean == nil {
		t.Errorf("solar %v, tmin %v, RHmean %v", s.SolarMJ, s.Tmin, s.RHmean)
	}
	late := summarise("2026-07-01", []Reading{{At: at(1), Q: Temperature}}, day, day.AddDate(0, 0, 1), map[string]time.Duration{Temperature: time.Hour}, true)
	if !slices.Contains(late.Gaps, "temperature: no reading 01:00-24:00") {
		t.Errorf("the day's end: %q", late.Gaps)
	}
	// A station that reports every 65 minutes against a max_age of an hour: one line says so.
	var hourly []Reading
	for m := 0; m < 24*60; m += 65 {
		hourly = append(hourly, Reading{At: day.Add(time.Duration(m) * time.Minute), Q: Temperature, V: 20})
	}
	h := summarise("2026-07-01", hourly, day, day.AddDate(0, 0, 1), map[string]time.Duration{Temperature: time.Hour}, true)
	if len(h.Gaps) != 2 || !strings.HasPrefix(h.Gaps[1], "temperature: 22 silences longer than its max_age 1h0m0s, 23h50m0s in all, 00:00-01:05 first, 22:45-23:50 last") {
		t.Errorf("hourly readings against a max_age of an hour: %q", h.Gaps)
	}
}
