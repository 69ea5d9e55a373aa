package config_test

import (
	"os"
	"path/filepath"
	"testing"

	"sprinkler/agent/config"
)

// FuzzLoad feeds arbitrary YAML to the configuration loader: it must load something valid or
// refuse with an error, never panic.
func FuzzLoad(f *testing.F) {
	if b, err := os.ReadFile("../../configs/agent.yaml"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("zones:\n  - {id: 1, line: 5, max_duration: 600}\n"))
	f.Add([]byte("broker:\n  listen: [1, 2]\nsafety: {max_open: -1}\n"))
	f.Add([]byte("agent: {id: 5}\nmqtt: {keepalive: 1h}\n"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, src []byte) {
		path := filepath.Join(dir, "agent.yaml")
		if err := os.WriteFile(path, src, 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := config.Load(path, true)
		if err != nil {
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("Load accepted what Validate refuses: %v", err)
		}
	})
}
