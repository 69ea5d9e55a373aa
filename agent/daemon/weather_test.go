package daemon_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"sprinkler/agent/clock/clocktest"
	"sprinkler/agent/config"
	"sprinkler/agent/daemon"
	"sprinkler/broker/brokertest"
	"sprinkler/topics"
)

// weatherConfig waters zones 1 and 3 at 06:00 for 10 minutes in a program that follows the
// water level; the weather is a station publishing JSON on station/garden, a rain gauge's
// running total and Home Assistant's forecast on the agent's input topics, computed at 03:00.
// A soil probe (zigbee2mqtt) holds zone 3 alone.
func weatherConfig(t *testing.T) config.Config {
	cfg := withProfiles(t, unlimited(testConfig(t, "garden")), "active: p\nprofiles:\n  - name: p\n    water_level: true\n    zones:\n"+
		"      - {zone: 1, days: [all], runs: [{at: \"06:00\", for: 10m}]}\n"+
		"      - {zone: 3, days: [all], runs: [{at: \"06:00\", for: 10m}]}\n")
	cfg.Site = config.Site{Latitude: 50.8, Longitude: 4.35, Elevation: 100}
	cfg.Weather.Inputs = []config.WeatherInput{
		{Quantity: "temperature", Topic: "station/garden", Path: "temperature", MaxAge: 2 * time.Hour},
		{Quantity: "humidity", Topic: "station/garden", Path: "humidity", MaxAge: 2 * time.Hour},
		{Quantity: "rain", Topic: "sprinkler/garden/input/rain", Total: true},
		{Quantity: "forecast_rain", Topic: "sprinkler/garden/input/forecast", MaxAge: 12 * time.Hour},
	}
	threshold := 40.0
	cfg.Sensors = []config.Sensor{{Name: "soil-bed", Topic: "zigbee2mqtt/soil", Path: "soil_moisture", Threshold: &threshold, Hysteresis: 5,
		Zones: []int{3}, MaxAge: 3 * time.Hour}}
	return cfg
}

// station feeds the agent as a weather station would, an hour at a time on the fake clock;
// each hour ends with a weather request, whose reply says the worker took what came before.
type station struct {
	t    *testing.T
	c    *brokertest.Client
	a    *agent
	clk  *clocktest.Fake
	rain float64
	n    int
}

func (s *station) report() topics.WeatherReport {
	s.n++
	id := fmt.Sprintf("w%d", s.n)
	r := request(s.t, s.c, s.a, topics.CmdWeather, id, fmt.Sprintf(`{"id":%q}`, id))
	var rep topics.WeatherReport
	if r.Status != topics.StatusOK || json.Unmarshal(r.Data, &rep) != nil {
		s.t.Fatalf("weather: %+v", r)
	}
	return rep
}

// hours feeds n hours of readings between lo and hi °C (humidity falling from 80 to 40 %),
// with rain mm falling in the first.
func (s *station) hours(n int, lo, hi, rain float64) {
	s.rain += rain
	for h := range n {
		x := float64(h%24) / 23
		s.c.Publish("station/garden", false, fmt.Sprintf(`{"temperature":%.2f,"humidity":%.1f,"battery":90}`, lo+(hi-lo)*x, 80-40*x))
		s.c.Publish("sprinkler/garden/input/rain", false, fmt.Sprintf("%.1f", s.rain))
		s.report()
		s.clk.Advance(time.Hour)
	}
}

