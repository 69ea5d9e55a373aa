package serve

import (
	"time"

	"sprinkler/agent/valves"
	"sprinkler/topics"
)

func (s *Service) runOnce(r topics.Request, source string) (any, error) {
	var a topics.RunOnceArgs
	if err := r.Decode(&a); err != nil {
		return nil, err
	}
	if len(a.Steps) == 0 {
		return nil, topics.Errorf(topics.CodeBadRequest, `"steps" is missing: [{"zone":1,"duration_s":600},{"zone":2}]`)
	}
	steps := make([]valves.Step, len(a.Steps))
	ids := make([]int, len(a.Steps))
	for i, st := range a.Steps {
		var d time.Duration
		if st.DurationS != 0 {
			var err error
			if d, err = topics.Seconds(st.DurationS); err != nil {
				return nil, err
			}
		}
		steps[i], ids[i] = valves.Step{Zone: st.Zone, For: d}, st.Zone
	}
	if _, err := topics.ZoneList(ids...).Check(s.o.Valves.IDs()); err != nil {
		return nil, err
	}
	if err := s.mayOpen(topics.ActionOpen, ids); err != nil {
		return nil, err
	}
	changes, preempted, err := s.o.Valves.RunOnce(steps, a.Preempt, source)
	if err != nil {
		return nil, err
	}
	return topics.RunOnceReply{Steps: changes, Preempted: append([]int{}, preempted...)}, nil
}

func (s *Service) pause(r topics.Request, source string) (any, error) {
	var a topics.PauseArgs
	if err := r.Decode(&a); err != nil {
		return nil, err
	}
	if a.DurationS == nil {
		return nil, topics.Errorf(topics.CodeBadRequest, `"duration_s" is missing: how long to pause, up to %v`, valves.MaxPause)
	}
	d, err := topics.Seconds(*a.DurationS)
	if err != nil {
		return nil, err
	}
	closed, until, err := s.o.Valves.Pause(d, source)
	if err != nil {
		return nil, err // a relay that would not switch off: its run goes on, the pause stands
	}
	return s.pauseReply(closed, until), nil
}

func (s *Service) resume(r topics.Request, source string) (any, error) {
	if !s.o.Valves.Unpause(source) {
		return nil, topics.Errorf(topics.CodeBadRequest, "nothing is paused")
	}
	return s.pauseReply(nil, time.Time{}), nil
}

func (s *Service) pauseReply(closed []int, until time.Time) topics.PauseReply {
	return topics.PauseReply{Paused: !until.IsZero(), PausedUntil: topics.At(until), Closed: closed, Waiting: s.o.Valves.QueueLen()}
}
