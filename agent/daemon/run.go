package daemon

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"sprinkler/agent/config"
	"sprinkler/agent/history"
	"sprinkler/agent/httpserve"
	"sprinkler/agent/intake"
	"sprinkler/agent/link"
	"sprinkler/agent/metrics"
	"sprinkler/agent/netvalve"
	"sprinkler/agent/problems"
	"sprinkler/agent/programs"
	"sprinkler/agent/relay"
	"sprinkler/agent/scheduler"
	"sprinkler/agent/sensors"
	"sprinkler/agent/serve"
	"sprinkler/agent/valves"
	"sprinkler/agent/versions"
	"sprinkler/agent/weather"
	"sprinkler/agent/web"
	"sprinkler/agent/zones"
	"sprinkler/broker/server"
	"sprinkler/httplimit"
	"sprinkler/statefile"
	"sprinkler/tally"
	"sprinkler/topics"
	"sprinkler/version"
)

// Run runs the agent until ctx ends or a shutdown request, then turns every relay off, says
// offline and returns; after a reboot request it then runs the reboot command. It opens the
// agent's parts in order and closes them in the reverse order, whatever happens.
func (d *Daemon) Run(parent context.Context) (err error) {
	ctx, stop := context.WithCancel(parent)
	defer stop()
	a := &run{d: d, started: d.opts.Clock.Now(), root: context.WithoutCancel(parent), zones: zones.New(d.cfg),
		stops: &stopper{cancel: stop, reboot: d.cfg.System.RebootCommand, log: d.log}}
	defer func() { err = errors.Join(err, a.close()) }()
	if err := a.open(); err != nil {
		return err
	}
	d.log.Info("agent running", "version", version.Version, "relays", a.driver, "zones", len(d.cfg.Zones), "state_dir", d.cfg.State.Dir)
	<-ctx.Done()
	d.log.Info("agent stopping")
	if err := a.close(); err != nil {
		return err
	}
	d.log.Info("agent stopped")
	return a.stops.rebootIfAsked()
}

// run is one run of the agent: its parts, and how to close them.
type run struct {
	d       *Daemon
	started time.Time
	root    context.Context // every goroutine's, cancelled by its part's closer
	stops   *stopper
	closers []func() error // in the order the parts opened

	zones *zones.Model   // the zones' and the site's settings in force
	loc   *time.Location // agent.timezone: where the schedule and "today" are
	bank  relay.Bank
	net   *netvalve.Bank // the valves on the network; nil for none
	// netResume is what an interruption left of the network valves' runs, resumed at the
	// link's first connect.
	netResume valves.Saved
	driver    string
	mets      *metrics.Metrics
	state     *state
	notes     []string // what the state's reading found wrong
	hist      *history.Store
	fw        *sensors.ZoneFlow
	v         *valves.Controller
	probs     *problems.Set
	clockOK   atomic.Bool // the clock can be trusted: the schedule runs, and the saved time follows it
	offOnce   sync.Once   // switchOff
	offErr    error
	rep       *reporter
	sens      *sensors.Set
	sched     *scheduler.Engine
	wx        *weather.Engine
	feeds     map[string]func(payload []byte, retained bool) error // by topic: weather inputs and sensors on topics
	svc       serve.Options
	brk       *server.Broker
	page      http.Handler
	healthOf  func(context.Context) topics.Health
}

// open opens the agent's parts, each given what the parts before it made: the order is the
// data's (the broker's ACL needs the input topics the schedule's sensors and weather read).
func (a *run) open() error {
	for _, open := range []func() error{a.openRelays, a.openStore, a.openValves} {
		if err := open(); err != nil {
			return err
		}
	}
	inputs, err := a.openSchedule()
	if err != nil {
		return err
	}
	if err := a.openBroker(inputs); err != nil {
		return err
	}
	if err := a.openServers(); err != nil {
		return err
	}
	return a.openLink()
}

// onClose registers what closes the part just opened.
func (a *run) onClose(fn func() error) { a.closers = append(a.closers, fn) }

// close closes every part opened, the last first; a second call does nothing.
func (a *run) close() error {
	var errs []error
	for len(a.closers) > 0 {
		fn := a.closers[len(a.closers)-1]
		a.closers = a.closers[:len(a.closers)-1]
		errs = append(errs, fn())
	}
	return errors.Join(errs...)
}

