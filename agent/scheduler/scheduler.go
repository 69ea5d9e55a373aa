// Package scheduler runs the watering schedule against the clock. It computes the next window
// start and sleeps until it with a timer, never polling; at a start it asks the safety governor
// for a run that lasts to the end of the (merged) window. It keeps the active profile, whether
// automatic runs are on, and a rain delay, all of which survive restarts.
package scheduler

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"sprinkler/agent/clock"
	"sprinkler/agent/schedule"
	"sprinkler/topics"
)

// Valves is what the scheduler needs of the safety governor.
type Valves interface {
	StartScheduled(zone int, d time.Duration, source string) (bool, error)
	CloseScheduled(source string) ([]int, error)
	ScheduledRuns() []int
	AddEvent(e topics.Event)
}

// State is what the scheduler keeps across restarts.
type State struct {
	Profile        string    `json:"profile,omitempty"`
	Auto           *bool     `json:"auto,omitempty"` // nil: on
	RainDelayUntil time.Time `json:"rain_delay_until,omitzero"`
	WaterLevel     *int      `json:"water_level,omitempty"` // percent set by hand; nil: 100
	// LevelSetAt is when the water level was set by hand: a decision of the weather made
	// after it is in force instead.
	LevelSetAt time.Time `json:"level_set_at,omitzero"`
	Skips      []Skip    `json:"skips,omitempty"`
}

// Weather is what the schedule asks of the weather, once per window of a zone that follows
// the water level: its decision for the window's local date (YYYY-MM-DD), when it made one
// (the level it sets, why the day's runs are skipped, when it was made). The decision is kept
// where the weather keeps it, and nowhere else.
//
// Advise answers for a run of a zone at a time: why none that follows the weather may start
// then (rain, a forecast, wind, frost), and, for a zone that keeps a water balance, how long it
// should run to refill its soil (then the level does not scale it).
type Weather interface {
	Decision(date string) (topics.WeatherDay, bool)
	Advise(zone int, at time.Time) topics.WindowAdvice
}

// Skip marks scheduled runs of a zone not to start: the one starting at Start, or with Day
// every one of that local date (YYYY-MM-DD).
type Skip struct {
	Zone  int       `json:"zone"`
	Start time.Time `json:"start,omitzero"`
	Day   string    `json:"day,omitempty"`
	By    string    `json:"by,omitempty"`
}

// Zones are the zones' settings in force, read at each use: a change is in force from the
// next window on. Calls hold the engine's lock, so they must not call back into it.
type Zones interface {
	// ScheduleEnv is what the profile file is checked against: the zones a profile may
	// water, with their longest runs, and where the garden is, for sunrise and sunset.
	ScheduleEnv() schedule.Env
	Name(zone int) string
	FollowsLevel(zone int) bool   // the zone's runs follow the water level
	PlantFactor(zone int) float64 // scales the water level for the zone's plants
}

// Options configure an Engine.
type Options struct {
	Path     string // the profile file
	Zones    Zones  // the zones' settings in force
	Location *time.Location
	Clock    clock.Clock
	Valves   Valves
	Log      *slog.Logger
	Resume   bool // after a restart inside a window, water what is left of it
	// ClosedByHand reports whether someone closed zone since a time: a window they closed is
	// not resumed after a restart. Nil: nobody did.
	ClosedByHand func(zone int, since time.Time) bool
	State        State
	Save         func(State) error // persists State after every change
	OnChange     func()            // called after the profile, automatic runs or rain delay changed
	// Hold, when set, says why zone must not start a scheduled run now (an active rain
	// sensor, say), or "" when it may.
	Hold func(zone int) string
	// PausedUntil, when set, gives the end of a pause of the valves (zero: none), for the
	// preview: a window that starts in a pause waits for its end.
	PausedUntil func() time.Time
	// MinRun is the shortest run the water level may scale a window to; shorter ones are
	// skipped.
	MinRun time.Duration
	// Weather, when set, decides the water level and the rain skips of each day (Weather).
	Weather Weather
}

// longestSleep bounds the timer, so that a step of the wall clock (a Pi has no RTC, and NTP
// sets the time after boot) is noticed within a minute.
const longestSleep = time.Minute

// horizon is how far ahead the engine looks for the next start first; every weekday program
// repeats within a week. Beyond it, upcoming looks up to farHorizon ahead (a date once a
// year, every 366 days).
const (
	horizon    = 8 * 24 * time.Hour
	farHorizon = 367 * 24 * time.Hour
)

