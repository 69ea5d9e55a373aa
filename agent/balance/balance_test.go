package balance_test

import (
	"math"
	"testing"
	"time"

	"sprinkler/agent/balance"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// lawn is a loam lawn 0.3 m deep, p 0.5, sprinklers at 12 mm/h.
func lawn(t *testing.T) balance.Zone {
	t.Helper()
	loam, err := balance.TextureNamed("loam")
	if err != nil {
		t.Fatal(err)
	}
	return balance.Zone{TAWmm: balance.TAW(loam.MmPerM(), 0.3), P: 0.5, Kc: 1, RateMmPH: 12, IntakeMmPH: loam.IntakeMmPH}
}

// TestTheBucket: table 19's loam holds 130 mm a metre, 39 mm in 0.3 m of roots, 19.5 of them
// readily; ET adds, rain and runs take away down to field capacity and the rest drains; past
// RAW the plants take less (equation 84), and the depletion never passes TAW.
func TestTheBucket(t *testing.T) {
	z := lawn(t)
	if !near(z.TAWmm, 39) || !near(z.RAWmm(), 19.5) {
		t.Fatalf("TAW %v, RAW %v; want 39 and 19.5", z.TAWmm, z.RAWmm())
	}
	if d, etc, dp := z.Step(10, balance.Day{ET0: 5}); !near(d, 15) || !near(etc, 5) || dp != 0 {
		t.Errorf("a dry day of 5 mm from 10: %v (ETc %v, drained %v)", d, etc, dp)
	}
	if d, _, dp := z.Step(10, balance.Day{ET0: 5, Rain: 50}); d != 0 || !near(dp, 35) {
		t.Errorf("a 50 mm storm on a depletion of 10: %v, drained %v; want 0 and 35", d, dp)
	}
	if d, _, _ := z.Step(10, balance.Day{ET0: 5, Irrigation: 15}); d != 0 {
		t.Errorf("15 mm of water on 10 mm of depletion: %v", d)
	}
	// Past RAW, stressed: at 29.25 mm (halfway from RAW to TAW) Ks is 0.5.
	if ks := z.Ks(29.25); !near(ks, 0.5) {
		t.Errorf("Ks halfway past RAW: %v", ks)
	}
	if d, _, _ := z.Step(38, balance.Day{ET0: 10}); d > z.TAWmm {
		t.Errorf("the depletion passed TAW: %v", d)
	}
	shrubs := z
	shrubs.Kc = 0.5
	if d, etc, _ := shrubs.Step(0, balance.Day{ET0: 20, Rain: 8}); !near(etc, 10) || !near(d, 2) {
		t.Errorf("Kc 0.5 scales ET only: ETc %v, depletion %v; want 10 and 2", etc, d)
	}
}

// TestRunsInMillimetres: 12 mm/h puts down 6 mm in 30 minutes; a refill waits while the
// depletion is small.
func TestRunsInMillimetres(t *testing.T) {
	z := lawn(t)
	if d := z.RunFor(6); d != 30*time.Minute {
		t.Errorf("6 mm at 12 mm/h: %v", d)
	}
	if mm := z.Mm(30 * time.Minute); !near(mm, 6) {
		t.Errorf("30 minutes: %v mm", mm)
	}
	if z.Need(3) != 0 || z.Need(15) != 15 {
		t.Errorf("need at 3 and 15 mm: %v, %v", z.Need(3), z.Need(15))
	}
}

// TestCycleAndSoak: sprays at 40 mm/h on clay (3 mm/h) run in cycles of 2.5 mm of standing
// water, then soak until it is in; drip slower than the soil runs whole.
func TestCycleAndSoak(t *testing.T) {
	clay, _ := balance.TextureNamed("clay")
	z := balance.Zone{TAWmm: 42, P: 0.5, Kc: 1, RateMmPH: 40, IntakeMmPH: clay.IntakeMmPH}
	n, cycle, soak := z.Cycles(20)
	if n != 8 || cycle != 243*time.Second || soak != 50*time.Minute {
		t.Errorf("20 mm of spray on clay: %d cycles of %v, soaking %v", n, cycle, soak)
	}
	drip := balance.Zone{RateMmPH: 2, IntakeMmPH: 3}
	if n, cycle, soak := drip.Cycles(20); n != 1 || cycle != 10*time.Hour || soak != 0 {
		t.Errorf("drip: %d cycles of %v, soaking %v", n, cycle, soak)
	}
	if _, err := balance.TextureNamed("peat"); err == nil {
		t.Error("a texture not in table 19 was taken")
	}
}

// TestAppliedWater: a run a flow meter measured counts its litres over the area; else its
// time at the sprinklers' rate.
func TestAppliedWater(t *testing.T) {
	z := balance.Zone{RateMmPH: 12, AreaM2: 50}
	litres := 400.0
	if mm := z.Applied(balance.Run{Seconds: 1800, Litres: &litres}); !near(mm, 8) {
		t.Errorf("400 L on 50 m²: %v mm", mm)
	}
	if mm := z.Applied(balance.Run{Seconds: 1800}); !near(mm, 6) {
		t.Errorf("30 minutes at 12 mm/h: %v mm", mm)
	}
}
