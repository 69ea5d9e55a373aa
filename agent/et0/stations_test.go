package et0_test

import (
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"sprinkler/agent/et0"
	"sprinkler/agent/et0/et0test"
)

// TestFallonAgainstRefET: a year of AgriMet Fallon's daily weather (°F, langley, mph at 3 m,
// dew point) gives the ASCE standardized short-grass ETo that Ref-ET 4.1 computed, to an RMSE
// of 0.06 mm/day.
func TestFallonAgainstRefET(t *testing.T) {
	dir := et0test.Dir(t)
	want := et0test.RefET(t, filepath.Join(dir, "FALN_Agrimet_daily_raw_2015.out"))
	site := et0.Site{LatitudeDeg: 39.4575, ElevationM: 1208.5}
	var f et0test.Fit
	for _, r := range et0test.CSV(t, filepath.Join(dir, "FALN_Agrimet_daily_raw_2015.csv")) {
		date := time.Date(int(et0test.Num(t, r["YEAR"])), time.Month(et0test.Num(t, r["MONTH"])), int(et0test.Num(t, r["DAY"])), 0, 0, 0, 0, time.UTC)
		ref, ok := want[date.Format(time.DateOnly)]
		if !ok {
			t.Fatalf("%s: not in Ref-ET's report", date.Format(time.DateOnly))
		}
		wind := 0.0 // "NO RECORD" (22 April): Ref-ET's report shows it took 0
		if v, err := strconv.ParseFloat(r["UA"], 64); err == nil {
			wind = v * 0.44704
		}
		dew, solar := et0test.Fahrenheit(et0test.Num(t, r["YM"])), et0test.Num(t, r["SR"])*0.041868
		got, err := et0.Daily(site, et0.Day{Date: date, TminC: et0test.Fahrenheit(et0test.Num(t, r["MN"])), TmaxC: et0test.Fahrenheit(et0test.Num(t, r["MX"])),
			DewpointC: &dew, WindMS: &wind, WindHeight: 3, SolarMJ: &solar})
		if err != nil {
			t.Fatalf("%s: %v", date.Format(time.DateOnly), err)
		}
		f.Add(got.ET0Mm, ref)
	}
	t.Logf("Fallon 2015, %d days: RMSE %.3f mm/day, r² %.4f", f.N(), f.RMSE(), f.R2())
	if f.N() < 365 || f.RMSE() > 0.06 {
		t.Errorf("Fallon against Ref-ET: %d days, RMSE %.3f mm/day; want 365, at most 0.06", f.N(), f.RMSE())
	}
}

// TestHolyokeAgainstCoAgMET: a year of CoAgMET Holyoke's daily weather (humidity as a
// fraction, some days above 1 as its sensors read in fog, mean W/m², wind run) gives CoAgMET's
// own ASCE short-grass ETo to an RMSE of 0.05 mm/day; a humidity a little above 100 % counts as
// 100 %, not as a lost day.
func TestHolyokeAgainstCoAgMET(t *testing.T) {
	dir := et0test.Dir(t)
	site := et0.Site{LatitudeDeg: 40.49, ElevationM: 1138}
	var f et0test.Fit
	over := 0
	for _, r := range et0test.CSV(t, filepath.Join(dir, "coagmet_hyk02_2020.csv")) {
		date, err := time.Parse(time.DateOnly, r["date"])
		if err != nil {
			t.Fatal(err)
		}
		rhmax, rhmin := et0test.Num(t, r["rhmax"])*100, et0test.Num(t, r["rhmin"])*100
		if rhmax > 100 {
			over++
		}
		wind := et0test.Num(t, r["windrun"]) * 1000 / 86400
		solar := et0test.Num(t, r["solar"]) * 0.0864
		got, err := et0.Daily(site, et0.Day{Date: date, TminC: et0test.Num(t, r["tmin"]), TmaxC: et0test.Num(t, r["tmax"]),
			RHmaxPct: &rhmax, RHminPct: &rhmin, WindMS: &wind, SolarMJ: &solar})
		if err != nil {
			t.Fatalf("%s: %v", r["date"], err)
		}
		f.Add(got.ET0Mm, et0test.Num(t, r["et_asce0"]))
	}
	t.Logf("Holyoke 2020, %d days (%d with humidity above 100 %%): RMSE %.3f mm/day, r² %.4f", f.N(), over, f.RMSE(), f.R2())
	if f.N() < 366 || f.RMSE() > 0.05 || over == 0 {
		t.Errorf("Holyoke against CoAgMET: %d days (%d above 100 %%), RMSE %.3f mm/day; want 366, at most 0.05", f.N(), over, f.RMSE())
	}
}