// Engine runs the schedule. It is safe for concurrent use.
type Engine struct {
	o Options

	mu        sync.Mutex
	file      *schedule.File
	active    *schedule.Profile
	auto      bool
	rainTill  time.Time
	handLevel int       // water level set by hand, percent
	levelAt   time.Time // when
	skips     []Skip
	lastEval  time.Time
	timer     clock.Timer
	running   bool
}

// New loads the profile file and returns an engine that has not started. A bad file is an
// error naming file, line, profile, zone and field.
func New(o Options) (*Engine, error) {
	f, err := schedule.Load(o.Path, o.Zones.ScheduleEnv())
	if err != nil {
		return nil, err
	}
	e := &Engine{o: o, file: f, auto: o.State.Auto == nil || *o.State.Auto, rainTill: o.State.RainDelayUntil, handLevel: 100, levelAt: o.State.LevelSetAt}
	if l := o.State.WaterLevel; l != nil && *l >= 0 && *l <= topics.MaxWaterLevel {
		e.handLevel = *l
	}
	e.skips = slices.Clone(o.State.Skips) // its own: the state document keeps the one it was given
	e.active = e.pick(o.State.Profile)
	return e, nil
}

// pick chooses the active profile after a load: the remembered one if it still exists, else
// the one the file marks, else the first.
func (e *Engine) pick(remembered string) *schedule.Profile {
	if p, ok := e.file.Lookup(remembered); ok && remembered != "" {
		return p
	}
	if remembered != "" {
		e.o.Log.Warn("schedule: the remembered profile is gone from the file", "profile", remembered)
	}
	if p, ok := e.file.Lookup(e.file.Active); ok && e.file.Active != "" {
		return p
	}
	return &e.file.Profiles[0]
}

func source(profile string) string { return topics.SourceSchedule + ":" + profile }

// Start resumes a window in progress (when configured) and arms the timer for the next start.
func (e *Engine) Start() {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.o.Clock.Now()
	e.running = true
	e.lastEval = now
	e.o.Log.Info("schedule running", "file", e.file.Path, "profile", e.active.Name, "auto", e.auto)
	if e.o.Resume {
		for _, w := range e.windows(now, now.Add(time.Second)) {
			if w.Start.Before(now) && w.End.After(now) && e.mayRun(w, now) == "" {
				if e.o.ClosedByHand != nil && e.o.ClosedByHand(w.Zone, w.Start) {
					e.o.Log.Info("schedule: a window in progress was closed by hand before the restart; not resumed", "zone", w.Zone)
					continue
				}
				if ok, _ := e.o.Valves.StartScheduled(w.Zone, w.End.Sub(now), source(w.Profile)); ok {
					e.o.Log.Info("schedule: resumed a window in progress", "zone", w.Zone, "left", w.End.Sub(now).Round(time.Second))
				}
			}
		}
	}
	e.arm(now)
}

// Stop stops the timer.
func (e *Engine) Stop() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.running = false
	if e.timer != nil {
		e.timer.Stop()
		e.timer = nil
	}
}

// arm sets the timer for the next window start, or for longestSleep. Called with mu held.
func (e *Engine) arm(now time.Time) {
	if e.timer != nil {
		e.timer.Stop()
	}
	if !e.running {
		return
	}
	sleep := longestSleep
	for _, w := range e.windows(now, now.Add(longestSleep)) {
		if w.Start.After(now) {
			sleep = min(sleep, w.Start.Sub(now))
			break
		}
	}
	e.timer = e.o.Clock.AfterFunc(sleep, e.tick)
}

// tick starts the windows that began since the last look and are not over.
func (e *Engine) tick() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.running {
		return
	}
	now := e.o.Clock.Now()
	if now.Before(e.lastEval) {
		e.o.Log.Warn("schedule: the clock went back", "by", e.lastEval.Sub(now))
		e.lastEval = now
	}
	for _, w := range e.windows(e.lastEval, now.Add(time.Nanosecond)) {
		if !w.Start.After(e.lastEval) || w.Start.After(now) {
			continue // began before the last look, or not yet
		}
		if why := e.mayRun(w, now); why != "" {
			e.skip(w, now, why)
			continue
		}
		if !w.End.After(now) {
			e.skip(w, now, "the clock jumped past the whole window")
			continue
		}
		lag := now.Sub(w.Start)
		ok, err := e.o.Valves.StartScheduled(w.Zone, w.End.Sub(now), source(w.Profile))
		switch {
		case err != nil:
			e.skip(w, now, err.Error())
		case ok:
			e.o.Log.Info("scheduled run", "zone", w.Zone, "profile", w.Profile, "window", w.Start.In(e.o.Location).Format(time.TimeOnly)+"-"+w.End.In(e.o.Location).Format(time.TimeOnly), "lag", lag)
		}
	}
	e.lastEval = now
	e.arm(now)
}

