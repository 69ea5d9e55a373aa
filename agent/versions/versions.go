// Package versions keeps the last versions of a file that the agent writes on request (the
// profile file, the configuration file): each with when, who and what, the file as first found
// and any hand edit found since among them, so that one can be listed and restored.
package versions

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"sprinkler/statefile"
	"sprinkler/topics"
)

// Keep is how many versions are kept.
const Keep = 20

// File is the file at Path with its versions in a folder of their own. Its methods are not
// safe for concurrent use: the caller makes one change at a time.
type File struct {
	path string
	dir  string
	now  func() time.Time
}

// New returns the versioned file at path, its versions in dir.
func New(path, dir string, now func() time.Time) *File { return &File{path: path, dir: dir, now: now} }

// Write replaces the file, read as src, by out, atomically and keeping its mode, and keeps
// both as versions: src first when the last kept version is not it (the file as found, or
// edited by hand since). A failed write changes nothing and is a CodeUnavailable error.
func (f *File) Write(src, out []byte, by, action, what string) error {
	vs, err := f.index()
	if err != nil {
		return err
	}
	if len(vs) == 0 || !bytes.Equal(f.Content(vs[len(vs)-1].Version), src) {
		how := "as found"
		if len(vs) > 0 {
			how = "edited by hand"
		}
		if vs, err = f.record(vs, src, topics.Version{By: "file", Action: how}); err != nil {
			return topics.Errorf(topics.CodeUnavailable, "not saved: keeping the version before: %v", err)
		}
	}
	if err := statefile.ReplaceLike(f.path, out, 0o644); err != nil {
		return topics.Errorf(topics.CodeUnavailable, "not saved: %v", err)
	}
	if _, err := f.record(vs, out, topics.Version{By: by, Action: action, What: what}); err != nil {
		return topics.Errorf(topics.CodeNotSaved, "saved, but not kept as a version: %v", err)
	}
	return nil
}

// List lists the kept versions, the oldest first, Current on those the file is now.
func (f *File) List() ([]topics.Version, error) {
	vs, err := f.index()
	if err != nil {
		return nil, err
	}
	src, _ := os.ReadFile(f.path)
	for i := range vs {
		vs[i].Current = bytes.Equal(f.Content(vs[i].Version), src)
	}
	return vs, nil
}

// Content is version v as it was kept; nil when it is not kept.
func (f *File) Content(v int) []byte {
	b, err := os.ReadFile(f.versionPath(v))
	if err != nil {
		return nil
	}
	return b
}

// Path is where version v is kept.
func (f *File) Path(v int) string { return f.versionPath(v) }

// indexFormat is the format of the versions' index, versions.json.
const indexFormat = 1

func (f *File) indexPath() string { return filepath.Join(f.dir, "versions.json") }
func (f *File) versionPath(v int) string {
	return filepath.Join(f.dir, fmt.Sprintf("v%d%s", v, filepath.Ext(f.path)))
}

func (f *File) index() ([]topics.Version, error) {
	var vs []topics.Version
	if _, err := statefile.Read(f.indexPath(), indexFormat, &vs); err != nil {
		return nil, topics.Errorf(topics.CodeUnavailable, "versions: %v", err)
	}
	return vs, nil
}

// record keeps data as the next version, and drops the oldest beyond Keep.
func (f *File) record(vs []topics.Version, data []byte, v topics.Version) ([]topics.Version, error) {
	if err := os.MkdirAll(f.dir, 0o700); err != nil {
		return vs, err
	}
	v.Version = 1
	if len(vs) > 0 {
		v.Version = vs[len(vs)-1].Version + 1
	}
	v.TS = topics.Time{Time: f.now()}
	if err := statefile.Replace(f.versionPath(v.Version), data); err != nil {
		return vs, err
	}
	vs = append(vs, v)
	for len(vs) > Keep {
		if err := os.Remove(f.versionPath(vs[0].Version)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return vs, err
		}
		vs = vs[1:]
	}
	return vs, statefile.Write(f.indexPath(), indexFormat, vs)
}
