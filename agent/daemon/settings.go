package daemon

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"sprinkler/agent/config"
	"sprinkler/agent/versions"
	"sprinkler/configs"
	"sprinkler/topics"
)

// settingsEditor changes a zone's settings, or the site's, while the agent runs: checked as the
// agent checks its configuration (the schedule included), written into the configuration file
// in place, and put in force in the governor, the schedule, the programs, the info and Home
// Assistant's discovery.
type settingsEditor struct {
	a        *run
	versions *versions.File // the configuration file's kept versions
	mu       sync.Mutex     // one change at a time
}

// fileConfig reads the configuration file as it is on disk now.
func (z *settingsEditor) fileConfig() ([]byte, config.Config, error) {
	path := z.a.d.cfg.Source
	if path == "" {
		return nil, config.Config{}, topics.Errorf(topics.CodeUnavailable, "the agent runs without a configuration file: there is nowhere to keep a zone's settings")
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, config.Config{}, topics.Errorf(topics.CodeUnavailable, "the configuration file: %v", err)
	}
	cfg, _, err := config.LoadWarn(path, true)
	if err != nil {
		return nil, config.Config{}, topics.Errorf(topics.CodeUnavailable, "the configuration file as it is on disk does not load: %v", err)
	}
	return src, cfg, nil
}

func settingsOf(zc config.Zone) topics.ZoneSettings {
	s := topics.ZoneSettings{Zone: zc.ID, Name: zc.Name, Line: zc.Line, DefaultDurationS: zc.DefaultDuration.Seconds(),
		MaxDurationS: zc.MaxDuration.Seconds(), Group: zc.Group, Enabled: zc.On(), WaterLevel: zc.FollowsLevel(),
		PlantFactor: zc.Factor(), Soil: zc.Soil, AvailableWaterMm: zc.AvailableWaterMm, RootDepthM: zc.RootDepthM,
		DepletionFraction: zc.DepletionP, PrecipitationMmH: zc.PrecipMmPH, AreaM2: zc.AreaM2, InfiltrationMmH: zc.IntakeMmPH}
	_, s.Balance = zc.Balance()
	s.Revision = topics.RevisionOf(s)
	return s
}

// Zones returns every zone's settings, as the configuration file has them.
func (z *settingsEditor) Zones() ([]topics.ZoneSettings, error) {
	_, cfg, err := z.fileConfig()
	if err != nil {
		return nil, err
	}
	out := make([]topics.ZoneSettings, 0, len(cfg.Zones))
	for _, zc := range cfg.Zones {
		out = append(out, settingsOf(zc))
	}
	return out, nil
}

// SetZone changes the settings args names of one zone, read at args.Revision.
func (z *settingsEditor) SetZone(args topics.ZoneSetArgs, by string) (topics.ZoneSettings, error) {
	z.mu.Lock()
	defer z.mu.Unlock()
	return z.setZone(args, by, true)
}

// SetDefault changes zone's default run alone, as its duration topic asks: in the configuration
// file, as zone_set does, which is the setting's one home; without a file, in the governor and
// the state, which then are.
func (z *settingsEditor) SetDefault(zone int, d time.Duration, by string) error {
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.a.d.cfg.Source == "" {
		if err := z.a.v.SetDefault(zone, d); err != nil {
			return err
		}
		return z.a.state.saveDefault(zone, d)
	}
	secs := d.Seconds()
	_, err := z.setZone(topics.ZoneSetArgs{Zone: zone, DefaultDurationS: &secs}, by, false)
	return err
}

