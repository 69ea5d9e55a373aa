package bench

import (
	"testing"
	"time"
)

// TestSummarize: percentiles of the sorted durations, in microseconds; nothing measured is
// zero.
func TestSummarize(t *testing.T) {
	if got := Summarize(nil); got != (Latency{}) {
		t.Errorf("nothing: %+v", got)
	}
	var d []time.Duration
	for i := 100; i >= 1; i-- { // unsorted
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	got := Summarize(d)
	want := Latency{N: 100, P50: 51000, P90: 91000, P99: 100000, Max: 100000}
	if got != want {
		t.Errorf("Summarize = %+v, want %+v", got, want)
	}
	if one := Summarize([]time.Duration{3 * time.Microsecond}); one.P50 != 3 || one.Max != 3 || one.N != 1 {
		t.Errorf("one duration: %+v", one)
	}
}

// TestReplyID reads a reply's id without decoding it, and says when there is none.
func TestReplyID(t *testing.T) {
	for payload, want := range map[string]string{
		`{"id":"r-12","status":"ok","data":{}}`:    "r-12",
		`{"status":"ok","id":"x"}`:                 "x",
		`{"status":"error","error":"bad","id":""}`: "",
	} {
		if id, ok := replyID([]byte(payload)); !ok || id != want {
			t.Errorf("replyID(%s) = %q, %v; want %q", payload, id, ok, want)
		}
	}
	for _, bad := range []string{`{"status":"ok"}`, `{"id":"unterminated`} {
		if _, ok := replyID([]byte(bad)); ok {
			t.Errorf("replyID(%s) found an id", bad)
		}
	}
}
