package schedule_test

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the tests need zones with DST whatever the machine has installed

	"github.com/nathan-osman/go-sunrise"

	"sprinkler/agent/schedule"
)

var eight = schedule.Env{Zones: schedule.Zones{1: time.Hour, 2: time.Hour, 3: time.Hour, 4: time.Hour, 5: time.Hour, 6: time.Hour, 7: time.Hour, 8: time.Hour}}

const original = `
summer:
  about: Two zones, mornings
  active: True
  relay1:
    About: Back yard
    Days: [Tuesday, Saturday]
    Times: [1030, 830, 930]
    durations: [2, 2, 2]
  relay5:
    About: Hill above driveway
    Days: [odd]
    Times: [835]
    durations: [6]
winter:
  about: Rarely
  active: False
  relay1:
    About: Back yard
    Days: [None]
    Times: [800]
    durations: [1.5]
`

func TestOriginalFormatLoadsAsItIs(t *testing.T) {
	f, err := schedule.Parse("profiles.yml", []byte(original), eight)
	if err != nil {
		t.Fatal(err)
	}
	if f.Active != "summer" || len(f.Profiles) != 2 || f.Profiles[1].Name != "winter" {
		t.Fatalf("file %+v", f)
	}
	p := f.Profiles[0]
	if p.About != "Two zones, mornings" || len(p.Programs) != 2 || p.Programs[1].Zone != 5 || p.Programs[0].About != "Back yard" {
		t.Fatalf("profile %+v", p)
	}
	runs := p.Programs[0].Runs
	if len(runs) != 3 || runs[1].At.String() != "08:30" || runs[0].For != 2*time.Minute {
		t.Errorf("runs %+v", runs)
	}
	if p.Programs[0].Days.String() != "Tue,Sat" || !p.Programs[1].Days.Odd {
		t.Errorf("days %v / %+v", p.Programs[0].Days, p.Programs[1].Days)
	}
	if f.Profiles[1].Programs[0].Runs[0].For != 90*time.Second {
		t.Errorf("1.5 minutes is %v", f.Profiles[1].Programs[0].Runs[0].For)
	}
	if got, ok := f.Lookup("1"); !ok || got.Name != "winter" {
		t.Error("lookup by index")
	}
}

const native = `
active: spring
profiles:
  - name: spring
    about: Every other day
    zones:
      - zone: 2
        about: Front lawn
        days: [mon, wed, fri]
        runs:
          - {at: "06:00", for: 10m}
          - {at: "18:30", for: 90s}
      - zone: 3
        days: [even]
        runs:
          - {at: 545, for: 2.5}
`

func TestNativeFormat(t *testing.T) {
	f, err := schedule.Parse("profiles.yaml", []byte(native), eight)
	if err != nil {
		t.Fatal(err)
	}
	p := f.Profiles[0]
	if f.Active != "spring" || p.Programs[0].Runs[1].For != 90*time.Second || p.Programs[1].Runs[0].At.String() != "05:45" || p.Programs[1].Runs[0].For != 150*time.Second {
		t.Fatalf("%+v", p)
	}
}