// goroutine runs fn until its closer cancels its context and waits for it.
func (a *run) goroutine(fn func(context.Context)) {
	ctx, cancel := context.WithCancel(a.root)
	var wg sync.WaitGroup
	wg.Go(func() { fn(ctx) })
	a.onClose(func() error { cancel(); wg.Wait(); return nil })
}

// openRelays opens the relays, every one driven off.
func (a *run) openRelays() error {
	d := a.d
	if err := os.MkdirAll(d.cfg.State.Dir, 0o700); err != nil {
		return fmt.Errorf("state.dir: %w", err)
	}
	a.net = d.netValves()
	bank, driver, err := d.openRelays(a.net)
	if err != nil {
		return err
	}
	a.mets = metrics.New()
	a.bank, a.driver = countErrors{bank, a.mets.RelayError}, driver
	a.onClose(func() error {
		if err := a.bank.Close(); err != nil {
			d.log.Error("relays: close", "err", err)
			return err
		}
		return nil
	})
	return nil
}

// openStore reads the state document and the history; each is written by a goroutine of its
// own, closed after everything else so that the shutdown's changes are on disk.
func (a *run) openStore() error {
	d := a.d
	a.state, a.notes = openState(filepath.Join(d.cfg.State.Dir, stateFile), d.opts.Clock, d.log)
	hist, err := history.Open(filepath.Join(d.cfg.State.Dir, history.File), d.cfg.History.Retention, a.started, d.log)
	if err != nil {
		return err
	}
	a.hist = hist
	a.goroutine(a.state.run)
	a.goroutine(hist.Run)
	return nil
}

// switchOff stops the governor and switches every relay off, once: before the agent says
// offline when its link opened, else when the start is undone.
func (a *run) switchOff() error {
	a.offOnce.Do(func() {
		a.v.Stop()
		a.offErr = a.v.Reset(topics.SourceShutdown)
	})
	return a.offErr
}

// openValves starts the safety governor: every relay off first, whatever follows; then the
// problems the state and the clock have, and what an interruption left to take up.
func (a *run) openValves() error {
	d := a.d
	expected := map[int]float64{}
	for _, z := range d.cfg.Zones {
		expected[z.ID] = z.ExpectedLPM
	}
	a.fw = sensors.NewZoneFlow(d.cfg.Flow.HighFactor, d.cfg.Flow.LowFactor, expected)
	var err error
	if a.loc, err = d.cfg.Location(); err != nil {
		return err
	}
	o := valves.Options{Limits: d.cfg.ValveLimits(), Persist: a.state.saveRuns, Ended: a.ended, Location: a.loc}
	if a.net != nil {
		o.Link = a.net.Link
	}
	a.v = valves.New(d.cfg.Agent.ID, d.cfg.ValveZones(), a.bank, d.opts.Clock, d.log, o)
	if n := a.state.maxOpen(); n > 0 && n < d.cfg.Safety.MaxOpen { // lowered at run time
		if err := a.v.SetMaxOpen(n); err != nil {
			return err
		}
	}
	interrupted := a.state.runs()
	if err := a.v.Reset(topics.SourceStartup); err != nil {
		return fmt.Errorf("relays: switching off at start-up: %w", err)
	}
	a.onClose(a.switchOff)
	a.probs = &problems.Set{
		Raised: func(_, text string) {
			d.log.Error("problem: " + text)
			a.v.AddEvent(topics.Event{Type: topics.EventProblem, Source: topics.SourceStartup, Message: text})
		},
		Cleared: func(_, text string) {
			d.log.Info("problem cleared: " + text)
			a.v.AddEvent(topics.Event{Type: topics.EventProblemCleared, Message: text})
		},
	}
	if len(a.notes) > 0 {
		a.probs.Raise(problemStateRead, "the saved state was damaged: "+strings.Join(a.notes, "; "))
	}
	a.state.probs = a.probs
	_ = a.state.save() // a state that cannot be saved is a problem raised, not a reason to stop
	clockOK, resume := d.checkClock(a.started, a.state.lastKnown(), a.probs)
	a.clockOK.Store(clockOK)
	if clockOK {
		a.state.trustClock()
	}
	for _, r := range interrupted.Runs {
		if !r.Queued {
			a.record(powerLoss(r, a.started))
		}
	}
	a.v.Start()
	switch n := len(interrupted.Runs); {
	case n > 0 && !resume:
		d.log.Warn("the agent did not stop cleanly, but the clock cannot be trusted: nothing resumes", "runs", n)
	case n > 0:
		d.log.Warn("the agent did not stop cleanly; resuming what is left of its runs and its queue", "runs", n)
		now, later := a.splitNetworkRuns(interrupted)
		a.v.Resume(now)
		a.netResume = later
	}
	return nil
}

