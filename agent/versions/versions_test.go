package versions_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"sprinkler/agent/versions"
)

// TestVersionsKeepWhatWasAndWhoChangedIt: the first write keeps the file as found, then the
// change; a hand edit between two writes is kept as one of its own; the current version is
// marked; only Keep are kept; each can be read back.
func TestVersionsKeepWhatWasAndWhoChangedIt(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "profiles.yaml")
	if err := os.WriteFile(path, []byte("a\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 6, 1, 6, 0, 0, 0, time.UTC)
	f := versions.New(path, filepath.Join(dir, "versions"), func() time.Time { return now })
	if err := f.Write([]byte("a\n"), []byte("b\n"), "alice", "put", "summer"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("c\n"), 0o640); err != nil { // by hand
		t.Fatal(err)
	}
	if err := f.Write([]byte("c\n"), []byte("d\n"), "bob", "put", "winter"); err != nil {
		t.Fatal(err)
	}
	vs, err := f.List()
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ by, action, content string }{{"file", "as found", "a\n"}, {"alice", "put", "b\n"}, {"file", "edited by hand", "c\n"}, {"bob", "put", "d\n"}}
	if len(vs) != len(want) {
		t.Fatalf("versions: %+v", vs)
	}
	for i, w := range want {
		if vs[i].By != w.by || vs[i].Action != w.action || string(f.Content(vs[i].Version)) != w.content || vs[i].Current != (i == 3) {
			t.Errorf("version %d: %+v, content %q; want %+v", i+1, vs[i], f.Content(vs[i].Version), w)
		}
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o640 {
		t.Errorf("the file's mode after a write: %v, %v", info.Mode(), err)
	}
	for i := range versions.Keep {
		if err := f.Write([]byte("d\n"), []byte("d\n"), "bob", "put", "again"); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	vs, _ = f.List()
	if len(vs) != versions.Keep || f.Content(1) != nil {
		t.Errorf("after many writes: %d kept, the first still there: %v", len(vs), f.Content(1) != nil)
	}
}

// TestAFailedWriteChangesNothing: a file that cannot be replaced (its folder read-only) keeps
// its content, and the error says it was not saved.
func TestAFailedWriteChangesNothing(t *testing.T) {
	if os.Getuid() == 0 {
		t.Skip("root writes into a read-only folder")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "agent.yaml")
	if err := os.WriteFile(path, []byte("a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f := versions.New(path, filepath.Join(t.TempDir(), "versions"), time.Now)
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(dir, 0o700)
	if err := f.Write([]byte("a\n"), []byte("b\n"), "alice", "zone", "zone 1"); err == nil {
		t.Fatal("a write into a read-only folder succeeded")
	}
	if b, _ := os.ReadFile(path); string(b) != "a\n" {
		t.Errorf("the file is now %q", b)
	}
}
