package brokertest

import (
	"slices"
	"strconv"
	"testing"
	"time"
)

// RoundTrips measures b.N requests one after the other: send publishes request id, and the
// id of each reply arrives on replies. It reports the median and the 99th percentile.
func RoundTrips(b *testing.B, send func(id string), replies <-chan string) {
	b.Helper()
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		id := strconv.Itoa(i)
		start := time.Now()
		send(id)
		select {
		case got := <-replies:
			if got != id {
				b.Fatalf("reply %s to request %s", got, id)
			}
		case <-time.After(Wait):
			b.Fatal("no reply")
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}
