package netvalve

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Kinds of network valves, as relays.banks spells them.
const (
	KindZigbee2MQTT = "zigbee2mqtt" // a Zigbee valve or relay through zigbee2mqtt
	KindTasmota     = "tasmota"     // a relay of a Tasmota device
	KindShelly      = "shelly"      // a switch of a Shelly Gen2 or Gen3 device
	KindESPHome     = "esphome"     // a switch of an ESPHome device's mqtt component
)

// Kinds are the network kinds.
var Kinds = []string{KindZigbee2MQTT, KindTasmota, KindShelly, KindESPHome}

// IsKind reports whether kind is a network valve's.
func IsKind(kind string) bool { return slices.Contains(Kinds, kind) }

// message is one MQTT publish, never retained: a retained command replays on every reconnect.
type message struct {
	topic   string
	payload string
}

// report is what a device said in one message; nil fields it did not say.
type report struct {
	on     *bool  // its output's state
	online *bool  // its availability
	bridge bool   // online came from a bridge, not from the device
	failed string // it refused a command, and why
}

// protocol is one kind's MQTT API for one valve.
type protocol interface {
	// on switches the valve on, to switch itself off after d.
	on(d time.Duration) []message
	off() []message
	// query asks the device for its state.
	query() []message
	// topics are what it publishes that the agent reads.
	topics() []string
	// read reads a message on one of topics.
	read(topic string, payload []byte) (report, error)
	// tree is what the device reads and writes on the broker, as MQTT filters, for the ACL.
	tree() []string
	// longest is the longest off timer the device takes.
	longest() time.Duration
}

// Valve is one zone's valve on the network.
type Valve struct {
	Zone  int // the zone's id, for messages
	Index int // the zone's position in the configuration: the bank's output
	Kind  string
	// Device is the zigbee2mqtt friendly name, the Tasmota topic, the Shelly topic prefix, or
	// the ESPHome topic prefix and switch name as "<prefix>/<name>".
	Device string
	// Channel is the Tasmota relay (Power<Channel>) or the Shelly switch (id Channel-1).
	Channel int
	// Base is zigbee2mqtt's base topic.
	Base string
	// Confirm is how long the device has to report a command carried out.
	Confirm time.Duration
	// Timer is an ESPHome firmware's own off timer: it cannot be sent a run's length.
	Timer time.Duration
	// Source names the agent in a Shelly RPC frame; the device replies on <Source>/rpc.
	Source string
}

// Name says which device the valve is, for people.
func (v Valve) Name() string {
	switch v.Kind {
	case KindTasmota:
		return fmt.Sprintf("tasmota %s Power%d", v.Device, v.Channel)
	case KindShelly:
		return fmt.Sprintf("shelly %s switch:%d", v.Device, v.Channel-1)
	}
	return v.Kind + " " + v.Device
}

// Longest is the longest run the valve's own timer can bound.
func (v Valve) Longest() time.Duration { return v.protocol().longest() }

// Tree is what the device reads and writes on the broker, as MQTT filters.
func (v Valve) Tree() []string { return v.protocol().tree() }

func (v Valve) protocol() protocol {
	switch v.Kind {
	case KindZigbee2MQTT:
		return zigbee2mqtt{base: v.Base + "/" + v.Device, bridge: v.Base + "/bridge/state", all: v.Base + "/#"}
	case KindTasmota:
		return tasmota{topic: v.Device, relay: v.Channel}
	case KindShelly:
		return &shelly{prefix: v.Device, id: v.Channel - 1, src: v.Source}
	case KindESPHome:
		prefix, name, _ := strings.Cut(v.Device, "/")
		return esphome{prefix: prefix, name: name, timer: v.Timer}
	}
	panic("netvalve: unknown kind " + v.Kind) // the configuration's validation names the kinds
}

// seconds is d in whole seconds, rounded up, at least one.
func seconds(d time.Duration) int64 { return max(1, int64(math.Ceil(d.Seconds()))) }

func yes(b bool) *bool { return &b }

// onOff reads a plain ON/OFF payload, in any case.
func onOff(payload []byte) (*bool, error) {
	switch strings.ToUpper(strings.TrimSpace(string(payload))) {
	case "ON", "1", "TRUE":
		return yes(true), nil
	case "OFF", "0", "FALSE":
		return yes(false), nil
	}
	return nil, fmt.Errorf("%q: want ON or OFF", clip(payload))
}

// onlineOffline reads an availability payload: online/offline in any case, or zigbee2mqtt's
// JSON {"state":"online"}.
func onlineOffline(payload []byte) (*bool, error) {
	s := strings.TrimSpace(string(payload))
	var j struct{ State string }
	if strings.HasPrefix(s, "{") && json.Unmarshal(payload, &j) == nil {
		s = j.State
	}
	switch strings.ToLower(s) {
	case "online", "true":
		return yes(true), nil
	case "offline", "false":
		return yes(false), nil
	}
	return nil, fmt.Errorf("%q: want online or offline", clip(payload))
}

