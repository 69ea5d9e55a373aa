package scheduler_test

import (
	"time"

	"sprinkler/agent/schedule"
)

// fixed are zones whose settings never change: each of ids may run an hour; unscaled ignore
// the water level; factors are plant factors other than 1.
type fixed struct {
	ids      []int
	names    map[int]string
	unscaled map[int]bool
	factors  map[int]float64
}

func zonesOf(ids ...int) fixed { return fixed{ids: ids} }

func (f fixed) ScheduleEnv() schedule.Env {
	env := schedule.Env{Zones: schedule.Zones{}}
	for _, id := range f.ids {
		env.Zones[id] = time.Hour
	}
	return env
}

func (f fixed) Name(zone int) string       { return f.names[zone] }
func (f fixed) FollowsLevel(zone int) bool { return !f.unscaled[zone] }
func (f fixed) PlantFactor(zone int) float64 {
	if x, ok := f.factors[zone]; ok {
		return x
	}
	return 1
}