// windows are the active profile's windows in [from, to), scaled by the water level when the
// profile says so, or sized by the soil's balance and cut into cycles for a slow soil. Called
// with mu held.
func (e *Engine) windows(from, to time.Time) []schedule.Window {
	if !e.active.WaterLevel {
		return e.active.Windows(from, to, e.o.Location)
	}
	var out []schedule.Window
	for _, w := range e.active.Windows(from.Add(-cycleLookback), to, e.o.Location) {
		a := e.ask(w.Zone, w.Start)
		switch pct := e.zoneLevel(w.Zone, w.Start); {
		case a.Balanced && a.Cycle > 0 && a.Run > a.Cycle:
			out = append(out, cycles(w, min(a.Run, e.o.Zones.ScheduleEnv().Zones[w.Zone]), a.Cycle, a.Soak)...)
			continue
		case a.Balanced:
			w.End = w.Start.Add(min(a.Run, e.o.Zones.ScheduleEnv().Zones[w.Zone]))
		case e.o.Zones.FollowsLevel(w.Zone) && pct != 100:
			w.End = w.Start.Add(w.End.Sub(w.Start) * time.Duration(pct) / 100)
		}
		out = append(out, w)
	}
	out = slices.DeleteFunc(out, func(w schedule.Window) bool { return !w.End.After(from) && !w.Start.Equal(from) || !w.Start.Before(to) })
	slices.SortStableFunc(out, func(a, b schedule.Window) int { return a.Start.Compare(b.Start) })
	return out
}

// cycleLookback is how long before a span the runs that may have cycles in it start.
const cycleLookback = 12 * time.Hour

// cycles cuts window w's run of run into cycles of cycle with soak between.
func cycles(w schedule.Window, run, cycle, soak time.Duration) []schedule.Window {
	n := int((run + cycle - 1) / cycle)
	out := make([]schedule.Window, 0, n)
	for k := range n {
		c := w
		c.Start = w.Start.Add(time.Duration(k) * (cycle + soak))
		c.End = c.Start.Add(min(cycle, run-time.Duration(k)*cycle))
		c.Cycle, c.Cycles, c.Of = k+1, n, w.Start
		out = append(out, c)
	}
	return out
}

// start is when the run window w belongs to starts: a cycle's run, or w's.
func start(w schedule.Window) time.Time {
	if w.Cycle > 0 {
		return w.Of
	}
	return w.Start
}

// ask is the weather's advice for a run of zone at t; none without a weather, or for a zone
// that ignores it. Called with mu held.
func (e *Engine) ask(zone int, t time.Time) topics.WindowAdvice {
	if e.o.Weather == nil || !e.o.Zones.FollowsLevel(zone) {
		return topics.WindowAdvice{}
	}
	return e.o.Weather.Advise(zone, t)
}

// level is the water level in force on the local day of t: the weather's decision for the
// day, unless the level was set by hand after it; without one, the level set by hand. Called
// with mu held.
func (e *Engine) level(t time.Time) int {
	if e.o.Weather == nil {
		return e.handLevel
	}
	d, ok := e.o.Weather.Decision(t.In(e.o.Location).Format(time.DateOnly))
	if ok && d.ComputedAt.After(e.levelAt) {
		return d.Level
	}
	return e.handLevel
}

// zoneLevel is the water level for zone on the day of t, scaled by the zone's plant factor.
// Called with mu held.
func (e *Engine) zoneLevel(zone int, t time.Time) int {
	level := e.level(t)
	f := e.o.Zones.PlantFactor(zone)
	if f == 1 {
		return level
	}
	return min(int(math.Round(float64(level)*f)), topics.MaxWaterLevel)
}

// mayRun says why window w must not start now, or "" when it may.
func (e *Engine) mayRun(w schedule.Window, now time.Time) string {
	skipped, a := e.skipped(w), e.ask(w.Zone, start(w))
	short := e.active.WaterLevel && e.o.Zones.FollowsLevel(w.Zone) && w.End.Sub(w.Start) < max(e.o.MinRun, time.Second)
	switch {
	case a.Hold != "":
		return a.Hold
	case e.active.WaterLevel && a.Balanced && a.Run == 0:
		return "the soil needs no water yet: " + a.Why
	case short && a.Balanced:
		return fmt.Sprintf("the run the soil needs, %v, is shorter than schedule.min_run: %s", w.End.Sub(w.Start).Round(time.Second), a.Why)
	case short:
		return fmt.Sprintf("the water level %d%% makes the run %v, shorter than schedule.min_run", e.zoneLevel(w.Zone, w.Start), w.End.Sub(w.Start).Round(time.Second))
	case skipped != "":
		return skipped
	case !e.auto:
		return "automatic runs are off"
	case now.Before(e.rainTill):
		return "rain delay until " + e.rainTill.In(e.o.Location).Format(time.DateTime)
	case e.o.Hold != nil:
		return e.o.Hold(w.Zone)
	}
	return ""
}

