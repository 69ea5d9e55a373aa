package config_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"sprinkler/agent/config"
	"sprinkler/agent/relay"
	"sprinkler/broker/server"
)

// TestShippedConfigsLoad loads every configuration file shipped in configs/.
func TestShippedConfigsLoad(t *testing.T) {
	files, err := filepath.Glob("../../configs/agent*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no configs found: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Setenv("SPRINKLER_STATE_DIR", t.TempDir())
			c, err := config.Load(f, true)
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Zones) == 0 {
				t.Error("no zones")
			}
			if _, _, err := server.Load(f, true); err != nil {
				t.Errorf("the broker cannot read it: %v", err)
			}
		})
	}
}

func TestDefaultsWithoutFile(t *testing.T) {
	t.Setenv("SPRINKLER_STATE_DIR", t.TempDir())
	c, err := config.Load(filepath.Join(t.TempDir(), "absent.yaml"), false)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Broker.Embedded || c.Broker.Listen != "127.0.0.1:1883" || c.Broker.Anonymous != server.AnonymousLoopback {
		t.Errorf("broker defaults: %+v", c.Broker)
	}
	if len(c.Zones) != 8 || c.Zones[0].Line != 5 || c.Zones[7].Line != 26 {
		t.Errorf("zones: %+v", c.Zones)
	}
	if c.Zones[2].DefaultDuration != config.DefaultRun || c.Zones[2].MaxDuration != config.DefaultMaxRun {
		t.Errorf("zone durations: %+v", c.Zones[2])
	}
	if c.MQTT.ClientID != "sprinkler-"+c.Agent.ID {
		t.Errorf("client id %q for agent %q", c.MQTT.ClientID, c.Agent.ID)
	}
	if _, err := config.Load(filepath.Join(t.TempDir(), "absent.yaml"), true); err == nil {
		t.Error("a missing file given explicitly is accepted")
	}
}

func TestEnvironmentOverrides(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("SPRINKLER_AGENT_ID", "shed")
	t.Setenv("SPRINKLER_BROKER_LISTEN", "127.0.0.1:18830")
	t.Setenv("SPRINKLER_BROKER_EMBEDDED", "false")
	t.Setenv("SPRINKLER_MQTT_URL", "tcp://10.0.0.2:1883")
	t.Setenv("SPRINKLER_RELAYS_DRIVER", "sim")
	t.Setenv("SPRINKLER_STATE_DIR", dir)
	t.Setenv("SPRINKLER_MQTT_KEEPALIVE", "5s")
	t.Setenv("SPRINKLER_MQTT_PASSWORD", "s3cret")
	c, err := config.Load("../../configs/agent.yaml", true)
	if err != nil {
		t.Fatal(err)
	}
	if c.Agent.ID != "shed" || c.Broker.Listen != "127.0.0.1:18830" || c.Broker.Embedded ||
		c.MQTT.URL != "tcp://10.0.0.2:1883" || c.Relays.Driver != "sim" || c.State.Dir != dir || c.MQTT.Keepalive != 5*time.Second || c.MQTT.Password != "s3cret" {
		t.Errorf("overrides not applied: %+v", c)
	}
}

