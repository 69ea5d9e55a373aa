// Package metrics exposes the agent to Prometheus through the official client library: zone
// states, open time and runs, the queue, schedule lag, the MQTT link, the embedded broker's
// clients and messages, relay errors, and the process itself.
package metrics

import (
	"cmp"
	"log/slog"
	"net/http"
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"sprinkler/agent/httpserve"
	"sprinkler/topics"
)

// Sources are the live values read at each scrape; a nil one is left out.
type Sources struct {
	// Zones returns each zone's number and whether its valve is open.
	Zones func() map[int]bool
	// Queue is the number of runs waiting for the power budget.
	Queue func() int
	// Connected reports whether the MQTT link is up; Connects counts its connections.
	Connected func() bool
	Connects  func() int64
	// Broker returns the embedded broker's connected clients and the publish messages it
	// received and sent; nil without an embedded broker.
	Broker func() (clients, received, sent int64)
}

// Metrics holds the agent's metrics.
type Metrics struct {
	live        *live
	reg         *prometheus.Registry
	runs        *prometheus.CounterVec
	openSeconds *prometheus.CounterVec
	lag         prometheus.Histogram
	relayErrors prometheus.Counter
}

// New returns the metrics, registered with the Go and process collectors. The live values come
// from the Sources given to Watch.
func New() *Metrics {
	m := &Metrics{
		live: &live{},
		reg:  prometheus.NewRegistry(),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sprinkler_runs_total",
			Help: "Runs that ended, by what started them (schedule, manual, resume) and how they ended."}, []string{"source", "outcome"}),
		openSeconds: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sprinkler_zone_open_seconds_total",
			Help: "Seconds each zone's valve was open, counted when its run ends."}, []string{"zone"}),
		lag: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "sprinkler_schedule_lag_seconds",
			Help:    "How long after its planned start a scheduled run started (waiting for the power budget, the stagger).",
			Buckets: []float64{0.01, 0.1, 0.5, 1, 5, 30, 60, 300, 900, 3600}}),
		relayErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "sprinkler_relay_errors_total",
			Help: "Relay switches the driver failed."}),
	}
	m.reg.MustRegister(m.runs, m.openSeconds, m.lag, m.relayErrors, m.live,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Watch sets where the live values come from.
func (m *Metrics) Watch(src Sources) {
	m.live.mu.Lock()
	m.live.src = src
	m.live.mu.Unlock()
}

// RunEnded counts a run that ended. It never blocks.
func (m *Metrics) RunEnded(r topics.RunRecord) {
	kind := runKind(r)
	m.runs.WithLabelValues(kind, r.Outcome).Inc()
	m.openSeconds.WithLabelValues(strconv.Itoa(r.Zone)).Add(max(r.ActualS, 0)) // a counter never goes back
	if kind == "schedule" {
		m.lag.Observe(max(r.Started.Sub(r.Planned.Time), 0).Seconds())
	}
}

// RelayError counts a failed relay switch.
func (m *Metrics) RelayError() { m.relayErrors.Inc() }

// runKind keeps the runs' label small: the run's owner, not its source (client ids would make
// a series per client).
func runKind(r topics.RunRecord) string { return string(cmp.Or(r.Owner, topics.OwnerManual)) }

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Serve serves /metrics on addr until the server is closed, to requests that name this machine
// or one of hosts. It returns once the listener is bound, or with the error that prevented it.
func (m *Metrics) Serve(addr string, hosts []string, log *slog.Logger) (*httpserve.Server, error) {
	mux := http.NewServeMux()
	mux.Handle("/metrics", m.Handler())
	s, err := httpserve.Serve(addr, mux, hosts, log)
	if err == nil {
		log.Info("metrics listening", "addr", s.Addr(), "path", "/metrics")
	}
	return s, err
}

// live collects the values read at scrape time.
type live struct {
	mu  sync.Mutex
	src Sources
}

var (
	zoneOpenDesc   = prometheus.NewDesc("sprinkler_zone_open", "Whether the zone's valve is open (1) or closed (0).", []string{"zone"}, nil)
	queueDesc      = prometheus.NewDesc("sprinkler_queue_length", "Runs waiting for the power budget.", nil, nil)
	connectedDesc  = prometheus.NewDesc("sprinkler_mqtt_connected", "Whether the agent's MQTT link is up.", nil, nil)
	connectsDesc   = prometheus.NewDesc("sprinkler_mqtt_connects_total", "Connections of the agent's MQTT link; more than one means reconnects.", nil, nil)
	clientsDesc    = prometheus.NewDesc("sprinkler_broker_clients", "Clients connected to the embedded broker.", nil, nil)
	brokerRecvDesc = prometheus.NewDesc("sprinkler_broker_messages_received_total", "Publish messages the embedded broker received.", nil, nil)
	brokerSentDesc = prometheus.NewDesc("sprinkler_broker_messages_sent_total", "Publish messages the embedded broker sent.", nil, nil)
	allLiveDescs   = []*prometheus.Desc{zoneOpenDesc, queueDesc, connectedDesc, connectsDesc, clientsDesc, brokerRecvDesc, brokerSentDesc}
)

const gauge, counter = prometheus.GaugeValue, prometheus.CounterValue

var boolToFloat = map[bool]float64{false: 0, true: 1}

func (l *live) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range allLiveDescs {
		ch <- d
	}
}

func (l *live) Collect(ch chan<- prometheus.Metric) {
	l.mu.Lock()
	s := l.src
	l.mu.Unlock()
	if s.Zones != nil {
		for zone, open := range s.Zones() {
			ch <- prometheus.MustNewConstMetric(zoneOpenDesc, gauge, boolToFloat[open], strconv.Itoa(zone))
		}
	}
	if s.Queue != nil {
		ch <- prometheus.MustNewConstMetric(queueDesc, gauge, float64(s.Queue()))
	}
	if s.Connected != nil {
		ch <- prometheus.MustNewConstMetric(connectedDesc, gauge, boolToFloat[s.Connected()])
	}
	if s.Connects != nil {
		ch <- prometheus.MustNewConstMetric(connectsDesc, counter, float64(s.Connects()))
	}
	if s.Broker != nil {
		clients, recv, sent := s.Broker()
		ch <- prometheus.MustNewConstMetric(clientsDesc, gauge, float64(clients))
		ch <- prometheus.MustNewConstMetric(brokerRecvDesc, counter, float64(recv))
		ch <- prometheus.MustNewConstMetric(brokerSentDesc, counter, float64(sent))
	}
}
