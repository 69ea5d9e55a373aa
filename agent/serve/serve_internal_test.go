package serve

import (
	"log/slog"
	"testing"
	"time"

	"sprinkler/agent/clock/clocktest"
	"sprinkler/agent/relay/relaytest"
	"sprinkler/agent/valves"
	"sprinkler/topics"
)

func TestPanicIsRecoveredAndAnswered(t *testing.T) {
	clk := clocktest.New(time.Now())
	log := slog.New(slog.DiscardHandler)
	v := valves.New("garden", []valves.Zone{{ID: 1, DefaultDuration: time.Minute, MaxDuration: time.Hour}}, relaytest.New(1), clk, log, valves.Options{})
	s := New(Options{Valves: v, Clock: clk, Location: time.UTC, Log: log})
	s.handlers[topics.CmdTime] = func(topics.Request, string) (any, error) { panic("boom") }

	r, replyTo := s.Request("time", []byte(`{"id":"p1","reply_to":"me"}`), "x", topics.Sender{Role: topics.RoleAdmin})
	if r.Status != topics.StatusError || r.Code != topics.CodeInternal || r.ID != "p1" || replyTo != "me" {
		t.Fatalf("reply %+v to %q", r, replyTo)
	}
	if r, _ := s.Request("status", nil, "x", topics.Sender{Role: topics.RoleAdmin}); r.Status != topics.StatusOK {
		t.Fatalf("the service did not live on: %+v", r)
	}
}
