package daemon_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"sprinkler/agent/clock/clocktest"
	"sprinkler/agent/config"
	"sprinkler/agent/sensors"
	"sprinkler/broker/brokertest"
	"sprinkler/broker/server"
	"sprinkler/topics"
)

// rainConfig has a rain sensor on line 17 (a switch to ground: low is wet), which zone 3
// ignores, and a schedule that waters zones 1 and 3 at 06:00.
func rainConfig(t *testing.T, blockManual bool) config.Config {
	cfg := withProfiles(t, unlimited(testConfig(t, "garden")), "active: p\nprofiles:\n  - name: p\n    zones:\n"+
		"      - {zone: 1, days: [all], runs: [{at: \"06:00\", for: 10m}]}\n"+
		"      - {zone: 3, days: [all], runs: [{at: \"06:00\", for: 10m}]}\n")
	cfg.Sensors = []config.Sensor{{Name: "rain", Line: 17, Active: "low", Pull: "up", OnDelay: 5 * time.Minute, OffDelay: 30 * time.Minute, BlockManual: blockManual}}
	cfg.Zones[2].IgnoreSensors = []string{"rain"}
	return cfg
}

// TestRainSensorSkipsScheduledRuns: rain for longer than the on-delay turns the sensor on
// (retained state, event); the scheduled run of zone 1 is skipped and says why, zone 3, which
// ignores the sensor, runs; a manual run still works.
func TestRainSensorSkipsScheduledRuns(t *testing.T) {
	clk := clocktest.New(time.Date(2026, 6, 1, 5, 50, 0, 0, time.UTC))
	line := sensors.NewSim(true) // dry
	cfg := rainConfig(t, false)
	a := startOpts(t, cfg, clk, map[string]sensors.Input{"rain": line})
	c := brokertest.Connect(t, brokertest.URL(a.addr))
	c.Subscribe(a.topics.SensorState("rain"), a.topics.Event(), a.topics.ZoneStateFilter())
	c.Await(a.topics.SensorState("rain"), "OFF")

	line.Set(false) // rain
	clk.Advance(5 * time.Minute)
	c.Await(a.topics.SensorState("rain"), "ON")
	c.AwaitMsg(a.topics.Event(), `"event_type":"sensor_changed"`, `"source":"rain"`)

	clk.Advance(5 * time.Minute) // 06:00
	c.AwaitMsg(a.topics.Event(), `"event_type":"run_skipped"`, `"zone":1`, `sensor rain is active`)
	c.Await(a.topics.ZoneState(3), topics.StateOpen)
	if a.bank.On()[0] {
		t.Error("zone 1 watered in the rain")
	}
	if r := request(t, c, a, "open", "m", `{"id":"m","zones":[1],"duration_s":60}`); r.Status != topics.StatusOK {
		t.Errorf("a manual run in the rain without block_manual: %+v", r)
	}
	r := request(t, c, a, "status", "s", `{"id":"s"}`)
	if !strings.Contains(string(r.Data), `"sensors":{"rain":{"active":true`) {
		t.Errorf("status: %s", r.Data)
	}
}

func TestBlockManual(t *testing.T) {
	clk := clocktest.New(time.Date(2026, 6, 1, 5, 50, 0, 0, time.UTC))
	line := sensors.NewSim(false) // wet from the start: no delay at start-up
	a := startOpts(t, rainConfig(t, true), clk, map[string]sensors.Input{"rain": line})
	c := brokertest.Connect(t, brokertest.URL(a.addr))
	r := request(t, c, a, "open", "b", `{"id":"b","zones":[1]}`)
	if r.Code != topics.CodeUnavailable || !strings.Contains(r.Error, "rain") || a.bank.AnyOn() {
		t.Errorf("open zone 1 in the rain with block_manual: %+v, relays %v", r, a.bank.On())
	}
	if r := request(t, c, a, "open", "c", `{"id":"c","zones":[3]}`); r.Status != topics.StatusOK {
		t.Errorf("zone 3 ignores the sensor: %+v", r)
	}
}

// TestFlowMeterAndLeak: the flow meter's retained state follows the pulses; water still
// flowing after the last zone closed, for longer than the grace, raises a leak event and shuts
// the master valve before its lag is over.
func TestFlowMeterAndLeak(t *testing.T) {
	clk := clocktest.New(time.Date(2026, 6, 1, 6, 0, 0, 0, time.UTC))
	meter := sensors.NewSim(false)
	cfg := unlimited(testConfig(t, "garden"))
	cfg.Safety.MasterZone, cfg.Safety.MasterLead, cfg.Safety.MasterLag = 8, 0, 5*time.Minute
	cfg.Flow = config.Flow{Line: 17, PulsesPerLitre: 450, Interval: 10 * time.Second, LeakLPM: 0.5, LeakGrace: time.Minute}
	a := startOpts(t, cfg, clk, map[string]sensors.Input{"flow": meter})
	c := brokertest.Connect(t, brokertest.URL(a.addr))
	c.Subscribe(a.topics.FlowState(), a.topics.Event())

	if r := request(t, c, a, "open", "o", `{"id":"o","zones":[1],"duration_s":60}`); r.Status != topics.StatusOK {
		t.Fatal(r)
	}
	if on := a.bank.On(); !on[0] || !on[7] {
		t.Fatalf("zone 1 and the master: %v", on)
	}
	for range 6 { // a minute at 2 l/min: 150 pulses each 10 s, 450 a litre
		pulses(meter, 150)
		clk.Advance(10 * time.Second)
	}
	c.AwaitMsg(a.topics.FlowState(), `"rate_lpm":2,`)
	// Zone 1 closed when its minute ended; the master stays open for its lag, and water flows.
	for range 7 {
		pulses(meter, 150)
		clk.Advance(10 * time.Second)
	}
	if on := a.bank.On(); on[7] || on[0] {
		t.Errorf("relays after the leak: %v", on)
	}
	c.AwaitMsg(a.topics.Event(), `"event_type":"leak"`, `l/min flows while every valve is closed`)
	if clk.Now().Sub(time.Date(2026, 6, 1, 6, 1, 0, 0, time.UTC)) >= cfg.Safety.MasterLag {
		t.Error("the master closed by its lag, not for the leak")
	}
}

