package topics_test

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"sprinkler/topics"
)

func TestValidAgentID(t *testing.T) {
	for _, tc := range []struct {
		id string
		ok bool
	}{
		{"garden", true},
		{"garden-pi-2", true},
		{"0", true},
		{"abcdefghijklmnopqrstuvw", true}, // 23
		{"abcdefghijklmnopqrstuvwx", false},
		{"", false},
		{"-garden", false},
		{"Garden", false},
		{"garden/pi", false},
		{"garden+", false},
		{"#", false},
		{"_sync", false},
		{"gärten", false},
	} {
		t.Run(tc.id, func(t *testing.T) {
			if err := topics.ValidAgentID(tc.id); (err == nil) != tc.ok {
				t.Errorf("ValidAgentID(%q) = %v, want ok=%v", tc.id, err, tc.ok)
			}
		})
	}
}

func TestNewAgentRefusesBadPrefix(t *testing.T) {
	for _, p := range []string{"", "a/+", "a/#", "/a", "a/", "a//b", "$SYS"} {
		if _, err := topics.NewAgent(p, "garden"); err == nil {
			t.Errorf("NewAgent(%q) accepted", p)
		}
	}
	if _, err := topics.NewAgent("home/water", "garden"); err != nil {
		t.Errorf("multi-level prefix refused: %v", err)
	}
}

