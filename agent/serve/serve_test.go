package serve_test

import (
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"sprinkler/agent/clock/clocktest"
	"sprinkler/agent/relay/relaytest"
	"sprinkler/agent/serve"
	"sprinkler/agent/valves"
	"sprinkler/topics"
)

var t0 = time.Date(2026, 6, 2, 6, 0, 0, 0, time.UTC) // a Tuesday

func setup(t *testing.T) (*serve.Service, *relaytest.Bank, *valves.Controller) {
	t.Helper()
	zones := make([]valves.Zone, 8)
	for i := range zones {
		zones[i] = valves.Zone{ID: i + 1, Name: "z", Line: 5 + i, DefaultDuration: 10 * time.Minute, MaxDuration: time.Hour}
	}
	bank := relaytest.New(8)
	clk := clocktest.New(t0)
	log := slog.New(slog.DiscardHandler)
	v := valves.New("garden", zones, bank, clk, log, valves.Options{Limits: valves.Limits{MaxOpen: 8, Overflow: topics.OverflowQueue, Watchdog: time.Second}})
	if err := v.Reset(topics.SourceStartup); err != nil {
		t.Fatal(err)
	}
	return serve.New(serve.Options{Valves: v, Clock: clk, Location: time.UTC, Version: "1.2.3", Log: log}), bank, v
}

func TestCommands(t *testing.T) {
	s, bank, v := setup(t)
	for _, tc := range []struct {
		cmd, payload string
		check        func(t *testing.T, data json.RawMessage)
	}{
		{"open", `{"id":"1","zones":[1,3],"duration_s":90}`, func(t *testing.T, data json.RawMessage) {
			var ch []topics.ZoneChange
			_ = json.Unmarshal(data, &ch)
			if len(ch) != 2 || ch[0].Zone != 1 || !ch[1].EndsAt.Equal(t0.Add(90*time.Second)) || !v.IsOpen(3) {
				t.Errorf("open: %s", data)
			}
		}},
		{"src", `{"id":"2","zones":5}`, func(t *testing.T, data json.RawMessage) {
			if !v.IsOpen(5) {
				t.Errorf("src did not open zone 5: %s", data)
			}
		}},
		{"status", ``, func(t *testing.T, data json.RawMessage) {
			var s topics.Snapshot
			_ = json.Unmarshal(data, &s)
			if s.Zones["3"].State != topics.StateOpen || s.Zones["3"].Source != "ctl-x" || s.Zones["2"].State != topics.StateClosed {
				t.Errorf("status: %s", data)
			}
		}},
		{"t1", `{"zones":[3,4]}`, func(t *testing.T, data json.RawMessage) {
			if v.IsOpen(3) || !v.IsOpen(4) {
				t.Errorf("toggle: %s", data)
			}
		}},
		{"close", `{"id":"3","zones":"all"}`, func(t *testing.T, data json.RawMessage) {
			if bank.AnyOn() {
				t.Errorf("close all left relays on: %v", bank.On())
			}
		}},
		{"gdt", ``, func(t *testing.T, data json.RawMessage) {
			var r topics.TimeReply
			_ = json.Unmarshal(data, &r)
			if r.Weekday != "Tuesday" || !strings.HasPrefix(r.Time, "2026-06-02T06:00:00") {
				t.Errorf("time: %s", data)
			}
		}},
		{"version", `{"id":"v"}`, func(t *testing.T, data json.RawMessage) {
			var r topics.VersionReply
			_ = json.Unmarshal(data, &r)
			if r.Version != "1.2.3" || r.Protocol != topics.ProtocolVersion {
				t.Errorf("version: %s", data)
			}
		}},
		{"m", ``, func(t *testing.T, data json.RawMessage) {
			var cmds []topics.Command
			_ = json.Unmarshal(data, &cmds)
			if len(cmds) != len(topics.Commands) || cmds[1].Name != "open" || len(cmds[1].Params) == 0 {
				t.Errorf("commands: %s", data)
			}
		}},
	} {
		t.Run(tc.cmd, func(t *testing.T) {
			r, _ := s.Request(tc.cmd, []byte(tc.payload), "ctl-x", topics.Sender{Role: topics.RoleAdmin})
			if r.Status != topics.StatusOK {
				t.Fatalf("%s: %+v", tc.cmd, r)
			}
			tc.check(t, r.Data)
		})
	}
}

