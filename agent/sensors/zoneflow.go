package sensors

import (
	"fmt"
	"sync"

	"sprinkler/topics"
)

// ZoneFlow attributes the metered water to the zones that run, learns each zone's usual flow
// from the runs it made alone, and finds a zone whose flow is far off its usual.
type ZoneFlow struct {
	high, low float64 // factors of the expected flow; 0: no check
	mu        sync.Mutex
	runs      map[int]*zoneRun // the run in progress of each zone
	expected  map[int]float64  // l/min: configured, or learned
	learned   map[int]bool     // expected[zone] was learned (and keeps learning)
}

// zoneRun is what the meter saw of one zone's run.
type zoneRun struct {
	litres  float64 // its share of the water
	minutes float64 // the minutes it ran alone
	alone   float64 // the litres of those minutes
	off     int     // consecutive samples off its usual flow
	seen    int     // samples since it began
}

// NewZoneFlow returns a ZoneFlow that catches a zone flowing above high or below low times its
// usual flow (0: no check); configured are the usual flows known, l/min by zone.
func NewZoneFlow(high, low float64, configured map[int]float64) *ZoneFlow {
	f := &ZoneFlow{high: high, low: low, runs: map[int]*zoneRun{}, expected: map[int]float64{}, learned: map[int]bool{}}
	for zone, lpm := range configured {
		if lpm > 0 {
			f.expected[zone] = lpm
		}
	}
	return f
}

// run returns zone's run in progress. Called with mu held.
func (f *ZoneFlow) run(zone int) *zoneRun {
	r := f.runs[zone]
	if r == nil {
		r = &zoneRun{}
		f.runs[zone] = r
	}
	return r
}

// Sample takes the litres of one interval of minutes, with the zones open during it. It
// returns a zone to close and why, when one ran alone far off its usual flow for two samples.
func (f *ZoneFlow) Sample(litres, minutes float64, open []int) (zone int, event, why string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, z := range open {
		r := f.run(z)
		r.litres += litres / float64(len(open))
		r.seen++
	}
	if len(open) != 1 || minutes <= 0 {
		return 0, "", ""
	}
	z := open[0]
	r := f.run(z)
	r.minutes += minutes
	r.alone += litres
	want, rate := f.expected[z], litres/minutes
	if want <= 0 || r.seen < 2 { // the first interval fills the pipes
		return 0, "", ""
	}
	switch {
	case f.high > 0 && rate > f.high*want:
		event, why = topics.EventFlowHigh, fmt.Sprintf("zone %d flows %.1f l/min, its usual is %.1f: a burst pipe or a broken head?", z, rate, want)
	case f.low > 0 && rate < f.low*want:
		event, why = topics.EventFlowLow, fmt.Sprintf("zone %d flows %.1f l/min, its usual is %.1f: clogged, or no water?", z, rate, want)
	default:
		r.off = 0
		return 0, "", ""
	}
	if r.off++; r.off < 2 {
		return 0, "", ""
	}
	r.off = 0
	return z, event, why
}

// Ended returns the litres of zone's run that just ended and learns from it.
func (f *ZoneFlow) Ended(zone int) float64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.run(zone)
	delete(f.runs, zone)
	// Learn from half a minute alone at least, unless the usual flow was configured.
	if r.minutes >= 0.5 && (f.expected[zone] == 0 || f.learned[zone]) {
		lpm := r.alone / r.minutes
		if f.expected[zone] == 0 {
			f.expected[zone] = lpm
		} else {
			f.expected[zone] = 0.7*f.expected[zone] + 0.3*lpm // follows slow change, not one odd run
		}
		f.learned[zone] = true
	}
	return r.litres
}
