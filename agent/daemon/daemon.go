// Package daemon wires the agent together and runs it: the relays, the valve controller, the
// embedded broker when configured, the MQTT link, the command worker and the publisher of
// state and presence. Every relay is off when Run starts serving and when it returns.
//
// The agent's locks, outermost first: a lock is only taken while holding those above it, never
// one below it calling up.
//
//	settingsEditor.mu           one change of the zones or the site at a time
//	scheduler.Engine.mu         the schedule; asks the zones, the weather and the valves under it
//	weather.Engine.wmu, .mu     the decisions and balances (wmu: one daily computation at a
//	                            time, with its reads and writes, which only a computation
//	                            waits for; mu: memory only); weather.Store.mu, the readings
//	valves.Controller.mu        the governor; switches the relays (a GPIO write) under it
//	state.mu                    the state document in memory
//	zones.Model.mu              the zones' and the site's settings in force; a leaf, read by all
//
// No disk or network write is made while holding a lock that a command, a window start or a
// publish takes: the state, the history, the readings and the decisions are written by their
// own goroutines (or under a writer's lock of their own, taking no other), and MQTT publishes
// go through the reporter's queue. The one exception is settingsEditor.mu, held across the
// configuration file's write by the settings change it serialises, which only another settings
// change waits for.
package daemon

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"sprinkler/agent/clock"
	"sprinkler/agent/config"
	"sprinkler/agent/discovery"
	"sprinkler/agent/link"
	"sprinkler/agent/logs"
	"sprinkler/agent/metrics"
	"sprinkler/agent/netvalve"
	"sprinkler/agent/relay"
	"sprinkler/agent/scheduler"
	"sprinkler/agent/sensors"
	"sprinkler/agent/valves"
	"sprinkler/broker/server"
	"sprinkler/configs/secrets"
	"sprinkler/topics"
	"sprinkler/version"
)

// shutdownTimeout bounds each step of a clean shutdown that waits on the network.
const shutdownTimeout = 3 * time.Second

// Options carry what tests replace; the zero value is the production setup.
type Options struct {
	Relays relay.Bank  // nil: open the configured driver
	Clock  clock.Clock // nil: the wall clock
	Log    *slog.Logger
	// Ready, when set, is called once the broker (if embedded) listens, with its address.
	Ready func(brokerAddr string)
	// Logs is the agent's log, for the log commands; nil makes them unavailable.
	Logs *logs.Logs
	// Inputs are simulated sensor lines by sensor name, for tests.
	Inputs map[string]sensors.Input
	// HealthRoot is where /sys and /proc are read from; "/" when empty.
	HealthRoot string
	// ClockSynced says whether the system's clock is synchronised; nil asks the kernel.
	ClockSynced func() bool
}

// Daemon is one agent.
type Daemon struct {
	cfg    config.Config
	opts   Options
	log    *slog.Logger
	topics topics.Agent
}

