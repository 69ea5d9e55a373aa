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
}

func (m Model) uid(object string) string { return "sprinkler-" + m.Topics.ID() + "-" + object }

// Entities lists every entity of the agent, in a stable order.
func (m Model) Entities() []Entity {
	t := m.Topics
	var es []Entity
	add := func(platform, object string, cfg map[string]any) {
		cfg["uniq_id"] = m.uid(object)
		es = append(es, Entity{Platform: platform, Object: object, Config: cfg})
	}
	for _, z := range m.Zones {
		n := z.ID
		key := topics.ZoneKey(n)
		add("valve", fmt.Sprintf("zone_%d", n), map[string]any{
			"name": z.Name, "dev_cla": "water", "ic": "mdi:sprinkler",
			"cmd_t": t.ZoneSet(n), "stat_t": t.ZoneState(n),
			"pl_open": "OPEN", "pl_cls": "CLOSE", "stat_open": topics.StateOpen, "stat_clsd": topics.StateClosed,
			"opt": false, "ret": false, "qos": 1,
			"json_attr_t": t.State(), "json_attr_tpl": fmt.Sprintf("{{ value_json.zones['%s'] | tojson }}", key),
		})
		add("number", fmt.Sprintf("zone_%d_duration", n), map[string]any{
			"name": z.Name + " default run", "ic": "mdi:timer-cog-outline", "ent_cat": "config",
			"cmd_t": t.DurationSet(n), "stat_t": t.DurationState(n),
			"min": 1, "max": z.MaxMinutes, "step": 1, "unit_of_meas": "min", "mode": "box", "ret": false, "qos": 1,
		})
		add("sensor", fmt.Sprintf("zone_%d_last_run", n), map[string]any{
			"name": z.Name + " last run", "dev_cla": "timestamp", "stat_t": t.State(),
			"val_tpl": fmt.Sprintf("{{ value_json.zones['%s'].last_run or 'None' }}", key),
		})
		add("sensor", fmt.Sprintf("zone_%d_watered_today", n), map[string]any{
			"name": z.Name + " watering time today", "dev_cla": "duration", "unit_of_meas": "min", "stat_cla": "total_increasing",
			"stat_t": t.State(), "sug_dsp_prc": 0,
			"val_tpl": fmt.Sprintf("{{ (value_json.zones['%s'].watered_today_s / 60) | round(1) }}", key),
		})
	}
	add("button", "stop_all", map[string]any{
		"name": "Stop all zones", "ic": "mdi:water-off", "cmd_t": t.Request(topics.CmdClose),
		"pl_prs": `{"zones":"all","source":"homeassistant"}`, "ret": false, "qos": 1,
	})
	add("sensor", "watered_today", map[string]any{
		"name": "Watering time today", "dev_cla": "duration", "unit_of_meas": "min", "stat_cla": "total_increasing",
		"stat_t": t.State(), "val_tpl": "{{ (value_json.watered_today_s / 60) | round(1) }}", "sug_dsp_prc": 0,
	})
	add("sensor", "open_valves", map[string]any{
		"name": "Open valves", "ic": "mdi:valve-open", "ent_cat": "diagnostic", "stat_cla": "measurement",
		"stat_t": t.State(), "val_tpl": "{{ value_json.open_count }}",
	})
	add("sensor", "queued_runs", map[string]any{
		"name": "Queued runs", "ic": "mdi:tray-full", "ent_cat": "diagnostic", "stat_cla": "measurement",
		"stat_t": t.State(), "val_tpl": "{{ value_json.queue | count }}",
	})
	add("switch", "pause", map[string]any{
		"name": "Pause watering", "ic": "mdi:pause-circle", "cmd_t": t.PauseSet(), "stat_t": t.PauseState(),
		"pl_on": "ON", "pl_off": "OFF", "opt": false, "ret": false, "qos": 1,
	})
	add("sensor", "paused_until", map[string]any{
		"name": "Paused until", "dev_cla": "timestamp", "ic": "mdi:pause-circle-outline", "stat_t": t.State(),
		"val_tpl": "{{ value_json.paused_until or 'None' }}",
	})
	add("binary_sensor", "problem", map[string]any{
		"name": "Problem", "dev_cla": "problem", "ent_cat": "diagnostic", "stat_t": t.Health(),
		"val_tpl":     "{{ 'ON' if value_json.problems else 'OFF' }}",
		"json_attr_t": t.Health(), "json_attr_tpl": "{{ {'problems': value_json.problems} | tojson }}",
	})
	add("event", "events", map[string]any{
		"name": "Irrigation events", "stat_t": t.Event(), "evt_typ": EventTypes,
	})
	if m.Profiles != nil {
		add("select", "profile", map[string]any{
			"name": "Watering profile", "ic": "mdi:calendar-clock", "ops": m.Profiles,
			"cmd_t": t.ProfileSet(), "stat_t": t.ProfileState(), "opt": false, "ret": false, "qos": 1,
		})
		add("switch", "auto", map[string]any{
			"name": "Automatic runs", "ic": "mdi:calendar-sync", "cmd_t": t.AutoSet(), "stat_t": t.AutoState(),
			"pl_on": "ON", "pl_off": "OFF", "opt": false, "ret": false, "qos": 1,
		})
		for _, h := range []int{24, 48} {
			add("button", fmt.Sprintf("rain_delay_%dh", h), map[string]any{
				"name": fmt.Sprintf("Rain delay %d h", h), "ic": "mdi:weather-pouring", "cmd_t": t.Request(topics.CmdRainDelay),
				"pl_prs": fmt.Sprintf(`{"hours":%d,"source":"homeassistant"}`, h), "ret": false, "qos": 1,
			})
		}
		add("button", "rain_delay_clear", map[string]any{
			"name": "Clear rain delay", "ic": "mdi:weather-sunny", "cmd_t": t.Request(topics.CmdRainDelay),
			"pl_prs": `{"hours":0,"source":"homeassistant"}`, "ret": false, "qos": 1,
		})
		add("sensor", "next_run", map[string]any{
			"name": "Next run", "dev_cla": "timestamp", "stat_t": t.State(), "val_tpl": "{{ value_json.next_run or 'None' }}",
		})
		add("sensor", "rain_delay_until", map[string]any{
			"name": "Rain delay until", "dev_cla": "timestamp", "ic": "mdi:weather-pouring", "stat_t": t.State(),
			"val_tpl": "{{ value_json.rain_delay_until or 'None' }}",
		})
		add("number", "water_level", map[string]any{
			"name": "Water level", "ic": "mdi:water-percent", "ent_cat": "config", "cmd_t": t.WaterLevelSet(),
			"stat_t": t.WaterLevelState(), "min": 0, "max": topics.MaxWaterLevel, "step": 5, "unit_of_meas": "%", "mode": "slider", "ret": false, "qos": 1,
		})
		add("binary_sensor", "schedule_running", map[string]any{
			"name": "Scheduled run", "ic": "mdi:sprinkler-variant", "stat_t": t.State(),
			"val_tpl": "{{ 'ON' if value_json.scheduled_running else 'OFF' }}",
		})
	}
	if m.Flow {
		add("sensor", "flow_rate", map[string]any{
			"name": "Water flow", "dev_cla": "volume_flow_rate", "unit_of_meas": "L/min", "stat_cla": "measurement",
			"stat_t": t.FlowState(), "val_tpl": "{{ value_json.rate_lpm | round(2) }}",
		})
		add("sensor", "flow_total", map[string]any{
			"name": "Water used", "dev_cla": "water", "unit_of_meas": "L", "stat_cla": "total_increasing",
			"stat_t": t.FlowState(), "val_tpl": "{{ value_json.total_l | round(1) }}",
		})
	}
	if m.Weather {
		add("sensor", "et0", map[string]any{
			"name": "Evapotranspiration yesterday", "ic": "mdi:sun-thermometer", "unit_of_meas": "mm", "stat_cla": "measurement",
			"stat_t": t.WeatherState(), "val_tpl": "{{ value_json.et0_mm if value_json.et0_mm is not none else 'unknown' }}",
			"json_attr_t": t.WeatherState(), "json_attr_tpl": `{{ {'method': value_json.method, 'balance_from': value_json.balance_from, 'et0_sum_mm': value_json.et0_sum_mm, 'effective_rain_mm': value_json.effective_rain_mm} | tojson }}`,
		})
		add("sensor", "weather_level", map[string]any{
			"name": "Water level from the weather", "ic": "mdi:water-percent", "unit_of_meas": "%", "stat_cla": "measurement",
			"stat_t": t.WeatherState(), "val_tpl": "{{ value_json.level }}",
			"json_attr_t": t.WeatherState(), "json_attr_tpl": `{{ {'date': value_json.date, 'source': value_json.source, 'notes': value_json.notes} | tojson }}`,
		})
		add("sensor", "weather_skip", map[string]any{
			"name": "Skipped for rain", "ic": "mdi:weather-pouring", "stat_t": t.WeatherState(),
			"val_tpl": "{{ value_json.skip if value_json.skip else 'no' }}",
		})
	}
	for _, name := range m.Sensors {
		add("binary_sensor", "sensor_"+strings.ReplaceAll(name, "-", "_"), map[string]any{
			"name": "Sensor " + name, "dev_cla": "moisture", "stat_t": t.SensorState(name), "pl_on": "ON", "pl_off": "OFF",
		})
	}
	return es
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
