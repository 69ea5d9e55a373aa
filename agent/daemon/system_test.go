package daemon_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sprinkler/broker/brokertest"
	"sprinkler/topics"
)

// TestShutdownSeenByEveryWatcher: a shutdown request switches every relay off, and three
// connected watchers each see the shutdown event and the agent's offline, before the agent
// and its broker stop.
func TestShutdownSeenByEveryWatcher(t *testing.T) {
	a := start(t, testConfig(t, "garden"), nil)
	url := brokertest.URL(a.addr)
	var watchers []*brokertest.Client
	for range 3 {
		w := brokertest.Connect(t, url)
		w.Subscribe(a.topics.Status(), a.topics.Event(), a.topics.ZoneStateFilter())
		watchers = append(watchers, w)
	}
	c := brokertest.Connect(t, url)
	c.Publish(a.topics.ZoneSet(1), false, "OPEN")
	watchers[0].Await(a.topics.ZoneState(1), topics.StateOpen)
	r := request(t, c, a, "ks", "k", `{"id":"k"}`)
	if r.Status != topics.StatusOK {
		t.Fatalf("shutdown: %+v", r)
	}
	for i, w := range watchers {
		w.AwaitMsg(a.topics.Event(), `"event_type":"shutdown"`)
		w.Await(a.topics.ZoneState(1), topics.StateClosed)
		w.Await(a.topics.Status(), topics.Offline)
		_ = i
	}
	select {
	case err := <-a.done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		close(a.done)
	case <-timeAfterWait():
		t.Fatal("the agent did not stop")
	}
	if a.bank.AnyOn() || a.bank.Closed() != 1 {
		t.Fatalf("relays %v", a.bank.On())
	}
}

func TestRebootRefusedUnlessConfigured(t *testing.T) {
	a := start(t, testConfig(t, "garden"), nil)
	c := brokertest.Connect(t, brokertest.URL(a.addr))
	if r := request(t, c, a, "rbt", "r", `{"id":"r"}`); r.Code != topics.CodeUnavailable || !strings.Contains(r.Error, "system.reboot_command") {
		t.Fatalf("reboot: %+v", r)
	}
	if r := request(t, c, a, "status", "s", `{"id":"s"}`); r.Status != topics.StatusOK {
		t.Fatal("the agent stopped after a refused reboot")
	}
}

func TestRebootRunsTheCommandAfterStopping(t *testing.T) {
	cfg := testConfig(t, "garden")
	marker := filepath.Join(t.TempDir(), "rebooted")
	cfg.System.RebootCommand = []string{"touch", marker}
	a := start(t, cfg, nil)
	c := brokertest.Connect(t, brokertest.URL(a.addr))
	if r := request(t, c, a, "reboot", "r", `{"id":"r"}`); r.Status != topics.StatusOK {
		t.Fatalf("reboot: %+v", r)
	}
	select {
	case err := <-a.done:
		close(a.done)
		if err != nil {
			t.Fatal(err)
		}
	case <-timeAfterWait():
		t.Fatal("the agent did not stop")
	}
	if _, err := os.Stat(marker); err != nil {
		t.Fatal("the reboot command did not run")
	}
}

func TestHealthAndFail(t *testing.T) {
	a := start(t, testConfig(t, "garden"), nil)
	c := brokertest.Connect(t, brokertest.URL(a.addr))
	c.Subscribe(a.topics.Health())
	c.AwaitMsg(a.topics.Health(), `"throttled"`) // published at start, retained
	r := request(t, c, a, "gt", "h", `{"id":"h"}`)
	var h topics.Health
	if err := json.Unmarshal(r.Data, &h); err != nil || h.BrokerClients == nil || *h.BrokerClients < 2 || h.UptimeS == 0 {
		t.Fatalf("health: %s", r.Data)
	}
	r = request(t, c, a, "ge", "f", `{"id":"f"}`)
	if r.Code != topics.CodeInternal || !strings.Contains(r.Error, "test error") {
		t.Fatalf("fail: %+v", r)
	}
	if r := request(t, c, a, "version", "v", `{"id":"v"}`); !strings.Contains(string(r.Data), `"broker":"mochi-mqtt 2.7.9"`) {
		t.Errorf("version: %s", r.Data)
	}
	if r := request(t, c, a, "logs", "l", `{"id":"l","lines":5}`); r.Code != topics.CodeUnavailable {
		t.Errorf("logs without a log file: %+v", r)
	}
}
