package netvalve

import (
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestCommandsAsVendorsDocumentThem: each kind's turn-on carries the run's off timer in the
// device's own unit and encoding.
func TestCommandsAsVendorsDocumentThem(t *testing.T) {
	for _, c := range []struct {
		v    Valve
		d    time.Duration
		want string
	}{
		{Valve{Kind: KindZigbee2MQTT, Base: "zigbee2mqtt", Device: "tap"}, 65 * time.Second, `zigbee2mqtt/tap/set {"state":"ON","on_time":65}`},
		{Valve{Kind: KindZigbee2MQTT, Base: "z2m", Device: "tap"}, 1200 * time.Millisecond, `z2m/tap/set {"state":"ON","on_time":2}`},
		{Valve{Kind: KindTasmota, Device: "roses", Channel: 1}, 500 * time.Millisecond, "cmnd/roses/Backlog0 PulseTime1 5; Power1 ON"},
		{Valve{Kind: KindTasmota, Device: "roses", Channel: 2}, 11100 * time.Millisecond, "cmnd/roses/Backlog0 PulseTime2 111; Power2 ON"},
		{Valve{Kind: KindTasmota, Device: "roses", Channel: 1}, 11200 * time.Millisecond, "cmnd/roses/Backlog0 PulseTime1 112; Power1 ON"},
		{Valve{Kind: KindTasmota, Device: "roses", Channel: 1}, 65 * time.Second, "cmnd/roses/Backlog0 PulseTime1 165; Power1 ON"},
		{Valve{Kind: KindTasmota, Device: "roses", Channel: 1}, 30 * time.Hour, "cmnd/roses/Backlog0 PulseTime1 64900; Power1 ON"},
		{Valve{Kind: KindShelly, Device: "hedge", Channel: 2, Source: "sprinkler-garden"}, 25 * time.Second,
			`hedge/rpc {"id":1,"method":"Switch.Set","params":{"id":1,"on":true,"toggle_after":25},"src":"sprinkler-garden"}`},
		{Valve{Kind: KindESPHome, Device: "node/valve_1", Timer: time.Hour}, 25 * time.Second, "node/switch/valve_1/command ON"},
	} {
		ms := c.v.protocol().on(c.d)
		if got := ms[0].topic + " " + ms[0].payload; got != c.want {
			t.Errorf("%s for %v: %s, want %s", c.v.Name(), c.d, got, c.want)
		}
	}
}

// TestReportsAsDevicesSendThem reads each kind's state and availability messages; a message that
// says nothing of the valve says nothing, and junk is an error, never a state.
func TestReportsAsDevicesSendThem(t *testing.T) {
	on, off := "on", "off"
	for _, c := range []struct {
		v              Valve
		topic, payload string
		want           string // on, off, online, offline, failed:…, or "" for nothing
		bad            bool
	}{
		{Valve{Kind: KindZigbee2MQTT, Base: "zigbee2mqtt", Device: "tap"}, "zigbee2mqtt/tap", `{"state":"ON","battery":80}`, on, false},
		{Valve{Kind: KindZigbee2MQTT, Base: "zigbee2mqtt", Device: "tap"}, "zigbee2mqtt/tap", `{"battery":80}`, "", false},
		{Valve{Kind: KindZigbee2MQTT, Base: "zigbee2mqtt", Device: "tap"}, "zigbee2mqtt/tap", `ON`, "", true},
		{Valve{Kind: KindZigbee2MQTT, Base: "zigbee2mqtt", Device: "tap"}, "zigbee2mqtt/tap/availability", `{"state":"offline"}`, "offline", false},
		{Valve{Kind: KindZigbee2MQTT, Base: "zigbee2mqtt", Device: "tap"}, "zigbee2mqtt/bridge/state", `offline`, "offline", false},
		{Valve{Kind: KindTasmota, Device: "r", Channel: 1}, "stat/r/POWER", "OFF", off, false},
		{Valve{Kind: KindTasmota, Device: "r", Channel: 2}, "stat/r/RESULT", `{"POWER1":"ON","POWER2":"OFF"}`, off, false},
		{Valve{Kind: KindTasmota, Device: "r", Channel: 2}, "stat/r/RESULT", `{"POWER":"ON"}`, "", false},
		{Valve{Kind: KindTasmota, Device: "r", Channel: 1}, "tele/r/STATE", `{"Time":"x","POWER":"ON"}`, on, false},
		{Valve{Kind: KindTasmota, Device: "r", Channel: 1}, "tele/r/LWT", "Offline", "offline", false},
		{Valve{Kind: KindShelly, Device: "h", Channel: 1, Source: "s"}, "h/status/switch:0", `{"id":0,"output":true}`, on, false},
		{Valve{Kind: KindShelly, Device: "h", Channel: 1, Source: "s"}, "h/events/rpc", `{"method":"NotifyStatus","params":{"switch:0":{"output":false}}}`, off, false},
		{Valve{Kind: KindShelly, Device: "h", Channel: 1, Source: "s"}, "h/events/rpc", `{"method":"NotifyStatus","params":{"switch:1":{"output":true}}}`, "", false},
		{Valve{Kind: KindShelly, Device: "h", Channel: 1, Source: "s"}, "s/rpc", `{"id":3,"src":"h","error":{"code":-103,"message":"busy"}}`, "failed:busy (code -103)", false},
		{Valve{Kind: KindShelly, Device: "h", Channel: 1, Source: "s"}, "s/rpc", `{"id":3,"src":"other","result":{"output":true}}`, "", false},
		{Valve{Kind: KindShelly, Device: "h", Channel: 1, Source: "s"}, "h/online", "false", "offline", false},
		{Valve{Kind: KindESPHome, Device: "n/v", Timer: time.Hour}, "n/switch/v/state", "on", on, false},
		{Valve{Kind: KindESPHome, Device: "n/v", Timer: time.Hour}, "n/status", "online", "online", false},
		{Valve{Kind: KindESPHome, Device: "n/v", Timer: time.Hour}, "n/switch/v/state", strings.Repeat("x", 5000), "", true},
	} {
		r, err := c.v.protocol().read(c.topic, []byte(c.payload))
		got := ""
		switch {
		case r.failed != "":
			got = "failed:" + r.failed
		case r.on != nil:
			got = map[bool]string{true: on, false: off}[*r.on]
		case r.online != nil:
			got = map[bool]string{true: "online", false: "offline"}[*r.online]
		}
		if got != c.want || (err != nil) != c.bad {
			t.Errorf("%s: %s %q: %q, %v; want %q", c.v.Name(), c.topic, c.payload, got, err, c.want)
		}
	}
}

// link is a publisher that records what it sends.
type link struct {
	mu   sync.Mutex
	sent []string
	up   bool
}

func (l *link) Publish(topic string, _ bool, payload []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sent = append(l.sent, topic+" "+string(payload))
}

func (l *link) Connected() bool { return l.up }

func (l *link) last() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sent[len(l.sent)-1]
}

