package systemtest

import (
	"encoding/json"
	"fmt"
	"net"
	neturl "net/url"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"sprinkler/broker/brokertest"
)

// valve is a stand-in for a valve on the network: it speaks its kind's MQTT API as the vendor
// documents it (topics, payloads, units, will), keeps its own off timer as the device does,
// and records what happened to it.
type valve struct {
	t      testing.TB
	kind   string
	device string
	c      paho.Client
	conn   net.Conn

	mu       sync.Mutex
	on       bool
	timer    *time.Timer
	openedAt time.Time
	armed    time.Duration // the off timer the last turn-on carried
	events   []string      // what it did, in order
	commands []string      // the payloads of the commands it took, in order
	mute     bool          // takes commands without acting or answering: a device gone deaf
	more     chan struct{}
}

// standIn connects a stand-in valve of kind to the broker at url as user/password.
func standIn(t testing.TB, url, user, password, kind, device string) *valve {
	t.Helper()
	v := &valve{t: t, kind: kind, device: device, more: make(chan struct{}, 1)}
	will, willPayload, birth := v.presence()
	o := paho.NewClientOptions().AddBroker(url).SetClientID(kind+"-"+strings.ReplaceAll(device, "/", "-")).
		SetUsername(user).SetPassword(password).SetCleanSession(true).SetAutoReconnect(false).
		SetWill(will, willPayload, 1, true).SetOrderMatters(false).
		SetCustomOpenConnectionFn(func(u *neturl.URL, _ paho.ClientOptions) (net.Conn, error) {
			conn, err := net.Dial("tcp", u.Host)
			v.mu.Lock()
			v.conn = conn
			v.mu.Unlock()
			return conn, err
		})
	o.SetOnConnectHandler(func(c paho.Client) {
		c.Subscribe(v.commandFilter(), 1, v.command)
		c.Publish(will, 1, true, birth)
		if kind == "esphome" { // ESPHome publishes its states on every connect
			v.mu.Lock()
			v.report()
			v.mu.Unlock()
		}
	})
	v.c = paho.NewClient(o)
	if tok := v.c.Connect(); !tok.WaitTimeout(brokertest.Wait) || tok.Error() != nil {
		t.Fatalf("%s %s: connect: %v", kind, device, tok.Error())
	}
	t.Cleanup(func() { v.c.Disconnect(0); v.stopTimer() })
	return v
}

// presence is the device's will topic, its will and its birth.
func (v *valve) presence() (topic, will, birth string) {
	switch v.kind {
	case "zigbee2mqtt": // the bridge's will and birth; zigbee2mqtt 2.x speaks JSON there
		return "zigbee2mqtt/bridge/state", `{"state":"offline"}`, `{"state":"online"}`
	case "tasmota":
		return "tele/" + v.device + "/LWT", "Offline", "Online"
	case "shelly":
		return v.device + "/online", "false", "true"
	}
	prefix, _, _ := strings.Cut(v.device, "/")
	return prefix + "/status", "offline", "online"
}

func (v *valve) commandFilter() string {
	switch v.kind {
	case "zigbee2mqtt":
		return "zigbee2mqtt/" + v.device + "/+"
	case "tasmota":
		return "cmnd/" + v.device + "/+"
	case "shelly":
		return v.device + "/rpc"
	}
	prefix, name, _ := strings.Cut(v.device, "/")
	return prefix + "/switch/" + name + "/command"
}

// command carries out one command message, as the device would.
func (v *valve) command(_ paho.Client, m paho.Message) {
	v.mu.Lock()
	defer v.mu.Unlock()
	payload := string(m.Payload())
	v.commands = append(v.commands, m.Topic()+" "+payload)
	if v.mute {
		v.signal()
		return
	}
	switch v.kind {
	case "zigbee2mqtt":
		var set struct {
			State  string  `json:"state"`
			OnTime float64 `json:"on_time"`
		}
		_ = json.Unmarshal(m.Payload(), &set)
		switch {
		case strings.HasSuffix(m.Topic(), "/get"):
			v.report()
		case set.State == "ON":
			v.switchOn(time.Duration(set.OnTime * float64(time.Second)))
		case set.State == "OFF":
			v.switchOff("the agent")
		}
	case "tasmota":
		cmd := m.Topic()[strings.LastIndex(m.Topic(), "/")+1:]
		if cmd == "Backlog0" { // PulseTime1 <v>; Power1 ON
			var pulse int
			var power string
			if _, err := fmt.Sscanf(payload, "PulseTime1 %d; Power1 %s", &pulse, &power); err == nil && power == "ON" {
				d := time.Duration(pulse-100) * time.Second
				if pulse <= 111 {
					d = time.Duration(pulse) * 100 * time.Millisecond
				}
				v.switchOn(d)
			}
			break
		}
		switch payload {
		case "ON":
			v.switchOn(0)
		case "OFF":
			v.switchOff("the agent")
		case "":
			v.report()
		}
	case "shelly":
		var f struct {
			ID     int    `json:"id"`
			Src    string `json:"src"`
			Method string `json:"method"`
			Params struct {
				On          *bool   `json:"on"`
				ToggleAfter float64 `json:"toggle_after"`
			} `json:"params"`
		}
		if json.Unmarshal(m.Payload(), &f) != nil || f.Src == "" {
			return
		}
		result := map[string]any{"was_on": v.on}
		switch {
		case f.Method == "Switch.GetStatus":
			result = v.shellyStatus()
		case f.Method == "Switch.Set" && f.Params.On != nil && *f.Params.On:
			v.switchOn(time.Duration(f.Params.ToggleAfter * float64(time.Second)))
		case f.Method == "Switch.Set" && f.Params.On != nil:
			v.switchOff("the agent")
		}
		reply, _ := json.Marshal(map[string]any{"id": f.ID, "src": v.device, "dst": f.Src, "result": result})
		v.c.Publish(f.Src+"/rpc", 1, false, reply)
	default:
		switch strings.ToUpper(payload) {
		case "ON":
			v.switchOn(0)
		case "OFF":
			v.switchOff("the agent")
		}
	}
	v.signal()
}

