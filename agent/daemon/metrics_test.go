package daemon_test

import (
	"fmt"
	"net/http"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"sprinkler/broker/brokertest"
	"sprinkler/topics"
)

// scrape reads the agent's /metrics and parses the text format.
func scrape(t *testing.T, addr string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return families
}

// value returns the value of the metric of family name whose labels include labels.
func value(t *testing.T, fams map[string]*dto.MetricFamily, name string, typ dto.MetricType, labels map[string]string) float64 {
	t.Helper()
	f := fams[name]
	if f == nil {
		t.Fatalf("no metric %s", name)
	}
	if f.GetType() != typ {
		t.Errorf("%s is a %v, want %v", name, f.GetType(), typ)
	}
next:
	for _, m := range f.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range labels {
			if have[k] != v {
				continue next
			}
		}
		switch typ {
		case dto.MetricType_COUNTER:
			return m.GetCounter().GetValue()
		case dto.MetricType_GAUGE:
			return m.GetGauge().GetValue()
		case dto.MetricType_HISTOGRAM:
			return float64(m.GetHistogram().GetSampleCount())
		}
	}
	t.Fatalf("no %s with %v", name, labels)
	return 0
}

func TestMetricsEndpoint(t *testing.T) {
	cfg := unlimited(testConfig(t, "garden"))
	addr := fmt.Sprintf("127.0.0.1:%d", brokertest.FreePort(t))
	cfg.Metrics.Listen = addr
	a := start(t, cfg, nil)
	c := brokertest.Connect(t, brokertest.URL(a.addr))
	for i, payload := range []string{`{"zones":[1,2]}`, `{"zones":[1]}`, `{"zones":[3]}`} {
		cmd := map[bool]string{true: "open", false: "close"}[i != 1]
		id := fmt.Sprint("m", i)
		if r := request(t, c, a, cmd, id, fmt.Sprintf(`{"id":%q,%s`, id, payload[1:])); r.Status != topics.StatusOK {
			t.Fatalf("%s: %+v", cmd, r)
		}
	}
	fams := scrape(t, addr)
	if got := value(t, fams, "sprinkler_runs_total", dto.MetricType_COUNTER, map[string]string{"source": "manual", "outcome": "closed"}); got != 1 {
		t.Errorf("closed runs %v, want 1", got)
	}
	if got := value(t, fams, "sprinkler_zone_open_seconds_total", dto.MetricType_COUNTER, map[string]string{"zone": "1"}); got <= 0 {
		t.Errorf("zone 1 open seconds %v", got)
	}
	for zone, want := range map[string]float64{"1": 0, "2": 1, "3": 1, "8": 0} {
		if got := value(t, fams, "sprinkler_zone_open", dto.MetricType_GAUGE, map[string]string{"zone": zone}); got != want {
			t.Errorf("zone %s open %v, want %v", zone, got, want)
		}
	}
	for name, want := range map[string]float64{"sprinkler_queue_length": 0, "sprinkler_mqtt_connected": 1} {
		if got := value(t, fams, name, dto.MetricType_GAUGE, nil); got != want {
			t.Errorf("%s %v, want %v", name, got, want)
		}
	}
	if got := value(t, fams, "sprinkler_broker_clients", dto.MetricType_GAUGE, nil); got < 2 {
		t.Errorf("broker clients %v", got)
	}
	if got := value(t, fams, "sprinkler_broker_messages_received_total", dto.MetricType_COUNTER, nil); got < 3 {
		t.Errorf("broker messages received %v", got)
	}
	value(t, fams, "sprinkler_relay_errors_total", dto.MetricType_COUNTER, nil)
	value(t, fams, "sprinkler_mqtt_connects_total", dto.MetricType_COUNTER, nil)
	value(t, fams, "sprinkler_schedule_lag_seconds", dto.MetricType_HISTOGRAM, nil)
	value(t, fams, "process_resident_memory_bytes", dto.MetricType_GAUGE, nil)
	value(t, fams, "go_goroutines", dto.MetricType_GAUGE, nil)
}