// TestBadRequestsChangeNothing sends every kind of bad input and checks the error code and
// that no relay moved.
func TestBadRequestsChangeNothing(t *testing.T) {
	s, bank, _ := setup(t)
	before := len(bank.Switches())
	for _, tc := range []struct {
		name, cmd, payload string
		code               topics.Code
		id                 string
		mention            string
	}{
		{"malformed JSON", "open", `{"id":"b2","zones":[`, topics.CodeBadJSON, "", "JSON"},
		{"unknown zone", "open", `{"id":"u","zones":[2,99]}`, topics.CodeUnknownZone, "u", "99"},
		{"zone zero", "close", `{"zones":[0]}`, topics.CodeUnknownZone, "", "0"},
		{"duplicate zone", "open", `{"id":"d","zones":[2,2]}`, topics.CodeDuplicateZone, "d", "2"},
		{"all for open", "open", `{"zones":"all"}`, topics.CodeBadRequest, "", "all"},
		{"no zones", "open", `{"id":"n"}`, topics.CodeBadRequest, "n", "zones"},
		{"negative duration", "open", `{"zones":[1],"duration_s":-5}`, topics.CodeBadRequest, "", "duration_s"},
		{"string duration", "open", `{"zones":[1],"duration_s":"5"}`, topics.CodeBadRequest, "", "duration_s"},
		{"huge duration", "open", `{"zones":[1],"duration_s":1e300}`, topics.CodeBadRequest, "", "duration_s"},
		{"duration with close", "close", `{"zones":[1],"duration_s":5}`, topics.CodeBadRequest, "", "duration_s"},
		{"misspelt argument", "open", `{"zone":[1]}`, topics.CodeBadRequest, "", "zone"},
		{"argument to status", "status", `{"x":1}`, topics.CodeBadRequest, "", "x"},
		{"unknown command", "flood", `{"id":"f"}`, topics.CodeUnknownCommand, "f", "flood"},
		{"expired", "open", `{"id":"e","zones":[1],"ts":"` + t0.Add(-11*time.Second).Format(time.RFC3339) + `","ttl_s":10}`, topics.CodeExpired, "e", "expired"},
		{"ttl without ts", "open", `{"id":"t","zones":[1],"ttl_s":10}`, topics.CodeBadRequest, "t", "ts"},
		{"reply_to with a slash", "status", `{"id":"s","reply_to":"a/b"}`, topics.CodeBadRequest, "s", "reply_to"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := s.Request(tc.cmd, []byte(tc.payload), "ctl-x", topics.Sender{Role: topics.RoleAdmin})
			if r.Status != topics.StatusError || r.Code != tc.code || r.ID != tc.id || !strings.Contains(r.Error, tc.mention) {
				t.Errorf("reply %+v; want code %s, id %q, mentioning %q", r, tc.code, tc.id, tc.mention)
			}
		})
	}
	if after := len(bank.Switches()); after != before || bank.AnyOn() {
		t.Errorf("bad requests switched relays: %v", bank.Switches()[before:])
	}
}

func TestClientsWithoutEmbeddedBroker(t *testing.T) {
	s, _, _ := setup(t)
	if r, _ := s.Request("gat", nil, "x", topics.Sender{Role: topics.RoleAdmin}); r.Code != topics.CodeUnavailable {
		t.Errorf("clients without a broker: %+v", r)
	}
}

func TestSet(t *testing.T) {
	s, bank, v := setup(t)
	for _, tc := range []struct {
		payload string
		open    bool
	}{
		{"OPEN", true}, {"close", false}, {"ON", true}, {"off", false}, {"TOGGLE", true}, {"toggle", false},
		{`{"state":"open","duration_s":60}`, true}, {"STOP", false},
	} {
		if err := s.Set(6, []byte(tc.payload), "set"); err != nil {
			t.Fatalf("%s: %v", tc.payload, err)
		}
		if v.IsOpen(6) != tc.open {
			t.Fatalf("after %s: open=%v", tc.payload, v.IsOpen(6))
		}
	}
	before := len(bank.Switches())
	for _, bad := range []string{"", "flood", `{"state":"open","duration_s":-1}`, `{"state":`} {
		if err := s.Set(6, []byte(bad), "set"); err == nil {
			t.Errorf("set %q accepted", bad)
		}
	}
	if err := s.Set(42, []byte("OPEN"), "set"); topics.CodeOf(err) != topics.CodeUnknownZone {
		t.Errorf("set on zone 42: %v", err)
	}
	if len(bank.Switches()) != before {
		t.Error("a refused set switched a relay")
	}
}

// TestRolesAreCheckedByTheAgentToo: with the embedded broker the agent knows each requester's
// role, and refuses a command above it even if an ACL let the request through.
func TestRolesAreCheckedByTheAgentToo(t *testing.T) {
	s, bank, _ := setup(t)
	for _, tc := range []struct {
		cmd, payload string
		role         topics.Role
		code         topics.Code
	}{
		{"clients", `{"id":"r"}`, "operator", topics.CodeForbidden},
		{"open", `{"id":"r","zones":[1]}`, "viewer", topics.CodeForbidden},
		{"open", `{"id":"r","zones":[1]}`, "agent", topics.CodeForbidden},
		{"status", `{"id":"r"}`, "viewer", ""},
		{"status", `{"id":"r"}`, "", topics.CodeForbidden},         // a sender the broker could not name
		{"clients", `{"id":"r"}`, "admin", topics.CodeUnavailable}, // allowed; no broker in this test
	} {
		if r, _ := s.Request(tc.cmd, []byte(tc.payload), "c", topics.Sender{Role: tc.role}); r.Code != tc.code {
			t.Errorf("%s as %s: %+v, want code %q", tc.cmd, tc.role, r, tc.code)
		}
	}
	if bank.AnyOn() {
		t.Error("a refused open switched a relay")
	}
	if r, _ := s.Request("open", []byte(`{"id":"r","zones":[1]}`), "ha", topics.Sender{Role: topics.RoleHomeAssistant}); r.Status != topics.StatusOK || !bank.On()[0] {
		t.Errorf("homeassistant may open: %+v", r)
	}
}

// TestNoArgumentsMeansNone: every command that takes no arguments refuses one, in one place,
// and says which.
func TestNoArgumentsMeansNone(t *testing.T) {
	svc, _, _ := setup(t)
	for _, c := range topics.Commands {
		if c.Args != nil {
			continue
		}
		resp, _ := svc.Request(c.Name, []byte(`{"id":"x","colour":"red"}`), "test", topics.Sender{Role: topics.RoleAdmin})
		if resp.Code != topics.CodeBadRequest || !strings.Contains(resp.Error, "colour") {
			t.Errorf("%s with an argument: %+v", c.Name, resp)
		}
	}
}