// TestWeatherThroughTheBroker: a hot dry spell raises the water level above 100 % (event,
// retained state, water level topic); 12 mm of rain skips the next morning's runs with the
// reason in the event and in next; a restart keeps the day's readings.
func TestWeatherThroughTheBroker(t *testing.T) {
	clk := clocktest.New(time.Date(2026, 7, 1, 3, 30, 0, 0, time.UTC))
	cfg := weatherConfig(t)
	a := start(t, cfg, clk)
	c := brokertest.Connect(t, brokertest.URL(a.addr))
	c.Subscribe(a.topics.Event(), a.topics.WeatherState(), a.topics.WaterLevelState(), a.topics.ZoneStateFilter())
	c.AwaitMsg(a.topics.WeatherState(), `"source":"default"`, `"level":100`)
	s := &station{t: t, c: c, a: a, clk: clk}

	s.hours(24, 22, 34, 0) // to 03:30 on 2 July
	hot := c.AwaitMsg(a.topics.WeatherState(), `"date":"2026-07-02"`, `"source":"weather"`)
	var day topics.WeatherDay
	if err := json.Unmarshal([]byte(hot.Payload), &day); err != nil || day.Level <= 100 || day.ET0Mm == nil || *day.ET0Mm < 5 {
		t.Fatalf("a hot dry day: %s", hot.Payload)
	}
	c.Await(a.topics.WaterLevelState(), fmt.Sprint(day.Level))
	c.AwaitMsg(a.topics.Event(), `"event_type":"weather"`, fmt.Sprintf("water level %d%% for 2026-07-02", day.Level))

	s.hours(3, 22, 34, 0) // 06:30: the runs started, scaled up
	c.AwaitMsg(a.topics.ZoneState(1), topics.StateOpen)

	s.hours(21, 14, 18, 12) // 12 mm of rain, to 03:30 on 3 July
	c.AwaitMsg(a.topics.WeatherState(), `"date":"2026-07-03"`, `"skip":"rain: 12.0 mm in the last 24 hours`)
	r := request(t, c, a, topics.CmdNext, "n", `{"id":"n","hours":4}`)
	if !strings.Contains(string(r.Data), "rain: 12.0 mm") {
		t.Errorf("next does not say why the runs are skipped: %s", r.Data)
	}
	s.hours(3, 14, 18, 0) // 06:30
	c.AwaitMsg(a.topics.Event(), `"event_type":"run_skipped"`, `"zone":1`, `rain: 12.0 mm`)

	before := s.report().Inputs
	if err := a.stop(); err != nil {
		t.Fatal(err)
	}
	b := start(t, cfg, clk)
	c2 := brokertest.Connect(t, brokertest.URL(b.addr))
	after := (&station{t: t, c: c2, a: b, clk: clk}).report()
	if len(after.Inputs) != len(before) || after.Inputs[0].Quantity != "temperature" || after.Inputs[0].Value == nil ||
		*after.Inputs[0].Value != *before[0].Value || after.Today == nil || after.Today.Skip == "" {
		t.Errorf("after a restart: %+v (before %+v)", after, before)
	}
}

// TestSoilProbeHoldsOnlyItsZone: a wet soil probe holds zone 3's scheduled run, not zone 1's;
// silent past its max_age it holds nothing, with an event.
func TestSoilProbeHoldsOnlyItsZone(t *testing.T) {
	clk := clocktest.New(time.Date(2026, 7, 1, 5, 0, 0, 0, time.UTC))
	cfg := weatherConfig(t)
	cfg.Weather.Inputs = nil
	a := start(t, cfg, clk)
	c := brokertest.Connect(t, brokertest.URL(a.addr))
	c.Subscribe(a.topics.Event(), a.topics.SensorState("soil-bed"), a.topics.ZoneStateFilter())
	c.Publish("zigbee2mqtt/soil", false, `{"soil_moisture": 55, "battery": 90}`)
	c.Await(a.topics.SensorState("soil-bed"), "ON")
	r := request(t, c, a, "status", "s", `{"id":"s"}`)
	if !strings.Contains(string(r.Data), `"soil-bed":{"active":true`) || !strings.Contains(string(r.Data), `"value":55`) {
		t.Errorf("status: %s", r.Data)
	}
	c.Publish("zigbee2mqtt/soil", false, `{"soil_moisture": 38}`) // within the hysteresis: still wet
	request(t, c, a, "status", "s2", `{"id":"s2"}`)
	clk.Advance(time.Hour) // 06:00
	c.AwaitMsg(a.topics.Event(), `"event_type":"run_skipped"`, `"zone":3`, `sensor soil-bed is active`)
	c.Await(a.topics.ZoneState(1), topics.StateOpen)

	clk.Advance(3 * time.Hour) // silent for 3 h
	c.AwaitMsg(a.topics.Event(), `"event_type":"sensor_changed"`, `soil-bed is silent`)
	c.Await(a.topics.SensorState("soil-bed"), "OFF")
	r = request(t, c, a, "status", "s3", `{"id":"s3"}`)
	if !strings.Contains(string(r.Data), `"stale":true`) {
		t.Errorf("status of a silent probe: %s", r.Data)
	}
	clk.Advance(21 * time.Hour) // 06:00 the next day: zone 3 runs
	c.Await(a.topics.ZoneState(3), topics.StateOpen)
}