// setZone is SetZone with mu held; checkRevision false changes the zone as it is now.
func (z *settingsEditor) setZone(args topics.ZoneSetArgs, by string, checkRevision bool) (topics.ZoneSettings, error) {
	a, d := z.a, z.a.d
	src, cfg, err := z.fileConfig()
	if err != nil {
		return topics.ZoneSettings{}, err
	}
	i := -1
	for j, zc := range cfg.Zones {
		if zc.ID == args.Zone {
			i = j
		}
	}
	if i < 0 {
		return topics.ZoneSettings{}, topics.Errorf(topics.CodeUnknownZone, "no zone %d", args.Zone)
	}
	was := cfg.Zones[i]
	if cur := settingsOf(was); checkRevision && args.Revision != cur.Revision {
		return topics.ZoneSettings{}, topics.Errorf(topics.CodeConflict, "zone %d changed since revision %q (it is %s now): read it again", args.Zone, args.Revision, cur.Revision)
	}
	want := was
	for _, f := range zoneFields {
		f.take(&want, args)
	}
	out, err := withZone(src, i, was, want)
	if err != nil {
		return topics.ZoneSettings{}, topics.Errorf(topics.CodeInternal, "zone %d: %v", args.Zone, err)
	}
	next, err := checkConfig(cfg.Source, out)
	if err != nil {
		return topics.ZoneSettings{}, err
	}
	if err := next.CheckSchedule(); err != nil {
		return topics.ZoneSettings{}, topics.Errorf(topics.CodeBadRequest, "zone %d not changed, the schedule does not fit: %v", args.Zone, err)
	}
	set := func(zc config.Zone) error { return a.v.SetZone(zc.ID, zc.Settings()) }
	if err := set(want); err != nil {
		return topics.ZoneSettings{}, err
	}
	what := describeChange(was, want)
	if err := z.versions.Write(src, out, by, "zone", fmt.Sprintf("%d: %s", want.ID, what)); topics.CodeOf(err) == topics.CodeUnavailable {
		_ = set(was) // the file keeps the old settings: so does the governor
		return topics.ZoneSettings{}, topics.Errorf(topics.CodeUnavailable, "zone %d %v", args.Zone, err)
	} else if err != nil {
		d.log.Warn("zone settings", "err", err)
	}
	z.recheck(next, by)
	a.v.AddEvent(topics.Event{Type: topics.EventZoneChanged, Zone: want.ID, Source: by, Message: what})
	d.log.Info("zone settings changed", "zone", want.ID, "what", what, "by", by, "file", cfg.Source)
	a.rep.resync() // the info and Home Assistant's discovery name the zone anew
	return settingsOf(want), nil
}

// recheck puts next's zones and site in force, after next was written: every part reads them
// from the model from now on; the schedule checks its file against them once more.
func (z *settingsEditor) recheck(next config.Config, by string) {
	a := z.a
	a.zones.Replace(next)
	if a.sched == nil {
		return
	}
	if err := a.sched.Recheck(by); err != nil {
		a.d.log.Error("the schedule refused the changed settings it was checked against", "err", err)
	}
}

// siteOf is the site's settings in cfg, with their revision.
func siteOf(cfg config.Config) topics.SiteSettings {
	s := topics.SiteSettings{Latitude: cfg.Site.Latitude, Longitude: cfg.Site.Longitude, Timezone: cfg.Agent.Timezone}
	s.Revision = topics.RevisionOf(s)
	return s
}

// Site returns where the garden is and its time zone, as the configuration file has them.
func (z *settingsEditor) Site() (topics.SiteSettings, error) {
	_, cfg, err := z.fileConfig()
	if err != nil {
		return topics.SiteSettings{}, err
	}
	return siteOf(cfg), nil
}

