// Package et0test reads the real stations' weather, with the reference ET0 others computed,
// that tests compare the agent's ET0 with: ../shared/et0-data beside the repository.
package et0test

import (
	"bufio"
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Dir is the folder of the station data. Tests that read it skip without it, unless
// SPRINKLER_REQUIRE_ET0_DATA is set (CI).
func Dir(t testing.TB) string {
	t.Helper()
	_, here, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(here), "..", "..", "..", "..", "shared", "et0-data")
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("SPRINKLER_REQUIRE_ET0_DATA") != "" {
			t.Fatalf("the station data: %v", err)
		}
		t.Skipf("no station data at %s", dir)
	}
	return dir
}

// CSV reads a CSV file with a header line into one map a row, by column name.
func CSV(t testing.TB, path string) []map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]string
	for _, r := range rows[1:] {
		m := map[string]string{}
		for i, h := range rows[0] {
			m[h] = r[i]
		}
		out = append(out, m)
	}
	return out
}

// Num is s as a number; a test fails on anything else.
func Num(t testing.TB, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Fahrenheit is °F in °C.
func Fahrenheit(v float64) float64 { return (v - 32) * 5 / 9 }

// RefET reads the daily ETo column of a Ref-ET 4.1 report, by date (YYYY-MM-DD).
func RefET(t testing.TB, path string) map[string]float64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]float64{}
	s := bufio.NewScanner(f)
	for s.Scan() {
		fs := strings.Fields(s.Text())
		if len(fs) < 10 {
			continue
		}
		mo, err1 := strconv.Atoi(fs[0])
		day, err2 := strconv.Atoi(fs[1])
		yr, err3 := strconv.Atoi(fs[2])
		eto, err4 := strconv.ParseFloat(fs[9], 64)
		if err1 != nil || err2 != nil || err3 != nil || err4 != nil || yr < 1900 {
			continue
		}
		out[time.Date(yr, time.Month(mo), day, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)] = eto
	}
	return out
}

// Fit gathers pairs of a computed value and a reference: their root mean square error and r².
type Fit struct{ n, sse, sw, sww, sg, sgg, sgw float64 }

// Add adds a pair.
func (f *Fit) Add(got, want float64) {
	f.n++
	f.sse += (got - want) * (got - want)
	f.sw, f.sww, f.sg, f.sgg, f.sgw = f.sw+want, f.sww+want*want, f.sg+got, f.sgg+got*got, f.sgw+got*want
}

// N is the number of pairs.
func (f Fit) N() int { return int(f.n) }

// RMSE is the root mean square error.
func (f Fit) RMSE() float64 { return math.Sqrt(f.sse / f.n) }

// R2 is the square of the correlation.
func (f Fit) R2() float64 {
	cov := f.sgw/f.n - f.sg/f.n*f.sw/f.n
	return cov * cov / ((f.sgg/f.n - f.sg*f.sg/f.n/f.n) * (f.sww/f.n - f.sw*f.sw/f.n/f.n))
}
