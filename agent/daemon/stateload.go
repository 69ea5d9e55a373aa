package daemon

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"sprinkler/statefile"
)

// field is one field of the state document, read on its own so that one that cannot be read
// loses nothing else. Names under "schedule." are fields of the schedule object.
type field struct {
	name string
	of   func(*document) any
}

var fields = []field{
	{"runs", func(d *document) any { return &d.Runs }},
	{"paused_until", func(d *document) any { return &d.PausedUntil }},
	{"schedule.profile", func(d *document) any { return &d.Schedule.Profile }},
	{"schedule.auto", func(d *document) any { return &d.Schedule.Auto }},
	{"schedule.rain_delay_until", func(d *document) any { return &d.Schedule.RainDelayUntil }},
	{"schedule.water_level", func(d *document) any { return &d.Schedule.WaterLevel }},
	{"schedule.skips", func(d *document) any { return &d.Schedule.Skips }},
	{"defaults", func(d *document) any { return &d.Defaults }},
	{"max_open", func(d *document) any { return &d.MaxOpen }},
	{"discovery", func(d *document) any { return &d.Discovery }},
	{"saved", func(d *document) any { return &d.Saved }},
}

// parsed is a state file as far as it could be read.
type parsed struct {
	doc document
	raw map[string]json.RawMessage // by field name
	bad map[string]string          // the fields that could not be read: their values, quoted
}

// readDocument reads the state file at path field by field. It fails only when the file is
// missing or is not a JSON object at all.
func readDocument(path string) (parsed, error) {
	p := parsed{raw: map[string]json.RawMessage{}, bad: map[string]string{}}
	b, err := os.ReadFile(path)
	if err != nil {
		return p, err
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil {
		return p, fmt.Errorf("not a JSON object (%v; %d bytes%s)", err, len(b), nulNote(b))
	}
	var format int
	if raw, ok := top["format"]; ok && json.Unmarshal(raw, &format) != nil {
		p.bad["format"] = short(raw)
	}
	if err := statefile.CheckFormat(path, format, stateFormat); err != nil {
		return p, err
	}
	var sched map[string]json.RawMessage
	schedRaw, hasSched := top["schedule"]
	schedBad := hasSched && json.Unmarshal(schedRaw, &sched) != nil
	for _, f := range fields {
		raw, ok := top[f.name]
		if name, sub := strings.CutPrefix(f.name, "schedule."); sub {
			if schedBad { // every field of a schedule that is not an object is lost
				p.bad[f.name] = "(schedule is " + short(schedRaw) + ")"
				continue
			}
			raw, ok = sched[name]
		}
		if !ok {
			continue
		}
		p.raw[f.name] = raw
		if err := json.Unmarshal(raw, f.of(&p.doc)); err != nil {
			p.bad[f.name] = short(raw)
		}
	}
	return p, nil
}

// load reads the state document. A file that cannot be read is moved aside for inspection and
// its copy used; a field that cannot be read is taken from the copy, or else left at its safe
// value (automatic runs off). With neither usable the agent starts safe: automatic runs off.
// After a change that could not be saved, the document set aside gives the settings but no run
// to resume. It returns what it found wrong, for the problems; nothing for a first start.
func (s *state) load() []string {
	name := filepath.Base(s.path)
	main, mainErr := readDocument(s.path)
	stale, staleErr := readDocument(s.path + staleSuffix)
	if mainErr == nil && len(main.bad) == 0 {
		s.doc = main.doc
		if staleErr == nil { // a later write succeeded
			_ = os.Remove(s.path + staleSuffix)
			_ = os.Remove(s.path + copySuffix + staleSuffix)
		}
		return nil
	}
	var notes []string
	if _, newer := errors.AsType[*statefile.NewerError](mainErr); newer {
		notes = append(notes, mainErr.Error())
	} else if mainErr != nil && !errors.Is(mainErr, fs.ErrNotExist) {
		notes = append(notes, fmt.Sprintf("%s could not be read (%v) and was moved to %s", name, mainErr, s.moveAside(s.path)))
	}
	cp, cpErr := readDocument(s.path + copySuffix)
	switch {
	case mainErr == nil:
		s.doc = main.doc
		for _, f := range fields {
			value, bad := main.bad[f.name]
			if !bad {
				continue
			}
			from := "its safe value"
			if raw, ok := cp.raw[f.name]; ok && cpErr == nil && cp.bad[f.name] == "" && json.Unmarshal(raw, f.of(&s.doc)) == nil {
				from = "the copy " + name + copySuffix
			} else if f.name == "schedule.auto" {
				off := false
				s.doc.Schedule.Auto = &off
			}
			notes = append(notes, fmt.Sprintf("%s: %s: %s could not be read; taken from %s", name, f.name, value, from))
		}
		notes = append(notes, "the file as it was is in "+s.copyAside(s.path))
	case cpErr == nil && len(cp.bad) == 0:
		s.doc = cp.doc
		notes = append(notes, fmt.Sprintf("the copy %s%s, saved %s, is used", name, copySuffix, cp.doc.Saved.UTC().Format(time.RFC3339)))
	case staleErr == nil:
		s.doc = stale.doc
		s.doc.Runs, s.doc.PausedUntil = nil, time.Time{}
		notes = append(notes, fmt.Sprintf("the state could not be saved before the agent stopped: the settings saved %s are used, and no run resumes",
			stale.doc.Saved.UTC().Format(time.RFC3339)))
	case errors.Is(mainErr, fs.ErrNotExist) && errors.Is(cpErr, fs.ErrNotExist):
		return nil // a first start
	default:
		if _, newer := errors.AsType[*statefile.NewerError](cpErr); newer {
			notes = append(notes, cpErr.Error())
		} else if cpErr != nil && !errors.Is(cpErr, fs.ErrNotExist) {
			notes = append(notes, fmt.Sprintf("its copy %s%s could not be read either (%v) and was moved to %s", name, copySuffix, cpErr, s.moveAside(s.path+copySuffix)))
		}
		off := false
		s.doc = document{Schedule: s.doc.Schedule}
		s.doc.Schedule.Auto = &off
		notes = append(notes, "no saved state is usable: automatic runs are off until turned on, and the rain delay, water level and changed default runs are gone")
	}
	return notes
}

// aside is the name with the time that a damaged file at path is kept under, for inspection.
func (s *state) aside(path string) string {
	return path + ".bad-" + s.clock.Now().UTC().Format("20060102T150405Z")
}

// moveAside renames the file at path to its aside name and returns it.
func (s *state) moveAside(path string) string {
	to := s.aside(path)
	if err := os.Rename(path, to); err != nil {
		return path + " (could not be moved: " + err.Error() + ")"
	}
	return to
}

// copyAside copies the file at path to its aside name and returns it.
func (s *state) copyAside(path string) string {
	to := s.aside(path)
	b, err := os.ReadFile(path)
	if err == nil {
		err = os.WriteFile(to, b, 0o600)
	}
	if err != nil {
		return path + " (could not be copied: " + err.Error() + ")"
	}
	return to
}

// short quotes a JSON value for a message, at most 40 bytes of it.
func short(raw json.RawMessage) string {
	if len(raw) > 40 {
		return string(raw[:40]) + "…"
	}
	return string(raw)
}

// nulNote says how much of b is NUL bytes, as a power cut leaves some filesystems' files.
func nulNote(b []byte) string {
	if n := bytes.Count(b, []byte{0}); n > 0 {
		return fmt.Sprintf(", %d of them NUL", n)
	}
	return ""
}
