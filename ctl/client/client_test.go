package client_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"sprinkler/broker/brokertest"
	"sprinkler/ctl/client"
	"sprinkler/topics"
)

// TestRequestKeepsItsEnvelope: a request through a real broker to a stand-in agent carries the
// client's own id, reply topic and validity, whatever the arguments say, and its reply comes
// back.
func TestRequestKeepsItsEnvelope(t *testing.T) {
	b := brokertest.Start(t)
	agent, err := topics.NewAgent(topics.DefaultPrefix, "garden")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Publish(agent.Status(), []byte(topics.Online), true); err != nil {
		t.Fatal(err)
	}
	got := make(chan map[string]any, 1)
	if err := b.Subscribe(agent.Request(topics.CmdStatus), func(_ string, payload []byte, _ bool, _ topics.Sender) {
		var req map[string]any
		_ = json.Unmarshal(payload, &req)
		got <- req
		reply, _ := json.Marshal(topics.OK(req["id"].(string), map[string]string{"answer": "yes"}))
		go func() { _ = b.Publish(agent.Reply(topics.CmdStatus, req["reply_to"].(string)), reply, false) }()
	}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), brokertest.Wait)
	defer cancel()
	c, err := client.Dial(ctx, client.Options{Broker: brokertest.URL(b.Addr()), Prefix: topics.DefaultPrefix})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	data, err := c.Request(ctx, agent, topics.CmdStatus, map[string]any{
		"id": "forged", "reply_to": "someone-else", "ts": "2999-01-01T00:00:00Z", "ttl_s": 1e9, "zones": []int{1},
	})
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != `{"answer":"yes"}` {
		t.Errorf("reply data %s", data)
	}
	req := <-got
	ts, _ := time.Parse(time.RFC3339Nano, req["ts"].(string))
	if req["id"] == "forged" || req["reply_to"] != c.ID() || time.Since(ts) > time.Minute || req["ttl_s"].(float64) > brokertest.Wait.Seconds() {
		t.Errorf("the arguments overwrote the envelope: %v", req)
	}
	if zones, _ := req["zones"].([]any); len(zones) != 1 {
		t.Errorf("the arguments were lost: %v", req)
	}
}