func (v *valve) shellyStatus() map[string]any {
	st := map[string]any{"id": 0, "source": "MQTT", "output": v.on}
	if v.on && v.armed > 0 {
		st["timer_started_at"], st["timer_duration"] = v.openedAt.Unix(), v.armed.Seconds()
	}
	return st
}

// switchOn opens the valve, its own timer armed for d (0: none). Called with mu held.
func (v *valve) switchOn(d time.Duration) {
	v.stopTimerLocked()
	v.on, v.openedAt, v.armed = true, time.Now(), d
	v.events = append(v.events, fmt.Sprintf("on, own timer %v", d))
	if d > 0 {
		v.timer = time.AfterFunc(d, func() {
			v.mu.Lock()
			defer v.mu.Unlock()
			v.switchOff("its own timer")
			v.signal()
		})
	}
	v.report()
}

// switchOff closes the valve, by whom. Called with mu held.
func (v *valve) switchOff(by string) {
	v.stopTimerLocked()
	if v.on {
		v.events = append(v.events, fmt.Sprintf("off by %s after %.1fs", by, time.Since(v.openedAt).Seconds()))
	}
	v.on = false
	v.report()
}

// report publishes the valve's state as the device does. Called with mu held.
func (v *valve) report() {
	word := map[bool]string{true: "ON", false: "OFF"}[v.on]
	switch v.kind {
	case "zigbee2mqtt":
		v.c.Publish("zigbee2mqtt/"+v.device, 1, false, fmt.Sprintf(`{"state":%q,"linkquality":120,"battery":87}`, word))
	case "tasmota":
		v.c.Publish("stat/"+v.device+"/RESULT", 1, false, fmt.Sprintf(`{"POWER1":%q}`, word))
		v.c.Publish("stat/"+v.device+"/POWER1", 1, false, word)
	case "shelly":
		st, _ := json.Marshal(v.shellyStatus())
		v.c.Publish(v.device+"/status/switch:0", 1, false, st)
	default:
		prefix, name, _ := strings.Cut(v.device, "/")
		v.c.Publish(prefix+"/switch/"+name+"/state", 1, true, word)
	}
}

// press switches the valve by hand, at the device: its button.
func (v *valve) press(on bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if on {
		v.switchOn(0)
	} else {
		v.switchOff("its button")
	}
	v.signal()
}

// setMute makes the device deaf (it takes commands and does nothing) or well again.
func (v *valve) setMute(mute bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.mute = mute
}

// vanish drops the device's connection without a goodbye, as a power cut does: the broker
// publishes its will.
func (v *valve) vanish() {
	v.mu.Lock()
	defer v.mu.Unlock()
	_ = v.conn.Close()
}

func (v *valve) stopTimer() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.stopTimerLocked()
}

func (v *valve) stopTimerLocked() {
	if v.timer != nil {
		v.timer.Stop()
		v.timer = nil
	}
}

func (v *valve) signal() {
	select {
	case v.more <- struct{}{}:
	default:
	}
}

// await waits until cond holds of the valve, failing after brokertest.Wait.
func (v *valve) await(what string, cond func(v *valve) bool) {
	v.t.Helper()
	deadline := time.After(brokertest.Wait)
	for {
		v.mu.Lock()
		ok := cond(v)
		v.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-v.more:
		case <-time.After(100 * time.Millisecond): // a timer of its own closes it without a message
		case <-deadline:
			v.mu.Lock()
			defer v.mu.Unlock()
			v.t.Fatalf("%s %s: never %s; commands %q, events %q", v.kind, v.device, what, v.commands, v.events)
		}
	}
}

// lastCommand is the last command's payload.
func (v *valve) lastCommand() string {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.commands) == 0 {
		return ""
	}
	return v.commands[len(v.commands)-1]
}

func (v *valve) isOn() bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.on
}

func (v *valve) history() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]string(nil), v.events...)
}
