package schedule_test

import (
	"strings"
	"testing"
	"time"

	"sprinkler/agent/schedule"
)

// nativeZone parses a native profile with one program for zone 1 made of the given lines.
func nativeZone(t *testing.T, env schedule.Env, lines string) (*schedule.Profile, error) {
	t.Helper()
	src := "profiles:\n  - name: p\n    zones:\n      - zone: 1\n" + indent(lines, "        ")
	f, err := schedule.Parse("p.yaml", []byte(src), env)
	if err != nil {
		return nil, err
	}
	return &f.Profiles[0], nil
}

func indent(s, by string) string {
	var b strings.Builder
	for line := range strings.Lines(s) {
		b.WriteString(by + line)
	}
	return b.String()
}

func TestDayRules(t *testing.T) {
	for _, tc := range []struct {
		rule  string // the days line and more program keys
		dates string // dates that water, in a span
		from  string
		to    string
	}{
		// every N days, before and after the anchor, across a month end and a leap day
		{"days: every 3 days from 2024-02-27", "2024-02-21 2024-02-24 2024-02-27 2024-03-01 2024-03-04", "2024-02-20", "2024-03-05"},
		{"days: [every 2 days from 2025-12-30]", "2025-12-28 2025-12-30 2026-01-01 2026-01-03", "2025-12-27", "2026-01-04"},
		{"days: every 1 day from 2026-01-01", "2026-03-01 2026-03-02 2026-03-03", "2026-03-01", "2026-03-04"},
		// days of the month, last day in short, long and leap months
		{"days: [1, 15, last]", "2024-02-01 2024-02-15 2024-02-29 2024-03-01", "2024-02-01", "2024-03-02"},
		{"days: [last]", "2025-02-28 2025-03-31 2025-04-30", "2025-02-01", "2025-05-01"},
		{"days: [31]", "2026-01-31 2026-03-31", "2026-01-01", "2026-04-15"},
		{"days: [30, last]", "2026-01-30 2026-01-31 2026-02-28 2026-03-30 2026-03-31", "2026-01-01", "2026-04-01"},
		// single dates, and weekdays added to days of the month
		{"days: [2026-07-04]", "2026-07-04", "2026-01-01", "2027-01-01"},
		{"days: [2024-02-29, 2025-01-01]", "2024-02-29 2025-01-01", "2024-01-01", "2025-12-31"},
		{"days: [sat, 1]", "2026-08-01 2026-08-08 2026-08-15", "2026-07-31", "2026-08-16"},
		// odd days, with and without the 31st and 29 February
		{"days: odd", "2024-02-27 2024-02-29 2024-03-01", "2024-02-27", "2024-03-02"},
		{"days: odd\nodd_skips_31: true", "2024-02-27 2024-03-01", "2024-02-27", "2024-03-02"},
		{"days: odd\nodd_skips_31: true", "2026-01-29 2026-02-01", "2026-01-29", "2026-02-02"},
		// seasons, one inside a year and one wrapping its end
		{"days: all\nseason: {from: 04-01, to: 04-03}", "2026-04-01 2026-04-02 2026-04-03", "2026-03-30", "2026-04-05"},
		{"days: all\nseason: {from: 12-30, to: 01-02}", "2025-12-30 2025-12-31 2026-01-01 2026-01-02", "2025-12-28", "2026-01-04"},
		{"days: even\nseason: {from: 11-01, to: 02-29}", "2024-02-26 2024-02-28 2024-11-02", "2024-02-26", "2024-11-03"},
		{"days: every 7 days from 2026-01-05\nseason: {from: 03-01, to: 03-31}", "2026-03-02 2026-03-09 2026-03-16 2026-03-23 2026-03-30", "2026-02-20", "2026-04-10"},
	} {
		t.Run(strings.ReplaceAll(tc.rule, "\n", "; "), func(t *testing.T) {
			p, err := nativeZone(t, eight, tc.rule+"\nruns: [{at: \"06:00\", for: 5m}]\n")
			if err != nil {
				t.Fatal(err)
			}
			from, _ := time.Parse(time.DateOnly, tc.from)
			to, _ := time.Parse(time.DateOnly, tc.to)
			var got []string
			for _, w := range p.Windows(from, to, time.UTC) {
				got = append(got, w.Start.Format(time.DateOnly))
			}
			if strings.Join(got, " ") != tc.dates {
				t.Errorf("waters on %s\n          want %s", strings.Join(got, " "), tc.dates)
			}
		})
	}
}