// splitNetworkRuns parts what an interruption left: the runs of network valves wait for the
// link, which is not up yet (their valves still water by their own timers), the rest resumes
// at once.
func (a *run) splitNetworkRuns(st valves.Saved) (now, later valves.Saved) {
	now.PausedUntil = st.PausedUntil
	network := map[int]bool{}
	for _, z := range a.v.Zones() {
		network[z.ID] = z.Device != ""
	}
	for _, r := range st.Runs {
		if network[r.Zone] {
			later.Runs = append(later.Runs, r)
		} else {
			now.Runs = append(now.Runs, r)
		}
	}
	return now, later
}

// defaultsAtStart settles where each zone's default run comes from, by one rule: the
// configuration file is its home, and the state keeps one only for an agent without a file.
// With a file, a default the state kept (an older agent's duration topic) that the file does
// not say is told, once (a WARN and a zone_changed event), and let go: a hand edit of the file
// is never masked in silence.
func (a *run) defaultsAtStart() {
	kept := a.state.defaults()
	if len(kept) == 0 {
		return
	}
	for zone, secs := range kept {
		id, err := strconv.Atoi(zone)
		d := time.Duration(secs * float64(time.Second))
		if err != nil {
			continue
		}
		if a.d.cfg.Source == "" {
			if err := a.v.SetDefault(id, d); err != nil {
				a.d.log.Warn("a saved default run no longer fits its zone; using the configured one", "zone", id, "err", err)
			}
			continue
		}
		if i := slices.IndexFunc(a.d.cfg.Zones, func(z config.Zone) bool { return z.ID == id }); i >= 0 && a.d.cfg.Zones[i].DefaultDuration != d {
			zc := a.d.cfg.Zones[i]
			msg := fmt.Sprintf("default run %v from the configuration file, not the %v its duration topic once set: the file is its one home", zc.DefaultDuration, d)
			a.d.log.Warn("zone "+zone+": "+msg, "file", a.d.cfg.Source)
			a.v.AddEvent(topics.Event{Type: topics.EventZoneChanged, Zone: id, Source: topics.SourceStartup, Message: msg})
		}
	}
	if a.d.cfg.Source != "" {
		if err := a.state.clearDefaults(); err != nil {
			a.d.log.Warn("the state's default runs could not be let go", "err", err)
		}
	}
}

// record keeps a run that ended: the history and the metrics.
func (a *run) record(r topics.RunRecord) { a.hist.Add(r); a.mets.RunEnded(r) }

// ended is the governor's report of a run that ended, with the litres of a flow meter.
func (a *run) ended(r topics.RunRecord) {
	if a.d.cfg.Flow.PulsesPerLitre > 0 {
		litres := a.fw.Ended(r.Zone)
		r.Litres = &litres
	}
	a.record(r)
}

