package statefile_test

import (
	"encoding/json"
	"errors"
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
	if ok, err := statefile.Read(path, 1, &d); ok || err != nil {
		t.Fatalf("missing file: %v %v", ok, err)
	}
	for _, want := range []doc{{"summer", []int{1, 3}}, {"winter", nil}} {
		if err := statefile.Write(path, 1, want); err != nil {
			t.Fatal(err)
		}
		var got doc
		if ok, err := statefile.Read(path, 1, &got); !ok || err != nil || got.Profile != want.Profile || len(got.Runs) != len(want.Runs) {
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
	if _, err := statefile.Read(path, 1, &d); err == nil {
		t.Error("a corrupt file read without error")
	}
}

func TestWriteIntoMissingDirFails(t *testing.T) {
	if err := statefile.Write(filepath.Join(t.TempDir(), "no", "state.json"), 1, doc{}); err == nil {
		t.Error("wrote into a missing directory")
	}
}

// TestFormatsMoveForward: a bare document (from before formats) and one of an older format are
// brought forward by the upgrades; a newer release's document is set aside whole, not read.
func TestFormatsMoveForward(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "versions.json")
	if err := os.WriteFile(path, []byte(`["summer"]`), 0o600); err != nil { // format 0: a bare list
		t.Fatal(err)
	}
	wrap := func(data json.RawMessage) (json.RawMessage, error) { // format 0 → 1: the list in an object
		return json.Marshal(map[string]json.RawMessage{"names": data})
	}
	suffix := func(data json.RawMessage) (json.RawMessage, error) { // format 1 → 2: a field renamed
		var v map[string]json.RawMessage
		if err := json.Unmarshal(data, &v); err != nil {
			return nil, err
		}
		return json.Marshal(map[string]json.RawMessage{"profiles": v["names"]})
	}
	var got struct{ Profiles []string }
	if ok, err := statefile.Read(path, 2, &got, wrap, suffix); !ok || err != nil || len(got.Profiles) != 1 || got.Profiles[0] != "summer" {
		t.Fatalf("format 0 read as 2: %+v %v %v", got, ok, err)
	}
	if err := statefile.Write(path, 1, map[string][]string{"names": {"winter"}}); err != nil {
		t.Fatal(err)
	}
	if ok, err := statefile.Read(path, 2, &got, wrap, suffix); !ok || err != nil || got.Profiles[0] != "winter" {
		t.Fatalf("format 1 read as 2: %+v %v %v", got, ok, err)
	}
	if err := statefile.Write(path, 3, map[string]string{"future": "yes"}); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	got.Profiles = []string{"kept"}
	ok, err := statefile.Read(path, 2, &got, wrap, suffix)
	var newer *statefile.NewerError
	if ok || !errors.As(err, &newer) || newer.Format != 3 || got.Profiles[0] != "kept" {
		t.Fatalf("a newer format: %v %v, %+v", ok, err, got)
	}
	if aside, _ := os.ReadFile(path + ".format-3"); string(aside) != string(before) {
		t.Errorf("set aside as %q, want the file whole", aside)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("the newer file is still where an older release would overwrite it: %v", err)
	}
}
