// Package discovery builds the Home Assistant MQTT discovery messages of an agent: one valve
// per zone, its default run as a number and its last run as a sensor; the active profile as a
// select, automatic runs as a switch, rain-delay and stop-all buttons, sensors for the next run,
// the rain delay, water time today and diagnostics, a binary sensor for a scheduled run, and an
// event entity. Every entity shares one device block, the origin, and availability on the
// agent's status topic. No command entity asks Home Assistant to retain its commands.
package discovery

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"sprinkler/topics"
)

// Zone is one zone as discovery shows it.
type Zone struct {
	ID         int
	Name       string
	MaxMinutes float64 // the longest run, the top of its default-run number
	Balance    bool    // it keeps a water balance: a sensor of its soil's depletion
}

// Model is what discovery is built from.
type Model struct {
	Topics    topics.Agent
	Prefix    string // Home Assistant's discovery prefix, "homeassistant" by default
	Device    bool   // one device-based message (HA 2024.12+), else one message per entity
	Version   string
	Zones     []Zone
	Profiles  []string // nil when the agent has no schedule
	Sensors   []string // the switch sensors' names
	Flow      bool     // a flow meter is configured
	Weather   bool     // the weather sets the water level
	ConfigURL string   // the agent's web page, if it serves one
}

// Entity is one Home Assistant entity: its platform, its id within the device, and its
// configuration in abbreviated keys.
type Entity struct {
	Platform string
	Object   string
	Config   map[string]any
}

// Origin names this software in discovery messages.
const Origin = "sprinkler"

// EventTypes are the event types the event entity offers.
var EventTypes = []string{
	topics.EventZoneOpened, topics.EventZoneClosed, topics.EventRunQueued, topics.EventRunRejected,
	topics.EventRunStarted, topics.EventRunFinished, topics.EventForcedOff, topics.EventRunResumed,
	topics.EventRunSkipped, topics.EventCommandRefused, topics.EventProfileChanged, topics.EventScheduleLoaded, topics.EventPaused, topics.EventUnpaused,
	topics.EventProblem, topics.EventProblemCleared, topics.EventSensor, topics.EventWeather, topics.EventWeatherFallback,
	topics.EventDevice,
}

func (m Model) uid(object string) string { return "sprinkler-" + m.Topics.ID() + "-" + object }

// Entities lists every entity of the agent, in a stable order: each zone's, the controller's,
// and those of the schedule, the flow meter, the weather and the sensors where configured.
func (m Model) Entities() []Entity {
	e := &entities{m: m, t: m.Topics}
	for _, z := range m.Zones {
		e.zone(z)
	}
	e.controller()
	if m.Profiles != nil {
		e.schedule()
	}
	if m.Flow {
		e.flow()
	}
	if m.Weather {
		e.weather()
	}
	for _, name := range m.Sensors {
		e.sensor(name)
	}
	return e.es
}

// entities collects a model's entities.
type entities struct {
	m  Model
	t  topics.Agent
	es []Entity
}

func (e *entities) add(platform, object string, cfg map[string]any) {
	cfg["uniq_id"] = e.m.uid(object)
	e.es = append(e.es, Entity{Platform: platform, Object: object, Config: cfg})
}