// openSchedule opens the sensors and the schedule, and the publisher of their states.
func (a *run) openSchedule() (inputs []string, err error) {
	d, loc := a.d, a.loc
	a.rep = newReporter(d.topics, a.v, func() topics.Info { return d.info(a.v, a.driver, a.started) }, d.log)
	a.feeds = map[string]func([]byte, bool) error{}
	a.sens, err = d.openSensors(a.driver, a.feeds, func(name, what string) {
		d.log.Info("sensor "+what, "sensor", name)
		a.v.AddEvent(topics.Event{Type: topics.EventSensor, Source: name, Message: "sensor " + name + " " + what})
	})
	if err != nil {
		return nil, err
	}
	a.onClose(func() error { a.sens.Close(); return nil })
	a.rep.sensors = a.sens
	closedByHand := func(zone int, since time.Time) bool {
		return slices.ContainsFunc(a.hist.Runs(zone, since), func(r topics.RunRecord) bool { return r.Outcome == topics.ReasonClosed })
	}
	hold := func(zone int) string { // why a scheduled run of zone must not start now
		if a.v.Disabled(zone) {
			return "the zone is disabled"
		}
		if !a.clockOK.Load() {
			return "the clock is behind the saved state and not synchronised: scheduled runs wait until it is"
		}
		return a.sens.Hold(zone)
	}
	if err := a.openWeather(); err != nil { // before the schedule, which asks it of each window
		return nil, err
	}
	var wx scheduler.Weather
	if a.wx != nil {
		wx = a.wx
	}
	if a.sched, err = d.openSchedule(a.zones, a.v, a.state, loc, a.rep.nudge, hold, closedByHand, wx); err != nil {
		return nil, err
	}
	a.rep.sched = a.sched
	a.defaultsAtStart()
	if d.cfg.HomeAssistant.Enabled {
		a.rep.announce = &announcer{model: d.discoveryModel(a.v, a.sched, a.sens, a.zones.Balanced), st: a.state, log: d.log.With("component", "discovery")}
	}
	a.svc = serve.Options{Valves: a.v, Schedule: a.sched, Clock: d.opts.Clock, Location: loc, Version: version.Version, History: a.hist,
		Blocked: a.sens.BlockManual, Sensors: a.sens.States, Log: d.log,
		System: serve.System{Shutdown: a.shutdownRequested}}
	a.svc.Settings = &settingsEditor{a: a, versions: versions.New(d.cfg.Source, filepath.Join(d.cfg.State.Dir, "config-versions"), d.opts.Clock.Now)}
	a.svc.MaxOpenLimit = d.cfg.Safety.MaxOpen
	if a.sched != nil {
		a.svc.Programs = programs.New(d.cfg.Schedule.File, filepath.Join(d.cfg.State.Dir, "programs"), a.zones, d.opts.Clock.Now)
		a.svc.Announce = a.rep.resync
	}
	if d.opts.Logs != nil {
		a.svc.System.Logs = d.opts.Logs
	}
	if a.wx != nil {
		a.svc.Weather = a.wx
	}
	return a.inputTopics(), nil
}

// inputTopics are the topics the sensors and the weather read outside the agent's tree.
func (a *run) inputTopics() []string {
	var out []string
	for t := range a.feeds {
		if !strings.HasPrefix(t, a.d.cfg.MQTT.Prefix+"/") {
			out = append(out, t)
		}
	}
	slices.Sort(out)
	return out
}

// stateKeeper keeps a document in a file of the state folder, written crash-safe.
type stateKeeper string

func (k stateKeeper) Load(format int, v any) error {
	_, err := statefile.Read(string(k), format, v)
	return err
}
func (k stateKeeper) Save(format int, v any) error { return statefile.Write(string(k), format, v) }

// signIn is the page's sign-in: the broker checks the password and makes the token.
func (a *run) signIn(user, password string) (topics.SignIn, error) {
	token, role, expires, err := a.brk.SignIn(user, password)
	return topics.SignIn{User: user, Role: role, Token: token, Expires: topics.Time{Time: expires}}, err
}

// shutdownRequested is the shutdown and reboot requests' callback.
func (a *run) shutdownRequested(reboot bool, by string) error {
	if err := a.stops.request(reboot, by); err != nil {
		return err
	}
	msg := "shutdown requested"
	if reboot {
		msg = "reboot requested"
	}
	a.v.AddEvent(topics.Event{Type: topics.EventShutdown, Source: by, Message: msg})
	return nil
}

// openBroker starts the embedded broker, when configured, with the web page's WebSocket;
// inputs are the topics outside the agent's tree it reads (inputTopics), which operators and
// Home Assistant may publish.
func (a *run) openBroker(inputs []string) error {
	d := a.d
	if !d.cfg.Broker.Embedded {
		if d.cfg.Web.Listen != "" {
			d.log.Warn("no web page: it needs the embedded broker", "web.listen", d.cfg.Web.Listen)
		}
		return nil
	}
	bcfg := d.cfg.Broker
	bcfg.Prefix = d.cfg.MQTT.Prefix // the ACL protects the agent's own topics
	bcfg.Presence = d.topics.Clients()
	bcfg.Agent = d.cfg.Agent.ID
	bcfg.HomeAssistant = d.cfg.HomeAssistant.Prefix
	bcfg.Inputs = append(slices.Clone(bcfg.Inputs), inputs...)
	bcfg.Devices = append(slices.Clone(bcfg.Devices), d.cfg.DeviceTrees()...)
	if d.cfg.Web.Listen != "" {
		bcfg.SignIns, bcfg.SignInFor = stateKeeper(filepath.Join(d.cfg.State.Dir, "signins.json")), d.cfg.Web.SignInFor
	}
	a.brk = server.New(bcfg, d.log.With("component", "broker"))
	if d.cfg.Metrics.Listen != "" {
		a.brk.Reserve(httplimit.Total)
	}
	if d.cfg.Web.Listen != "" {
		a.page = web.Handler(web.Options{Prefix: d.cfg.MQTT.Prefix, Agent: d.cfg.Agent.ID,
			MQTT: a.brk.WebsocketHandler("web", d.cfg.Web.Hosts), SignIn: a.signIn, SignOut: a.brk.SignOut})
	}
	if err := a.brk.Start(); err != nil {
		return err
	}
	a.onClose(a.brk.Close)
	a.svc.Clients = a.brk.Clients
	a.svc.Users = a.brk
	a.svc.System.Broker = "mochi-mqtt " + mqttVersion
	return nil
}

