package serve

import (
	"context"
	"time"

	"sprinkler/topics"
)

func unavailable(what string) error {
	return topics.Errorf(topics.CodeUnavailable, "%s is not available on this agent", what)
}

// logLines is how many lines logs and errors return: 50 unless a says.
func logLines(a topics.LogArgs) (int, error) {
	if a.Lines == nil {
		return 50, nil
	}
	if *a.Lines < 1 || *a.Lines > 100_000 {
		return 0, topics.Errorf(topics.CodeBadRequest, "lines %d: want 1 to 100000", *a.Lines)
	}
	return *a.Lines, nil
}

func (s *Service) readLog(r topics.Request, read func(int, []string) ([]string, error)) (any, error) {
	var a topics.LogArgs
	if err := r.Decode(&a); err != nil {
		return nil, err
	}
	n, err := logLines(a)
	if err != nil {
		return nil, err
	}
	lines, err := read(n, a.Grep)
	if err != nil {
		return nil, topics.Errorf(topics.CodeUnavailable, "%v", err)
	}
	return topics.LogReply{Lines: append([]string{}, lines...)}, nil
}

func (s *Service) logs(r topics.Request, _ string) (any, error) {
	if s.o.System.Logs == nil {
		return nil, unavailable("the log")
	}
	return s.readLog(r, s.o.System.Logs.Tail)
}

func (s *Service) errorLog(r topics.Request, _ string) (any, error) {
	if s.o.System.Logs == nil {
		return nil, unavailable("the error log")
	}
	return s.readLog(r, s.o.System.Logs.Errors)
}

func (s *Service) clearLog(r topics.Request, by string, empty func() error, what string) (any, error) {
	if err := empty(); err != nil {
		return nil, topics.Errorf(topics.CodeUnavailable, "%v", err)
	}
	s.o.Log.Warn(what+" cleared", "by", by)
	return struct{}{}, nil
}

func (s *Service) clearLogs(r topics.Request, by string) (any, error) {
	if s.o.System.Logs == nil {
		return nil, unavailable("the log")
	}
	return s.clearLog(r, by, s.o.System.Logs.Clear, "the log")
}

func (s *Service) clearErrors(r topics.Request, by string) (any, error) {
	if s.o.System.Logs == nil {
		return nil, unavailable("the error log")
	}
	return s.clearLog(r, by, s.o.System.Logs.ClearErrors, "the error log")
}

func (s *Service) health(r topics.Request, _ string) (any, error) {
	if s.o.System.Health == nil {
		return nil, unavailable("health")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	return s.o.System.Health(ctx), nil
}

func (s *Service) stopAgent(r topics.Request, by string, reboot bool) (any, error) {
	if s.o.System.Shutdown == nil {
		return nil, unavailable("shutdown")
	}
	if err := s.o.System.Shutdown(reboot, by); err != nil {
		return nil, err
	}
	return struct {
		Stopping bool `json:"stopping"`
		Reboot   bool `json:"reboot"`
	}{true, reboot}, nil
}

func (s *Service) shutdown(r topics.Request, by string) (any, error) {
	return s.stopAgent(r, by, false)
}

func (s *Service) reboot(r topics.Request, by string) (any, error) { return s.stopAgent(r, by, true) }

// fail panics on purpose, to show that a failing command is caught, logged and answered.
func (s *Service) fail(r topics.Request, by string) (any, error) {
	panic("test error requested by " + by)
}