func clip(b []byte) string {
	if len(b) > 64 {
		return string(b[:64]) + "…"
	}
	return string(b)
}

// zigbee2mqtt: https://www.zigbee2mqtt.io/guide/usage/mqtt_topics_and_messages.html (set, get,
// state, availability, bridge/state) and the "On with timed off" section of every on/off
// device's page (on_time in seconds; zigbee-herdsman's genOnOff onWithTimedOff carries it as
// a UINT16 of tenths, so at most 6553 s).
type zigbee2mqtt struct{ base, bridge, all string }

func (z zigbee2mqtt) on(d time.Duration) []message {
	return []message{{z.base + "/set", fmt.Sprintf(`{"state":"ON","on_time":%d}`, seconds(d))}}
}
func (z zigbee2mqtt) off() []message   { return []message{{z.base + "/set", `{"state":"OFF"}`}} }
func (z zigbee2mqtt) query() []message { return []message{{z.base + "/get", `{"state":""}`}} }
func (z zigbee2mqtt) topics() []string {
	return []string{z.base, z.base + "/availability", z.bridge}
}
func (z zigbee2mqtt) tree() []string         { return []string{z.all} }
func (z zigbee2mqtt) longest() time.Duration { return 6553 * time.Second }

func (z zigbee2mqtt) read(topic string, payload []byte) (report, error) {
	if topic != z.base {
		online, err := onlineOffline(payload)
		return report{online: online, bridge: topic == z.bridge}, err
	}
	var s struct {
		State *string `json:"state"`
	}
	if err := json.Unmarshal(payload, &s); err != nil {
		return report{}, fmt.Errorf("%q: want zigbee2mqtt's JSON state", clip(payload))
	}
	if s.State == nil {
		return report{}, nil // a report of other attributes: battery, link quality
	}
	on, err := onOff([]byte(*s.State))
	return report{on: on}, err
}

// tasmota: https://tasmota.github.io/docs/Commands/ (Power<x>, PulseTime<x>: 1-111 tenths of a
// second, 112-64900 seconds plus 100; Backlog0 runs its commands without delay) and
// https://tasmota.github.io/docs/MQTT/ (cmnd/stat/tele, the retained LWT Online/Offline). Every
// Power ON re-arms PulseTime, so PulseTime is set first.
type tasmota struct {
	topic string
	relay int
}

// pulseTime is Tasmota's PulseTime value for d, at most 64900 (18 hours).
func pulseTime(d time.Duration) int64 {
	if tenths := int64(math.Ceil(d.Seconds() * 10)); tenths <= 111 {
		return max(1, tenths)
	}
	return min(seconds(d)+100, 64900)
}

func (t tasmota) on(d time.Duration) []message {
	return []message{{"cmnd/" + t.topic + "/Backlog0", fmt.Sprintf("PulseTime%d %d; Power%d ON", t.relay, pulseTime(d), t.relay)}}
}
func (t tasmota) off() []message {
	return []message{{fmt.Sprintf("cmnd/%s/Power%d", t.topic, t.relay), "OFF"}}
}
func (t tasmota) query() []message {
	return []message{{fmt.Sprintf("cmnd/%s/Power%d", t.topic, t.relay), ""}}
}

// topics: a device of one relay says POWER, not POWER1, unless SetOption26 is on.
func (t tasmota) topics() []string {
	ts := []string{fmt.Sprintf("stat/%s/POWER%d", t.topic, t.relay), "stat/" + t.topic + "/RESULT", "tele/" + t.topic + "/STATE", "tele/" + t.topic + "/LWT"}
	if t.relay == 1 {
		ts = append(ts, "stat/"+t.topic+"/POWER")
	}
	return ts
}
func (t tasmota) tree() []string {
	return []string{"cmnd/" + t.topic + "/#", "stat/" + t.topic + "/#", "tele/" + t.topic + "/#"}
}
func (t tasmota) longest() time.Duration { return 64800 * time.Second }

func (t tasmota) read(topic string, payload []byte) (report, error) {
	switch {
	case strings.HasSuffix(topic, "/LWT"):
		online, err := onlineOffline(payload)
		return report{online: online}, err
	case strings.HasPrefix(topic, "stat/") && !strings.HasSuffix(topic, "/RESULT"):
		on, err := onOff(payload)
		return report{on: on}, err
	}
	var fields map[string]json.RawMessage // RESULT and STATE: {"POWER1":"ON"} among others
	if err := json.Unmarshal(payload, &fields); err != nil {
		return report{}, fmt.Errorf("%q: want Tasmota's JSON", clip(payload))
	}
	keys := []string{"POWER" + strconv.Itoa(t.relay)}
	if t.relay == 1 {
		keys = append(keys, "POWER") // a device of one relay, as in topics
	}
	for _, key := range keys {
		var s string
		if raw, ok := fields[key]; ok && json.Unmarshal(raw, &s) == nil {
			on, err := onOff([]byte(s))
			return report{on: on}, err
		}
	}
	return report{}, nil
}

