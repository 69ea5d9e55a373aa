package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestManualPages: a page for sprinklerctl and one for each of its commands, in roff.
func TestManualPages(t *testing.T) {
	dir := t.TempDir()
	if err := write(dir); err != nil {
		t.Fatal(err)
	}
	for _, page := range []string{"sprinklerctl.1", "sprinklerctl-open.1", "sprinklerctl-program-edit.1"} {
		b, err := os.ReadFile(filepath.Join(dir, page))
		if err != nil || !strings.Contains(string(b), ".TH \"SPRINKLERCTL\"") {
			t.Errorf("%s: %v\n%.200s", page, err, b)
		}
	}
}
