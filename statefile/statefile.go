// Package statefile keeps a small JSON document on disk so that it survives a crash or a power
// cut: every write goes to a temporary file that is synced and then renamed over the old one,
// so a reader finds the old document or the new one, never a torn mix.
package statefile

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Write replaces the document at path with v encoded as JSON, atomically and durably.
func Write(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
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
		if err := tmp.Chown(uid, gid); err != nil && bestEffort && uid != -1 {
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

// Read decodes the document at path into v. It reports false, and no error, when there is
// none yet.
func Read(path string, v any) (bool, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("statefile: %w", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("statefile: %s: %w", path, err)
	}
	return true, nil
}