// TestTheDeviceHasTheLastWord: a run's turn-on waits for the device's report; no report in time
// ends the run and makes the zone unavailable until the device speaks; a valve reported open
// when it should be closed gets off again; one that closes early ends its run.
func TestTheDeviceHasTheLastWord(t *testing.T) {
	v := Valve{Zone: 3, Index: 2, Kind: KindTasmota, Device: "roses", Channel: 1, Confirm: 50 * time.Millisecond}
	b := New([]Valve{v}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	lost := make(chan string, 4)
	b.Notify(Events{Lost: func(i int, reason, msg string) { lost <- reason + ": " + msg }})
	if err := b.SetFor(2, time.Minute); err == nil {
		t.Fatal("opened without a link")
	}
	l := &link{up: true}
	b.Attach(l)
	if err := b.SetFor(2, time.Minute); err != nil {
		t.Fatal(err)
	}
	if got := <-lost; !strings.HasPrefix(got, "failed: tasmota roses Power1 did not report open within 50ms") {
		t.Fatalf("lost: %s", got)
	}
	if link, _, _ := b.Link(2); link != LinkNoAnswer {
		t.Fatalf("link after no answer: %s", link)
	}
	if err := b.SetFor(2, time.Minute); err == nil || !strings.Contains(err.Error(), "did not confirm") {
		t.Fatalf("an unanswering device's valve opened: %v", err)
	}
	_ = b.Feed("stat/roses/POWER1", []byte("OFF"))
	if link, reported, _ := b.Link(2); link != LinkOnline || reported != "closed" {
		t.Fatalf("after a report: %s, %s", link, reported)
	}

	if err := b.SetFor(2, time.Minute); err != nil {
		t.Fatal(err)
	}
	_ = b.Feed("stat/roses/POWER1", []byte("ON"))
	_ = b.Feed("stat/roses/POWER1", []byte("OFF")) // its button
	if got := <-lost; !strings.HasPrefix(got, "device: tasmota roses Power1 closed by itself") {
		t.Fatalf("lost: %s", got)
	}

	_ = b.Feed("stat/roses/POWER1", []byte("ON")) // open while closed
	if got := l.last(); got != "cmnd/roses/Power1 OFF" {
		t.Fatalf("a valve open while closed was sent %s", got)
	}
	_ = b.Feed("tele/roses/LWT", []byte("Offline"))
	if err := b.SetFor(2, time.Minute); err == nil || !strings.Contains(err.Error(), "offline") {
		t.Fatalf("an offline device's valve opened: %v", err)
	}
	select {
	case got := <-lost:
		t.Fatalf("lost a run it did not have: %s", got)
	default:
	}
}

// FuzzFeed: whatever a device (or anyone who may write its topics) sends, the bank never
// panics, and a valve it was not told to open stays wanted closed.
func FuzzFeed(f *testing.F) {
	vs := []Valve{
		{Zone: 1, Index: 0, Kind: KindZigbee2MQTT, Base: "zigbee2mqtt", Device: "tap", Confirm: time.Minute},
		{Zone: 2, Index: 1, Kind: KindTasmota, Device: "roses", Channel: 2, Confirm: time.Minute},
		{Zone: 3, Index: 2, Kind: KindShelly, Device: "hedge", Channel: 1, Source: "sprinkler-garden", Confirm: time.Minute},
		{Zone: 4, Index: 3, Kind: KindESPHome, Device: "node/valve_1", Timer: time.Hour, Confirm: time.Minute},
	}
	b := New(vs, slog.New(slog.NewTextHandler(io.Discard, nil)))
	l := &link{up: true}
	b.Attach(l)
	topics := b.Topics()
	for i, seed := range []string{`{"state":"ON"}`, "Offline", `{"POWER2":"ON"}`, `{"id":1,"src":"hedge","error":{"code":-1,"message":"x"}}`,
		`{"method":"NotifyStatus","params":{"switch:0":{"output":true}}}`, "on", `{"state":{"x":1}}`, "\x00\xff"} {
		f.Add(uint8(i), []byte(seed))
	}
	f.Fuzz(func(t *testing.T, at uint8, payload []byte) {
		_ = b.Feed(topics[int(at)%len(topics)], payload)
		b.mu.Lock()
		defer b.mu.Unlock()
		for i := range vs {
			if b.valves[i].want {
				t.Fatalf("valve %d wanted open after %q", i, payload)
			}
		}
	})
}
