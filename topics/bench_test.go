package topics_test

import (
	"testing"

	"sprinkler/topics"
)

// The parsers every inbound message goes through. Parse and ParseSet of a plain word do not
// allocate.

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := topics.Parse("sprinkler", "sprinkler/garden/zone/3/set"); !ok {
			b.Fatal("not parsed")
		}
	}
}

func BenchmarkParseRequest(b *testing.B) {
	payload := []byte(`{"id":"a1b2c3d4","reply_to":"ctl-pi-4242-0a1b2c3d","ts":"2026-05-01T06:00:00.123Z","ttl_s":5,"zones":[1,3],"duration_s":600}`)
	b.ReportAllocs()
	for b.Loop() {
		r, err := topics.ParseRequest(payload)
		if err != nil {
			b.Fatal(err)
		}
		var args topics.ZoneArgs
		if err := r.Decode(&args); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseSet(b *testing.B) {
	payload := []byte("OPEN")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := topics.ParseSet(payload); err != nil {
			b.Fatal(err)
		}
	}
}
