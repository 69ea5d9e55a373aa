package bench_test

import (
	"context"
	"testing"

	"sprinkler/broker/brokertest"
	"sprinkler/ctl/bench"
	"sprinkler/ctl/client"
	"sprinkler/topics"
)

// TestBenchAgainstAStandIn runs every test of the bench, small, against an in-process broker
// and a stand-in agent that answers version requests: each measures what it says, and the burst
// loses nothing.
func TestBenchAgainstAStandIn(t *testing.T) {
	b := brokertest.Start(t)
	agent, err := topics.NewAgent(topics.DefaultPrefix, "garden")
	if err != nil {
		t.Fatal(err)
	}
	brokertest.StandIn(t, b, agent, topics.CmdVersion, func(map[string]any) any { return topics.VersionReply{Version: "test"} })
	ctx, cancel := context.WithTimeout(context.Background(), 3*brokertest.Wait)
	defer cancel()
	r, err := bench.Run(ctx, bench.Options{Conn: client.Options{Broker: brokertest.URL(b.Addr()), Prefix: topics.DefaultPrefix},
		Agent: agent, Requests: 30, Watchers: 5, Rounds: 3, Connects: 5, Burst: 60, BurstClients: 3, Window: 4})
	if err != nil {
		t.Fatal(err)
	}
	if r.Request == nil || r.Request.N != 30 || r.Request.P50 <= 0 || r.Request.P99 < r.Request.P50 {
		t.Errorf("request latency: %+v", r.Request)
	}
	if r.FanOut == nil || r.FanOut.Watchers != 5 || r.FanOut.Last.N != 3 || r.FanOut.Last.P50 < r.FanOut.First.P50 {
		t.Errorf("fan-out: %+v", r.FanOut)
	}
	if r.Connect == nil || r.Connect.N != 5 {
		t.Errorf("connect storm: %+v", r.Connect)
	}
	if bu := r.Burst; bu == nil || bu.Answered != 60 || bu.Lost != 0 || bu.Mismatched != 0 || bu.Errors != 0 {
		t.Errorf("burst: %+v", bu)
	}
}
