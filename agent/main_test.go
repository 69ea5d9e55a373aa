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

// TestAllOffSaysWhatItDid: --all-off, a service manager's last word on the valves, on a
// machine without relays (a trial on a PC) says so as information and succeeds, so that
// stopping the service or removing the package reports no failure; GPIO asked for where there
// is none is an error.
func TestAllOffSaysWhatItDid(t *testing.T) {
	t.Setenv("SPRINKLER_RELAYS_DRIVER", "sim")
	t.Setenv("SPRINKLER_STATE_DIR", t.TempDir())
	var out bytes.Buffer
	if err := run(context.Background(), []string{"--all-off"}, strings.NewReader(""), &out, &out); err != nil ||
		!strings.Contains(out.String(), "sprinkler-agent: no relays on this machine (relays sim, relays.driver sim): nothing to switch off") {
		t.Fatalf("--all-off on simulated relays: %v\n%s", err, out.String())
	}
	if _, err := os.Stat("/dev/gpiochip0"); err == nil {
		return // a machine with a chip: the real case is test/kernel's
	}
	t.Setenv("SPRINKLER_RELAYS_DRIVER", "gpio")
	out.Reset()
	if err := run(context.Background(), []string{"--all-off"}, strings.NewReader(""), &out, &out); err == nil {
		t.Errorf("--all-off with relays.driver gpio and no GPIO chip succeeded:\n%s", out.String())
	}
}