// SetSite changes the site's latitude and longitude (in force at once: the schedule's sunrise
// and sunset) or time zone (at the next start), read at args.Revision.
func (z *settingsEditor) SetSite(args topics.SiteSetArgs, by string) (topics.SiteSettings, error) {
	z.mu.Lock()
	defer z.mu.Unlock()
	src, cfg, err := z.fileConfig()
	if err != nil {
		return topics.SiteSettings{}, err
	}
	was := siteOf(cfg)
	if args.Revision != was.Revision {
		return topics.SiteSettings{}, topics.Errorf(topics.CodeConflict, "the site changed since revision %q (it is %s now): read it again", args.Revision, was.Revision)
	}
	e, err := configs.NewEdit(src)
	if err != nil {
		return topics.SiteSettings{}, topics.Errorf(topics.CodeInternal, "site: %v", err)
	}
	var what []string
	for _, f := range []struct {
		key string
		v   any
		set bool
	}{
		{"site.latitude", args.Latitude, args.Latitude != nil}, {"site.longitude", args.Longitude, args.Longitude != nil},
		{"agent.timezone", args.Timezone, args.Timezone != nil},
	} {
		if !f.set {
			continue
		}
		var v any
		switch x := f.v.(type) {
		case *float64:
			v = *x
		case *string:
			v = *x
		}
		if err := e.Set(f.key, v); err != nil {
			return topics.SiteSettings{}, topics.Errorf(topics.CodeInternal, "site: %v", err)
		}
		what = append(what, fmt.Sprintf("%s %v", f.key, v))
	}
	if len(what) == 0 {
		return topics.SiteSettings{}, topics.Errorf(topics.CodeBadRequest, "say what to change: latitude, longitude or timezone")
	}
	next, err := checkConfig(cfg.Source, e.Bytes())
	if err != nil {
		return topics.SiteSettings{}, err
	}
	if err := next.CheckSchedule(); err != nil {
		return topics.SiteSettings{}, topics.Errorf(topics.CodeBadRequest, "the site not changed, the schedule does not fit: %v", err)
	}
	now := siteOf(next)
	now.Restart = next.Agent.Timezone != z.a.d.cfg.Agent.Timezone
	msg := strings.Join(what, ", ")
	if now.Restart {
		msg += " (the time zone at the next start)"
	}
	if err := z.versions.Write(src, e.Bytes(), by, "site", msg); topics.CodeOf(err) == topics.CodeUnavailable {
		return topics.SiteSettings{}, topics.Errorf(topics.CodeUnavailable, "the site %v", err)
	} else if err != nil {
		z.a.d.log.Warn("site", "err", err)
	}
	z.recheck(next, by)
	z.a.v.AddEvent(topics.Event{Type: topics.EventSiteChanged, Source: by, Message: msg})
	z.a.d.log.Info("site changed", "what", msg, "by", by, "file", cfg.Source)
	return now, nil
}

// SetMaxOpen lowers the power budget to n valves, or restores safety.max_open; never above
// it, the power supply's limit. It is kept in the state, not the file, whose value stays the
// ceiling.
func (z *settingsEditor) SetMaxOpen(n int, by string) error {
	z.mu.Lock()
	defer z.mu.Unlock()
	limit := z.a.d.cfg.Safety.MaxOpen
	if n < 1 || n > limit {
		return topics.Errorf(topics.CodeBadRequest, "max_open %d: want 1 to %d (safety.max_open, what the power supply allows)", n, limit)
	}
	if err := z.a.v.SetMaxOpen(n); err != nil {
		return err
	}
	kept := n
	if n == limit {
		kept = 0 // the configuration's again
	}
	if err := z.a.state.saveMaxOpen(kept); err != nil {
		z.a.d.log.Warn("the power budget was not saved in the state; a restart uses safety.max_open", "err", err)
	}
	z.a.v.AddEvent(topics.Event{Type: topics.EventLimitsChanged, Source: by, Message: fmt.Sprintf("max_open %d of %d", n, limit)})
	return nil
}

// Versions lists the kept versions of the configuration file, the oldest first.
func (z *settingsEditor) Versions() ([]topics.Version, error) {
	z.mu.Lock()
	defer z.mu.Unlock()
	if _, _, err := z.fileConfig(); err != nil {
		return nil, err
	}
	return z.versions.List()
}