// shelly: Gen2 RPC over MQTT, https://shelly-api-docs.shelly.cloud/gen2/ComponentsAndServices/Switch
// (Switch.Set with toggle_after in seconds, Switch.GetStatus, the status's output),
// …/General/RPCProtocol (frames with id, src, method; the reply on <src>/rpc),
// …/ComponentsAndServices/Mqtt (status on <prefix>/status/switch:<id>) and …/General/Notifications
// (NotifyStatus on <prefix>/events/rpc). The online topic, <prefix>/online true/false, is the
// devices' practice; Shelly's pages do not document it.
type shelly struct {
	prefix, src string
	id          int
	calls       int // the RPC frames' ids
}

func (s *shelly) rpc(method string, params map[string]any) []message {
	s.calls++
	b, _ := json.Marshal(map[string]any{"id": s.calls, "src": s.src, "method": method, "params": params})
	return []message{{s.prefix + "/rpc", string(b)}}
}

func (s *shelly) on(d time.Duration) []message {
	return s.rpc("Switch.Set", map[string]any{"id": s.id, "on": true, "toggle_after": seconds(d)})
}
func (s *shelly) off() []message { return s.rpc("Switch.Set", map[string]any{"id": s.id, "on": false}) }
func (s *shelly) query() []message {
	return s.rpc("Switch.GetStatus", map[string]any{"id": s.id})
}
func (s *shelly) component() string { return "switch:" + strconv.Itoa(s.id) }
func (s *shelly) topics() []string {
	return []string{s.prefix + "/status/" + s.component(), s.prefix + "/events/rpc", s.prefix + "/online", s.src + "/rpc"}
}
func (s *shelly) tree() []string         { return []string{s.prefix + "/#", s.src + "/rpc"} }
func (s *shelly) longest() time.Duration { return 24 * time.Hour }

func (s *shelly) read(topic string, payload []byte) (report, error) {
	type status struct {
		Output *bool `json:"output"`
	}
	switch topic {
	case s.prefix + "/online":
		online, err := onlineOffline(payload)
		return report{online: online}, err
	case s.prefix + "/status/" + s.component():
		var st status
		if err := json.Unmarshal(payload, &st); err != nil {
			return report{}, fmt.Errorf("%q: want a switch's JSON status", clip(payload))
		}
		return report{on: st.Output}, nil
	case s.prefix + "/events/rpc":
		var n struct {
			Method string            `json:"method"`
			Params map[string]status `json:"params"`
		}
		if json.Unmarshal(payload, &n) != nil || n.Method != "NotifyStatus" {
			return report{}, nil // events of other kinds, and of other components
		}
		return report{on: n.Params[s.component()].Output}, nil
	}
	var reply struct { // on <src>/rpc: the answer to one of the agent's frames
		Src    string `json:"src"`
		Result *struct {
			Output *bool `json:"output"`
		} `json:"result"`
		Error *struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(payload, &reply); err != nil {
		return report{}, fmt.Errorf("%q: want a JSON-RPC reply", clip(payload))
	}
	switch {
	case reply.Src != s.prefix:
		return report{}, nil // another device's
	case reply.Error != nil:
		return report{failed: fmt.Sprintf("%s (code %d)", reply.Error.Message, reply.Error.Code)}, nil
	case reply.Result != nil:
		return report{on: reply.Result.Output}, nil
	}
	return report{}, nil
}

// esphome: the mqtt component, https://esphome.io/components/mqtt.html: a switch's
// <prefix>/switch/<name>/command takes ON and OFF, …/state says them (retained), and the birth
// and will are <prefix>/status online/offline. A run's length cannot be sent: the firmware's own
// off timer (an on_turn_on delay, a script) bounds every run.
type esphome struct {
	prefix, name string
	timer        time.Duration
}

func (e esphome) path() string               { return e.prefix + "/switch/" + e.name }
func (e esphome) on(time.Duration) []message { return []message{{e.path() + "/command", "ON"}} }
func (e esphome) off() []message             { return []message{{e.path() + "/command", "OFF"}} }
func (e esphome) query() []message           { return nil } // its state is retained
func (e esphome) topics() []string           { return []string{e.path() + "/state", e.prefix + "/status"} }
func (e esphome) tree() []string             { return []string{e.prefix + "/#"} }
func (e esphome) longest() time.Duration     { return e.timer }
func (e esphome) read(topic string, payload []byte) (report, error) {
	if topic == e.prefix+"/status" {
		online, err := onlineOffline(payload)
		return report{online: online}, err
	}
	on, err := onOff(payload)
	return report{on: on}, err
}
