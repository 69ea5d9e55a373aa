package topics_test

import (
	"encoding/json"
	"testing"

	"sprinkler/topics"
)

// FuzzParseSet checks that any set payload either parses to a valid command or fails with a
// coded error, and never panics.
func FuzzParseSet(f *testing.F) {
	for _, s := range []string{"OPEN", "close", "Toggle", `{"state":"open","duration_s":600}`, `{"state":`, "", "\x00"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		cmd, err := topics.ParseSet(payload)
		if err != nil {
			if topics.CodeOf(err) == topics.CodeInternal {
				t.Fatalf("uncoded error %v", err)
			}
			return
		}
		if cmd.Action < topics.ActionOpen || cmd.Action > topics.ActionToggle {
			t.Fatalf("action %v", cmd.Action)
		}
		if cmd.Duration < 0 || cmd.Duration > topics.MaxDuration {
			t.Fatalf("duration %v", cmd.Duration)
		}
	})
}

// FuzzParseRequest checks that any request payload parses or fails with a coded error, and
// that decoding zone arguments never panics and never yields an unchecked zone.
func FuzzParseRequest(f *testing.F) {
	for _, s := range []string{`{"id":"a1","zones":[1,3],"duration_s":90}`, `{"id":"b2","zones":[`, `{"zones":"all"}`, `null`, ``, `{"id":5}`,
		`{"id":"r","reply_to":"ctl-1","ts":"2026-05-01T06:00:00Z","ttl_s":5,"zones":[2]}`, `{"ts":1777615200000,"ttl_s":0.5}`} {
		f.Add([]byte(s))
	}
	have := []int{1, 2, 3, 4, 5, 6, 7, 8}
	f.Fuzz(func(t *testing.T, payload []byte) {
		r, err := topics.ParseRequest(payload)
		if err != nil {
			if topics.CodeOf(err) == topics.CodeInternal {
				t.Fatalf("uncoded error %v", err)
			}
			return
		}
		var args topics.ZoneArgs
		if err := r.Decode(&args); err != nil {
			if topics.CodeOf(err) == topics.CodeInternal {
				t.Fatalf("uncoded error %v", err)
			}
			return
		}
		if r.ReplyTo != "" {
			if got, ok := topics.Parse("sprinkler", "sprinkler/garden/response/open/"+r.ReplyTo); !ok || got.ReplyTo != r.ReplyTo {
				t.Fatalf("reply_to %q does not make a private reply topic", r.ReplyTo)
			}
		}
		if r.TTL < 0 || (r.TTL > 0 && r.Sent.IsZero()) {
			t.Fatalf("TTL %v with ts %v", r.TTL, r.Sent)
		}
		ids, err := args.Zones.Check(have)
		if err != nil {
			return
		}
		seen := map[int]bool{}
		for _, id := range ids {
			if id < 1 || id > 8 || seen[id] {
				t.Fatalf("Check let through %v", ids)
			}
			seen[id] = true
		}
		if _, err := json.Marshal(topics.OK(r.ID, args.Zones)); err != nil {
			t.Fatal(err)
		}
	})
}