func TestParseRoundTrip(t *testing.T) {
	a, err := topics.NewAgent("home/sprinkler", "garden")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		topic string
		want  topics.Topic
	}{
		{"status", a.Status(), topics.Topic{Agent: "garden", Kind: topics.KindStatus}},
		{"info", a.Info(), topics.Topic{Agent: "garden", Kind: topics.KindInfo}},
		{"state", a.State(), topics.Topic{Agent: "garden", Kind: topics.KindState}},
		{"event", a.Event(), topics.Topic{Agent: "garden", Kind: topics.KindEvent}},
		{"zone state", a.ZoneState(3), topics.Topic{Agent: "garden", Kind: topics.KindZoneState, Zone: 3}},
		{"zone set", a.ZoneSet(12), topics.Topic{Agent: "garden", Kind: topics.KindZoneSet, Zone: 12}},
		{"request", a.Request("grs"), topics.Topic{Agent: "garden", Kind: topics.KindRequest, Command: "grs"}},
		{"response", a.Response("open"), topics.Topic{Agent: "garden", Kind: topics.KindResponse, Command: "open"}},
		{"private reply", a.Reply("open", "ctl-pi-42"), topics.Topic{Agent: "garden", Kind: topics.KindResponse, Command: "open", ReplyTo: "ctl-pi-42"}},
		{"shared reply", a.Reply("open", ""), topics.Topic{Agent: "garden", Kind: topics.KindResponse, Command: "open"}},
		{"duration set", a.DurationSet(2), topics.Topic{Agent: "garden", Kind: topics.KindDurationSet, Zone: 2}},
		{"profile state", a.ProfileState(), topics.Topic{Agent: "garden", Kind: topics.KindProfileState}},
		{"auto set", a.AutoSet(), topics.Topic{Agent: "garden", Kind: topics.KindAutoSet}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := topics.Parse(a.Prefix(), tc.topic)
			if !ok || got != tc.want {
				t.Errorf("Parse(%q) = %+v, %v; want %+v", tc.topic, got, ok, tc.want)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	for _, topic := range []string{
		"sprinkler", "sprinkler/garden", "other/garden/status", "sprinkler/Garden/status",
		"sprinkler/garden/zone/0/set", "sprinkler/garden/zone/03/set", "sprinkler/garden/zone/x/set",
		"sprinkler/garden/zone/3/open", "sprinkler/garden/request/", "sprinkler/garden/request/a/b",
		"sprinkler/_sync/ctl-1", "sprinkler/garden/status/x", "sprinkler/garden/response/open/a+b",
		"sprinkler/garden/response/open/a/b", "sprinkler/garden/zone/1/duration/set/x", "sprinkler/garden/",
		"sprinklerx/garden/status", "sprinkler//status",
	} {
		if got, ok := topics.Parse("sprinkler", topic); ok {
			t.Errorf("Parse(%q) = %+v, want rejection", topic, got)
		}
	}
}

func TestIsCommand(t *testing.T) {
	for topic, want := range map[string]bool{
		"sprinkler/garden/zone/3/set":    true,
		"sprinkler/garden/request/open":  true,
		"x/y/request/grs":                true,
		"sprinkler/garden/profile/set":   true,
		"sprinkler/garden/zone/3/state":  false,
		"sprinkler/garden/status":        false,
		"sprinkler/garden/response/open": false,
		"set":                            false,
	} {
		if got := topics.IsCommand(topic); got != want {
			t.Errorf("IsCommand(%q) = %v, want %v", topic, got, want)
		}
	}
}

func TestParseSet(t *testing.T) {
	for _, tc := range []struct {
		payload string
		want    topics.SetCommand
		code    topics.Code // "" for success
	}{
		{"OPEN", topics.SetCommand{Action: topics.ActionOpen}, ""},
		{"open", topics.SetCommand{Action: topics.ActionOpen}, ""},
		{" On\n", topics.SetCommand{Action: topics.ActionOpen}, ""},
		{"CLOSE", topics.SetCommand{Action: topics.ActionClose}, ""},
		{"off", topics.SetCommand{Action: topics.ActionClose}, ""},
		{"STOP", topics.SetCommand{Action: topics.ActionClose}, ""},
		{"Toggle", topics.SetCommand{Action: topics.ActionToggle}, ""},
		{`{"state":"open","duration_s":600}`, topics.SetCommand{Action: topics.ActionOpen, Duration: 10 * time.Minute}, ""},
		{`{"state":"ON","duration_s":1.5}`, topics.SetCommand{Action: topics.ActionOpen, Duration: 1500 * time.Millisecond}, ""},
		{`{"state":"close"}`, topics.SetCommand{Action: topics.ActionClose}, ""},
		{`{"state":"toggle","duration_s":60}`, topics.SetCommand{Action: topics.ActionToggle, Duration: time.Minute}, ""},
		{"", topics.SetCommand{}, topics.CodeBadRequest},
		{"opne", topics.SetCommand{}, topics.CodeBadRequest},
		{"1", topics.SetCommand{}, topics.CodeBadRequest},
		{`{"state":"open","duration_s":-5}`, topics.SetCommand{}, topics.CodeBadRequest},
		{`{"state":"open","duration_s":0}`, topics.SetCommand{}, topics.CodeBadRequest},
		{`{"state":"open","duration_s":1e300}`, topics.SetCommand{}, topics.CodeBadRequest},
		{`{"state":"open","duration_s":"10"}`, topics.SetCommand{}, topics.CodeBadJSON},
		{`{"state":"close","duration_s":10}`, topics.SetCommand{}, topics.CodeBadRequest},
		{`{"duration_s":10}`, topics.SetCommand{}, topics.CodeBadRequest},
		{`{"state":"open","extra":1}`, topics.SetCommand{}, topics.CodeBadJSON},
		{`{"state":"open"} {}`, topics.SetCommand{}, topics.CodeBadJSON},
		{`{"state":`, topics.SetCommand{}, topics.CodeBadJSON},
	} {
		t.Run(tc.payload, func(t *testing.T) {
			got, err := topics.ParseSet([]byte(tc.payload))
			if tc.code != "" {
				if err == nil || topics.CodeOf(err) != tc.code {
					t.Fatalf("ParseSet(%q) = %+v, %v; want code %s", tc.payload, got, err, tc.code)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ParseSet(%q) = %+v, %v; want %+v", tc.payload, got, err, tc.want)
			}
		})
	}
}

func TestSeconds(t *testing.T) {
	for _, s := range []float64{math.NaN(), math.Inf(1), math.Inf(-1), -1, 0, 1e-9, 7*24*3600 + 1} {
		if d, err := topics.Seconds(s); err == nil {
			t.Errorf("Seconds(%v) = %v, want error", s, d)
		}
	}
	if d, err := topics.Seconds(0.25); err != nil || d != 250*time.Millisecond {
		t.Errorf("Seconds(0.25) = %v, %v", d, err)
	}
}

func TestParseRequest(t *testing.T) {
	r, err := topics.ParseRequest([]byte(`{"id":"a1","zones":[1,3],"duration_s":90}`))
	if err != nil || r.ID != "a1" {
		t.Fatalf("ParseRequest: %+v, %v", r, err)
	}
	var args topics.ZoneArgs
	if err := r.Decode(&args); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(args.Zones.List, []int{1, 3}) || *args.DurationS != 90 {
		t.Errorf("args = %+v", args)
	}

	empty, err := topics.ParseRequest(nil)
	if err != nil || empty.ID != "" || !empty.Empty() {
		t.Errorf("empty payload: %+v, %v", empty, err)
	}

	for _, tc := range []struct {
		name, payload string
		code          topics.Code
		id            string
	}{
		{"truncated", `{"id":"b2","zones":[`, topics.CodeBadJSON, ""},
		{"not an object", `[1,2]`, topics.CodeBadJSON, ""},
		{"null", `null`, topics.CodeBadJSON, ""},
		{"id not a string", `{"id":5}`, topics.CodeBadRequest, ""},
		{"long id", `{"id":"` + strings.Repeat("x", 200) + `"}`, topics.CodeBadRequest, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := topics.ParseRequest([]byte(tc.payload))
			if topics.CodeOf(err) != tc.code || r.ID != tc.id {
				t.Errorf("ParseRequest(%q) = %+v, %v; want code %s", tc.payload, r, err, tc.code)
			}
		})
	}

	unknown, _ := topics.ParseRequest([]byte(`{"id":"c","zone":[1]}`))
	if err := unknown.Decode(&args); topics.CodeOf(err) != topics.CodeBadRequest || !strings.Contains(err.Error(), "zone") {
		t.Errorf("misspelt argument: %v", err)
	}
}

func TestRequestReplyToAndExpiry(t *testing.T) {
	sent := time.Date(2026, 5, 1, 6, 0, 0, 0, time.UTC)
	r, err := topics.ParseRequest([]byte(`{"id":"a","reply_to":"ctl-pi-7","ts":"2026-05-01T06:00:00Z","ttl_s":10,"zones":[1]}`))
	if err != nil || r.ReplyTo != "ctl-pi-7" || !r.Sent.Equal(sent) || r.TTL != 10*time.Second {
		t.Fatalf("ParseRequest: %+v, %v", r, err)
	}
	var args topics.ZoneArgs
	if err := r.Decode(&args); err != nil || len(args.Zones.List) != 1 {
		t.Fatalf("the validity fields must not reach the command's arguments: %+v, %v", args, err)
	}
	if err := r.Expired(sent.Add(10 * time.Second)); err != nil {
		t.Errorf("at its TTL the request is still valid: %v", err)
	}
	if err := r.Expired(sent.Add(11 * time.Second)); topics.CodeOf(err) != topics.CodeExpired || !strings.Contains(err.Error(), "2026-05-01T06:00:00Z") {
		t.Errorf("past its TTL: %v", err)
	}
	if err := r.Expired(sent.Add(-topics.ClockSkew)); err != nil {
		t.Errorf("a sender's clock ahead by the allowed skew: %v", err)
	}
	if err := r.Expired(sent.Add(-topics.ClockSkew - time.Second)); topics.CodeOf(err) != topics.CodeExpired || !strings.Contains(err.Error(), "ahead") {
		t.Errorf("stamped beyond the skew in the future: %v", err)
	}
	ms, err := topics.ParseRequest([]byte(`{"ts":1777615200000,"ttl_s":0.5}`))
	if err != nil || !ms.Sent.Equal(sent) || ms.TTL != 500*time.Millisecond {
		t.Errorf("ts in Unix milliseconds: %+v, %v", ms, err)
	}
	if noTTL, _ := topics.ParseRequest([]byte(`{"ts":"2020-01-01T00:00:00Z"}`)); noTTL.Expired(sent) != nil {
		t.Error("without ttl_s a request does not expire")
	}
	for _, bad := range []string{
		`{"reply_to":"a/b"}`, `{"reply_to":"#"}`, `{"reply_to":""}`, `{"reply_to":5}`,
		`{"ts":"yesterday"}`, `{"ts":-1}`, `{"ts":true}`, `{"ttl_s":5}`,
		`{"ts":"2026-05-01T06:00:00Z","ttl_s":0}`, `{"ts":"2026-05-01T06:00:00Z","ttl_s":"5"}`,
		`{"ts":"2026-05-01T06:00:00Z","ttl_s":1e9}`,
	} {
		if _, err := topics.ParseRequest([]byte(bad)); topics.CodeOf(err) != topics.CodeBadRequest {
			t.Errorf("ParseRequest(%s) = %v, want bad_request", bad, err)
		}
	}
}

func TestZonesCheck(t *testing.T) {
	have := []int{1, 2, 3, 4, 5, 6, 7, 8}
	for _, tc := range []struct {
		name    string
		payload string
		want    []int
		code    topics.Code
		mention string
	}{
		{"list", `[3,1]`, []int{3, 1}, "", ""},
		{"one", `5`, []int{5}, "", ""},
		{"all", `"ALL"`, have, "", ""},
		{"unknown", `[1,99,0]`, nil, topics.CodeUnknownZone, "99, 0"},
		{"duplicate", `[2,2]`, nil, topics.CodeDuplicateZone, "zone 2"},
		{"empty", `[]`, nil, topics.CodeBadRequest, "no zones"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var z topics.Zones
			if err := json.Unmarshal([]byte(tc.payload), &z); err != nil {
				t.Fatal(err)
			}
			got, err := z.Check(have)
			if tc.code != "" {
				if topics.CodeOf(err) != tc.code || !strings.Contains(err.Error(), tc.mention) {
					t.Fatalf("Check = %v, %v; want %s mentioning %q", got, err, tc.code, tc.mention)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Check = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
	var z topics.Zones
	for _, bad := range []string{`"some"`, `[1,"a"]`, `{"a":1}`, `1.5`} {
		if err := json.Unmarshal([]byte(bad), &z); err == nil {
			t.Errorf("zones %s accepted", bad)
		}
	}
}

func TestLookupCommand(t *testing.T) {
	for name, want := range map[string]string{
		"status": "status", "grs": "status", "SRC": "open", "sro": "close", "t1": "toggle",
		"gdt": "time", "gvn": "version", "m": "commands", "gat": "clients",
	} {
		c, ok := topics.LookupCommand(name)
		if !ok || c.Name != want {
			t.Errorf("LookupCommand(%q) = %q, %v; want %q", name, c.Name, ok, want)
		}
	}
	if _, ok := topics.LookupCommand("rm"); ok {
		t.Error("unknown command found")
	}
}

func TestErrorCodes(t *testing.T) {
	err := topics.Errorf(topics.CodeUnknownZone, "no zone 9")
	wrapped := errors.Join(errors.New("context"), err)
	if topics.CodeOf(wrapped) != topics.CodeUnknownZone {
		t.Errorf("CodeOf(wrapped) = %s", topics.CodeOf(wrapped))
	}
	if topics.CodeOf(errors.New("plain")) != topics.CodeInternal {
		t.Error("plain error is not internal")
	}
	r := topics.Fail("x", err)
	if r.Status != topics.StatusError || r.Code != topics.CodeUnknownZone || r.Err() == nil {
		t.Errorf("Fail = %+v", r)
	}
}

// TestGoldenPayloads pins the wire form of every payload type: a change in testdata/ is a
// change of the contract that Home Assistant, Node-RED and scripts rely on.
func TestGoldenPayloads(t *testing.T) {
	at := time.Date(2026, 6, 1, 5, 30, 0, 0, time.UTC)
	for name, v := range map[string]any{
		"snapshot": topics.Snapshot{Agent: "garden", TS: topics.Time{Time: at}, Zones: map[string]topics.ZoneStatus{
			"1": {Zone: 1, Name: "Back yard", State: topics.StateOpen, Since: topics.At(at), EndsAt: topics.At(at.Add(10 * time.Minute)), Source: "ctl-pc-1", Line: 5, Pin: 29},
			"2": {Zone: 2, Name: "Hill", State: topics.StateClosed, Since: topics.At(at.Add(-time.Hour)), Source: topics.SourceTimer, Line: 6, Pin: 31},
		}},
		"info": topics.Info{Agent: "garden", Version: "1.0.0", StartedAt: topics.Time{Time: at}, Relays: "gpio",
			Zones: []topics.ZoneInfo{{Zone: 1, Name: "Back yard", Line: 5, Pin: 29, DefaultDurationS: 600, MaxDurationS: 3600}}},
		"event":          topics.Event{Type: topics.EventZoneOpened, Zone: 3, Source: "ctl-pc-1", TS: topics.Time{Time: at}, EndsAt: topics.At(at.Add(time.Minute))},
		"response_ok":    topics.OK("a1", []topics.ZoneChange{{Zone: 3, State: topics.StateOpen, EndsAt: topics.At(at)}}),
		"response_error": topics.Fail("b2", topics.Errorf(topics.CodeUnknownZone, "no zone 99 (zones are 1-8)")),
	} {
		t.Run(name, func(t *testing.T) {
			got, err := json.MarshalIndent(v, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", name+".json")
			if os.Getenv("UPDATE_GOLDEN") != "" {
				if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if strings.TrimSpace(string(want)) != string(got) {
				t.Errorf("%s changed:\n%s\nwant:\n%s", path, got, want)
			}
		})
	}
}

func TestJoinZones(t *testing.T) {
	for want, ids := range map[string][]int{"": nil, "3": {3}, "1, 3, 12": {1, 3, 12}} {
		if got := topics.JoinZones(ids); got != want {
			t.Errorf("%v: %q, want %q", ids, got, want)
		}
	}
}

func TestParsePercent(t *testing.T) {
	for in, want := range map[string]int{"80": 80, " 80% ": 80, "80.0": 80, "0": 0, "-5": -5, "300": 300} {
		if got, err := topics.ParsePercent([]byte(in)); err != nil || got != want {
			t.Errorf("%q: %d, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "eighty", "80.5", "NaN", "1e9", "%"} {
		if _, err := topics.ParsePercent([]byte(in)); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

// TestErrorsAreBounded: a huge request gets a short answer that names a few offenders and
// counts the rest.
func TestErrorsAreBounded(t *testing.T) {
	list := make([]int, 0, 12000)
	for i := 0; i < 6000; i++ {
		list = append(list, 1, 2)
	}
	_, err := topics.Zones{List: list}.Check([]int{1, 2, 3})
	if topics.CodeOf(err) != topics.CodeDuplicateZone || err.Error() != "zone 1, 2 given twice" {
		t.Errorf("12 000 duplicates: %v", err)
	}
	unknown := make([]int, 0, 5000)
	for i := 100; i < 5100; i++ {
		unknown = append(unknown, i)
	}
	_, err = topics.Zones{List: unknown}.Check([]int{1, 2, 3})
	if want := "no zone 100, 101, 102, 103, 104 and 4995 more (zones are 1-3)"; err == nil || err.Error() != want {
		t.Errorf("5000 unknown zones: %v; want %s", err, want)
	}
	long := topics.Errorf(topics.CodeBadRequest, "%s", strings.Repeat("é", 5000))
	if n := len(long.Error()); n > 450 || !strings.Contains(long.Error(), "bytes more") {
		t.Errorf("a 10 000-byte message kept %d bytes: %.80s", n, long.Error())
	}
}

func TestMatches(t *testing.T) {
	for _, c := range []struct {
		filter, topic string
		want          bool
	}{
		{"a/b", "a/b", true}, {"a/+", "a/b", true}, {"a/+", "a/b/c", false}, {"a/#", "a", true},
		{"a/#", "a/b/c", true}, {"#", "a/b", true}, {"a/+/c", "a/b/c", true}, {"a/+/c", "a/b/d", false},
		{"a/b", "a/b/c", false}, {"a/b/c", "a/b", false},
	} {
		if got := topics.Matches(c.filter, c.topic); got != c.want {
			t.Errorf("Matches(%q, %q) = %v", c.filter, c.topic, got)
		}
	}
}

// TestReadable: a reader reads an agent's states and its own replies, not another's reply, a
// shared reply, a request or the broker's presence records.
func TestReadable(t *testing.T) {
	for topic, want := range map[string]bool{
		"sprinkler/garden/state":                    true,
		"sprinkler/garden/zone/3/state":             true,
		"sprinkler/garden/sensor/rain/state":        true,
		"sprinkler/garden/schedule/next":            true,
		"sprinkler/garden/response/status/me":       true,
		"sprinkler/garden/response/status/other":    false,
		"sprinkler/garden/response/status":          false,
		"sprinkler/garden/request/status":           false,
		"sprinkler/garden/clients/me":               false,
		"sprinkler/garden/zone/3/set":               false,
		"sprinkler/_sync/me":                        false,
		"other/garden/state":                        false,
		"sprinkler/garden/response/status/me/extra": false,
	} {
		if got := topics.Readable("sprinkler", "me", topic); got != want {
			t.Errorf("Readable(%s) = %v, want %v", topic, got, want)
		}
	}
}