// TestASoilSetFromAClient: zone_set gives a zone its soil and sprinklers, written into its line
// of the configuration file, and its balance is in the weather at once; taken out again, the
// zone keeps none. A soil without its roots' depth is refused, naming what is missing.
func TestASoilSetFromAClient(t *testing.T) {
	cfg := shippedAs(t, "agent-weather.yaml")
	a := start(t, cfg, clocktest.New(time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)))
	c := brokertest.Connect(t, brokertest.URL(a.addr))
	zs := decode[[]topics.ZoneSettings](t, request(t, c, a, "zone_list", "l", `{"id":"l"}`))
	shrubs := zs[2]
	if shrubs.Zone != 3 || shrubs.Balance || !zs[0].Balance {
		t.Fatalf("the example's zones: %+v", zs)
	}
	if r := zoneSet(t, c, a, "s0", map[string]any{"zone": 3, "soil": "loam", "revision": shrubs.Revision}); r.Code != topics.CodeBadRequest ||
		!strings.Contains(r.Error, "root_depth_m") {
		t.Errorf("a soil alone: %+v", r)
	}
	got := decode[topics.ZoneSettings](t, zoneSet(t, c, a, "s1", map[string]any{"zone": 3, "soil": "loam", "root_depth_m": 0.5,
		"precipitation_mm_h": 8, "revision": shrubs.Revision}))
	if !got.Balance || got.Soil != "loam" {
		t.Errorf("zone_set a soil: %+v", got)
	}
	if file, _ := os.ReadFile(cfg.Source); !strings.Contains(string(file), "{id: 3, name: Shrubs, line: 13, plant_factor: 0.5, soil: loam, root_depth_m: 0.5, precipitation_mm_h: 8}") {
		t.Errorf("the file does not give zone 3 its soil:\n%s", file)
	}
	rep := decode[topics.WeatherReport](t, request(t, c, a, "weather", "w", `{"id":"w"}`))
	if i := slices.IndexFunc(rep.Zones, func(b topics.ZoneBalance) bool { return b.Zone == 3 }); i < 0 || rep.Zones[i].TAWMm != 65 || rep.Zones[i].Name != "Shrubs" {
		t.Errorf("the weather's balances after the change: %+v", rep.Zones)
	}
	decode[topics.ZoneSettings](t, zoneSet(t, c, a, "s2", map[string]any{"zone": 3, "soil": "", "root_depth_m": 0, "precipitation_mm_h": 0, "revision": got.Revision}))
	rep = decode[topics.WeatherReport](t, request(t, c, a, "weather", "w2", `{"id":"w2"}`))
	if slices.ContainsFunc(rep.Zones, func(b topics.ZoneBalance) bool { return b.Zone == 3 }) {
		t.Errorf("zone 3 keeps a balance after its soil was taken out: %+v", rep.Zones)
	}
}

// TestAnUnusableInputIsToldOnce: a rain gauge that sends what is not a reading (a Home
// Assistant sensor gone unavailable sends null) is told once when it starts, and once when a
// reading comes again, with how many messages were ignored: not a warning per message.
func TestAnUnusableInputIsToldOnce(t *testing.T) {
	var log syncBuffer
	a := startFull(t, weatherConfig(t), clocktest.New(time.Date(2026, 7, 1, 3, 30, 0, 0, time.UTC)), nil,
		func(o *daemon.Options) { o.Log = slog.New(slog.NewTextHandler(&log, nil)) })
	c := brokertest.Connect(t, brokertest.URL(a.addr))
	for range 5 {
		c.Publish("sprinkler/garden/input/rain", false, "null")
	}
	c.Publish("sprinkler/garden/input/rain", false, "1.5")
	deadline := time.Now().Add(brokertest.Wait)
	for !strings.Contains(log.String(), "input usable again") {
		if time.Now().After(deadline) {
			t.Fatalf("the gauge's return was not logged:\n%s", log.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	out := log.String()
	if n := strings.Count(out, "input ignored until it is usable again"); n != 1 || !strings.Contains(out, "ignored=5") {
		t.Errorf("%d warnings for 5 unusable messages, want 1, and its return with ignored=5:\n%s", n, out)
	}
}
