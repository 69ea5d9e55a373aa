package serve

import (
	"fmt"
	"time"

	"sprinkler/topics"
)

// needPrograms refuses a program request when the agent keeps no profile file.
func (s *Service) needPrograms(h handler) handler {
	return func(r topics.Request, source string) (any, error) {
		if s.o.Programs == nil {
			return nil, topics.Errorf(topics.CodeUnavailable, "no schedule is configured: set schedule.file")
		}
		return h(r, source)
	}
}

func (s *Service) programArgs(r topics.Request, needName bool) (topics.ProgramArgs, error) {
	var a topics.ProgramArgs
	if err := r.Decode(&a); err != nil {
		return a, err
	}
	if needName && a.Name == "" {
		return a, topics.Errorf(topics.CodeBadRequest, `"name" is missing: the program's name`)
	}
	return a, nil
}

func (s *Service) programList(r topics.Request, _ string) (any, error) {
	return s.o.Programs.List(s.o.Schedule.Active())
}

func (s *Service) programGet(r topics.Request, _ string) (any, error) {
	a, err := s.programArgs(r, true)
	if err != nil {
		return nil, err
	}
	return s.o.Programs.Get(a.Name)
}

func (s *Service) programPut(r topics.Request, source string) (any, error) {
	a, err := s.programArgs(r, false)
	if err != nil {
		return nil, err
	}
	if a.Program == nil {
		return nil, topics.Errorf(topics.CodeBadRequest, `"program" is missing: the document, as program_get gives it`)
	}
	doc, err := s.o.Programs.Put(*a.Program, source)
	if err != nil {
		return nil, err
	}
	return doc, s.programChanged(source, fmt.Sprintf("put %s (revision %s)", doc.Name, doc.Revision), "", "")
}

func (s *Service) programDelete(r topics.Request, source string) (any, error) {
	a, err := s.programArgs(r, true)
	if err != nil {
		return nil, err
	}
	if err := s.o.Programs.Delete(a.Name, a.Revision, s.o.Schedule.Active(), source); err != nil {
		return nil, err
	}
	return struct {
		Deleted string `json:"deleted"`
	}{a.Name}, s.programChanged(source, "deleted "+a.Name, "", "")
}

func (s *Service) programRename(r topics.Request, source string) (any, error) {
	a, err := s.programArgs(r, true)
	if err != nil {
		return nil, err
	}
	doc, err := s.o.Programs.Rename(a.Name, a.NewName, a.Revision, source)
	if err != nil {
		return nil, err
	}
	return doc, s.programChanged(source, fmt.Sprintf("renamed %s to %s", a.Name, a.NewName), a.Name, a.NewName)
}

func (s *Service) programPreview(r topics.Request, _ string) (any, error) {
	a, err := s.programArgs(r, false)
	if err != nil {
		return nil, err
	}
	if a.Program == nil {
		return nil, topics.Errorf(topics.CodeBadRequest, `"program" is missing: the document, as program_get gives it`)
	}
	hours := a.Hours
	switch {
	case hours == 0:
		hours = 168
	case hours < 0 || hours > 24*366:
		return nil, topics.Errorf(topics.CodeBadRequest, "hours %v: want 0 to a year", hours)
	}
	now := s.o.Clock.Now()
	ws, err := s.o.Programs.Preview(*a.Program, now, time.Duration(hours*float64(time.Hour)), a.Hours == 0, s.o.Location)
	if err != nil {
		return nil, err
	}
	out := make([]topics.PlannedRun, 0, len(ws))
	for _, w := range ws {
		if w.End.After(now) {
			out = append(out, topics.PlannedRun{Zone: w.Zone, Start: topics.Time{Time: w.Start}, End: topics.Time{Time: w.End}, Profile: w.Profile})
		}
	}
	return out, nil
}

func (s *Service) programVersions(r topics.Request, _ string) (any, error) {
	return s.o.Programs.Versions()
}

func (s *Service) programRestore(r topics.Request, source string) (any, error) {
	a, err := s.programArgs(r, false)
	if err != nil {
		return nil, err
	}
	if err := s.o.Programs.Restore(a.Version, source); err != nil {
		return nil, err
	}
	if err := s.programChanged(source, fmt.Sprintf("restored version %d", a.Version), "", ""); err != nil {
		return nil, err
	}
	return s.o.Programs.List(s.o.Schedule.Active())
}

// programChanged puts a changed profile file in force: the schedule reads it again (a renamed
// active program stays active), the change is an event naming who made it, and Home
// Assistant hears the new list of programs.
func (s *Service) programChanged(by, what, old, renamed string) error {
	if err := s.o.Schedule.ReloadRenamed(old, renamed, by); err != nil {
		return err
	}
	s.o.Valves.AddEvent(topics.Event{Type: topics.EventProgramChanged, Source: by, Message: what})
	if s.o.Announce != nil {
		s.o.Announce()
	}
	return nil
}