func (e *Engine) skip(w schedule.Window, now time.Time, why string) {
	e.o.Log.Info("scheduled run skipped", "zone", w.Zone, "profile", w.Profile, "start", w.Start, "why", why)
	e.o.Valves.AddEvent(topics.Event{Type: topics.EventRunSkipped, Zone: w.Zone, Source: source(w.Profile), TS: topics.Time{Time: now}, Message: why})
}

// save persists the state and tells the publisher. Called with mu held.
func (e *Engine) save() {
	auto := e.auto
	level := e.handLevel
	st := State{Profile: e.active.Name, Auto: &auto, RainDelayUntil: e.rainTill, WaterLevel: &level, LevelSetAt: e.levelAt,
		Skips: slices.Clone(e.skips)} // a copy: Skip changes e.skips in place
	if e.o.Save != nil {
		if err := e.o.Save(st); err != nil {
			e.o.Log.Error("schedule: saving state failed", "err", err)
		}
	}
	if e.o.OnChange != nil {
		e.o.OnChange()
	}
}

// ErrRunning refuses a change of profile while a scheduled run is in progress.
var ErrRunning = errors.New("a scheduled run is in progress")

// Activate makes the profile named (or numbered) p active. While a scheduled run is in
// progress it refuses, unless force, which ends those runs first.
func (e *Engine) Activate(p string, force bool, by string) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	prof, ok := e.file.Lookup(p)
	if !ok {
		return "", topics.Errorf(topics.CodeBadRequest, "no profile %q; profiles are %s", p, strings.Join(e.file.Names(), ", "))
	}
	if prof == e.active {
		return prof.Name, nil
	}
	if zones := e.o.Valves.ScheduledRuns(); len(zones) > 0 {
		if !force {
			return "", topics.Errorf(topics.CodeBadRequest, "%v on zone %s; wait for it, or force to end it first", ErrRunning, topics.JoinZones(zones))
		}
		if _, err := e.o.Valves.CloseScheduled(by); err != nil {
			return "", err
		}
	}
	old := e.active.Name
	e.active = prof
	e.o.Log.Info("profile activated", "profile", prof.Name, "was", old, "by", by)
	e.o.Valves.AddEvent(topics.Event{Type: topics.EventProfileChanged, Source: by, Message: old + " → " + prof.Name})
	e.lastEval = e.o.Clock.Now()
	e.arm(e.lastEval)
	e.save()
	return prof.Name, nil
}

// Reload reads the profile file again. A bad file is refused with what is wrong, and the
// running schedule is kept; a good one replaces the whole schedule at once.
func (e *Engine) Reload(by string) error { return e.reload(by, "", "") }

// ReloadRenamed is Reload after the profile old was renamed to renamed: when it was the
// active one, it stays active under its new name.
func (e *Engine) ReloadRenamed(old, renamed, by string) error { return e.reload(by, old, renamed) }

