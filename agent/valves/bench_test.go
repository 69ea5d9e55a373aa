package valves_test

import (
	"encoding/json"
	"testing"
	"time"
)

// BenchmarkSnapshotJSON measures what every state change and every status request costs: the
// snapshot of all zones, encoded as the retained state document.
func BenchmarkSnapshotJSON(b *testing.B) {
	c, _, _ := setup(b)
	if _, err := c.Open([]int{1, 3}, time.Minute, "bench"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(c.Snapshot()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpenClose measures the governor's work for a plain open and close of one zone.
func BenchmarkOpenClose(b *testing.B) {
	c, _, _ := setupWith(b, free)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Open([]int{2}, time.Minute, "bench"); err != nil {
			b.Fatal(err)
		}
		if _, err := c.Close([]int{2}, "bench"); err != nil {
			b.Fatal(err)
		}
	}
}
