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
	if err := run(context.Background(), []string{"--version"}, &out, &out); err != nil || strings.TrimSpace(out.String()) == "" {
		t.Fatalf("--version: %v %q", err, out.String())
	}
}

func TestBadConfigStopsBeforeAnythingStarts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.yaml")
	if err := os.WriteFile(path, []byte("agent:\n  id: Not_Valid\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err := run(context.Background(), []string{"--config", path}, &out, &out)
	if err == nil || !strings.Contains(err.Error(), path+":2: agent.id") {
		t.Fatalf("err %v", err)
	}
	if err := run(context.Background(), []string{"--config", filepath.Join(t.TempDir(), "none.yaml")}, &out, &out); err == nil {
		t.Error("a missing --config file was accepted")
	}
	if err := run(context.Background(), []string{"--bogus"}, &out, &out); err == nil {
		t.Error("an unknown flag was accepted")
	}
}

func TestAllOff(t *testing.T) {
	t.Setenv("SPRINKLER_RELAYS_DRIVER", "sim")
	t.Setenv("SPRINKLER_STATE_DIR", t.TempDir())
	var out bytes.Buffer
	if err := run(context.Background(), []string{"--all-off"}, &out, &out); err != nil || !strings.Contains(out.String(), "every relay switched off") {
		t.Fatalf("--all-off: %v\n%s", err, out.String())
	}
}
