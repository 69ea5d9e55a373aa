package serve

import (
	"math"
	"time"

	"sprinkler/topics"
)

// needSchedule refuses a schedule command when the agent has no schedule.
func (s *Service) needSchedule(h handler) handler {
	return func(r topics.Request, source string) (any, error) {
		if s.o.Schedule == nil {
			return nil, topics.Errorf(topics.CodeUnavailable, "no schedule is configured: set schedule.file")
		}
		return h(r, source)
	}
}

func (s *Service) profiles(r topics.Request, _ string) (any, error) {
	return s.o.Schedule.Profiles(), nil
}

func (s *Service) profile(r topics.Request, _ string) (any, error) {
	return s.o.Schedule.Summary(false), nil
}

func (s *Service) activate(r topics.Request, source string) (any, error) {
	var a topics.ActivateArgs
	if err := r.Decode(&a); err != nil {
		return nil, err
	}
	if a.Profile == nil {
		return nil, topics.Errorf(topics.CodeBadRequest, `"profile" is missing: a name or an index`)
	}
	if _, err := s.o.Schedule.Activate(string(*a.Profile), a.Force, source); err != nil {
		return nil, err
	}
	return s.o.Schedule.Summary(false), nil
}

func (s *Service) reload(r topics.Request, source string) (any, error) {
	if err := s.o.Schedule.Reload(source); err != nil {
		return nil, err
	}
	return s.o.Schedule.Profiles(), nil
}

func (s *Service) autoOn(r topics.Request, source string) (any, error) {
	if _, err := s.o.Schedule.SetAuto(true, source); err != nil {
		return nil, err
	}
	return s.o.Schedule.Summary(false), nil
}

func (s *Service) autoOff(r topics.Request, source string) (any, error) {
	closed, err := s.o.Schedule.SetAuto(false, source)
	if err != nil {
		return nil, err
	}
	return struct {
		topics.ScheduleReply
		Closed []int `json:"closed"`
	}{s.o.Schedule.Summary(false), append([]int{}, closed...)}, nil
}

func (s *Service) schedule(r topics.Request, _ string) (any, error) {
	return s.o.Schedule.Summary(true), nil
}

// hours reads an hours argument: a finite number from 0 to max.
func hours(v *float64, def, max float64) (time.Duration, error) {
	h := def
	if v != nil {
		h = *v
	}
	if math.IsNaN(h) || h < 0 || h > max {
		return 0, topics.Errorf(topics.CodeBadRequest, "hours %v: want from 0 to %v", h, max)
	}
	return time.Duration(h * float64(time.Hour)), nil
}

func (s *Service) next(r topics.Request, _ string) (any, error) {
	var a topics.HoursArgs
	if err := r.Decode(&a); err != nil {
		return nil, err
	}
	d, err := hours(a.Hours, 48, 24*367)
	if err != nil {
		return nil, err
	}
	return s.o.Schedule.Next(d, a.Hours == nil)
}

func (s *Service) rainDelay(r topics.Request, source string) (any, error) {
	var a topics.HoursArgs
	if err := r.Decode(&a); err != nil {
		return nil, err
	}
	if a.Hours == nil {
		return nil, topics.Errorf(topics.CodeBadRequest, `"hours" is missing; 0 ends a rain delay`)
	}
	d, err := hours(a.Hours, 0, 24*30)
	if err != nil {
		return nil, err
	}
	s.o.Schedule.SetRainDelay(d, source)
	return s.o.Schedule.Summary(false), nil
}

func (s *Service) waterLevel(r topics.Request, source string) (any, error) {
	var args topics.WaterLevelArgs
	if err := r.Decode(&args); err != nil {
		return nil, err
	}
	if args.Percent == nil {
		return nil, topics.Errorf(topics.CodeBadRequest, "percent is missing: 0 to %d, 100 as written", topics.MaxWaterLevel)
	}
	if err := s.o.Schedule.SetWaterLevel(*args.Percent, source); err != nil {
		return nil, err
	}
	return s.o.Schedule.Summary(false), nil
}

func (s *Service) skip(r topics.Request, source string) (any, error) {
	var args topics.SkipArgs
	if err := r.Decode(&args); err != nil {
		return nil, err
	}
	if args.What != "" && args.What != "next" && args.What != "today" {
		return nil, topics.Errorf(topics.CodeBadRequest, "what %q: want next or today", args.What)
	}
	ids, err := args.Zones.Check(s.o.Valves.IDs())
	if err != nil {
		return nil, err
	}
	return s.o.Schedule.Skip(ids, args.What == "today", source), nil
}