// openServers starts the web page and the metrics endpoint, and says the agent is ready.
func (a *run) openServers() error {
	d := a.d
	if a.page != nil {
		// The page is a convenience: a busy port must not keep the valves from working.
		serve := func() (*httpserve.Server, error) {
			if w := d.cfg.Web; w.Cert != "" {
				return httpserve.ServeTLS(w.Listen, w.Cert, w.Key, a.page, w.Hosts, d.log)
			}
			return httpserve.Serve(d.cfg.Web.Listen, a.page, d.cfg.Web.Hosts, d.log)
		}
		if s, err := serve(); err != nil {
			d.log.Error("no web page", "web.listen", d.cfg.Web.Listen, "err", err)
		} else {
			a.onClose(s.Close)
			d.log.Info("web page", "url", s.URL())
		}
	}
	if d.cfg.Metrics.Listen != "" {
		s, err := a.mets.Serve(d.cfg.Metrics.Listen, d.cfg.Web.Hosts, d.log)
		if err != nil {
			return fmt.Errorf("metrics.listen %s: %w", d.cfg.Metrics.Listen, err)
		}
		a.onClose(s.Close)
	}
	a.healthOf = d.healthReader(a.brk, a.started, a.probs)
	a.svc.System.Health = a.healthOf
	if d.cfg.Health.Interval > 0 {
		a.rep.health = func() []byte {
			ctx, cancel := context.WithTimeout(a.root, 3*time.Second)
			defer cancel()
			return mustJSON(a.healthOf(ctx))
		}
	}
	if d.opts.Ready != nil {
		addr := ""
		if a.brk != nil {
			addr = a.brk.Addr()
		}
		d.opts.Ready(addr)
	}
	return nil
}

// problemSubscription is the key of the problem of subscriptions the broker refused.
const problemSubscription = "subscription"

