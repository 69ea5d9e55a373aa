package daemon

import (
	"fmt"
	"sync"

	"sprinkler/topics"
)

// flowWatch attributes the metered water to the zones that run, learns each zone's usual flow
// from the runs it made alone, and finds a zone whose flow is far off its usual.
type flowWatch struct {
	high, low float64 // factors of the expected flow; 0: no check
	mu        sync.Mutex
	litres    map[int]float64 // the run in progress of each zone
	minutes   map[int]float64 // of those runs, the minutes the zone ran alone
	alone     map[int]float64 // litres of those minutes
	expected  map[int]float64 // l/min: configured, or learned
	learned   map[int]bool    // expected[zone] was learned (and keeps learning)
	off       map[int]int     // consecutive samples a zone was off its usual
	seen      map[int]int     // samples since the zone's run began
}

func newFlowWatch(high, low float64, configured map[int]float64) *flowWatch {
	f := &flowWatch{high: high, low: low, litres: map[int]float64{}, minutes: map[int]float64{}, alone: map[int]float64{},
		expected: map[int]float64{}, learned: map[int]bool{}, off: map[int]int{}, seen: map[int]int{}}
	for zone, lpm := range configured {
		if lpm > 0 {
			f.expected[zone] = lpm
		}
	}
	return f
}

// sample takes the litres of one interval of minutes, with the zones open during it. It
// returns a zone to close and why, when one ran alone far off its usual flow for two samples.
func (f *flowWatch) sample(litres, minutes float64, open []int) (zone int, event, why string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, z := range open {
		f.litres[z] += litres / float64(len(open))
		f.seen[z]++
	}
	if len(open) != 1 || minutes <= 0 {
		return 0, "", ""
	}
	z := open[0]
	f.minutes[z] += minutes
	f.alone[z] += litres
	want, rate := f.expected[z], litres/minutes
	if want <= 0 || f.seen[z] < 2 { // the first interval fills the pipes
		return 0, "", ""
	}
	switch {
	case f.high > 0 && rate > f.high*want:
		event, why = topics.EventFlowHigh, fmt.Sprintf("zone %d flows %.1f l/min, its usual is %.1f: a burst pipe or a broken head?", z, rate, want)
	case f.low > 0 && rate < f.low*want:
		event, why = topics.EventFlowLow, fmt.Sprintf("zone %d flows %.1f l/min, its usual is %.1f: clogged, or no water?", z, rate, want)
	default:
		f.off[z] = 0
		return 0, "", ""
	}
	if f.off[z]++; f.off[z] < 2 {
		return 0, "", ""
	}
	f.off[z] = 0
	return z, event, why
}

// ended returns the litres of zone's run that just ended and learns from it.
func (f *flowWatch) ended(zone int) float64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	l := f.litres[zone]
	// Learn from half a minute alone at least, unless the usual flow was configured.
	if m := f.minutes[zone]; m >= 0.5 && (f.expected[zone] == 0 || f.learned[zone]) {
		lpm := f.alone[zone] / m
		if f.expected[zone] == 0 {
			f.expected[zone] = lpm
		} else {
			f.expected[zone] = 0.7*f.expected[zone] + 0.3*lpm // follows slow change, not one odd run
		}
		f.learned[zone] = true
	}
	delete(f.litres, zone)
	delete(f.minutes, zone)
	delete(f.alone, zone)
	delete(f.off, zone)
	delete(f.seen, zone)
	return l
}
