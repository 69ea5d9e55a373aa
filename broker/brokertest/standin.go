package brokertest

import (
	"encoding/json"
	"testing"

	"sprinkler/broker/server"
	"sprinkler/topics"
)

// StandIn plays agent on b for clients under test: its retained status says online, and each
// request for cmd is passed to answer, whose result goes back as the reply's data on the
// request's reply topic.
func StandIn(t testing.TB, b *server.Broker, agent topics.Agent, cmd string, answer func(req map[string]any) any) {
	t.Helper()
	if err := b.Publish(agent.Status(), []byte(topics.Online), true); err != nil {
		t.Fatal(err)
	}
	if err := b.Subscribe(agent.Request(cmd), func(_ string, payload []byte, _ bool, _ topics.Sender) {
		var req map[string]any
		_ = json.Unmarshal(payload, &req)
		id, _ := req["id"].(string)
		replyTo, _ := req["reply_to"].(string)
		reply, _ := json.Marshal(topics.OK(id, answer(req)))
		go func() { _ = b.Publish(agent.Reply(cmd, replyTo), reply, false) }() // not on the publisher's goroutine
	}); err != nil {
		t.Fatal(err)
	}
}
