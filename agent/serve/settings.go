package serve

import (
	"time"

	"sprinkler/topics"
)

// Settings reads and changes the zones' and the site's settings while the agent runs.
type Settings interface {
	Zones() ([]topics.ZoneSettings, error)
	SetZone(a topics.ZoneSetArgs, by string) (topics.ZoneSettings, error)
	// SetDefault changes a zone's default run alone, as its duration topic asks: where its
	// other settings live, in force at once.
	SetDefault(zone int, d time.Duration, by string) error
	Site() (topics.SiteSettings, error)
	SetSite(a topics.SiteSetArgs, by string) (topics.SiteSettings, error)
	SetMaxOpen(n int, by string) error
	Versions() ([]topics.Version, error)
	Restore(v int, by string) error
}

// needSettings refuses a settings request where nothing can change them.
func (s *Service) needSettings(h handler) handler {
	return func(r topics.Request, source string) (any, error) {
		if s.o.Settings == nil {
			return nil, topics.Errorf(topics.CodeUnavailable, "settings cannot be changed here")
		}
		return h(r, source)
	}
}

func (s *Service) zoneList(r topics.Request, _ string) (any, error) {
	return s.o.Settings.Zones()
}

func (s *Service) zoneSet(r topics.Request, source string) (any, error) {
	var a topics.ZoneSetArgs
	if err := r.Decode(&a); err != nil {
		return nil, err
	}
	if a.Zone == 0 {
		return nil, topics.Errorf(topics.CodeBadRequest, `"zone" is missing`)
	}
	return s.o.Settings.SetZone(a, source)
}

func (s *Service) siteGet(r topics.Request, _ string) (any, error) {
	return s.o.Settings.Site()
}

func (s *Service) siteSet(r topics.Request, source string) (any, error) {
	var a topics.SiteSetArgs
	if err := r.Decode(&a); err != nil {
		return nil, err
	}
	return s.o.Settings.SetSite(a, source)
}

func (s *Service) limitsSet(r topics.Request, source string) (any, error) {
	var a topics.LimitsSetArgs
	if err := r.Decode(&a); err != nil {
		return nil, err
	}
	if err := s.o.Settings.SetMaxOpen(a.MaxOpen, source); err != nil {
		return nil, err
	}
	return s.limitsNow(), nil
}

func (s *Service) configVersions(r topics.Request, _ string) (any, error) {
	return s.o.Settings.Versions()
}

func (s *Service) configRestore(r topics.Request, source string) (any, error) {
	var a topics.ProgramArgs
	if err := r.Decode(&a); err != nil {
		return nil, err
	}
	if err := s.o.Settings.Restore(a.Version, source); err != nil {
		return nil, err
	}
	return s.o.Settings.Zones()
}