// pulses sends n pulses on line.
func pulses(line *sensors.Sim, n int) {
	for range n {
		line.Set(true)
		line.Set(false)
	}
}

// TestBurstZoneClosedAndLitresRecorded: a zone running alone at three times its usual flow
// for two intervals is closed with an event; its run's litres are in the history.
func TestBurstZoneClosedAndLitresRecorded(t *testing.T) {
	clk := clocktest.New(time.Date(2026, 6, 1, 6, 0, 0, 0, time.UTC))
	meter := sensors.NewSim(false)
	cfg := unlimited(testConfig(t, "garden"))
	cfg.Flow = config.Flow{Line: 17, PulsesPerLitre: 60, Interval: 10 * time.Second, LeakLPM: 0.5, LeakGrace: time.Minute,
		HighFactor: 1.5, LowFactor: 0.3}
	cfg.Zones[1].ExpectedLPM = 6 // zone 2: 6 l/min, 1 litre each 10 s, 60 pulses
	a := startOpts(t, cfg, clk, map[string]sensors.Input{"flow": meter})
	c := brokertest.Connect(t, brokertest.URL(a.addr))
	c.Subscribe(a.topics.Event())
	if r := request(t, c, a, "open", "o", `{"id":"o","zones":[2],"duration_s":600}`); r.Status != topics.StatusOK {
		t.Fatal(r)
	}
	for range 3 { // its usual flow
		pulses(meter, 60)
		clk.Advance(10 * time.Second)
	}
	if !a.bank.On()[1] {
		t.Fatal("zone 2 closed at its usual flow")
	}
	pulses(meter, 180) // a burst: 18 l/min
	clk.Advance(10 * time.Second)
	if !a.bank.On()[1] {
		t.Fatal("zone 2 closed after one odd interval")
	}
	pulses(meter, 180)
	clk.Advance(10 * time.Second)
	if a.bank.On()[1] {
		t.Fatal("zone 2 still runs at three times its usual flow")
	}
	c.AwaitMsg(a.topics.Event(), `"event_type":"flow_high"`, `"zone":2`)
	r := request(t, c, a, "history", "h", `{"id":"h","zone":2}`)
	var h topics.HistoryReply
	if err := json.Unmarshal(r.Data, &h); err != nil || len(h.Runs) != 1 || h.Runs[0].Litres == nil || *h.Runs[0].Litres != 9 || h.Runs[0].EndedBy != "flow" {
		t.Fatalf("history: %s", r.Data)
	}
}

// TestInputsOnTheStandaloneBroker: an agent on the standalone broker with a sensor on a topic
// outside its tree: a broker that does not list the topic in broker.inputs refuses the agent's
// subscription, and the agent says so (a problem in its health); one that lists it lets the
// agent hear the sensor.
func TestInputsOnTheStandaloneBroker(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte("agent password"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	for _, listed := range []bool{false, true} {
		t.Run(fmt.Sprintf("listed %v", listed), func(t *testing.T) {
			b := brokertest.Start(t, func(c *server.Config) {
				c.Users = []server.User{{Name: "garden", Hash: string(hash), Role: server.RoleAgent}}
				if listed {
					c.Inputs = []string{"zigbee2mqtt/soil"}
				}
			})
			cfg := external(testConfig(t, "garden"), b.Addr())
			cfg.MQTT.Username, cfg.MQTT.Password = "garden", "agent password"
			threshold := 40.0
			cfg.Sensors = []config.Sensor{{Name: "soil-bed", Topic: "zigbee2mqtt/soil", Path: "soil_moisture", Threshold: &threshold, Zones: []int{3}}}
			a := start(t, cfg, nil)
			c := brokertest.Connect(t, brokertest.URL(a.addr))
			c.Subscribe(a.topics.SensorState("soil-bed"), a.topics.Health())
			if !listed {
				c.AwaitMsg(a.topics.Health(), "refused the agent's subscription to zigbee2mqtt/soil")
				return
			}
			c.Publish("zigbee2mqtt/soil", false, `{"soil_moisture": 55}`)
			c.Await(a.topics.SensorState("soil-bed"), "ON")
		})
	}
}
