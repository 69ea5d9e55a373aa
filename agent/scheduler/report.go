package scheduler

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"sprinkler/agent/schedule"
	"sprinkler/topics"
)

// Active returns the active profile's name.
func (e *Engine) Active() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.active.Name
}

// Names returns the profile names in file order.
func (e *Engine) Names() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.file.Names()
}

// Decorate adds the schedule's state to a snapshot.
func (e *Engine) Decorate(s *topics.Snapshot) {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.o.Clock.Now()
	auto := e.auto
	level := e.level(now)
	s.Profile, s.Auto, s.WaterLevel = e.active.Name, &auto, &level
	s.ScheduledRunning = len(e.o.Valves.ScheduledRuns()) > 0
	if now.Before(e.rainTill) {
		s.RainDelayUntil = topics.At(e.rainTill)
	}
	for _, p := range e.plan(e.upcoming(now)) {
		if p.Skipped == "" {
			s.NextRun = &topics.Time{Time: p.Start.Time}
			break
		}
	}
}

// Profiles returns every profile in full.
func (e *Engine) Profiles() []topics.ProfileInfo {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]topics.ProfileInfo, len(e.file.Profiles))
	today := schedule.DateOf(e.o.Clock.Now().In(e.o.Location)).String()
	for i, p := range e.file.Profiles {
		info := topics.ProfileInfo{Index: i, Name: p.Name, About: p.About, Active: &e.file.Profiles[i] == e.active, Zones: []topics.ProgramInfo{}}
		for _, prog := range p.Programs {
			pi := topics.ProgramInfo{Zone: prog.Zone, About: prog.About, Days: prog.Days.String()}
			if last := prog.Days.Last(); last != (schedule.Date{}) && last.String() < today {
				pi.Days += " (over: its last date passed)"
			}
			for _, r := range prog.Runs {
				pi.Runs = append(pi.Runs, topics.RunInfo{At: r.Start(), DurationS: r.For.Seconds(), Times: r.Times, EveryS: r.Every.Seconds()})
			}
			info.Zones = append(info.Zones, pi)
		}
		out[i] = info
	}
	return out
}

// Summary returns the active profile and the state of automatic runs; with zones, also each
// zone's windows today, whether one runs now, and its next start.
func (e *Engine) Summary(zones bool) topics.ScheduleReply {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.o.Clock.Now()
	level := e.level(now)
	r := topics.ScheduleReply{Profile: e.active.Name, About: e.active.About, Auto: e.auto, File: e.file.Path,
		WaterLevel: level, ScalesRuns: e.active.WaterLevel,
		Index: slices.IndexFunc(e.file.Profiles, func(p schedule.Profile) bool { return p.Name == e.active.Name })}
	if now.Before(e.rainTill) {
		r.RainDelayUntil = topics.At(e.rainTill)
	}
	if !zones {
		return r
	}
	y, m, d := now.In(e.o.Location).Date()
	midnight := time.Date(y, m, d, 0, 0, 0, 0, e.o.Location)
	today := e.planned(midnight, midnight.AddDate(0, 0, 1))
	ahead := e.plan(e.upcoming(now))
	for _, prog := range e.active.Programs {
		zs := topics.ZoneSchedule{Zone: prog.Zone, Name: e.o.Zones.Name(prog.Zone), Today: []topics.PlannedRun{}}
		for _, p := range today {
			if p.Zone == prog.Zone && p.Start.Before(midnight.AddDate(0, 0, 1)) && !p.Start.Before(midnight) {
				zs.Today = append(zs.Today, p)
				zs.Running = zs.Running || (!now.Before(p.Start.Time) && now.Before(p.End.Time))
			}
		}
		for _, p := range ahead {
			if p.Zone == prog.Zone {
				zs.Next = &topics.Time{Time: p.Start.Time}
				break
			}
		}
		r.Zones = append(r.Zones, zs)
	}
	return r
}

// Next returns the scheduled windows of the active profile that start within d from now, in
// time order, each saying whether it will be skipped and why. A span that could hold more than
// topics.MaxPlannedRuns is shortened to one that cannot where clamp, else refused
// (schedule.Profile.Fit), before anything is computed.
func (e *Engine) Next(d time.Duration, clamp bool) ([]topics.PlannedRun, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	d, err := e.active.Fit(d, topics.MaxPlannedRuns, clamp)
	if err != nil {
		return nil, err
	}
	now := e.o.Clock.Now()
	out := []topics.PlannedRun{}
	for _, p := range e.planned(now, now.Add(d)) {
		if p.End.After(now) && len(out) < topics.MaxPlannedRuns { // cycles may outnumber Fit's runs
			out = append(out, p)
		}
	}
	return out, nil
}

// planned lists the active profile's windows in [from, to) with their skip reasons. Called
// with mu held.
func (e *Engine) planned(from, to time.Time) []topics.PlannedRun {
	return e.plan(e.windows(from, to))
}

// plan gives windows their skip reasons. Called with mu held.
func (e *Engine) plan(ws []schedule.Window) []topics.PlannedRun {
	var paused time.Time
	if e.o.PausedUntil != nil {
		paused = e.o.PausedUntil()
	}
	out := make([]topics.PlannedRun, 0, len(ws))
	for _, w := range ws {
		p := topics.PlannedRun{Zone: w.Zone, Start: topics.Time{Time: w.Start}, End: topics.Time{Time: w.End},
			Profile: w.Profile, Skipped: e.mayRun(w, w.Start)}
		var notes []string
		a := e.ask(w.Zone, start(w))
		switch lvl := e.zoneLevel(w.Zone, w.Start); {
		case e.active.WaterLevel && a.Balanced && p.Skipped == "" && w.Cycle > 0:
			notes = append(notes, fmt.Sprintf("cycle %d of %d, %v soaking between, by the soil's balance: %s", w.Cycle, w.Cycles, a.Soak, a.Why))
		case e.active.WaterLevel && a.Balanced && p.Skipped == "":
			notes = append(notes, "by the soil's balance: "+a.Why)
		case e.active.WaterLevel && !a.Balanced && e.o.Zones.FollowsLevel(w.Zone) && lvl != 100:
			notes = append(notes, fmt.Sprintf("water level %d%%", lvl))
		}
		if w.Start.Before(paused) {
			notes = append(notes, "paused until "+paused.In(e.o.Location).Format(time.TimeOnly)+": starts when the pause ends")
		}
		p.Note = strings.Join(notes, "; ")
		out = append(out, p)
	}
	return out
}

// upcoming returns the active profile's windows that start after now: those of the next
// horizon, or of the next farHorizon when a zone of the profile has none in the horizon (a
// monthly day, a date, every 10 days). Called with mu held.
func (e *Engine) upcoming(now time.Time) []schedule.Window {
	ws := e.windows(now, now.Add(horizon))
	ws = slices.DeleteFunc(ws, func(w schedule.Window) bool { return !w.Start.After(now) })
	for _, prog := range e.active.Programs {
		if !slices.ContainsFunc(ws, func(w schedule.Window) bool { return w.Zone == prog.Zone }) {
			ws = e.windows(now, now.Add(farHorizon))
			return slices.DeleteFunc(ws, func(w schedule.Window) bool { return !w.Start.After(now) })
		}
	}
	return ws
}