// New returns an agent for cfg, which must have passed validation. It does no I/O.
func New(cfg config.Config, opts Options) (*Daemon, error) {
	t, err := topics.NewAgent(cfg.MQTT.Prefix, cfg.Agent.ID)
	if err != nil {
		return nil, err
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	return &Daemon{cfg: cfg, opts: opts, log: opts.Log.With("agent", cfg.Agent.ID), topics: t}, nil
}

// AllOff opens the configured relays, which drives every line off, and releases them again
// driven off. A service manager runs it after the agent stops, whatever way it stopped, since
// a Raspberry Pi kernel keeps a released output at its last level. It says what it did: every
// relay off, or that this machine has none (a trial on a PC: simulated relays, nothing to
// switch); real relays that cannot be driven are an error.
func AllOff(cfg config.Config, log *slog.Logger) (string, error) {
	d := &Daemon{cfg: cfg, log: log}
	bank, driver, err := d.openRelays(d.netValves())
	if err != nil {
		return "", err
	}
	if err := bank.Close(); err != nil {
		return "", err
	}
	if n := len(cfg.NetValves()); n > 0 {
		log.Info("network valves close by their own timers", "valves", n)
	}
	if driver != relay.DriverGPIO {
		log.Info("no relays on this machine: nothing to switch off", "relays", driver, "relays.driver", cfg.Relays.Driver)
		return fmt.Sprintf("no relays on this machine (relays %s, relays.driver %s): nothing to switch off", driver, cfg.Relays.Driver), nil
	}
	log.Info("every relay switched off", "relays", driver, "zones", len(cfg.Zones))
	return fmt.Sprintf("every relay is off (%d zones)", len(cfg.Zones)), nil
}

// discoveryModel returns what Home Assistant discovery is built from, now: the profile names
// change on reload.
func (d *Daemon) discoveryModel(v *valves.Controller, sched *scheduler.Engine, sens *sensors.Set, balanced func(zone int) bool) func() discovery.Model {
	return func() discovery.Model {
		m := discovery.Model{Topics: d.topics, Prefix: d.cfg.HomeAssistant.Prefix, Device: d.cfg.HomeAssistant.Device, Version: version.Version}
		for _, z := range v.Zones() {
			if z.ID != d.cfg.Safety.MasterZone {
				m.Zones = append(m.Zones, discovery.Zone{ID: z.ID, Name: z.Name, MaxMinutes: z.MaxDuration.Minutes(),
					Balance: d.cfg.Weather.Enabled() && balanced(z.ID)})
			}
		}
		if sched != nil {
			m.Profiles = sched.Names()
		}
		m.Sensors = sens.Names()
		m.Flow = d.cfg.Flow.PulsesPerLitre > 0
		m.Weather = d.cfg.Weather.Enabled()
		return m
	}
}

// linkCredentials returns the link options that reach an external broker: URL, login, TLS.
func (d *Daemon) linkCredentials() (link.Options, error) {
	m := d.cfg.MQTT
	o := link.Options{URL: m.URL, Username: m.Username, Password: m.Password}
	if m.PasswordFile != "" {
		pw, warning, err := secrets.ReadSecret(m.PasswordFile)
		if err != nil {
			return o, fmt.Errorf("mqtt.password_file: %w", err)
		}
		if warning != "" {
			d.log.Warn(warning)
		}
		o.Password = pw
	}
	if m.CACert != "" || m.ClientCert != "" {
		tc, err := secrets.ClientTLS(m.CACert, m.ClientCert, m.ClientKey)
		if err != nil {
			return o, fmt.Errorf("mqtt TLS: %w", err)
		}
		o.TLS = tc
	}
	return o, nil
}

// openSchedule loads the profile file, if one is configured, into a scheduler that has not
// started. A bad file stops the agent with file, line, profile, zone and field named.
func (d *Daemon) openSchedule(zs scheduler.Zones, v *valves.Controller, st *state, loc *time.Location, changed func(), hold func(zone int) string,
	closedByHand func(zone int, since time.Time) bool, weather scheduler.Weather) (*scheduler.Engine, error) {
	if d.cfg.Schedule.File == "" {
		d.log.Info("no schedule: schedule.file is empty")
		return nil, nil
	}
	return scheduler.New(scheduler.Options{
		Path: d.cfg.Schedule.File, Zones: zs, Location: loc, Clock: d.opts.Clock, Valves: v,
		Log: d.log.With("component", "schedule"), Resume: d.cfg.Schedule.Resume,
		State: st.schedule(), Save: st.saveSchedule, OnChange: changed, Hold: hold, MinRun: d.cfg.Schedule.MinRun, ClosedByHand: closedByHand,
		PausedUntil: v.PausedUntil, Weather: weather,
	})
}

// openRelays opens the relays, with net as the network valves' bank (nil: none).
func (d *Daemon) openRelays(net *netvalve.Bank) (relay.Bank, string, error) {
	if d.opts.Relays != nil {
		return d.opts.Relays, "injected", nil
	}
	cfg := d.cfg.RelayConfig()
	if net != nil {
		cfg.Network = net
	}
	return relay.Open(cfg, d.log.With("component", "relays"))
}

func (d *Daemon) info(v *valves.Controller, driver string, started time.Time) topics.Info {
	info := topics.Info{Agent: d.cfg.Agent.ID, Version: version.Version, StartedAt: topics.Time{Time: started}, Relays: driver}
	for _, z := range v.Zones() {
		info.Zones = append(info.Zones, topics.ZoneInfo{
			Zone: z.ID, Name: z.Name, Line: z.Line, Pin: z.Pin(), Bank: z.Bank, Output: z.Output, Device: z.Device,
			DefaultDurationS: z.DefaultDuration.Seconds(), MaxDurationS: z.MaxDuration.Seconds(),
		})
	}
	return info
}

// publisher is what the worker and the reporter need of the MQTT link.
type publisher interface {
	Publish(topic string, retained bool, payload []byte)
}

// countErrors is a relay bank that tells failed of every switch that failed.
type countErrors struct {
	relay.Bank
	failed func()
}

func (b countErrors) Set(i int, on bool) error { return b.count(b.Bank.Set(i, on)) }

func (b countErrors) SetFor(i int, d time.Duration) error { return b.count(relay.On(b.Bank, i, d)) }

func (b countErrors) count(err error) error {
	if err != nil {
		b.failed()
	}
	return err
}

// netValves returns the bank of the configured network valves, nil when there are none.
func (d *Daemon) netValves() *netvalve.Bank {
	vs := d.cfg.NetValves()
	if len(vs) == 0 {
		return nil
	}
	return netvalve.New(vs, d.log.With("component", "netvalve"))
}

// metricSources are the live values of the metrics.
func (d *Daemon) metricSources(v *valves.Controller, l mqttLink, brk *server.Broker) metrics.Sources {
	src := metrics.Sources{
		Zones: func() map[int]bool {
			open := map[int]bool{}
			for _, id := range v.AllIDs() {
				open[id] = false
			}
			for _, id := range v.OpenZones() {
				open[id] = true
			}
			return open
		},
		Queue:     v.QueueLen,
		Connected: l.Connected,
		Connects:  l.Connects,
	}
	if brk != nil {
		src.Broker = brk.Stats
	}
	return src
}

// powerLoss is the history's record of run r, which the agent's death interrupted: it ran at
// most until the agent came back at now, and no less than not at all (a clock that went back
// puts now before the run's start).
func powerLoss(r valves.Run, now time.Time) topics.RunRecord {
	end := now
	if r.EndsAt.Before(end) {
		end = r.EndsAt
	}
	if end.Before(r.Started) {
		end = r.Started
	}
	return topics.RunRecord{Zone: r.Zone, Source: r.Source, Owner: r.Owner, Outcome: topics.ReasonPowerLoss,
		Planned: topics.Time{Time: r.Started}, Started: topics.Time{Time: r.Started}, Ended: topics.Time{Time: end},
		PlannedS: r.EndsAt.Sub(r.Started).Seconds(), ActualS: end.Sub(r.Started).Seconds()}
}

// mqttLink is the agent's MQTT connection: a network client of an external broker
// (link.Link) or the in-process link to the embedded one (link.Inline).
type mqttLink interface {
	publisher
	Start()
	Close(timeout time.Duration) error
	Connected() bool
	Connects() int64
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("encoding %T: %v", v, err)) // only our own payload types are encoded
	}
	return b
}