func TestSingleDateIsOverOnceItPassed(t *testing.T) {
	p, err := nativeZone(t, eight, "days: [2026-07-04, 2026-07-01]\nruns: [{at: \"06:00\", for: 5m}]\n")
	if err != nil {
		t.Fatal(err)
	}
	if last := p.Programs[0].Days.Last(); last.String() != "2026-07-04" {
		t.Errorf("last day %v", last)
	}
	after := time.Date(2026, 7, 5, 0, 0, 0, 0, time.UTC)
	if ws := p.Windows(after, after.AddDate(2, 0, 0), time.UTC); len(ws) != 0 {
		t.Errorf("windows after the date: %v", ws)
	}
	weekly, _ := nativeZone(t, eight, "days: [mon, 2026-07-04]\nruns: [{at: \"06:00\", for: 5m}]\n")
	if last := weekly.Programs[0].Days.Last(); last != (schedule.Date{}) {
		t.Errorf("weekdays never end, yet the last day is %v", last)
	}
}

func TestRepeatedStarts(t *testing.T) {
	p, err := nativeZone(t, eight, "days: all\nruns:\n  - {at: \"06:00\", for: 10m, times: 4, every: 45m}\n  - {at: \"22:00\", for: 5m, times: 3, every: 5m}\n")
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	var got []string
	for _, w := range p.Windows(day, day.AddDate(0, 0, 1), time.UTC) {
		got = append(got, w.Start.Format("15:04")+"-"+w.End.Format("15:04"))
	}
	// The three starts 5 minutes apart for 5 minutes touch, and merge into one window.
	if want := "06:00-06:10 06:45-06:55 07:30-07:40 08:15-08:25 22:00-22:15"; strings.Join(got, " ") != want {
		t.Errorf("windows %v, want %s", got, want)
	}
	if l := p.Longest(p.Programs[0]); l != 15*time.Minute {
		t.Errorf("longest %v", l)
	}
}

// sunTables are sunrise and sunset times published for a few places and dates (US Naval
// Observatory figures as quoted by the sources named), local time, to the minute.
var sunTables = []struct {
	place    string
	zone     string
	lat, lon float64
	date     string
	rise     string // "" where the source gives none
	set      string
}{
	// Washington, DC; skylinenews.world, "sunrise will be at 7:26 a.m. ... sunset will be at 5:08 p.m."
	{"Washington, DC", "America/New_York", 38.8951, -77.0364, "2025-01-13", "07:26", "17:08"},
	{"Washington, DC", "America/New_York", 38.8951, -77.0364, "2025-02-12", "07:03", "17:43"},
	// Rochester, NY; rochesterfirst.com, official sunset times, the last after the change to DST
	{"Rochester, NY", "America/New_York", 43.1566, -77.6088, "2024-01-16", "", "17:01"},
	{"Rochester, NY", "America/New_York", 43.1566, -77.6088, "2024-01-23", "", "17:10"},
	{"Rochester, NY", "America/New_York", 43.1566, -77.6088, "2024-02-16", "", "17:42"},
	{"Rochester, NY", "America/New_York", 43.1566, -77.6088, "2024-03-16", "", "19:18"},
	// Chichester, England, the winter solstice; chichester.co.uk
	{"Chichester", "Europe/London", 50.8365, -0.7792, "2021-12-21", "08:03", "15:59"},
	// Sydney, southern summer, daylight saving time; timeanddate.com as quoted by hike-australia.com
	{"Sydney", "Australia/Sydney", -33.8688, 151.2093, "2021-12-29", "05:45", ""},
	{"Sydney", "Australia/Sydney", -33.8688, 151.2093, "2021-12-31", "05:46", ""},
}

