package systemtest

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sprinkler/broker/brokertest"
)

// TestUnitInstallSteps follows the install steps written at the top of the systemd unit, in a
// scratch root instead of /, and starts the agent as the unit's ExecStart would: it must come
// online on what the steps installed. (The steps used to copy agent.yaml alone, and the agent
// then stopped on the missing profiles.yaml, again and again.)
func TestUnitInstallSteps(t *testing.T) {
	unit, err := os.ReadFile("../configs/sprinkler-agent.service")
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	for _, d := range []string{"usr/local/bin", "etc/systemd/system"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// The repository's folder as the steps see it: its configs, and the agent this test
	// package built standing in for the build step.
	work := t.TempDir()
	if err := os.CopyFS(filepath.Join(work, "configs"), os.DirFS("../configs")); err != nil {
		t.Fatal(err)
	}
	inRoot := func(arg string) string {
		if strings.HasPrefix(arg, "/") {
			return filepath.Join(root, arg)
		}
		return arg
	}
	steps := 0
	sc := bufio.NewScanner(strings.NewReader(string(unit)))
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "#   ")
		if !ok {
			continue
		}
		words := strings.Fields(line)
		switch {
		case strings.Contains(line, "go build -o agent ./agent"):
			if out, err := exec.Command("cp", filepath.Join(bin, "agent"), filepath.Join(work, "agent")).CombinedOutput(); err != nil {
				t.Fatalf("%v %s", err, out)
			}
			continue
		case words[0] == "systemctl":
			continue // no service manager here; the test starts ExecStart itself below
		case words[0] != "install":
			t.Fatalf("an install step this test does not know how to follow: %q", line)
		}
		for i, w := range words {
			words[i] = inRoot(w)
		}
		cmd := exec.Command(words[0], words[1:]...)
		cmd.Dir = work
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", line, err, out)
		}
		steps++
	}
	if steps < 3 {
		t.Fatalf("only %d install steps found in the unit", steps)
	}

	var execStart []string
	for _, l := range strings.Split(string(unit), "\n") {
		if v, ok := strings.CutPrefix(l, "ExecStart="); ok {
			execStart = strings.Fields(v)
		}
	}
	for i, w := range execStart {
		execStart[i] = inRoot(w)
	}
	p := startProc(t, execStart[0], execStart[1:],
		"STATE_DIRECTORY="+filepath.Join(root, "var/lib/sprinkler"), // systemd's StateDirectory=
		"SPRINKLER_BROKER_LISTEN=127.0.0.1:0", "SPRINKLER_WEB_LISTEN=127.0.0.1:0", "SPRINKLER_AGENT_ID=garden")
	url := brokertest.URL(p.listening(t))
	awaitOnline(t, url, "garden", p)
	if code, _, stderr := ctl(t, url, "profile"); code != 0 {
		t.Errorf("the installed agent has no schedule: %s", stderr)
	}
}
