// Package daemon wires the agent together and runs it: the relays, the valve controller, the
// embedded broker when configured, the MQTT link, the command worker and the publisher of
// state and presence. Every relay is off when Run starts serving and when it returns.
package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"sprinkler/agent/clock"
	"sprinkler/agent/config"
	"sprinkler/agent/discovery"
	"sprinkler/agent/history"
	"sprinkler/agent/httpserve"
	"sprinkler/agent/link"
	"sprinkler/agent/logs"
	"sprinkler/agent/metrics"
	"sprinkler/agent/problems"
	"sprinkler/agent/relay"
	"sprinkler/agent/schedule"
	"sprinkler/agent/scheduler"
	"sprinkler/agent/sensors"
	"sprinkler/agent/serve"
	"sprinkler/agent/valves"
	"sprinkler/agent/web"
	"sprinkler/broker/server"
	"sprinkler/configs/secrets"
	"sprinkler/topics"
)

// Version is the agent's version, set at build time with -ldflags "-X ...daemon.Version=…".
var Version = "0.1.0-dev"

// inboxSize bounds the commands waiting for the worker.
const inboxSize = 1024

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

// Run runs the agent until ctx ends or a shutdown request, then turns every relay off, says
// offline and returns; after a reboot request it then runs the reboot command.
func (d *Daemon) Run(parent context.Context) (err error) {
	started := d.opts.Clock.Now()
	ctx, stopRun := context.WithCancel(parent)
	defer stopRun()
	stops := &stopper{cancel: stopRun, reboot: d.cfg.System.RebootCommand, log: d.log}
	if err := os.MkdirAll(d.cfg.State.Dir, 0o700); err != nil {
		return fmt.Errorf("state.dir: %w", err)
	}
	bank, driver, err := d.openRelays()
	if err != nil {
		return err
	}
	mets := metrics.New()
	bank = countErrors{bank, mets.RelayError}
	defer func() {
		if cerr := bank.Close(); cerr != nil {
			d.log.Error("relays: close", "err", cerr)
			err = errors.Join(err, cerr)
		}
	}()
	zones := d.cfg.ValveZones()
	state, stateNotes := openState(filepath.Join(d.cfg.State.Dir, stateFile), d.opts.Clock, d.log)
	hist, err := history.Open(filepath.Join(d.cfg.State.Dir, history.File), d.cfg.History.Retention, started, d.log)
	if err != nil {
		return err
	}
	// The state document and the history are written by goroutines of their own.
	writing, stopWriting := context.WithCancel(context.Background())
	var writers sync.WaitGroup
	writers.Go(func() { state.run(writing) })
	writers.Go(func() { hist.Run(writing) })
	defer func() {
		stopWriting()
		writers.Wait() // the last changes, the shutdown's included, are on disk
	}()
	record := func(r topics.RunRecord) { hist.Add(r); mets.RunEnded(r) } // a run that ended
	expected := map[int]float64{}
	for _, z := range d.cfg.Zones {
		expected[z.ID] = z.ExpectedLPM
	}
	fw := newFlowWatch(d.cfg.Flow.HighFactor, d.cfg.Flow.LowFactor, expected)
	v := valves.New(d.cfg.Agent.ID, zones, bank, d.opts.Clock, d.log, valves.Options{Limits: d.cfg.ValveLimits(), Persist: state.saveRuns,
		Ended: func(r topics.RunRecord) {
			if d.cfg.Flow.PulsesPerLitre > 0 {
				litres := fw.ended(r.Zone)
				r.Litres = &litres
			}
			record(r)
		}})
	interrupted := state.runs()
	if err := v.Reset(topics.SourceStartup); err != nil { // before anything that could fail
		return fmt.Errorf("relays: switching off at start-up: %w", err)
	}
	probs := &problems.Set{
		Raised: func(_, text string) {
			d.log.Error("problem: " + text)
			v.AddEvent(topics.Event{Type: topics.EventProblem, Source: topics.SourceStartup, Message: text})
		},
		Cleared: func(_, text string) {
			d.log.Info("problem cleared: " + text)
			v.AddEvent(topics.Event{Type: topics.EventProblemCleared, Message: text})
		},
	}
	if len(stateNotes) > 0 {
		probs.Raise(problemStateRead, "the saved state was damaged: "+strings.Join(stateNotes, "; "))
	}
	state.probs = probs
	_ = state.save() // a state that cannot be saved is a problem raised, not a reason to stop
	clockOK := d.checkClock(started, state.lastKnown(), probs)
	for _, r := range interrupted.Runs {
		if !r.Queued {
			record(powerLoss(r, started))
		}
	}
	v.Start()
	switch n := len(interrupted.Runs); {
	case n > 0 && !clockOK:
		d.log.Warn("the agent did not stop cleanly, but the clock cannot be trusted: nothing resumes", "runs", n)
	case n > 0:
		d.log.Warn("the agent did not stop cleanly; resuming what is left of its runs and its queue", "runs", n)
		v.Resume(interrupted)
	}
	loc, err := d.cfg.Location()
	if err != nil {
		return err
	}
	rep := newReporter(d.topics, v, d.info(v, driver, started), d.log)
	sens, err := d.openSensors(driver, loc, func(name string, active bool) {
		what := map[bool]string{true: "active", false: "inactive"}[active]
		d.log.Info("sensor "+what, "sensor", name)
		v.AddEvent(topics.Event{Type: topics.EventSensor, Source: name, Message: "sensor " + name + " is " + what})
	})
	if err != nil {
		return err
	}
	defer sens.close()
	rep.sensors = sens
	closedByHand := func(zone int, since time.Time) bool {
		return slices.ContainsFunc(hist.Runs(zone, since), func(r topics.RunRecord) bool { return r.Outcome == topics.ReasonClosed })
	}
	sched, err := d.openSchedule(v, state, loc, rep.nudge, sens.hold, closedByHand)
	if err != nil {
		return err
	}
	rep.sched = sched
	if err := applyDefaults(v, state); err != nil {
		d.log.Warn("a saved default run no longer fits its zone; using the configured one", "err", err)
	}
	if d.cfg.HomeAssistant.Enabled {
		rep.announce = &announcer{model: d.discoveryModel(v, sched, sens), st: state, log: d.log.With("component", "discovery")}
	}

	var brk *server.Broker
	var page http.Handler // the web page, with the embedded broker only
	system := serve.System{Shutdown: func(reboot bool, by string) error {
		if err := stops.request(reboot, by); err != nil {
			return err
		}
		msg := "shutdown requested"
		if reboot {
			msg = "reboot requested"
		}
		v.AddEvent(topics.Event{Type: topics.EventShutdown, Source: by, Message: msg})
		return nil
	}}
	if d.opts.Logs != nil {
		system.Logs = d.opts.Logs
	}
	svcOpts := serve.Options{Valves: v, Schedule: sched, Clock: d.opts.Clock, Location: loc, Version: Version, History: hist, Blocked: sens.blockManual, Sensors: sens.statesOrNil, System: system, Log: d.log}
	linkOpts, err := d.linkCredentials()
	if err != nil {
		return err
	}
	if d.cfg.Broker.Embedded {
		bcfg := d.cfg.Broker
		bcfg.Prefix = d.cfg.MQTT.Prefix // the ACL protects the agent's own topics
		bcfg.Presence = d.topics.Clients()
		bcfg.Agent = d.cfg.Agent.ID
		bcfg.HomeAssistant = d.cfg.HomeAssistant.Prefix
		brk = server.New(bcfg, d.log.With("component", "broker"))
		if d.cfg.Web.Listen != "" {
			page = web.Handler(web.Options{Prefix: d.cfg.MQTT.Prefix, Agent: d.cfg.Agent.ID, MQTT: brk.WebsocketHandler("web", d.cfg.Web.Hosts), Hosts: d.cfg.Web.Hosts})
		}
		if err := brk.Start(); err != nil {
			return err
		}
		defer func() { err = errors.Join(err, brk.Close()) }()
		svcOpts.Clients = brk.Clients
		svcOpts.System.Broker = "mochi-mqtt " + mqttVersion
	}
	if d.cfg.Web.Listen != "" && page == nil {
		d.log.Warn("no web page: it needs the embedded broker", "web.listen", d.cfg.Web.Listen)
	}
	if page != nil {
		wctx, stopWeb := context.WithCancel(context.Background())
		defer stopWeb()
		// The page is a convenience: a busy port must not keep the valves from working.
		if addr, err := httpserve.Serve(wctx, d.cfg.Web.Listen, page, d.log); err != nil {
			d.log.Error("no web page", "web.listen", d.cfg.Web.Listen, "err", err)
		} else {
			d.log.Info("web page", "url", "http://"+addr+"/")
		}
	}
	if d.cfg.Metrics.Listen != "" {
		mctx, stopMetrics := context.WithCancel(context.Background())
		defer stopMetrics()
		if _, err := mets.Serve(mctx, d.cfg.Metrics.Listen, d.log); err != nil {
			return fmt.Errorf("metrics.listen %s: %w", d.cfg.Metrics.Listen, err)
		}
	}
	healthOf := d.healthReader(brk, started, probs)
	svcOpts.System.Health = healthOf
	if d.cfg.Health.Interval > 0 {
		rep.health = func() []byte {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			return mustJSON(healthOf(ctx))
		}
	}
	if d.opts.Ready != nil {
		addr := ""
		if brk != nil {
			addr = brk.Addr()
		}
		d.opts.Ready(addr)
	}

	inbox := make(chan link.Message, inboxSize)
	pubCtx, stopPub := context.WithCancel(context.Background())
	linkOpts.ClientID = d.cfg.MQTT.ClientID
	linkOpts.Keepalive = d.cfg.MQTT.Keepalive
	linkOpts.Will, linkOpts.WillPayload = d.topics.Status(), topics.Offline
	linkOpts.Filters = []string{d.topics.ZoneSetFilter(), d.topics.RequestFilter(), d.topics.ProfileSet(),
		d.topics.AutoSet(), d.topics.DurationSetFilter(), d.topics.WaterLevelSet(), d.topics.PauseSet()}
	birth := ""
	if d.cfg.HomeAssistant.Enabled {
		birth = topics.HABirth(d.cfg.HomeAssistant.Prefix)
		linkOpts.Filters = append(linkOpts.Filters, birth)
	}
	linkOpts.Inbox = inbox
	linkOpts.Log = d.log.With("component", "mqtt")
	linkOpts.OnUp = func() {
		rep.resync()
		rep.online()
	}
	var l mqttLink
	if brk != nil {
		l = link.NewInline(brk, linkOpts)
	} else {
		l = link.New(linkOpts)
	}
	rep.pub = l
	meter, err := d.openFlow(driver, v, l, fw)
	if err != nil {
		stopPub()
		return err
	}
	if meter != nil {
		defer meter.Close()
	}

	svcOpts.SaveDefault = state.saveDefault
	w := &worker{topics: d.topics, svc: serve.New(svcOpts), pub: l, rep: rep, log: d.log, clock: d.opts.Clock,
		birth: birth, birthDelay: d.cfg.HomeAssistant.BirthDelay, afterReply: stops.afterReply,
		persist: func() error { return errors.Join(state.sync(), hist.Sync()) }}
	var wg sync.WaitGroup
	wg.Go(func() { rep.run(pubCtx) })
	workCtx, stopWork := context.WithCancel(context.Background())
	var workers sync.WaitGroup
	workers.Go(func() { w.run(workCtx, inbox) })
	l.Start()
	stopClockWait := func() {}
	switch {
	case sched != nil && clockOK:
		sched.Start()
	case sched != nil:
		stopClockWait = d.whenClockTrusted(state.lastKnown(), probs, func() {
			d.log.Info("the clock can be trusted again; the schedule starts")
			sched.Start()
		})
	}
	d.log.Info("agent running", "version", Version, "relays", driver, "zones", len(zones), "state_dir", d.cfg.State.Dir)

	stopHealth := d.publishHealth(l, healthOf)
	mets.Watch(d.metricSources(v, l, brk))

	<-ctx.Done()
	d.log.Info("agent stopping")
	stopHealth()
	stopClockWait()
	stopWork()
	workers.Wait() // a reply in the making goes out before the agent says offline
	if sched != nil {
		sched.Stop()
	}
	v.Stop()
	if err := v.Reset(topics.SourceShutdown); err != nil {
		d.log.Error("relays: switching off at shutdown", "err", err)
	}
	rep.flush()
	if err := l.Close(shutdownTimeout); err != nil {
		d.log.Warn("mqtt: could not say offline", "err", err)
	}
	stopPub()
	wg.Wait()
	d.log.Info("agent stopped")
	return stops.rebootIfAsked()
}

