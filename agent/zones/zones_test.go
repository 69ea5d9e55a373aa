package zones_test

import (
	"sync"
	"testing"
	"time"

	"sprinkler/agent/config"
	"sprinkler/agent/programs"
	"sprinkler/agent/scheduler"
	"sprinkler/agent/weather"
	"sprinkler/agent/zones"
)

// The model is what each part reads.
var (
	_ scheduler.Zones = (*zones.Model)(nil)
	_ programs.Zones  = (*zones.Model)(nil)
	_ weather.Rules   = (*zones.Model)(nil)
)

func garden(level bool, factor float64, maxRun time.Duration, lat float64) config.Config {
	return config.Config{
		Zones: []config.Zone{
			{ID: 1, Name: "lawn", MaxDuration: maxRun},
			{ID: 2, Name: "pots", MaxDuration: time.Hour, WaterLevel: &level, PlantFactor: factor},
			{ID: 8, Name: "master", MaxDuration: time.Hour},
		},
		Safety:  config.Safety{MasterZone: 8},
		Site:    config.Site{Latitude: lat, Longitude: 13},
		Weather: config.Weather{BalanceDays: 5},
	}
}

// TestAChangeIsInForceEverywhereAtOnce: after Replace, every reading of the model gives the
// new settings, whichever part asks; nothing kept the old ones.
func TestAChangeIsInForceEverywhereAtOnce(t *testing.T) {
	m := zones.New(garden(true, 0, time.Hour, 52))
	if m.Name(1) != "lawn" || !m.FollowsLevel(2) || m.PlantFactor(2) != 1 || m.ScheduleEnv().Zones[1] != time.Hour {
		t.Fatalf("as configured: %q %v %v %v", m.Name(1), m.FollowsLevel(2), m.PlantFactor(2), m.ScheduleEnv())
	}
	if _, master := m.ScheduleEnv().Zones[8]; master {
		t.Error("the master valve is a zone a profile may water")
	}
	m.Replace(garden(false, 0.5, 20*time.Minute, 48))
	env := m.ScheduleEnv()
	if m.FollowsLevel(2) || m.PlantFactor(2) != 0.5 || env.Zones[1] != 20*time.Minute || env.Site.Latitude != 48 ||
		m.WeatherSettings().Site.LatitudeDeg != 48 || m.WeatherSettings().BalanceDays != 5 {
		t.Errorf("after the change: %v %v %+v %+v %+v", m.FollowsLevel(2), m.PlantFactor(2), env, env.Site, m.WeatherSettings())
	}
	if m.Name(5) != "" || !m.FollowsLevel(5) || m.PlantFactor(5) != 1 {
		t.Errorf("a zone not configured: %q %v %v", m.Name(5), m.FollowsLevel(5), m.PlantFactor(5))
	}
}

// TestReadsDuringChanges: under -race, reads while the settings change see one whole set.
func TestReadsDuringChanges(t *testing.T) {
	m := zones.New(garden(true, 0, time.Hour, 52))
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range 500 {
			m.Replace(garden(i%2 == 0, 0.5, time.Hour, 52))
		}
	})
	for range 500 {
		if env := m.ScheduleEnv(); len(env.Zones) != 2 || env.Site == nil {
			t.Fatalf("a torn environment: %+v", env)
		}
		_ = m.FollowsLevel(2)
	}
	wg.Wait()
}