// zone: its valve, default run, last run and watering time today.
func (e *entities) zone(z Zone) {
	n := z.ID
	key := topics.ZoneKey(n)
	e.add("valve", fmt.Sprintf("zone_%d", n), map[string]any{
		"name": z.Name, "dev_cla": "water", "ic": "mdi:sprinkler",
		"cmd_t": e.t.ZoneSet(n), "stat_t": e.t.ZoneState(n),
		"pl_open": "OPEN", "pl_cls": "CLOSE", "stat_open": topics.StateOpen, "stat_clsd": topics.StateClosed,
		"opt": false, "ret": false, "qos": 1,
		"json_attr_t": e.t.State(), "json_attr_tpl": fmt.Sprintf("{{ value_json.zones['%s'] | tojson }}", key),
	})
	e.add("number", fmt.Sprintf("zone_%d_duration", n), map[string]any{
		"name": z.Name + " default run", "ic": "mdi:timer-cog-outline", "ent_cat": "config",
		"cmd_t": e.t.DurationSet(n), "stat_t": e.t.DurationState(n),
		"min": 1, "max": z.MaxMinutes, "step": 1, "unit_of_meas": "min", "mode": "box", "ret": false, "qos": 1,
	})
	e.add("sensor", fmt.Sprintf("zone_%d_last_run", n), map[string]any{
		"name": z.Name + " last run", "dev_cla": "timestamp", "stat_t": e.t.State(),
		"val_tpl": fmt.Sprintf("{{ value_json.zones['%s'].last_run or 'None' }}", key),
	})
	e.add("sensor", fmt.Sprintf("zone_%d_watered_today", n), map[string]any{
		"name": z.Name + " watering time today", "dev_cla": "duration", "unit_of_meas": "min", "stat_cla": "total_increasing",
		"stat_t": e.t.State(), "sug_dsp_prc": 0,
		"val_tpl": fmt.Sprintf("{{ (value_json.zones['%s'].watered_today_s / 60) | round(1) }}", key),
	})
	if z.Balance {
		pick := fmt.Sprintf("(value_json.zones | selectattr('zone', 'eq', %d) | list)", n)
		e.add("sensor", fmt.Sprintf("zone_%d_depletion", n), map[string]any{
			"name": z.Name + " soil depletion", "ic": "mdi:water-minus", "unit_of_meas": "mm", "stat_cla": "measurement",
			"stat_t": e.t.WeatherState(), "val_tpl": fmt.Sprintf("{{ %[1]s[0].depletion_mm if %[1]s else None }}", pick),
			"json_attr_t":   e.t.WeatherState(),
			"json_attr_tpl": fmt.Sprintf("{{ (%[1]s[0] if %[1]s else {}) | tojson }}", pick),
		})
	}
}

// controller: stop all, the totals, pause, problems and events.
func (e *entities) controller() {
	e.add("button", "stop_all", map[string]any{
		"name": "Stop all zones", "ic": "mdi:water-off", "cmd_t": e.t.Request(topics.CmdClose),
		"pl_prs": `{"zones":"all","source":"homeassistant"}`, "ret": false, "qos": 1,
	})
	e.add("sensor", "watered_today", map[string]any{
		"name": "Watering time today", "dev_cla": "duration", "unit_of_meas": "min", "stat_cla": "total_increasing",
		"stat_t": e.t.State(), "val_tpl": "{{ (value_json.watered_today_s / 60) | round(1) }}", "sug_dsp_prc": 0,
	})
	e.add("sensor", "open_valves", map[string]any{
		"name": "Open valves", "ic": "mdi:valve-open", "ent_cat": "diagnostic", "stat_cla": "measurement",
		"stat_t": e.t.State(), "val_tpl": "{{ value_json.open_count }}",
	})
	e.add("sensor", "queued_runs", map[string]any{
		"name": "Queued runs", "ic": "mdi:tray-full", "ent_cat": "diagnostic", "stat_cla": "measurement",
		"stat_t": e.t.State(), "val_tpl": "{{ value_json.queue | count }}",
	})
	e.add("switch", "pause", map[string]any{
		"name": "Pause watering", "ic": "mdi:pause-circle", "cmd_t": e.t.PauseSet(), "stat_t": e.t.PauseState(),
		"pl_on": "ON", "pl_off": "OFF", "opt": false, "ret": false, "qos": 1,
	})
	e.add("sensor", "paused_until", map[string]any{
		"name": "Paused until", "dev_cla": "timestamp", "ic": "mdi:pause-circle-outline", "stat_t": e.t.State(),
		"val_tpl": "{{ value_json.paused_until or 'None' }}",
	})
	e.add("binary_sensor", "problem", map[string]any{
		"name": "Problem", "dev_cla": "problem", "ent_cat": "diagnostic", "stat_t": e.t.Health(),
		"val_tpl":     "{{ 'ON' if value_json.problems else 'OFF' }}",
		"json_attr_t": e.t.Health(), "json_attr_tpl": "{{ {'problems': value_json.problems} | tojson }}",
	})
	e.add("event", "events", map[string]any{
		"name": "Irrigation events", "stat_t": e.t.Event(), "evt_typ": EventTypes,
	})
}

