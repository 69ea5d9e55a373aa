package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"

	"sprinkler/agent/schedule"
)

// FolderError is a failure to write beside the configuration file (a full disk, no
// permission), as opposed to a configuration that does not load.
type FolderError struct{ Err error }

func (e *FolderError) Error() string { return e.Err.Error() }
func (e *FolderError) Unwrap() error { return e.Err }

// LoadCandidate loads data as the configuration file at path would load: from a temporary file
// beside it, so that its relative paths mean the same, with path named in any error. A
// failure to write there is a *FolderError.
func LoadCandidate(path string, data []byte) (Config, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".candidate-*.yaml")
	if err != nil {
		return Config{}, &FolderError{err}
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Config{}, &FolderError{err}
	}
	c, _, err := LoadWarn(tmp.Name(), true)
	if err != nil {
		return Config{}, errors.New(strings.ReplaceAll(err.Error(), tmp.Name(), path))
	}
	return c, nil
}

// CheckSchedule loads the profile file, if the configuration names one, against its zones and
// site: the schedule the agent would run on it.
func (c Config) CheckSchedule() error {
	if c.Schedule.File == "" {
		return nil
	}
	_, err := schedule.Load(c.Schedule.File, c.ScheduleEnv())
	return err
}
