package client_test

import (
	"context"
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
	got := make(chan map[string]any, 1)
	brokertest.StandIn(t, b, agent, topics.CmdStatus, func(req map[string]any) any {
		got <- req
		return map[string]string{"answer": "yes"}
	})
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