func TestBadConfigsNameFileLineAndKey(t *testing.T) {
	for _, tc := range []struct {
		name string
		yaml string
		want []string
	}{
		{"unknown key", "mqtt:\n  url: tcp://x:1\n  brokr: x\n", []string{":3:", "mqtt.brokr", "unknown key"}},
		{"unknown section", "agent:\n  id: a\nwater: 1\n", []string{":3:", "water", "unknown key"}},
		{"bad agent id", "agent:\n  id: Garden_1\n", []string{":2:", "agent.id", "Garden_1"}},
		{"bad type", "broker:\n  embedded: maybe\n", []string{":2:", "broker.embedded", `"maybe" is not true or false`}},
		{"wrong type quoted", "safety:\n  max_open: two\n", []string{":2:", `safety.max_open: "two" is not a whole number`}},
		{"missing profiles", "schedule:\n  file: nothere.yaml\n", []string{":2:", "schedule.file", "nothere.yaml"}},
		{"mis-indent far below a comment", "# a comment\n# another\nsafety:\n  max_open: 2\n   overflow: queue\n", []string{":5:", "overflow"}},
		{"bad line", "zones:\n  - id: 1\n    line: 5\n  - id: 2\n    line: 99\n", []string{":5:", "zones[id 2].line", "99"}},
		{"duplicate id", "zones:\n  - {id: 1, line: 5}\n  - {id: 1, line: 6}\n", []string{":3:", "zones[entry 2].id", "also the id of zones[entry 1]"}},
		{"duplicate line", "zones:\n  - {id: 1, line: 5}\n  - {id: 2, line: 5}\n", []string{"zones[id 2].line", "also the line of zone 1"}},
		{"bare number duration", "zones:\n  - {id: 1, line: 5, max_duration: 600}\n", []string{"zones[id 1].max_duration", "10m"}},
		{"default above max", "zones:\n  - {id: 1, line: 5, default_duration: 2h, max_duration: 1h}\n", []string{"zones[id 1].default_duration", "longer than max_duration"}},
		{"no zones", "zones: []\n", []string{"zones", "no zones"}},
		{"bad listen", "broker:\n  listen: localhost\n", []string{":2:", "broker.listen", "host:port"}},
		{"bad anonymous", "broker:\n  anonymous: always\n", []string{"broker.anonymous", "always"}},
		{"external broker URL", "broker:\n  embedded: false\nmqtt:\n  url: 1883\n", []string{"mqtt.url", "broker URL"}},
		{"bad driver", "relays:\n  driver: wiringpi\n", []string{":2:", "relays.driver", "wiringpi"}},
		{"bad timezone", "agent:\n  timezone: Mars/Olympus\n", []string{"agent.timezone"}},
		{"bad site", "site:\n  latitude: 91\n  longitude: -200\n", []string{":2:", "site.latitude", ":3:", "site.longitude", "-180 (west)"}},
		{"bad group", "zones:\n  - {id: 1, line: 5, group: Front Lawn}\n", []string{":2:", "zones[id 1].group", "Front Lawn"}},
		{"master in a group", "safety:\n  master_zone: 1\nzones:\n  - {id: 1, line: 5, group: lawn}\n  - {id: 2, line: 6}\n", []string{"zones[id 1].group", "master valve"}},
		{"bad yaml", "zones:\n  - id: 1\n   line: 5\n", []string{":3:", "expected", "line: 5"}},
		{"two errors", "agent:\n  id: X\nlog:\n  level: loud\n", []string{"agent.id", "log.level"}},
		{"bank zone without an output", "relays:\n  banks:\n    - {name: ospi, kind: shift_register}\nzones:\n  - {id: 1, bank: ospi}\n",
			[]string{":5:", "zones[id 1].output", "outputs 1 to 8"}},
		{"unknown bank", "zones:\n  - {id: 1, bank: hat, output: 1}\n", []string{":2:", "zones[id 1].bank", `"hat" is not one of relays.banks`}},
		{"output without a bank", "zones:\n  - {id: 1, line: 5, output: 3}\n", []string{"zones[id 1].output", "name the bank"}},
		{"one output twice", "relays:\n  banks:\n    - {name: hat, kind: mcp23017, bus: /dev/i2c-1, address: 0x20}\nzones:\n  - {id: 1, bank: hat, output: 16}\n  - {id: 2, bank: hat, output: 16}\n",
			[]string{":6:", "zones[id 2].output", "16 of bank hat is also zone 1's"}},
		{"shift register on a zone's line", "relays:\n  banks:\n    - {name: ospi, kind: shift_register, latch: 5}\nzones:\n  - {id: 1, line: 5}\n  - {id: 2, bank: ospi, output: 1}\n",
			[]string{":3:", "relays.banks[ospi].latch", "5 is also the line of zone 1"}},
		{"bad banks", "relays:\n  banks:\n    - {name: OSPi, kind: shift_register, boards: 9, data: 99}\n    - {name: hat, kind: mcp23017, bus: i2c-1, address: 0x80}\n    - {name: x, kind: ads1115}\n",
			[]string{"relays.banks[entry 1].name", "relays.banks[entry 1].boards", "relays.banks[entry 1].data", "relays.banks[hat].bus", "relays.banks[hat].address", "relays.banks[x].kind"}},
		{"network valves", "relays:\n  banks:\n    - {name: tap, kind: zigbee2mqtt, base_topic: z/2m, confirm: 1h}\n    - {name: esp, kind: esphome}\n    - {name: sonoff, kind: tasmota, timer: 1h}\n" +
			"safety:\n  master_zone: 3\nzones:\n  - {id: 1, bank: tap, device: tap_valve, output: 2, max_duration: 2h}\n  - {id: 2, bank: esp, device: node}\n  - {id: 3, bank: sonoff, device: pump}\n  - {id: 4, bank: sonoff, device: pump}\n  - {id: 5, bank: tap, device: \"a/#\"}\n  - {id: 6, bank: tap}\n",
			[]string{"relays.banks[tap].base_topic", "relays.banks[tap].confirm", "relays.banks[esp].timer", "relays.banks[sonoff].timer", ":9:",
				"zones[id 1].output", "zones[id 1].max_duration", "may last at most 1h49m8s", "zones[id 2].device", "garden-node/valve_1", "zones[id 3].bank", "master valve",
				"zones[id 4].device", "tasmota pump Power1 is also zone 3's", "zones[id 5].device", "zones[id 6].device", "missing"}},
		{"a device tree over the agents' topics", "relays:\n  banks:\n    - {name: tap, kind: zigbee2mqtt, base_topic: sprinkler}\n    - {name: shelly, kind: shelly}\n" +
			"broker:\n  devices: [\"+/#\"]\nzones:\n  - {id: 1, bank: tap, device: tap_valve}\n  - {id: 2, bank: shelly, device: homeassistant}\n",
			[]string{"broker.devices[0]", `"+/#" reaches into sprinkler/`, "zones[id 1].device", `"sprinkler/#" reaches into`, "zones[id 2].device", `"homeassistant/#" reaches into`}},
		{"a device on a wired bank", "relays:\n  banks:\n    - {name: ospi, kind: shift_register}\nzones:\n  - {id: 1, bank: ospi, output: 1, device: tap}\n", []string{"zones[id 1].device", "wired"}},
		{"sensor on a shift register's line", "relays:\n  banks:\n    - {name: ospi, kind: shift_register}\nsensors:\n  - {name: rain, line: 27}\n", []string{"sensors[rain].line", "bank ospi (data)"}},
		{"sensor on a relay line", "zones:\n  - {id: 1, line: 5}\nsensors:\n  - {name: rain, line: 5}\n", []string{"sensors[rain].line", "zone 1"}},
		{"bad sensor", "sensors:\n  - {name: Rain, line: 17, active: wet, pull: sideways, on_delay: 48h}\n", []string{"sensors[entry 1].name", "sensors[entry 1].active", "sensors[entry 1].pull", "sensors[entry 1].on_delay"}},
		{"ignoring no sensor", "zones:\n  - {id: 1, line: 5, ignore_sensors: [rain]}\n", []string{"zones[id 1].ignore_sensors[0]", "not a sensor"}},
		{"bad web listen", "web:\n  listen: 8080\n", []string{"web.listen", "host:port"}},
		{"web cert without key", "web:\n  cert: /etc/ssl/garden.pem\n", []string{"web.cert", "/etc/ssl/garden.pem", "both"}},
		{"bad retention", "history:\n  retention: 1h\n", []string{"history.retention"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("SPRINKLER_STATE_DIR", t.TempDir())
			path := filepath.Join(t.TempDir(), "agent.yaml")
			if err := os.WriteFile(path, []byte(tc.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := config.Load(path, true)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range append(tc.want, path) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestBadEnvironmentValueNamesVariable(t *testing.T) {
	t.Setenv("SPRINKLER_STATE_DIR", t.TempDir())
	t.Setenv("SPRINKLER_RELAYS_DRIVER", "magic")
	_, err := config.Load("../../configs/agent.yaml", true)
	if err == nil || !strings.Contains(err.Error(), "SPRINKLER_RELAYS_DRIVER") || !strings.Contains(err.Error(), "magic") {
		t.Errorf("error %v does not name the variable and value", err)
	}
}

func TestHostAgentIDIsValid(t *testing.T) {
	if id := config.HostAgentID(); len(id) == 0 || len(id) > 23 {
		t.Errorf("HostAgentID() = %q", id)
	}
}

// TestAnotherProgramsVariablesStayWithIt: sprinklerctl's SPRINKLER_BROKER, SPRINKLER_USERNAME
// and SPRINKLER_PASSWORD set in the shell change nothing of the agent's configuration (the
// first names a section, and once emptied it), and are not warned about.
func TestAnotherProgramsVariablesStayWithIt(t *testing.T) {
	t.Setenv("SPRINKLER_STATE_DIR", t.TempDir())
	t.Setenv("SPRINKLER_BROKER", "tcp://garden.local:1883")
	t.Setenv("SPRINKLER_USERNAME", "admin")
	t.Setenv("SPRINKLER_PASSWORD", "secret")
	c, warnings, err := config.LoadWarn("../../configs/agent.yaml", true)
	if err != nil {
		t.Fatal(err)
	}
	if c.Broker.Listen != "127.0.0.1:1883" || c.MQTT.Password != "" {
		t.Errorf("sprinklerctl's variables changed the agent's: broker.listen %q, mqtt.password %q", c.Broker.Listen, c.MQTT.Password)
	}
	if len(warnings) != 0 {
		t.Errorf("warnings: %q", warnings)
	}
}

// TestEmptyVariablesAndTypos: an empty SPRINKLER_* variable sets its key to "" (web.listen and
// the other keys whose empty value means off), a variable that names no key is reported with
// the nearest one, and a configuration file that is not there is reported with its path.
func TestEmptyVariablesAndTypos(t *testing.T) {
	t.Setenv("SPRINKLER_STATE_DIR", t.TempDir())
	t.Setenv("SPRINKLER_WEB_LISTEN", "")
	t.Setenv("SPRINKLER_SCHEDULE_FILE", "")
	t.Setenv("SPRINKLER_BROKER_LISTN", "127.0.0.1:1")
	t.Setenv("SPRINKLER_BROKR_LISTEN", "127.0.0.1:1")
	t.Setenv("SPRINKLER_PASSWORD", "ctl's, not a key") // another program's variable
	c, warnings, err := config.LoadWarn("../../configs/agent.yaml", true)
	if err != nil {
		t.Fatal(err)
	}
	if c.Web.Listen != "" || c.Schedule.File != "" {
		t.Errorf("empty variables did not turn off: web.listen %q, schedule.file %q", c.Web.Listen, c.Schedule.File)
	}
	all := strings.Join(warnings, "\n")
	for _, want := range []string{"SPRINKLER_BROKER_LISTN names no configuration key", "did you mean SPRINKLER_BROKER_LISTEN", "SPRINKLER_BROKR_LISTEN"} {
		if !strings.Contains(all, want) {
			t.Errorf("warnings %q lack %q", warnings, want)
		}
	}
	if strings.Contains(all, "SPRINKLER_PASSWORD") {
		t.Errorf("another program's variable was reported: %q", warnings)
	}
	missing := filepath.Join(t.TempDir(), "agent.yaml")
	if _, warnings, err := config.LoadWarn(missing, false); err != nil || len(warnings) == 0 || !strings.Contains(warnings[0], missing) {
		t.Errorf("a missing file: %q, %v", warnings, err)
	}
}

// TestMixedBanks: zones on the Pi's lines, an OpenSprinkler Pi's shift registers (its lines by
// default), an I2C HAT and valves on the network load into one relay configuration, in zone
// order; the battery valve holds no slot of the power budget.
func TestMixedBanks(t *testing.T) {
	t.Setenv("SPRINKLER_STATE_DIR", t.TempDir())
	t.Setenv("SPRINKLER_AGENT_ID", "garden")
	path := filepath.Join(t.TempDir(), "agent.yaml")
	body := "relays:\n  banks:\n    - {name: ospi, kind: shift_register, boards: 2}\n" +
		"    - {name: hat, kind: mcp23017, bus: /dev/i2c-1, address: 0x21, active_low: true}\n" +
		"    - {name: tap, kind: zigbee2mqtt}\n    - {name: shelly, kind: shelly}\n" +
		"zones:\n  - {id: 1, line: 5}\n  - {id: 2, bank: ospi, output: 16}\n  - {id: 3, bank: hat, output: 9}\n" +
		"  - {id: 4, bank: tap, device: tap_valve}\n  - {id: 5, bank: shelly, device: hedge, output: 2}\n"
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(path, true)
	if err != nil {
		t.Fatal(err)
	}
	r := c.RelayConfig()
	want := []relay.Output{{}, {Bank: "ospi", Index: 15}, {Bank: "hat", Index: 8}, {Network: true}, {Network: true}}
	if !slices.Equal(r.Outputs, want) || r.Lines[0] != 5 {
		t.Errorf("outputs %+v, lines %v", r.Outputs, r.Lines)
	}
	ospi, hat := r.Banks[0], r.Banks[1]
	if vs := c.NetValves(); len(vs) != 2 || vs[0].Index != 3 || vs[0].Name() != "zigbee2mqtt tap_valve" || vs[0].Confirm != 30*time.Second ||
		vs[1].Name() != "shelly hedge switch:1" || vs[1].Source != "sprinkler-garden" {
		t.Errorf("network valves %+v", vs)
	}
	if trees := c.DeviceTrees(); !slices.Equal(trees, []string{"zigbee2mqtt/#", "hedge/#", "sprinkler-garden/rpc"}) {
		t.Errorf("device trees %q", trees)
	}
	if z := c.ValveZones(); !z[3].OffBudget || z[4].OffBudget || z[4].Device != "shelly hedge switch:1" {
		t.Errorf("valve zones %+v", z)
	}
	if ospi.Data != 27 || ospi.Clock != 4 || ospi.Latch != 22 || ospi.Enable != 17 || ospi.Outputs() != 16 ||
		hat.Address != 0x21 || !hat.ActiveLow || hat.Outputs() != 16 {
		t.Errorf("banks %+v", r.Banks)
	}
}
