package topics_test

import (
	"encoding/json"
	"fmt"
	"time"

	"sprinkler/topics"
)

func ExampleNewAgent() {
	a, err := topics.NewAgent(topics.DefaultPrefix, "garden")
	if err != nil {
		panic(err)
	}
	fmt.Println(a.Status())
	fmt.Println(a.Info())
	fmt.Println(a.State())
	fmt.Println(a.ZoneState(3))
	fmt.Println(a.ZoneSet(3))
	fmt.Println(a.Request("open"))
	fmt.Println(a.Response("open"))
	fmt.Println(a.Event())
	// Output:
	// sprinkler/garden/status
	// sprinkler/garden/info
	// sprinkler/garden/state
	// sprinkler/garden/zone/3/state
	// sprinkler/garden/zone/3/set
	// sprinkler/garden/request/open
	// sprinkler/garden/response/open
	// sprinkler/garden/event
}

func ExampleParseSet() {
	for _, p := range []string{"OPEN", "off", `{"state":"open","duration_s":600}`, "water!"} {
		cmd, err := topics.ParseSet([]byte(p))
		fmt.Println(cmd.Action, cmd.Duration, err)
	}
	// Output:
	// open 0s <nil>
	// close 0s <nil>
	// open 10m0s <nil>
	// none 0s set: "water!" is not one of OPEN, CLOSE, ON, OFF, STOP, TOGGLE
}

func ExampleParseRequest() {
	r, _ := topics.ParseRequest([]byte(`{"id":"a1","zones":[1,3],"duration_s":90}`))
	var args topics.ZoneArgs
	err := r.Decode(&args)
	fmt.Println(r.ID, args.Zones.List, *args.DurationS, err)
	// Output: a1 [1 3] 90 <nil>
}

func ExampleFail() {
	_, err := topics.ZoneList(2, 99).Check([]int{1, 2, 3, 4, 5, 6, 7, 8})
	b, _ := json.Marshal(topics.Fail("a1", err))
	fmt.Println(string(b))
	// Output: {"id":"a1","status":"error","error":"no zone 99 (zones are 1-8)","code":"unknown_zone"}
}

func ExampleEvent() {
	at := time.Date(2026, 6, 1, 5, 30, 0, 0, time.UTC)
	b, _ := json.Marshal(topics.Event{Type: topics.EventZoneOpened, Zone: 3, Source: "ctl", TS: topics.Time{Time: at}})
	fmt.Println(string(b))
	// Output: {"event_type":"zone_opened","zone":3,"source":"ctl","ts":"2026-06-01T05:30:00.000Z"}
}
