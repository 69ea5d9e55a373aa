package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestVersionFlag(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"--version"}, strings.NewReader(""), &out, &out); err != nil || strings.TrimSpace(out.String()) == "" {
		t.Fatalf("--version: %v %q", err, out.String())
	}
}

func TestBadConfigStopsBeforeAnythingStarts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.yaml")
	if err := os.WriteFile(path, []byte("agent:\n  id: Not_Valid\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err := run(context.Background(), []string{"--config", path}, strings.NewReader(""), &out, &out)
	if err == nil || !strings.Contains(err.Error(), path+":2: agent.id") {
		t.Fatalf("err %v", err)
	}
	if err := run(context.Background(), []string{"--config", filepath.Join(t.TempDir(), "none.yaml")}, strings.NewReader(""), &out, &out); err == nil {
		t.Error("a missing --config file was accepted")
	}
	if err := run(context.Background(), []string{"--bogus"}, strings.NewReader(""), &out, &out); err == nil {
		t.Error("an unknown flag was accepted")
	}
}

// TestAllOffNeedsRealRelays: --all-off, a service manager's last word on the valves, fails
// where it switched no real line off, so that the failure shows.
func TestAllOffNeedsRealRelays(t *testing.T) {
	t.Setenv("SPRINKLER_RELAYS_DRIVER", "sim")
	t.Setenv("SPRINKLER_STATE_DIR", t.TempDir())
	var out bytes.Buffer
	if err := run(context.Background(), []string{"--all-off"}, strings.NewReader(""), &out, &out); err == nil || !strings.Contains(err.Error(), "no real relay") {
		t.Fatalf("--all-off on simulated relays: %v\n%s", err, out.String())
	}
}