// TestSunriseSunsetMatchPublishedTables checks runs at sunrise and sunset against published
// tables: within a minute.
func TestSunriseSunsetMatchPublishedTables(t *testing.T) {
	for _, tc := range sunTables {
		loc, err := time.LoadLocation(tc.zone)
		if err != nil {
			t.Fatal(err)
		}
		env := schedule.Env{Zones: eight.Zones, Site: &schedule.Site{Latitude: tc.lat, Longitude: tc.lon}}
		p, err := nativeZone(t, env, "days: all\nruns:\n  - {at: sunrise, for: 1m}\n  - {at: sunset, for: 1m}\n")
		if err != nil {
			t.Fatal(err)
		}
		day, _ := time.ParseInLocation(time.DateOnly, tc.date, loc)
		ws := p.Windows(day, day.AddDate(0, 0, 1), loc)
		if len(ws) != 2 {
			t.Fatalf("%s %s: windows %v", tc.place, tc.date, ws)
		}
		for i, want := range []string{tc.rise, tc.set} {
			if want == "" {
				continue
			}
			published, _ := time.ParseInLocation(time.DateOnly+" 15:04", tc.date+" "+want, loc)
			got := ws[i].Start
			if d := got.Sub(published); d.Abs() > time.Minute {
				t.Errorf("%s %s: %s at %s, %v from the published %s", tc.place, tc.date, []string{"sunrise", "sunset"}[i], got.In(loc).Format(time.TimeOnly), d, want)
			}
		}
	}
}

func TestSunOffsetsAndPolarDays(t *testing.T) {
	env := schedule.Env{Zones: eight.Zones, Site: &schedule.Site{Latitude: 38.8951, Longitude: -77.0364}}
	ny, _ := time.LoadLocation("America/New_York")
	p, err := nativeZone(t, env, "days: all\nruns:\n  - {at: sunrise-30m, for: 5m}\n  - {at: \"sunset + 1h\", for: 5m}\n")
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2025, 1, 13, 0, 0, 0, 0, ny)
	ws := p.Windows(day, day.AddDate(0, 0, 1), ny)
	if len(ws) != 2 || ws[0].Start.In(ny).Format("15:04") != "06:55" || ws[1].Start.In(ny).Format("15:04") != "18:07" {
		t.Errorf("windows %v", ws)
	}
	if got := p.Programs[0].Runs[0].Start() + " " + p.Programs[0].Runs[1].Start(); got != "sunrise-30m sunset+1h" {
		t.Errorf("written as %q", got)
	}
	// Tromsø in midwinter: the sun does not rise, so the run does not start.
	polar := schedule.Env{Zones: eight.Zones, Site: &schedule.Site{Latitude: 69.6492, Longitude: 18.9553}}
	p, err = nativeZone(t, polar, "days: all\nruns: [{at: sunrise, for: 5m}]\n")
	if err != nil {
		t.Fatal(err)
	}
	oslo, _ := time.LoadLocation("Europe/Oslo")
	dec := time.Date(2025, 12, 21, 0, 0, 0, 0, oslo)
	if ws := p.Windows(dec, dec.AddDate(0, 0, 3), oslo); len(ws) != 0 {
		t.Errorf("a sunrise in the polar night: %v", ws)
	}
	mar := time.Date(2026, 3, 21, 0, 0, 0, 0, oslo)
	if ws := p.Windows(mar, mar.AddDate(0, 0, 1), oslo); len(ws) != 1 {
		t.Errorf("the equinox: %v", ws)
	}
}

