// Package programs serves the profile file as documents: a program (a profile) read with its
// revision, put, deleted or renamed. Each change is checked by the parser that loads the file,
// refused when the program changed since the revision the client read (another client, or a
// person editing the file), written atomically into the file in place (the other programs and
// the comments stay as written; a file in the original format becomes native, the original
// kept beside it), and kept as a version that can be listed and restored.
package programs

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"sprinkler/agent/schedule"
	"sprinkler/agent/versions"
	"sprinkler/configs"
	"sprinkler/statefile"
	"sprinkler/topics"
)

// Store is the profile file at Path, with its versions in Dir.
type Store struct {
	path     string
	versions *versions.File
	now      func() time.Time
	zones    Zones
	mu       sync.Mutex // one change at a time
}

// Zones are the zones' settings in force, read at each check: a schedule.Env is one whose
// settings never change.
type Zones interface {
	// ScheduleEnv is what a program is checked against: the zones it may water, with their
	// longest runs, and the site.
	ScheduleEnv() schedule.Env
}

// New returns the store of the profile file at path, checked against zones, keeping its
// versions in dir.
func New(path, dir string, zones Zones, now func() time.Time) *Store {
	return &Store{path: path, versions: versions.New(path, dir, now), zones: zones, now: now}
}

// Revision names a document's content: it changes whenever the program does.
func Revision(d topics.ProgramDoc) string {
	d.Revision = ""
	return topics.RevisionOf(d)
}

// current reads and parses the file as it is on disk now.
func (s *Store) current() ([]byte, *schedule.File, error) {
	src, err := os.ReadFile(s.path)
	if err != nil {
		return nil, nil, topics.Errorf(topics.CodeUnavailable, "the profile file: %v", err)
	}
	f, err := schedule.Parse(s.path, src, s.zones.ScheduleEnv())
	if err != nil {
		return nil, nil, topics.Errorf(topics.CodeUnavailable, "the profile file as it is on disk does not load: %v", err)
	}
	return src, f, nil
}

func docs(f *schedule.File) []topics.ProgramDoc {
	out := make([]topics.ProgramDoc, len(f.Profiles))
	for i := range f.Profiles {
		out[i] = f.Profiles[i].Doc()
		out[i].Revision = Revision(out[i])
	}
	return out
}

func find(ds []topics.ProgramDoc, name string) int {
	for i, d := range ds {
		if d.Name == name {
			return i
		}
	}
	return -1
}

// Preview returns the windows doc would water within span from from in loc, checked as a put is
// but not saved. A span that could hold more than topics.MaxPlannedRuns is shortened where
// clamp, else refused, before anything is computed (schedule.Profile.Fit).
func (s *Store) Preview(doc topics.ProgramDoc, from time.Time, span time.Duration, clamp bool, loc *time.Location) ([]schedule.Window, error) {
	if strings.TrimSpace(doc.Name) == "" {
		doc.Name = "preview"
	}
	src, err := schedule.Native("", []topics.ProgramDoc{doc})
	if err != nil {
		return nil, topics.Errorf(topics.CodeInternal, "program: %v", err)
	}
	f, err := schedule.Parse(s.path, src, s.zones.ScheduleEnv())
	if err != nil {
		return nil, topics.Errorf(topics.CodeBadRequest, "program %q: %s", doc.Name, placeRe.ReplaceAllString(err.Error(), ""))
	}
	p := &f.Profiles[0]
	span, err = p.Fit(span, topics.MaxPlannedRuns, clamp)
	if err != nil {
		return nil, err
	}
	return p.Windows(from, from.Add(span), loc), nil
}

// List returns every program with its zones and revision; active names the one in use.
func (s *Store) List(active string) ([]topics.ProgramSummary, error) {
	_, f, err := s.current()
	if err != nil {
		return nil, err
	}
	out := []topics.ProgramSummary{}
	for _, d := range docs(f) {
		sum := topics.ProgramSummary{Name: d.Name, About: d.About, Active: d.Name == active, Revision: d.Revision, Zones: []int{}}
		for _, z := range d.Zones {
			sum.Zones = append(sum.Zones, z.Zone)
		}
		out = append(out, sum)
	}
	return out, nil
}

