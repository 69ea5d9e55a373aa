// Package zones holds the settings in force of the zones and the site: the one copy the
// schedule, the programs, the weather and the agent read, each through an interface of its
// own. A change replaces the whole copy at once, after it was checked and written to the
// configuration file; nothing keeps a copy of its own that could go stale.
//
// The safety governor (package valves) is the one participant with settings of its own: it
// checks a change against the runs it holds (no maximum below a started run) under its own
// lock, so the change is offered to it first and given to the model only when it took it.
//
// The model's lock is a leaf: it is taken last, and nothing is called while it is held.
package zones

import (
	"sync"

	"sprinkler/agent/config"
	"sprinkler/agent/schedule"
	"sprinkler/agent/weather"
)

// Model is the zones' and the site's settings in force. It is safe for concurrent use.
type Model struct {
	mu    sync.RWMutex
	byID  map[int]config.Zone
	env   schedule.Env
	rules weather.Settings
}

// New returns the model of cfg's settings.
func New(cfg config.Config) *Model {
	m := &Model{}
	m.Replace(cfg)
	return m
}

// Replace puts cfg's zones and site in force, whole.
func (m *Model) Replace(cfg config.Config) {
	byID := make(map[int]config.Zone, len(cfg.Zones))
	for _, z := range cfg.Zones {
		byID[z.ID] = z
	}
	env, rules := cfg.ScheduleEnv(), cfg.WeatherSettings()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.byID, m.env, m.rules = byID, env, rules
}

// Zone is zone id's settings.
func (m *Model) Zone(id int) (config.Zone, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	z, ok := m.byID[id]
	return z, ok
}

// ScheduleEnv is what the profile file is checked against: the zones a profile may water,
// with their longest runs, and the site.
func (m *Model) ScheduleEnv() schedule.Env {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.env
}

// WeatherSettings are the rules that turn weather into a water level, with the site.
func (m *Model) WeatherSettings() weather.Settings {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.rules
}

// Name is zone id's name ("" for no such zone).
func (m *Model) Name(id int) string {
	z, _ := m.Zone(id)
	return z.Name
}

// FollowsLevel reports whether zone id's scheduled runs follow the water level (true for no
// such zone, as for a zone that does not say).
func (m *Model) FollowsLevel(id int) bool {
	z, _ := m.Zone(id)
	return z.FollowsLevel()
}

// PlantFactor is zone id's plant factor (1 for no such zone).
func (m *Model) PlantFactor(id int) float64 {
	z, _ := m.Zone(id)
	return z.Factor()
}

// Balanced reports whether zone id keeps a water balance (it says its soil and sprinklers).
func (m *Model) Balanced(id int) bool {
	z, _ := m.Zone(id)
	_, ok := z.Balance()
	return ok
}