// schedule: the profile, automatic runs, rain delay, next run, water level.
func (e *entities) schedule() {
	e.add("select", "profile", map[string]any{
		"name": "Watering profile", "ic": "mdi:calendar-clock", "ops": e.m.Profiles,
		"cmd_t": e.t.ProfileSet(), "stat_t": e.t.ProfileState(), "opt": false, "ret": false, "qos": 1,
	})
	e.add("switch", "auto", map[string]any{
		"name": "Automatic runs", "ic": "mdi:calendar-sync", "cmd_t": e.t.AutoSet(), "stat_t": e.t.AutoState(),
		"pl_on": "ON", "pl_off": "OFF", "opt": false, "ret": false, "qos": 1,
	})
	for _, h := range []int{24, 48} {
		e.add("button", fmt.Sprintf("rain_delay_%dh", h), map[string]any{
			"name": fmt.Sprintf("Rain delay %d h", h), "ic": "mdi:weather-pouring", "cmd_t": e.t.Request(topics.CmdRainDelay),
			"pl_prs": fmt.Sprintf(`{"hours":%d,"source":"homeassistant"}`, h), "ret": false, "qos": 1,
		})
	}
	e.add("button", "rain_delay_clear", map[string]any{
		"name": "Clear rain delay", "ic": "mdi:weather-sunny", "cmd_t": e.t.Request(topics.CmdRainDelay),
		"pl_prs": `{"hours":0,"source":"homeassistant"}`, "ret": false, "qos": 1,
	})
	e.add("sensor", "next_run", map[string]any{
		"name": "Next run", "dev_cla": "timestamp", "stat_t": e.t.State(), "val_tpl": "{{ value_json.next_run or 'None' }}",
	})
	e.add("sensor", "rain_delay_until", map[string]any{
		"name": "Rain delay until", "dev_cla": "timestamp", "ic": "mdi:weather-pouring", "stat_t": e.t.State(),
		"val_tpl": "{{ value_json.rain_delay_until or 'None' }}",
	})
	e.add("number", "water_level", map[string]any{
		"name": "Water level", "ic": "mdi:water-percent", "ent_cat": "config", "cmd_t": e.t.WaterLevelSet(),
		"stat_t": e.t.WaterLevelState(), "min": 0, "max": topics.MaxWaterLevel, "step": 5, "unit_of_meas": "%", "mode": "slider", "ret": false, "qos": 1,
	})
	e.add("binary_sensor", "schedule_running", map[string]any{
		"name": "Scheduled run", "ic": "mdi:sprinkler-variant", "stat_t": e.t.State(),
		"val_tpl": "{{ 'ON' if value_json.scheduled_running else 'OFF' }}",
	})
}

// flow: the flow meter's rate and total.
func (e *entities) flow() {
	e.add("sensor", "flow_rate", map[string]any{
		"name": "Water flow", "dev_cla": "volume_flow_rate", "unit_of_meas": "L/min", "stat_cla": "measurement",
		"stat_t": e.t.FlowState(), "val_tpl": "{{ value_json.rate_lpm | round(2) }}",
	})
	e.add("sensor", "flow_total", map[string]any{
		"name": "Water used", "dev_cla": "water", "unit_of_meas": "L", "stat_cla": "total_increasing",
		"stat_t": e.t.FlowState(), "val_tpl": "{{ value_json.total_l | round(1) }}",
	})
}