func TestBadFilesNameWhatIsWrong(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      []string
	}{
		{"time 2460", "p:\n  relay1:\n    Days: [all]\n    Times: [2460]\n    durations: [1]\n", []string{"profiles.yml:4:", `profile "p"`, "zone 1", "Times", "2460"}},
		{"minutes 60", "p:\n  relay1:\n    Days: [all]\n    Times: [860]\n    durations: [1]\n", []string{"860"}},
		{"mismatched counts", "p:\n  relay1:\n    Days: [all]\n    Times: [800, 900]\n    durations: [1]\n", []string{":5:", "1 durations for 2 times"}},
		{"past midnight", "p:\n  relay2:\n    Days: [all]\n    Times: [2350]\n    durations: [20]\n", []string{"zone 2", "past midnight"}},
		{"unknown zone", "p:\n  relay9:\n    Days: [all]\n    Times: [800]\n    durations: [1]\n", []string{":2:", "zone 9", "no zone 9"}},
		{"unknown day", "p:\n  relay1:\n    Days: [Tuesday, Caturday]\n    Times: [800]\n    durations: [1]\n", []string{":3:", "Caturday"}},
		{"none with others", "p:\n  relay1:\n    Days: [none, mon]\n    Times: [800]\n    durations: [1]\n", []string{"stand alone"}},
		{"zero minutes", "p:\n  relay1:\n    Days: [all]\n    Times: [800]\n    durations: [0]\n", []string{"durations", "above 0"}},
		{"two active", "a:\n  active: true\n  relay1: {Days: [all], Times: [800], durations: [1]}\nb:\n  active: true\n  relay2: {Days: [all], Times: [800], durations: [1]}\n", []string{`profile "b"`, "exactly one"}},
		{"over the zone's maximum", "p:\n  relay1:\n    Days: [all]\n    Times: [800, 830]\n    durations: [40, 40]\n", []string{"1h10m0s", "max_duration"}},
		{"unknown key", "p:\n  relay1:\n    Days: [all]\n    Times: [800]\n    durations: [1]\n    Colour: red\n", []string{":6:", "Colour"}},
		{"native unknown active", "active: fall\nprofiles:\n  - name: spring\n    zones: []\n", []string{"no profile \"fall\""}},
		{"native bad run", "profiles:\n  - name: s\n    zones:\n      - zone: 1\n        days: [all]\n        runs:\n          - {at: '25:00', for: 1m}\n", []string{":7:", "25:00"}},
		{"not yaml", "p: [\n", []string{"profiles.yml"}},
		{"relay0", "p:\n  relay0: {Days: [all], Times: [800], durations: [1]}\n", []string{":2:", "relay0"}},
		{"no days", "p:\n  relay1: {Times: [800], durations: [1]}\n", []string{"needs Days"}},
		{"native zone 0", "profiles:\n  - name: s\n    zones:\n      - {zone: 0, days: [all], runs: []}\n", []string{"zone number"}},
		{"a name with a newline", "profiles:\n  - name: \"sum\\nmer\"\n    zones: []\n", []string{":2:", "control character"}},
		{"a name with a trailing space", "profiles:\n  - name: \"summer \"\n    zones: []\n", []string{"write it \"summer\""}},
		{"a name with a bidi mark", "profiles:\n  - name: \"a\\u202eb\"\n    zones: []\n", []string{"read otherwise"}},
		{"look-alike names", "profiles:\n  - name: summer\n    zones: []\n  - name: Summer\n    zones: []\n", []string{":4:", `reads like it: "summer"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := schedule.Parse("profiles.yml", []byte(tc.src), eight)
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

func TestDays(t *testing.T) {
	loc := time.UTC
	for _, tc := range []struct {
		days string
		date string
		want bool
	}{
		{"[odd]", "2026-01-31", true},
		{"[odd]", "2026-02-01", true}, // 31 and 1: two odd days in a row
		{"[even]", "2026-02-01", false},
		{"[even]", "2024-02-28", true},
		{"[odd]", "2024-02-29", true}, // leap day
		{"[even]", "2024-03-01", false},
		{"[all]", "2024-02-29", true},
		{"[None]", "2026-06-01", false},
		{"[Monday, sun]", "2026-06-01", true}, // a Monday
		{"[Monday, sun]", "2026-06-07", true}, // a Sunday
		{"[Monday, sun]", "2026-06-02", false},
	} {
		src := fmt.Sprintf("p:\n  relay1:\n    Days: %s\n    Times: [800]\n    durations: [1]\n", tc.days)
		f, err := schedule.Parse("x", []byte(src), eight)
		if err != nil {
			t.Fatal(err)
		}
		day, _ := time.ParseInLocation(time.DateOnly, tc.date, loc)
		if got := f.Profiles[0].Programs[0].Days.Match(day); got != tc.want {
			t.Errorf("%s on %s: %v", tc.days, tc.date, got)
		}
	}
}

func TestOverlappingRunsMerge(t *testing.T) {
	f, err := schedule.Parse("x", []byte("p:\n  relay3:\n    Days: [all]\n    Times: [1800, 1801]\n    durations: [1.5, 1]\n"), eight)
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	ws := f.Profiles[0].Windows(day, day.Add(24*time.Hour), time.UTC)
	if len(ws) != 1 || !ws[0].Start.Equal(day.Add(18*time.Hour)) || !ws[0].End.Equal(day.Add(18*time.Hour+2*time.Minute)) {
		t.Fatalf("windows %+v", ws)
	}
}

// TestDST pins what happens to starts that a change of clocks skips or repeats, in New York:
// 2026-03-08 jumps from 02:00 to 03:00, 2026-11-01 falls back from 02:00 to 01:00.
func TestDST(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	src := "p:\n  relay1:\n    Days: [all]\n    Times: [130, 230, 330]\n    durations: [10, 10, 10]\n"
	f, err := schedule.Parse("x", []byte(src), eight)
	if err != nil {
		t.Fatal(err)
	}
	at := func(date string) []string {
		day, _ := time.ParseInLocation(time.DateOnly, date, ny)
		var out []string
		for _, w := range f.Profiles[0].Windows(day, day.AddDate(0, 0, 1), ny) {
			if w.Start.In(ny).Format(time.DateOnly) == date {
				out = append(out, w.Start.In(ny).Format("15:04 MST")+"-"+w.End.In(ny).Format("15:04 MST"))
			}
		}
		return out
	}
	if got := strings.Join(at("2026-03-08"), " "); got != "01:30 EST-01:40 EST 03:30 EDT-03:40 EDT" {
		t.Errorf("spring forward: %s (02:30 is skipped and runs at 03:30, merged with the 03:30 start)", got)
	}
	if got := strings.Join(at("2026-11-01"), " "); got != "01:30 EDT-01:40 EDT 02:30 EST-02:40 EST 03:30 EST-03:40 EST" {
		t.Errorf("fall back: %s (01:30 runs once, at its first occurrence)", got)
	}
}

// dayRule is a day rule as a file writes it, and the same rule written the slow way.
type dayRule struct {
	src   string
	match func(d time.Time) bool // d is midnight of a local date
}

var bruteDays = []dayRule{
	{"all", func(time.Time) bool { return true }},
	{"none", func(time.Time) bool { return false }},
	{"even", func(d time.Time) bool { return d.Day()%2 == 0 }},
	{"odd", func(d time.Time) bool { return d.Day()%2 == 1 }},
	{"odd\n        odd_skips_31: true", func(d time.Time) bool {
		return d.Day()%2 == 1 && d.Day() != 31 && !(d.Month() == time.February && d.Day() == 29)
	}},
	{"[Monday]", func(d time.Time) bool { return d.Weekday() == time.Monday }},
	{"[Wed, Sat, 15]", func(d time.Time) bool {
		return d.Weekday() == time.Wednesday || d.Weekday() == time.Saturday || d.Day() == 15
	}},
	{"[1, last]", func(d time.Time) bool { return d.Day() == 1 || d.AddDate(0, 0, 1).Day() == 1 }},
	{"[2026-03-29, 2024-02-29, 2026-12-31]", func(d time.Time) bool {
		s := d.Format(time.DateOnly)
		return s == "2026-03-29" || s == "2024-02-29" || s == "2026-12-31"
	}},
	{"every 3 days from 2026-01-07", func(d time.Time) bool {
		// Count the days one by one from the anchor, forwards or backwards.
		a := time.Date(2026, 1, 7, 0, 0, 0, 0, d.Location())
		n := 0
		for ; a.Before(d); a = a.AddDate(0, 0, 1) {
			n++
		}
		for ; a.After(d); a = a.AddDate(0, 0, -1) {
			n++
		}
		return n%3 == 0
	}},
	{"all\n        season: {from: 12-31, to: 03-01}", func(d time.Time) bool {
		return d.Month() == time.December && d.Day() == 31 || d.Month() <= time.February || d.Month() == time.March && d.Day() == 1
	}},
	{"even\n        season: {from: 03-28, to: 10-25}", func(d time.Time) bool {
		md := int(d.Month())*100 + d.Day()
		return d.Day()%2 == 0 && md >= 328 && md <= 1025
	}},
}

// bruteRun is a start rule as a file writes it.
type bruteRun struct {
	sun    string // "", "sunrise", "sunset"
	hhmm   int
	offset time.Duration
	mins   float64
	times  int
	every  time.Duration
}

func (r bruteRun) src() string {
	at := fmt.Sprintf("%02d:%02d", r.hhmm/100, r.hhmm%100)
	if r.sun != "" {
		at = fmt.Sprintf("%s%+dm", r.sun, int(r.offset/time.Minute))
	}
	s := fmt.Sprintf("{at: %q, for: %vs", at, r.mins*60)
	if r.times > 0 {
		s += fmt.Sprintf(", times: %d, every: %v", r.times, r.every)
	}
	return s + "}"
}

// TestWindowsMatchBruteForce compares the computed timeline with a second-by-second evaluation
// of random profiles over random dates, DST days, leap days and year ends among them: every
// day rule, repeated starts and starts at sunrise and sunset.
func TestWindowsMatchBruteForce(t *testing.T) {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	site := &schedule.Site{Latitude: 52.52, Longitude: 13.405}
	rng := rand.New(rand.NewPCG(4, 2))
	starts := []time.Time{
		time.Date(2026, 3, 28, 0, 0, 0, 0, loc),  // spring forward on the 29th
		time.Date(2026, 10, 24, 0, 0, 0, 0, loc), // fall back on the 25th
		time.Date(2024, 2, 27, 0, 0, 0, 0, loc),  // a leap day
		time.Date(2026, 12, 30, 0, 0, 0, 0, loc), // a year end, 31 → 1
		time.Date(2025, 2, 28, 0, 0, 0, 0, loc),  // a month end without a leap day
	}
	for range 10 {
		starts = append(starts, time.Date(2024+rng.IntN(4), time.Month(1+rng.IntN(12)), 1+rng.IntN(28), 0, 0, 0, 0, loc))
	}
	for trial, from := range starts {
		var src strings.Builder
		src.WriteString("profiles:\n  - name: p\n    zones:\n")
		type plan struct {
			days dayRule
			runs []bruteRun
		}
		plans := map[int]plan{}
		for zone := 1; zone <= 3; zone++ {
			pl := plan{days: bruteDays[rng.IntN(len(bruteDays))]}
			for range 1 + rng.IntN(3) {
				r := bruteRun{hhmm: rng.IntN(20)*100 + rng.IntN(60), mins: float64(1+rng.IntN(16)) / 2}
				switch rng.IntN(4) {
				case 0:
					r.sun, r.offset = "sunrise", time.Duration(rng.IntN(121)-60)*time.Minute
				case 1:
					r.sun, r.offset = "sunset", time.Duration(rng.IntN(121)-60)*time.Minute
				case 2:
					r.times, r.every = 2+rng.IntN(3), time.Duration(5+rng.IntN(60))*time.Minute
				}
				pl.runs = append(pl.runs, r)
			}
			plans[zone] = pl
			fmt.Fprintf(&src, "      - zone: %d\n        days: %s\n        runs:\n", zone, pl.days.src)
			for _, r := range pl.runs {
				fmt.Fprintf(&src, "          - %s\n", r.src())
			}
		}
		f, err := schedule.Parse("random", []byte(src.String()), schedule.Env{Zones: eight.Zones, Site: site})
		if err != nil {
			t.Fatalf("trial %d: %v\n%s", trial, err, src.String())
		}
		to := from.AddDate(0, 0, 2)
		ws := f.Profiles[0].Windows(from, to, loc)
		t.Logf("trial %d from %s: %d windows", trial, from.Format(time.DateOnly), len(ws))
		inTimeline := func(zone int, t time.Time) bool {
			for _, w := range ws {
				if w.Zone == zone && !t.Before(w.Start) && t.Before(w.End) {
					return true
				}
			}
			return false
		}
		for zone, pl := range plans {
			// Every start of the days around the span, found the slow way.
			type span struct{ start, end time.Time }
			var spans []span
			for back := -1; back <= 3; back++ {
				day := from.AddDate(0, 0, back)
				if !pl.days.match(day) {
					continue
				}
				for _, r := range pl.runs {
					first := schedule.At(day, schedule.Clock(r.hhmm/100*60+r.hhmm%100), loc)
					if r.sun != "" {
						rise, set := sunrise.SunriseSunset(site.Latitude, site.Longitude, day.Year(), day.Month(), day.Day())
						first = map[string]time.Time{"sunrise": rise, "sunset": set}[r.sun].Add(r.offset).Truncate(time.Second)
					}
					for k := range max(r.times, 1) {
						start := first.Add(time.Duration(k) * r.every)
						spans = append(spans, span{start, start.Add(time.Duration(r.mins * float64(time.Minute)))})
					}
				}
			}
			for t0 := from; t0.Before(to); t0 = t0.Add(time.Second) {
				want := false
				for _, s := range spans {
					want = want || !t0.Before(s.start) && t0.Before(s.end)
				}
				if got := inTimeline(zone, t0); got != want {
					t.Fatalf("trial %d zone %d at %v: timeline says %v, brute force %v\n%s", trial, zone, t0, got, want, src.String())
				}
			}
		}
	}
}

func BenchmarkWeekOfWindows(b *testing.B) {
	var src strings.Builder
	src.WriteString("p:\n")
	for zone := 1; zone <= 8; zone++ {
		fmt.Fprintf(&src, "  relay%d:\n    Days: [all]\n    Times: [500, 600, 700, 800, 900, 1700, 1800, 1900, 2000, 2100]\n    durations: [5, 5, 5, 5, 5, 5, 5, 5, 5, 5]\n", zone)
	}
	f, err := schedule.Parse("bench", []byte(src.String()), eight)
	if err != nil {
		b.Fatal(err)
	}
	loc, _ := time.LoadLocation("Europe/Berlin")
	from := time.Date(2026, 6, 1, 0, 0, 0, 0, loc)
	b.ReportAllocs()
	for b.Loop() {
		if ws := f.Profiles[0].Windows(from, from.AddDate(0, 0, 7), loc); len(ws) != 8*10*7 {
			b.Fatalf("%d windows", len(ws))
		}
	}
}

// TestShippedProfilesLoad loads every profile file shipped in configs/.
func TestShippedProfilesLoad(t *testing.T) {
	files, _ := filepath.Glob("../../configs/profiles*.y*ml")
	if len(files) < 2 {
		t.Fatalf("profile files: %v", files)
	}
	for _, path := range files {
		f, err := schedule.Load(path, schedule.Env{Zones: eight.Zones, Site: &schedule.Site{Latitude: 38.9, Longitude: -77}})
		if err != nil {
			t.Fatal(err)
		}
		if f.Active == "" || len(f.Profiles) < 2 {
			t.Errorf("%s: %+v", path, f)
		}
	}
}

func TestWaterLevelKey(t *testing.T) {
	f, err := schedule.Parse("p.yaml", []byte("profiles:\n  - name: a\n    water_level: true\n    zones: []\n  - name: b\n    zones: []\n"), eight)
	if err != nil || !f.Profiles[0].WaterLevel || f.Profiles[1].WaterLevel {
		t.Fatalf("%+v, %v", f, err)
	}
	if _, err := schedule.Parse("p.yaml", []byte("profiles:\n  - name: a\n    water_level: often\n"), eight); err == nil || !strings.Contains(err.Error(), "water_level") {
		t.Errorf("a bad water_level: %v", err)
	}
}