func (e *Engine) reload(by, old, renamed string) error {
	f, err := schedule.Load(e.o.Path, e.o.Zones.ScheduleEnv())
	if err != nil {
		e.o.Log.Warn("schedule: reload refused; keeping the running schedule", "err", err)
		return topics.Errorf(topics.CodeBadRequest, "reload refused, the running schedule is kept: %v", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.file = f
	name := e.active.Name
	if name == old {
		name = renamed
	}
	e.active = e.pick(name)
	msg := fmt.Sprintf("%d profiles; %s active", len(f.Profiles), e.active.Name)
	if e.active.Name != name { // the active profile is gone from the file (a version restored without it, say)
		msg = fmt.Sprintf("%d profiles; the active profile %s is not among them: %s is active now", len(f.Profiles), name, e.active.Name)
	}
	e.o.Log.Info("schedule reloaded", "file", f.Path, "profiles", len(f.Profiles), "active", e.active.Name, "by", by, "note", msg)
	e.o.Valves.AddEvent(topics.Event{Type: topics.EventScheduleLoaded, Source: by, Message: msg})
	e.lastEval = e.o.Clock.Now()
	e.arm(e.lastEval)
	e.save()
	return nil
}

// Recheck checks the profile file again against the zones' settings, after they changed.
// A file that does not fit them (a run beyond a lowered maximum) is an error, and the
// running schedule is kept; the caller checked it fits before it changed them.
func (e *Engine) Recheck(by string) error {
	f, err := schedule.Load(e.o.Path, e.o.Zones.ScheduleEnv())
	if err != nil {
		return topics.Errorf(topics.CodeBadRequest, "the schedule does not fit: %v", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.file = f
	e.active = e.pick(e.active.Name)
	e.lastEval = e.o.Clock.Now()
	e.arm(e.lastEval)
	e.o.Log.Info("schedule checked against the changed zones", "by", by)
	return nil
}

// SetAuto turns automatic runs on or off; off also closes the zones the schedule opened.
func (e *Engine) SetAuto(on bool, by string) ([]int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.auto = on
	e.o.Log.Info("automatic runs", "on", on, "by", by)
	e.save()
	if on {
		return nil, nil
	}
	return e.o.Valves.CloseScheduled(by)
}

// skipped says why window w is marked not to start, or "". Called with mu held.
func (e *Engine) skipped(w schedule.Window) string {
	day := w.Start.In(e.o.Location).Format(time.DateOnly)
	for _, k := range e.skips {
		if k.Zone == w.Zone && (k.Start.Equal(w.Start) || k.Day == day) {
			return "skipped on request of " + k.By
		}
	}
	return ""
}

// Skip marks runs of zones not to start: with today, every one left today; else the next
// run of each zone. It returns the zones' marked starts (or today's date), and drops marks that
// are past.
func (e *Engine) Skip(zones []int, today bool, by string) []PlannedSkip {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.o.Clock.Now()
	dayOf := func(t time.Time) string { return t.In(e.o.Location).Format(time.DateOnly) }
	e.skips = slices.DeleteFunc(e.skips, func(k Skip) bool {
		return (!k.Start.IsZero() && k.Start.Before(now)) || (k.Day != "" && k.Day < dayOf(now))
	})
	var out []PlannedSkip
	for _, z := range zones {
		if today {
			e.skips = append(e.skips, Skip{Zone: z, Day: dayOf(now), By: by})
			out = append(out, PlannedSkip{Zone: z, Day: dayOf(now)})
			continue
		}
		for _, w := range e.upcoming(now) {
			if w.Zone == z && e.skipped(w) == "" {
				e.skips = append(e.skips, Skip{Zone: z, Start: w.Start, By: by})
				out = append(out, PlannedSkip{Zone: z, Start: w.Start})
				break
			}
		}
	}
	e.o.Log.Info("scheduled runs skipped", "zones", zones, "today", today, "by", by)
	e.save()
	return out
}

// PlannedSkip is one mark Skip set: a run's start, or a whole day.
type PlannedSkip struct {
	Zone  int       `json:"zone"`
	Start time.Time `json:"start,omitzero"`
	Day   string    `json:"day,omitempty"`
}

// SetWaterLevel sets by hand the percentage that scales the runs of the profiles that opt in
// (0 to topics.MaxWaterLevel); it applies from the next window on, until the weather decides
// again.
func (e *Engine) SetWaterLevel(percent int, by string) error {
	if percent < 0 || percent > topics.MaxWaterLevel {
		return topics.Errorf(topics.CodeBadRequest, "water level %d%%: want 0 to %d", percent, topics.MaxWaterLevel)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.handLevel, e.levelAt = percent, e.o.Clock.Now()
	e.o.Log.Info("water level", "percent", percent, "by", by)
	e.save()
	e.arm(e.o.Clock.Now())
	return nil
}

// WaterLevel is the water level in force today, percent: the weather's, or the one set by
// hand after it.
func (e *Engine) WaterLevel() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	level := e.level(e.o.Clock.Now())
	return level
}

// WeatherDecided tells the engine the weather made a decision: the level in force may have
// changed, and the windows ahead with it.
func (e *Engine) WeatherDecided() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.o.OnChange != nil {
		e.o.OnChange()
	}
	e.arm(e.o.Clock.Now())
}

// SetRainDelay holds scheduled runs for d from now; 0 ends a delay. It returns the end.
func (e *Engine) SetRainDelay(d time.Duration, by string) time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.rainTill = time.Time{}
	if d > 0 {
		e.rainTill = e.o.Clock.Now().Add(d)
	}
	e.o.Log.Info("rain delay", "until", e.rainTill, "by", by)
	e.save()
	return e.rainTill
}