// Get returns the program called name.
func (s *Store) Get(name string) (topics.ProgramDoc, error) {
	_, f, err := s.current()
	if err != nil {
		return topics.ProgramDoc{}, err
	}
	ds := docs(f)
	i := find(ds, name)
	if i < 0 {
		return topics.ProgramDoc{}, topics.Errorf(topics.CodeBadRequest, "no program %q (there are: %s)", name, names(ds))
	}
	return ds[i], nil
}

func names(ds []topics.ProgramDoc) string {
	var n []string
	for _, d := range ds {
		n = append(n, d.Name)
	}
	return strings.Join(n, ", ")
}

// stale refuses a change of program name read at revision rev that no longer holds: one of
// that name exists (i >= 0) at another revision, or is gone.
func stale(ds []topics.ProgramDoc, i int, name, rev string) error {
	switch {
	case i >= 0 && rev == "":
		return topics.Errorf(topics.CodeConflict, "program %q exists: name the revision you read (%s now), or choose another name", name, ds[i].Revision)
	case i >= 0 && rev != ds[i].Revision:
		return topics.Errorf(topics.CodeConflict, "program %q changed since revision %s (it is %s now): read it again", name, rev, ds[i].Revision)
	case i < 0 && rev != "":
		return topics.Errorf(topics.CodeConflict, "program %q is gone since revision %s (deleted or renamed)", name, rev)
	}
	return nil
}

// Put creates the program doc names, or replaces it when doc.Revision is the one it has.
func (s *Store) Put(doc topics.ProgramDoc, by string) (topics.ProgramDoc, error) {
	if strings.TrimSpace(doc.Name) == "" {
		return topics.ProgramDoc{}, topics.Errorf(topics.CodeBadRequest, "program: name is missing")
	}
	return s.change(by, "put", doc.Name, func(ds []topics.ProgramDoc, active string) ([]topics.ProgramDoc, string, error) {
		i := find(ds, doc.Name)
		if err := stale(ds, i, doc.Name, doc.Revision); err != nil {
			return nil, "", err
		}
		doc.Revision = ""
		if i < 0 {
			return append(ds, doc), active, nil
		}
		ds[i] = doc
		return ds, active, nil
	})
}

// Delete deletes the program name, read at revision rev; never the one in use (inUse).
func (s *Store) Delete(name, rev, inUse, by string) error {
	_, err := s.change(by, "delete", name, func(ds []topics.ProgramDoc, active string) ([]topics.ProgramDoc, string, error) {
		i := find(ds, name)
		if i < 0 && rev == "" {
			return nil, "", topics.Errorf(topics.CodeBadRequest, "no program %q", name)
		}
		if err := stale(ds, i, name, rev); err != nil {
			return nil, "", err
		}
		if name == inUse {
			return nil, "", topics.Errorf(topics.CodeBadRequest, "program %q is the active one: activate another first", name)
		}
		if active == name {
			active = inUse
		}
		return append(ds[:i], ds[i+1:]...), active, nil
	})
	return err
}

// Rename renames the program name, read at revision rev, to newName.
func (s *Store) Rename(name, newName, rev, by string) (topics.ProgramDoc, error) {
	if strings.TrimSpace(newName) == "" {
		return topics.ProgramDoc{}, topics.Errorf(topics.CodeBadRequest, "new_name is missing")
	}
	return s.change(by, "rename", newName, func(ds []topics.ProgramDoc, active string) ([]topics.ProgramDoc, string, error) {
		i := find(ds, name)
		if i < 0 && rev == "" {
			return nil, "", topics.Errorf(topics.CodeBadRequest, "no program %q", name)
		}
		if err := stale(ds, i, name, rev); err != nil {
			return nil, "", err
		}
		if find(ds, newName) >= 0 {
			return nil, "", topics.Errorf(topics.CodeConflict, "a program %q exists already", newName)
		}
		ds[i].Name, ds[i].Revision = newName, ""
		if active == name {
			active = newName
		}
		return ds, active, nil
	})
}

// edit is a change of the documents: the new list and the file's active name.
type edit func(ds []topics.ProgramDoc, active string) ([]topics.ProgramDoc, string, error)