// AllOff opens the configured relays, which drives every line off, and releases them again
// driven off. A service manager runs it after the agent stops, whatever way it stopped, since
// a Raspberry Pi kernel keeps a released output at its last level. It fails unless it drove
// real lines: simulated relays switch no valve off.
func AllOff(cfg config.Config, log *slog.Logger) error {
	d := &Daemon{cfg: cfg, log: log}
	bank, driver, err := d.openRelays()
	if err != nil {
		return err
	}
	if err := bank.Close(); err != nil {
		return err
	}
	if driver != relay.DriverGPIO {
		return fmt.Errorf("no real relay was switched off: the relays here are %s (relays.driver %s)", driver, cfg.Relays.Driver)
	}
	log.Info("every relay switched off", "relays", driver, "zones", len(cfg.Zones))
	return nil
}

// applyDefaults gives the zones the default runs changed at run time.
func applyDefaults(v *valves.Controller, st *state) error {
	var errs []error
	for zone, secs := range st.defaults() {
		id, err := strconv.Atoi(zone)
		if err == nil {
			err = v.SetDefault(id, time.Duration(secs*float64(time.Second)))
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// discoveryModel returns what Home Assistant discovery is built from, now: the profile names
// change on reload.
func (d *Daemon) discoveryModel(v *valves.Controller, sched *scheduler.Engine, sens *sensorSet) func() discovery.Model {
	return func() discovery.Model {
		m := discovery.Model{Topics: d.topics, Prefix: d.cfg.HomeAssistant.Prefix, Device: d.cfg.HomeAssistant.Device, Version: Version}
		for _, z := range v.Zones() {
			if z.ID != d.cfg.Safety.MasterZone {
				m.Zones = append(m.Zones, discovery.Zone{ID: z.ID, Name: z.Name, MaxMinutes: z.MaxDuration.Minutes()})
			}
		}
		if sched != nil {
			m.Profiles = sched.Names()
		}
		m.Sensors = sens.names()
		m.Flow = d.cfg.Flow.PulsesPerLitre > 0
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
func (d *Daemon) openSchedule(v *valves.Controller, st *state, loc *time.Location, changed func(), hold func(zone int) string,
	closedByHand func(zone int, since time.Time) bool) (*scheduler.Engine, error) {
	if d.cfg.Schedule.File == "" {
		d.log.Info("no schedule: schedule.file is empty")
		return nil, nil
	}
	zones, names := schedule.Zones{}, map[int]string{}
	for _, z := range d.cfg.Zones {
		names[z.ID] = z.Name
		if z.ID != d.cfg.Safety.MasterZone {
			zones[z.ID] = z.MaxDuration
		}
	}
	var site *schedule.Site
	if d.cfg.Site.Known() {
		site = &schedule.Site{Latitude: d.cfg.Site.Latitude, Longitude: d.cfg.Site.Longitude}
	}
	return scheduler.New(scheduler.Options{
		Path: d.cfg.Schedule.File, Zones: zones, Names: names, Site: site, Location: loc, Clock: d.opts.Clock, Valves: v,
		Log: d.log.With("component", "schedule"), Resume: d.cfg.Schedule.Resume,
		State: st.schedule(), Save: st.saveSchedule, OnChange: changed, Hold: hold, MinRun: d.cfg.Schedule.MinRun, ClosedByHand: closedByHand,
		PausedUntil: v.PausedUntil,
	})
}

func (d *Daemon) openRelays() (relay.Bank, string, error) {
	if d.opts.Relays != nil {
		return d.opts.Relays, "injected", nil
	}
	return relay.Open(relay.Config{
		Driver: d.cfg.Relays.Driver, Chip: d.cfg.Relays.Chip, ActiveLow: d.cfg.Relays.ActiveLow,
		Lines: d.cfg.RelayLines(),
	}, d.log.With("component", "relays"))
}

func (d *Daemon) info(v *valves.Controller, driver string, started time.Time) topics.Info {
	info := topics.Info{Agent: d.cfg.Agent.ID, Version: Version, StartedAt: topics.Time{Time: started}, Relays: driver}
	for _, z := range v.Zones() {
		info.Zones = append(info.Zones, topics.ZoneInfo{
			Zone: z.ID, Name: z.Name, Line: z.Line, Pin: relay.HeaderPin(z.Line),
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

func (b countErrors) Set(i int, on bool) error {
	err := b.Bank.Set(i, on)
	if err != nil {
		b.failed()
	}
	return err
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
	return topics.RunRecord{Zone: r.Zone, Source: r.Source, Outcome: topics.ReasonPowerLoss,
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
