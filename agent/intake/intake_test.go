package intake_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"sprinkler/agent/intake"
	"sprinkler/agent/link"
	"sprinkler/topics"
)

func msg(topic, client string, role topics.Role) link.Message {
	return link.Message{Topic: topic, From: topics.Sender{Client: client, Role: role}}
}

// TestAFloodStarvesNoOtherClass: thousands of an external broker's messages (which cannot
// wait) fill their class's queue and the rest are refused as busy; an admin's command queued
// after them is served first, a reading within the first round.
func TestAFloodStarvesNoOtherClass(t *testing.T) {
	in := intake.New(func(topic string) bool { return topic == "rain" })
	for range 5000 {
		in.Deliver(msg("sprinkler/garden/request/time", "", topics.RoleExternal))
	}
	in.Deliver(msg("sprinkler/garden/request/close", "admin-1", topics.RoleAdmin))
	in.Deliver(msg("rain", "ha", topics.RoleHomeAssistant))
	if got := in.Waiting()["operator"]; got != intake.QueueSize {
		t.Errorf("%d messages wait; want the queue's %d", got, intake.QueueSize)
	}
	if refused, lost := len(in.Refusals()), in.Lost(); refused+lost != 5000-intake.QueueSize || refused == 0 {
		t.Errorf("%d refused to answer and %d counted; want %d in all", refused, lost, 5000-intake.QueueSize)
	}
	ctx := context.Background()
	var order []topics.Role
	for range 6 {
		m, _ := in.Next(ctx)
		order = append(order, m.From.Role)
	}
	if order[0] != topics.RoleAdmin {
		t.Errorf("served first: %v; want the admin's command", order)
	}
	if !slices.Contains(order, topics.RoleHomeAssistant) {
		t.Errorf("the reading did not come within a round: %v", order)
	}
	r := <-in.Refusals()
	if topics.CodeOf(r.Err) != topics.CodeBusy || r.Class != intake.Operate {
		t.Errorf("refusal: %v (%s), class %s", r.Err, topics.CodeOf(r.Err), r.Class)
	}
}

// TestOneClientIsLimited: a client past its burst is refused with busy where it cannot wait (a
// retained message, say); another of the same role is not; an admin is never limited.
func TestOneClientIsLimited(t *testing.T) {
	in := intake.New(nil)
	greedy := msg("sprinkler/garden/input/rain", "greedy", topics.RoleOperator)
	greedy.Retained = true
	for range intake.ClientBurst + 10 {
		in.Deliver(greedy)
	}
	in.Deliver(msg("sprinkler/garden/request/time", "polite", topics.RoleOperator))
	for range 200 {
		in.Deliver(msg("sprinkler/garden/request/time", "boss", topics.RoleAdmin))
	}
	w := in.Waiting()
	if w["operator"] < intake.ClientBurst+1 || w["operator"] > intake.ClientBurst+2 || w["admin"] != 200 {
		t.Errorf("waiting: %v; want %d of operators (the greedy one's burst and the polite one's) and 200 of the admin", w, intake.ClientBurst+1)
	}
	if n := len(in.Refusals()); n < 9 || n > 10 { // a token may come back while the test runs
		t.Errorf("%d refused; want the greedy client's 10 past its burst", n)
	}
	r := <-in.Refusals()
	if r.From.Client != "greedy" || topics.CodeOf(r.Err) != topics.CodeBusy {
		t.Errorf("refused %s: %v", r.From.Client, r.Err)
	}
}

// TestALiveClientWaitsForRoom: with its class's queue full, a live message of a client of the
// embedded broker waits for room rather than being refused, and gets in once the worker takes
// one.
func TestALiveClientWaitsForRoom(t *testing.T) {
	in := intake.New(nil)
	for i := range intake.QueueSize {
		in.Deliver(msg("sprinkler/garden/request/time", fmt.Sprint("viewer-", i%4), topics.RoleViewer))
	}
	done := make(chan struct{})
	go func() {
		in.Deliver(msg("sprinkler/garden/request/status", "late", topics.RoleViewer))
		close(done)
	}()
	if _, ok := in.Next(context.Background()); !ok {
		t.Fatal("nothing to take")
	}
	<-done
	if n := len(in.Refusals()); n != 0 {
		t.Errorf("%d refused", n)
	}
	if w := in.Waiting()["viewer"]; w != intake.QueueSize {
		t.Errorf("%d waiting; want the late one in the room the worker made", w)
	}
}

// TestWeightsShareTheWorker: with every class full, one round serves 8 admin, 4 operator, 1
// viewer and 2 data messages.
func TestWeightsShareTheWorker(t *testing.T) {
	in := intake.New(func(topic string) bool { return topic == "rain" })
	for i := range 100 {
		in.Deliver(msg("a", "", topics.RoleAdmin))
		in.Deliver(msg("o", "", topics.RoleExternal))
		in.Deliver(msg("v", fmt.Sprint("v", i), topics.RoleViewer))
		in.Deliver(msg("rain", fmt.Sprint("h", i), topics.RoleHomeAssistant))
	}
	count := map[string]int{}
	for range 15 {
		m, _ := in.Next(context.Background())
		count[m.Topic]++
	}
	if count["a"] != 8 || count["o"] != 4 || count["v"] != 1 || count["rain"] != 2 {
		t.Errorf("one round served %v", count)
	}
}