// Restore makes version v the configuration file again, when it differs from the file in
// what may change while the agent runs alone (the zones' settings, the site): each is checked
// and put in force as a change of it is. Any other difference needs a person and a restart.
func (z *settingsEditor) Restore(v int, by string) error {
	z.mu.Lock()
	defer z.mu.Unlock()
	a := z.a
	src, cur, err := z.fileConfig()
	if err != nil {
		return err
	}
	old := z.versions.Content(v)
	if old == nil {
		return topics.Errorf(topics.CodeBadRequest, "no version %d kept (config_versions lists them)", v)
	}
	next, err := checkConfig(cur.Source, old)
	if err != nil {
		return err
	}
	if why := restartNeeded(cur, next); why != "" {
		return topics.Errorf(topics.CodeBadRequest, "version %d differs in %s, which changes only with a restart: restore it by hand (it is %s) and restart",
			v, why, z.versions.Path(v))
	}
	if err := next.CheckSchedule(); err != nil {
		return topics.Errorf(topics.CodeBadRequest, "version %d not restored, the schedule does not fit: %v", v, err)
	}
	done := []config.Zone{}
	undo := func() {
		for _, zc := range done {
			_ = a.v.SetZone(zc.ID, zc.Settings())
		}
	}
	for i, zc := range next.Zones {
		if err := a.v.SetZone(zc.ID, zc.Settings()); err != nil {
			undo()
			return err
		}
		done = append(done, cur.Zones[i])
	}
	if err := z.versions.Write(src, old, by, fmt.Sprintf("restore %d", v), ""); topics.CodeOf(err) == topics.CodeUnavailable {
		undo()
		return err
	}
	for i, zc := range next.Zones {
		if zc.DefaultDuration != cur.Zones[i].DefaultDuration {
			_ = a.state.saveDefault(zc.ID, zc.DefaultDuration)
		}
	}
	z.recheck(next, by)
	a.v.AddEvent(topics.Event{Type: topics.EventZoneChanged, Source: by, Message: fmt.Sprintf("configuration version %d restored", v)})
	a.rep.resync()
	return nil
}

// restartNeeded names what differs between two configurations beyond what changes while the
// agent runs (the zones' settings and the site); "" when nothing does.
func restartNeeded(cur, next config.Config) string {
	if len(cur.Zones) != len(next.Zones) {
		return "its zones"
	}
	for i := range cur.Zones {
		if cur.Zones[i].ID != next.Zones[i].ID || cur.Zones[i].Line != next.Zones[i].Line {
			return "its zones' ids or GPIO lines"
		}
	}
	// cur with next's run-time settings is next, unless something else differs (a zone's
	// expected flow or ignored sensors, the broker, ...).
	a := cur
	a.Zones = slices.Clone(cur.Zones)
	for i, zn := range next.Zones {
		for _, f := range zoneFields {
			f.copy(&a.Zones[i], zn)
		}
	}
	a.Site, a.Source = next.Site, next.Source
	a.Agent.Timezone = next.Agent.Timezone // written; in force at the next start, as a site_set's
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(next)
	if errA != nil || errB != nil || !bytes.Equal(ja, jb) {
		return "other settings than the zones' and the site"
	}
	return ""
}

// withZone is the configuration file src with zone entry i changed from was to zc: only the
// settings that changed are written, the rest of the entry and of the file stay as written.
func withZone(src []byte, i int, was, zc config.Zone) ([]byte, error) {
	e, err := configs.NewEdit(src)
	if err != nil {
		return nil, err
	}
	items := e.Items("zones")
	if i >= len(items) {
		return nil, fmt.Errorf("the file has no zone entry %d", i+1)
	}
	n := configs.Clone(items[i])
	for _, f := range zoneFields {
		v, tag := f.file(zc)
		switch old, _ := f.file(was); {
		case v == old:
		case v == "":
			configs.DropField(n, f.key)
		default:
			configs.SetField(n, f.key, v, tag)
		}
	}
	if err := e.SetItem("zones", i, n); err != nil {
		return nil, err
	}
	return e.Bytes(), nil
}

// checkConfig loads the configuration data as the agent would from path, with the reply's
// codes: a folder that cannot be written is unavailable, a configuration that does not load a
// bad request.
func checkConfig(path string, data []byte) (config.Config, error) {
	cfg, err := config.LoadCandidate(path, data)
	if fe, ok := errors.AsType[*config.FolderError](err); ok {
		return config.Config{}, topics.Errorf(topics.CodeUnavailable, "not saved: the configuration's folder: %v", fe)
	}
	if err != nil {
		return config.Config{}, topics.Errorf(topics.CodeBadRequest, "not changed: %v", err)
	}
	return cfg, nil
}