// weather: ET0, the level it set, and the skip.
func (e *entities) weather() {
	e.add("sensor", "et0", map[string]any{
		"name": "Evapotranspiration yesterday", "ic": "mdi:sun-thermometer", "unit_of_meas": "mm", "stat_cla": "measurement",
		"stat_t": e.t.WeatherState(), "val_tpl": "{{ value_json.et0_mm }}",
		"json_attr_t": e.t.WeatherState(), "json_attr_tpl": `{{ {'method': value_json.method, 'balance_from': value_json.balance_from, 'et0_sum_mm': value_json.et0_sum_mm, 'effective_rain_mm': value_json.effective_rain_mm} | tojson }}`,
	})
	e.add("sensor", "weather_level", map[string]any{
		"name": "Water level from the weather", "ic": "mdi:water-percent", "unit_of_meas": "%", "stat_cla": "measurement",
		"stat_t": e.t.WeatherState(), "val_tpl": "{{ value_json.level }}",
		"json_attr_t": e.t.WeatherState(), "json_attr_tpl": `{{ {'date': value_json.date, 'source': value_json.source, 'notes': value_json.notes} | tojson }}`,
	})
	e.add("sensor", "weather_skip", map[string]any{
		"name": "Skipped for rain", "ic": "mdi:weather-pouring", "stat_t": e.t.WeatherState(),
		"val_tpl": "{{ value_json.skip if value_json.skip else 'no' }}",
	})
}

// sensor: a switch sensor's state.
func (e *entities) sensor(name string) {
	e.add("binary_sensor", "sensor_"+strings.ReplaceAll(name, "-", "_"), map[string]any{
		"name": "Sensor " + name, "dev_cla": "moisture", "stat_t": e.t.SensorState(name), "pl_on": "ON", "pl_off": "OFF",
	})
}

func (m Model) device() map[string]any {
	d := map[string]any{
		"ids": []string{"sprinkler-" + m.Topics.ID()}, "name": "Sprinkler " + m.Topics.ID(),
		"mf": "sprinkler", "mdl": "Raspberry Pi relay irrigation controller", "sw": m.Version,
	}
	if m.ConfigURL != "" {
		d["cu"] = m.ConfigURL
	}
	return d
}

func (m Model) origin() map[string]any { return map[string]any{"name": Origin, "sw": m.Version} }

// DeviceTopic is the topic of the device-based message.
func (m Model) DeviceTopic() string { return m.Prefix + "/device/" + m.Topics.ID() + "/config" }

// EntityTopic is the topic of one entity's message in the per-entity form.
func (m Model) EntityTopic(e Entity) string {
	return m.Prefix + "/" + e.Platform + "/" + m.Topics.ID() + "/" + e.Object + "/config"
}

// Messages returns the retained discovery messages, topic to payload. In the device form,
// removed lists components published before (object to platform) that are gone now, so that
// Home Assistant drops them. It also returns the components it announced.
func (m Model) Messages(removed map[string]string) (map[string][]byte, map[string]string) {
	out := map[string][]byte{}
	components := map[string]string{}
	es := m.Entities()
	if m.Device {
		cmps := map[string]any{}
		for _, e := range es {
			c := map[string]any{"p": e.Platform}
			for k, v := range e.Config {
				c[k] = v
			}
			cmps[e.Object] = c
			components[e.Object] = e.Platform
		}
		for object, platform := range removed {
			if _, still := cmps[object]; !still {
				cmps[object] = map[string]any{"p": platform}
			}
		}
		out[m.DeviceTopic()] = mustJSON(map[string]any{
			"dev": m.device(), "o": m.origin(), "avty_t": m.Topics.Status(), "qos": 1, "cmps": cmps,
		})
		return out, components
	}
	for _, e := range es {
		c := map[string]any{"dev": m.device(), "o": m.origin(), "avty_t": m.Topics.Status()}
		for k, v := range e.Config {
			c[k] = v
		}
		out[m.EntityTopic(e)] = mustJSON(c)
		components[e.Object] = e.Platform
	}
	return out, components
}

// Sorted returns the topics of msgs in order, for publishing them deterministically.
func Sorted(msgs map[string][]byte) []string {
	keys := make([]string, 0, len(msgs))
	for k := range msgs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("discovery: %v", err)) // only maps of strings, numbers and lists
	}
	return b
}
