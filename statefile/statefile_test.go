package statefile_test

import (
	"os"
	"path/filepath"
	"testing"

	"sprinkler/statefile"
)

type doc struct {
	Profile string `json:"profile"`
	Runs    []int  `json:"runs"`
}

func TestWriteReadReplace(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.json")
	var d doc
	if ok, err := statefile.Read(path, &d); ok || err != nil {
		t.Fatalf("missing file: %v %v", ok, err)
	}
	for _, want := range []doc{{"summer", []int{1, 3}}, {"winter", nil}} {
		if err := statefile.Write(path, want); err != nil {
			t.Fatal(err)
		}
		var got doc
		if ok, err := statefile.Read(path, &got); !ok || err != nil || got.Profile != want.Profile || len(got.Runs) != len(want.Runs) {
			t.Fatalf("read %+v, %v, %v; want %+v", got, ok, err, want)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

func TestCorruptFileIsAnError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	if err := os.WriteFile(path, []byte("{torn"), 0o600); err != nil {
		t.Fatal(err)
	}
	var d doc
	if _, err := statefile.Read(path, &d); err == nil {
		t.Error("a corrupt file read without error")
	}
}

func TestWriteIntoMissingDirFails(t *testing.T) {
	if err := statefile.Write(filepath.Join(t.TempDir(), "no", "state.json"), doc{}); err == nil {
		t.Error("wrote into a missing directory")
	}
}
