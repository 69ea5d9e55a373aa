package client_test

import (
	"context"
	"encoding/json"
	"errors"
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

// dial connects a client to b, closed when the test ends.
func dial(t *testing.T, ctx context.Context, url string) *client.Client {
	t.Helper()
	c, err := client.Dial(ctx, client.Options{Broker: url, Prefix: topics.DefaultPrefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// TestAgentsAndTheirPresence: Agents lists every agent with a retained status, online or
// offline, with its info; one never seen is not listed.
func TestAgentsAndTheirPresence(t *testing.T) {
	b := brokertest.Start(t)
	garden, _ := topics.NewAgent(topics.DefaultPrefix, "garden")
	shed, _ := topics.NewAgent(topics.DefaultPrefix, "shed")
	for topic, payload := range map[string]string{garden.Status(): topics.Online, garden.Info(): `{"agent":"garden","version":"1.2.3"}`, shed.Status(): topics.Offline} {
		if err := b.Publish(topic, []byte(payload), true); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), brokertest.Wait)
	defer cancel()
	ps, err := dial(t, ctx, brokertest.URL(b.Addr())).Agents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]client.Presence{}
	for _, p := range ps {
		got[p.Agent] = p
	}
	if len(got) != 2 || got["garden"].Status != topics.Online || got["garden"].Info == nil || got["garden"].Info.Version != "1.2.3" || got["shed"].Status != topics.Offline {
		t.Errorf("agents: %+v", ps)
	}
}

// TestRequestsFailFastAndSayWhy: a request to an agent that is offline, or never seen, fails
// at once with the reason, not at the deadline; an agent's refusal comes back as a
// *topics.Error; one that never answers ends at the deadline with ErrTimeout.
func TestRequestsFailFastAndSayWhy(t *testing.T) {
	b := brokertest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), brokertest.Wait)
	defer cancel()
	url := brokertest.URL(b.Addr())
	off, _ := topics.NewAgent(topics.DefaultPrefix, "off")
	if err := b.Publish(off.Status(), []byte(topics.Offline), true); err != nil {
		t.Fatal(err)
	}
	if _, err := dial(t, ctx, url).Request(ctx, off, topics.CmdStatus, nil); !errors.Is(err, client.ErrOffline) {
		t.Errorf("an offline agent: %v", err)
	}
	never, _ := topics.NewAgent(topics.DefaultPrefix, "never")
	if _, err := dial(t, ctx, url).Request(ctx, never, topics.CmdStatus, nil); !errors.Is(err, client.ErrUnknownAgent) {
		t.Errorf("an agent never seen: %v", err)
	}
	refusing, _ := topics.NewAgent(topics.DefaultPrefix, "refusing")
	if err := b.Publish(refusing.Status(), []byte(topics.Online), true); err != nil {
		t.Fatal(err)
	}
	if err := b.Subscribe(refusing.Request(topics.CmdOpen), func(_ string, payload []byte, _ bool, _ topics.Sender) {
		var req topics.Request
		req, _ = topics.ParseRequest(payload)
		reply, _ := json.Marshal(topics.Fail(req.ID, topics.Errorf(topics.CodeBudget, "two valves are open")))
		go func() { _ = b.Publish(refusing.Reply(topics.CmdOpen, req.ReplyTo), reply, false) }()
	}); err != nil {
		t.Fatal(err)
	}
	_, err := dial(t, ctx, url).Request(ctx, refusing, topics.CmdOpen, topics.ZoneArgs{Zones: topics.ZoneList(1)})
	if e, ok := errors.AsType[*topics.Error](err); !ok || e.Code != topics.CodeBudget {
		t.Errorf("a refusal: %v", err)
	}
	short, cancelShort := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancelShort()
	if _, err := dial(t, ctx, url).Request(short, refusing, topics.CmdStatus, nil); !errors.Is(err, client.ErrTimeout) {
		t.Errorf("no answer: %v", err)
	}
}

// TestWatchReplaysThenFollows: Watch gives the retained states first, marked replay, then the
// live ones, of one agent alone when asked.
func TestWatchReplaysThenFollows(t *testing.T) {
	b := brokertest.Start(t)
	garden, _ := topics.NewAgent(topics.DefaultPrefix, "garden")
	shed, _ := topics.NewAgent(topics.DefaultPrefix, "shed")
	for _, tp := range []string{garden.ZoneState(1), shed.ZoneState(1)} {
		if err := b.Publish(tp, []byte(topics.StateClosed), true); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), brokertest.Wait)
	defer cancel()
	c := dial(t, ctx, brokertest.URL(b.Addr()))
	updates := make(chan client.Update, 8)
	go func() { _ = c.Watch(ctx, "garden", func(u client.Update) { updates <- u }) }()
	first := <-updates
	if first.Agent != "garden" || first.Kind != topics.KindZoneState || !first.Replay || string(first.Payload) != topics.StateClosed {
		t.Errorf("the replay: %+v", first)
	}
	// The replay came through the subscription: it is in place for what follows.
	for _, tp := range []string{shed.ZoneState(1), garden.ZoneState(1)} {
		if err := b.Publish(tp, []byte(topics.StateOpen), false); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case u := <-updates:
		if u.Agent != "garden" || u.Replay || string(u.Payload) != topics.StateOpen {
			t.Errorf("a live update: %+v", u)
		}
	case <-ctx.Done():
		t.Fatal("no live update")
	}
}
