//go:build unix

package statefile_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"sprinkler/statefile"
)

// TestReplaceLikeKeepsModeAndOwners: a file rewritten by root keeps its mode, owner and group
// (the package's files are the agent's user's, and root's init must leave them so).
func TestReplaceLikeKeepsModeAndOwners(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("changing a file's owner needs root")
	}
	path := filepath.Join(t.TempDir(), "agent.yaml")
	if err := os.WriteFile(path, []byte("old\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(path, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if err := statefile.ReplaceLike(path, []byte("new\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	st := info.Sys().(*syscall.Stat_t)
	if info.Mode().Perm() != 0o640 || st.Uid != 65534 || st.Gid != 65534 {
		t.Errorf("mode %v, owners %d:%d; want 0640 65534:65534", info.Mode().Perm(), st.Uid, st.Gid)
	}
}