// openLink connects to the broker and starts serving commands and the schedule. Its closer is
// the agent's goodbye: no more commands, the schedule stopped, every relay off, the last states
// out, then offline.
func (a *run) openLink() error {
	d := a.d
	o, err := d.linkOptions(a.rep)
	if err != nil {
		return err
	}
	if a.net != nil { // after the broker's ACL took the inputs: an operator publishes no device's state
		ids := a.v.AllIDs()
		key := func(i int) string { return fmt.Sprintf("device-%d", ids[i]) } // a problem a zone
		a.net.Notify(netvalve.Events{Lost: a.v.Lost, Changed: a.rep.nudge,
			Down: func(i int, msg string) { a.probs.Raise(key(i), fmt.Sprintf("zone %d: %s", ids[i], msg)) },
			Up:   func(i int, _ string) { a.probs.Clear(key(i)) },
			Told: func(i int, msg string) {
				a.v.AddEvent(topics.Event{Type: topics.EventDevice, Zone: ids[i], Source: topics.SourceDevice, Message: msg})
			}})
		for _, t := range a.net.Topics() {
			addFeed(a.feeds, t, func(payload []byte, _ bool) error { return a.net.Feed(t, payload) })
		}
		up := o.OnUp
		var first sync.Once
		o.OnUp = func() {
			first.Do(func() {
				if len(a.netResume.Runs) > 0 {
					a.v.Resume(a.netResume) // before Sync, which would send their valves off
				}
			})
			a.net.Sync()
			up()
		}
	}
	for t := range a.feeds {
		o.Filters = append(o.Filters, t)
	}
	o.Refused = func(filters []string) {
		if len(filters) == 0 {
			a.probs.Clear(problemSubscription)
			return
		}
		a.probs.Raise(problemSubscription, fmt.Sprintf("the broker refused the agent's subscription to %s: nothing sent there reaches the agent "+
			"(a weather input, a sensor or a network valve is never heard); its ACL must let the agent's user read it (broker.inputs or broker.devices on sprinkler-broker)",
			strings.Join(filters, ", ")))
	}
	in := intake.New(func(topic string) bool { _, ok := a.feeds[topic]; return ok })
	o.Inbox = in
	var l mqttLink
	if a.brk != nil {
		l = link.NewInline(a.brk, o)
	} else {
		l = link.New(o)
	}
	a.rep.pub = l
	if a.net != nil {
		a.net.Attach(l)
	}
	meter, err := d.openFlow(a.driver, a.v, a.rep.post, a.fw)
	if err != nil {
		return err
	}
	if meter != nil {
		a.onClose(func() error { meter.Close(); return nil })
	}
	a.goroutine(a.rep.run)
	w := &worker{topics: d.topics, svc: serve.New(a.svc), pub: l, rep: a.rep, event: a.v.AddEvent, log: d.log, clock: d.opts.Clock,
		birth: birthTopic(d.cfg), birthDelay: d.cfg.HomeAssistant.BirthDelay, afterReply: a.stops.afterReply,
		persist: func() error { return errors.Join(a.state.sync(), a.hist.Sync()) }, feeds: a.feeds,
		tally: tally.New(d.log, time.Minute)}
	workCtx, stopWork := context.WithCancel(a.root)
	var working sync.WaitGroup
	working.Go(func() { w.run(workCtx, in) })
	working.Go(func() { w.answerRefusals(workCtx, in) })
	l.Start()
	stopClockWait := a.startSchedule()
	stopHealth := d.publishHealth(a.rep.post, a.healthOf)
	stopBalances := d.every(balancesEvery, a.publishWeather)
	a.mets.Watch(d.metricSources(a.v, l, a.brk))
	a.onClose(func() error {
		stopHealth()
		stopBalances()
		stopClockWait()
		stopWork()
		working.Wait() // a reply in the making goes out before the agent says offline
		w.tally.Flush()
		if a.sched != nil {
			a.sched.Stop()
		}
		if err := a.switchOff(); err != nil {
			d.log.Error("relays: switching off at shutdown", "err", err)
		}
		a.rep.flush()
		if err := l.Close(shutdownTimeout); err != nil {
			d.log.Warn("mqtt: could not say offline", "err", err)
		}
		return nil
	})
	return nil
}

// startSchedule starts the schedule, or, on a clock that cannot be trusted, once it can be.
func (a *run) startSchedule() (stop func()) {
	start := func() {
		if a.wx != nil {
			a.wx.Start() // first: today's level before the first window
		}
		if a.sched != nil {
			a.sched.Start()
		}
	}
	switch {
	case a.sched == nil && a.wx == nil:
		return func() {}
	case a.clockOK.Load():
		start()
		return func() {}
	}
	return a.d.whenClockTrusted(a.state.lastKnown(), a.probs, func() {
		a.d.log.Info("the clock can be trusted again; the schedule starts")
		a.clockOK.Store(true)
		a.state.trustClock()
		start()
	})
}

// linkOptions are the MQTT link's options: credentials, presence, the command topics, and
// rep's resync on every connect.
func (d *Daemon) linkOptions(rep *reporter) (link.Options, error) {
	o, err := d.linkCredentials()
	if err != nil {
		return o, err
	}
	o.ClientID = d.cfg.MQTT.ClientID
	o.Keepalive = d.cfg.MQTT.Keepalive
	o.Will, o.WillPayload = d.topics.Status(), topics.Offline
	o.Filters = d.topics.CommandFilters()
	if birth := birthTopic(d.cfg); birth != "" {
		o.Filters = append(o.Filters, birth)
	}
	o.Log = d.log.With("component", "mqtt")
	o.OnUp = func() {
		rep.resync()
		rep.online()
	}
	return o, nil
}

// birthTopic is Home Assistant's status topic the agent answers, or "" without discovery.
func birthTopic(cfg config.Config) string {
	if !cfg.HomeAssistant.Enabled {
		return ""
	}
	return topics.HABirth(cfg.HomeAssistant.Prefix)
}