func TestBadRulesNameWhatIsWrong(t *testing.T) {
	site := schedule.Env{Zones: eight.Zones, Site: &schedule.Site{Latitude: 50, Longitude: 8}}
	for _, tc := range []struct {
		env   schedule.Env
		lines string
		want  []string
	}{
		{eight, "days: every 0 days from 2026-01-01", []string{"Days", "every 1 to 366"}},
		{eight, "days: every 3 days", []string{"Days", `"every 3 days"`}},
		{eight, "days: [32]", []string{"day of the month"}},
		{eight, "days: [0]", []string{"day of the month"}},
		{eight, "days: [2026-02-30]", []string{"2026-02-30"}},
		{eight, "days: [every 2 days from 2026-01-01, mon]", []string{"stand alone"}},
		{eight, "days: even\nodd_skips_31: true", []string{"odd_skips_31", "odd days only"}},
		{eight, "days: odd\nodd_skips_31: maybe", []string{"odd_skips_31", "true or false"}},
		{eight, "days: all\nseason: {from: 04-01}", []string{"season", "from"}},
		{eight, "days: all\nseason: {from: 13-01, to: 02-01}", []string{"season", "13-01"}},
		{eight, "days: all\nseason: {from: 04-31, to: 05-01}", []string{"04-31"}},
		{eight, "days: all\nruns: [{at: sunrise, for: 5m}]", []string{"site.latitude"}},
		{site, "days: all\nruns: [{at: sunrise-13h, for: 5m}]", []string{"up to 12h"}},
		{site, "days: all\nruns: [{at: sunrise30m, for: 5m}]", []string{"sunrise30m"}},
		{site, "days: all\nruns: [{at: moonrise, for: 5m}]", []string{"moonrise"}},
		{eight, "days: all\nruns: [{at: \"06:00\", for: 5m, times: 4}]", []string{"runs", "every"}},
		{eight, "days: all\nruns: [{at: \"06:00\", for: 5m, times: 0, every: 1h}]", []string{"times", "1 to 96"}},
		{eight, "days: all\nruns: [{at: \"06:00\", for: 5m, times: 3, every: 30s}]", []string{"every", "at least 1m"}},
		{eight, "days: all\nruns: [{at: \"22:00\", for: 5m, times: 4, every: 45m}]", []string{"past midnight"}},
		{eight, "days: all\nruns: [{at: \"06:00\", for: 20m, times: 4, every: 15m}]", []string{"1h5m0s", "max_duration"}},
		{site, "days: all\nruns:\n  - {at: sunrise, for: 40m}\n  - {at: sunrise+30m, for: 40m}", []string{"1h10m0s", "max_duration"}},
	} {
		t.Run(strings.ReplaceAll(tc.lines, "\n", "; "), func(t *testing.T) {
			lines := tc.lines
			if !strings.Contains(lines, "runs:") {
				lines += "\nruns: [{at: \"06:00\", for: 5m}]"
			}
			_, err := nativeZone(t, tc.env, lines+"\n")
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestRulesWrittenBack(t *testing.T) {
	for rule, want := range map[string]string{
		"days: every 3 days from 2026-04-01":              "every 3 days from 2026-04-01",
		"days: [1, 15, last]":                             "1,15,last",
		"days: [mon, 2026-07-04]":                         "Mon,2026-07-04",
		"days: odd\nodd_skips_31: true":                   "odd (not the 31st or 29 Feb)",
		"days: all\nseason: {from: \"11-01\", to: 02-28}": "all from 11-01 to 02-28",
	} {
		p, err := nativeZone(t, eight, rule+"\nruns: [{at: \"06:00\", for: 5m}]\n")
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Programs[0].Days.String(); got != want {
			t.Errorf("%q written as %q, want %q", rule, got, want)
		}
	}
}

// BenchmarkYearOfRuleWindows computes a year of the shipped example profile, every rule in it:
// the far look-ahead the engine makes when a zone has nothing in the coming week.
func BenchmarkYearOfRuleWindows(b *testing.B) {
	f, err := schedule.Load("../../configs/profiles-examples.yaml", schedule.Env{Zones: eight.Zones, Site: &schedule.Site{Latitude: 38.9, Longitude: -77}})
	if err != nil {
		b.Fatal(err)
	}
	ny, _ := time.LoadLocation("America/New_York")
	from := time.Date(2026, 11, 25, 0, 0, 0, 0, ny)
	b.ReportAllocs()
	for b.Loop() {
		if ws := f.Profiles[0].Windows(from, from.AddDate(1, 0, 0), ny); len(ws) < 100 {
			b.Fatalf("%d windows", len(ws))
		}
	}
}