// change applies fn to the programs on disk, checks the result as the agent loads it, writes
// it and keeps it as a version. It returns the document of program (its new revision), or
// the zero document when program is gone.
func (s *Store) change(by, action, program string, fn edit) (topics.ProgramDoc, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	src, f, err := s.current()
	if err != nil {
		return topics.ProgramDoc{}, err
	}
	before := docs(f)
	after, active, err := fn(append([]topics.ProgramDoc{}, before...), f.Active)
	if err != nil {
		return topics.ProgramDoc{}, err
	}
	out, converted, err := write(src, before, after, f.Active, active)
	if err != nil {
		return topics.ProgramDoc{}, topics.Errorf(topics.CodeInternal, "program: %v", err)
	}
	if bytes.Equal(out, src) { // put back as it was: nothing to write or keep
		if i := find(before, program); i >= 0 {
			return before[i], nil
		}
	}
	g, err := schedule.Parse(s.path, out, s.zones.ScheduleEnv())
	if err != nil {
		// The lines are the new file's, which the client never saw: the profile, zone and
		// field name the place.
		return topics.ProgramDoc{}, topics.Errorf(topics.CodeBadRequest, "program %q not saved: %s", program, placeRe.ReplaceAllString(err.Error(), ""))
	}
	if converted {
		if err := s.keepOriginal(src); err != nil {
			return topics.ProgramDoc{}, err
		}
	}
	if err := s.versions.Write(src, out, by, action, program); err != nil {
		return topics.ProgramDoc{}, err
	}
	ds := docs(g)
	if i := find(ds, program); i >= 0 {
		return ds[i], nil
	}
	return topics.ProgramDoc{}, nil
}

var placeRe = regexp.MustCompile(`(?m)^[^\n]*?:\d+: `)

// write is the file src with the programs changed from before to after: in a native file each
// changed entry replaced where it stands; an original file written anew in the native format
// (converted).
func write(src []byte, before, after []topics.ProgramDoc, activeWas, active string) (out []byte, converted bool, err error) {
	e, err := configs.NewEdit(src)
	if err != nil {
		return nil, false, err
	}
	if e.Items("profiles") == nil {
		out, err := schedule.Native(active, after)
		return out, true, err
	}
	// Entries keep their order: a put replaces one or adds one at the end, a rename replaces
	// one, a delete takes one out.
	if len(after) < len(before) {
		for j := range before {
			if find(after, before[j].Name) < 0 {
				if err := e.DeleteItem("profiles", j); err != nil {
					return nil, false, err
				}
				before = slices.Delete(slices.Clone(before), j, j+1)
				break
			}
		}
	}
	for i, d := range after {
		if i < len(before) && Revision(before[i]) == Revision(d) {
			continue
		}
		n, err := schedule.DocNode(d)
		if err != nil {
			return nil, false, err
		}
		if err := e.SetItem("profiles", i, n); err != nil {
			return nil, false, err
		}
	}
	if active != activeWas {
		if err := e.SetTop("active", active); err != nil {
			return nil, false, err
		}
	}
	return e.Bytes(), false, nil
}

// keepOriginal keeps a file in the original format beside it before it is written natively.
func (s *Store) keepOriginal(src []byte) error {
	dst := s.path + ".original"
	if _, err := os.Stat(dst); err == nil {
		dst = fmt.Sprintf("%s.original-%d", s.path, s.now().Unix())
	}
	if err := statefile.ReplacePerm(dst, src, 0o644, -1); err != nil {
		return topics.Errorf(topics.CodeNotSaved, "program: keeping the original file: %v", err)
	}
	return nil
}

// Versions lists the kept versions of the file, the oldest first.
func (s *Store) Versions() ([]topics.Version, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.versions.List()
}

// Restore makes version v the file again, checked as any change is.
func (s *Store) Restore(v int, by string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.versions.Content(v)
	if old == nil {
		return topics.Errorf(topics.CodeBadRequest, "no version %d kept (program_versions lists them)", v)
	}
	if _, err := schedule.Parse(s.path, old, s.zones.ScheduleEnv()); err != nil {
		return topics.Errorf(topics.CodeBadRequest, "version %d does not load with this configuration: %v", v, err)
	}
	src, err := os.ReadFile(s.path)
	if err != nil {
		return topics.Errorf(topics.CodeUnavailable, "the profile file: %v", err)
	}
	return s.versions.Write(src, old, by, fmt.Sprintf("restore %d", v), "")
}
