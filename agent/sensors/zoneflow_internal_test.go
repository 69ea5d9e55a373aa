package sensors

import (
	"testing"

	"sprinkler/topics"
)

// TestZoneFlowLearns: a zone without a configured flow learns it from a run alone, then a
// run far below it is caught; runs shared with another zone split the water and teach nothing.
func TestZoneFlowLearns(t *testing.T) {
	f := NewZoneFlow(1.5, 0.3, nil)
	for range 6 { // zone 4 alone, 5 l/min for a minute
		if z, _, _ := f.Sample(5.0/6, 1.0/6, []int{4}); z != 0 {
			t.Fatal("caught with nothing learned")
		}
	}
	if l := f.Ended(4); l < 4.99 || l > 5.01 || f.expected[4] < 4.99 || f.expected[4] > 5.01 {
		t.Fatalf("litres %v, expected %v", l, f.expected[4])
	}
	f.Sample(2, 1.0/6, []int{4, 5}) // shared: 1 litre each, no learning, no check
	if f.Ended(5) != 1 || f.expected[5] != 0 {
		t.Errorf("zone 5 learned from a shared run: %v", f.expected[5])
	}
	f.Ended(4)
	var zone int
	var event string
	for range 3 { // 1 l/min: clogged
		if z, e, _ := f.Sample(1.0/6, 1.0/6, []int{4}); z != 0 {
			zone, event = z, e
		}
	}
	if zone != 4 || event != topics.EventFlowLow {
		t.Errorf("a clogged zone 4: %d %q", zone, event)
	}
}
