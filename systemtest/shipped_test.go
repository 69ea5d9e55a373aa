package systemtest

import (
	"os"
	"path/filepath"
	"testing"
)

// shipped copies the shipped configuration and profiles into a folder of the test's (the agent
// and the page write programs and zone settings into them) and returns the configuration's path.
func shipped(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"agent.yaml", "profiles.yaml"} {
		b, err := os.ReadFile(filepath.Join("../configs", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "agent.yaml")
}
