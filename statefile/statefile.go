// Package statefile keeps a small JSON document on disk so that it survives a crash or a power
// cut: every write goes to a temporary file that is synced and then renamed over the old one,
// so a reader finds the old document or the new one, never a torn mix.
//
// Each document carries the number of its format, {"format": N, "data": …}, so that a newer
// release reads an older one's documents and brings them forward (format 0 is a bare document,
// as kept before formats), and an older release never takes a newer one's for its own: it sets
// such a document aside, whole, under a name that says its format.
package statefile

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Write replaces the document at path with v encoded as JSON, of format, atomically and durably.
func Write(path string, format int, v any) error {
	b, err := json.MarshalIndent(struct {
		Format int `json:"format"`
		Data   any `json:"data"`
	}{format, v}, "", "  ")
	if err != nil {
		return fmt.Errorf("statefile: %w", err)
	}
	return Replace(path, append(b, '\n'))
}

// Replace replaces the file at path with data, atomically and durably: a reader, even after
// a crash or a power cut, finds the old file or the new one whole. It is the one writer of
// every file that is replaced rather than appended to. On any error the old file stays.
func Replace(path string, data []byte) error { return ReplacePerm(path, data, 0o600, -1) }

// ReplacePerm is Replace for a file that others read: the new file has the permissions perm
// and, unless gid is -1, the group gid, from the moment it appears.
func ReplacePerm(path string, data []byte, perm os.FileMode, gid int) error {
	return replace(path, data, perm, -1, gid, false)
}

// ReplaceLike is Replace for a file whose mode and owners are to stay: the new file has the
// old one's permissions, its owner when the caller is root and its group when the caller may
// give it (root, or a member); a new file has perm.
func ReplaceLike(path string, data []byte, perm os.FileMode) error {
	uid, gid := -1, -1
	if info, err := os.Stat(path); err == nil {
		perm = info.Mode().Perm()
		uid, gid = owners(info)
	}
	return replace(path, data, perm, uid, gid, true)
}

// replace writes data to a new file of mode perm, owned by uid and gid (-1: the caller's),
// then renames it over path; with bestEffort, owners the caller may not give are left.
func replace(path string, data []byte, perm os.FileMode, uid, gid int, bestEffort bool) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("statefile: %w", err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return fmt.Errorf("statefile: %w", err)
	}
	if uid != -1 || gid != -1 {
		err := tmp.Chown(uid, gid)
		if err != nil && bestEffort && uid != -1 {
			err = tmp.Chown(-1, gid) // not root: the group alone, when it is one of the caller's
		}
		if err != nil && !(bestEffort && errors.Is(err, fs.ErrPermission)) {
			tmp.Close()
			return fmt.Errorf("statefile: %w", err)
		}
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("statefile: write %s: %w", tmp.Name(), err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("statefile: sync %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("statefile: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("statefile: %w", err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("statefile: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil { // make the rename itself durable
		return fmt.Errorf("statefile: sync %s: %w", dir, err)
	}
	return nil
}

// Upgrade brings a document's data one format forward.
type Upgrade func(data json.RawMessage) (json.RawMessage, error)

// NewerError is a document of a format newer than the reader knows: it was set aside, as Aside.
type NewerError struct {
	Path, Aside   string
	Format, Known int
}

func (e *NewerError) Error() string {
	return fmt.Sprintf("%s was written by a newer release (format %d; this one reads up to %d): set aside as %s, for that release to find again",
		e.Path, e.Format, e.Known, e.Aside)
}

// Read decodes the document at path, of format at most format, into v. An older one is brought
// forward first: up[f] takes format f to f+1 (none: the data stays as it is). A newer one is set
// aside (NewerError) and v left as it was. It reports false, and no error, when there is none.
func Read(path string, format int, v any, up ...Upgrade) (bool, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("statefile: %w", err)
	}
	found, data := 0, json.RawMessage(b)
	var env map[string]json.RawMessage
	if json.Unmarshal(b, &env) == nil && len(env) == 2 && env["format"] != nil && env["data"] != nil {
		if err := json.Unmarshal(env["format"], &found); err != nil {
			return false, fmt.Errorf("statefile: %s: format: %w", path, err)
		}
		data = env["data"]
	}
	if err := CheckFormat(path, found, format); err != nil {
		return false, err
	}
	for f := found; f < format; f++ {
		if f < len(up) && up[f] != nil {
			if data, err = up[f](data); err != nil {
				return false, fmt.Errorf("statefile: %s: from format %d: %w", path, f, err)
			}
		}
	}
	if err := json.Unmarshal(data, v); err != nil {
		return false, fmt.Errorf("statefile: %s: %w", path, err)
	}
	return true, nil
}

// CheckFormat accepts a file at path of format found when this release knows that format
// (known or an older one); a newer release's file it sets aside, renamed to say its format, and
// returns the NewerError that tells where it went.
func CheckFormat(path string, found, known int) error {
	if found <= known {
		return nil
	}
	e := &NewerError{Path: path, Aside: fmt.Sprintf("%s.format-%d", path, found), Format: found, Known: known}
	if err := os.Rename(path, e.Aside); err != nil {
		return fmt.Errorf("statefile: %s: format %d is newer than this release reads (%d), and it could not be set aside: %w", path, found, known, err)
	}
	return e
}

// LinesHeader is the first line of a file of JSON lines in format: {"format":N}.
func LinesHeader(format int) []byte { return fmt.Appendf(nil, "{\"format\":%d}\n", format) }

// LinesFormat reads the format of a file of JSON lines from its first line: the format and
// true when it is a LinesHeader, else 0 (a file from before formats, whose first line is data).
// A newer format than known is set aside (NewerError).
func LinesFormat(path string, first []byte, known int) (int, bool, error) {
	var h map[string]json.RawMessage
	if json.Unmarshal(first, &h) != nil || len(h) != 1 || h["format"] == nil {
		return 0, false, nil
	}
	var f int
	if err := json.Unmarshal(h["format"], &f); err != nil {
		return 0, false, fmt.Errorf("statefile: %s: format: %w", path, err)
	}
	return f, true, CheckFormat(path, f, known)
}
