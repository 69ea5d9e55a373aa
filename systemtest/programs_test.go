package systemtest

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"sprinkler/broker/brokertest"
)

// TestProgramsFromTheCommandLine edits the schedule with sprinklerctl against an agent
// process, as a person at a terminal does: edit opens the program in $EDITOR, a refused save
// opens it again with the reason on top, and the fixed one is saved; apply takes a file
// (whose program, activated, is planned), and refuses a stale one; history names who changed
// what, and restore goes back.
func TestProgramsFromTheCommandLine(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile("../configs/profiles.yaml")
	if err != nil {
		t.Fatal(err)
	}
	profiles := filepath.Join(dir, "profiles.yaml")
	if err := os.WriteFile(profiles, src, 0o644); err != nil {
		t.Fatal(err)
	}
	url, _ := startAgent(t, "garden", "SPRINKLER_SCHEDULE_FILE="+profiles, quietZone())

	code, out, stderr := ctl(t, url, "program", "list")
	if code != 0 || !strings.Contains(out, "summer") || !strings.Contains(out, "REVISION") {
		t.Fatalf("program list: exit %d\n%s%s", code, out, stderr)
	}
	code, shown, _ := ctl(t, url, "program", "show", "spring")
	if code != 0 || !strings.Contains(shown, "name: spring") || !strings.Contains(shown, "revision: ") {
		t.Fatalf("program show:\n%s", shown)
	}

	// The editor: first a run of "lots" minutes, refused; then, with the reason on top, 12m.
	editor := filepath.Join(dir, "editor")
	script := `#!/bin/sh
n=$(cat "` + dir + `/count" 2>/dev/null || echo 0); n=$((n+1)); echo $n >"` + dir + `/count"
if [ $n = 1 ]; then sed -i '0,/^[^#].*for: [0-9]*m/s/for: [0-9]*m/for: lots/' "$1"; exit 0; fi
grep -q '^# NOT SAVED: .*for: "lots" is not a duration' "$1" || { cat "$1" >"` + dir + `/second"; exit 3; }
sed -i 's/for: lots/for: 12m/' "$1"
`
	if err := os.WriteFile(editor, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("EDITOR", editor)
	t.Setenv("VISUAL", "")
	code, out, stderr = ctl(t, url, "program", "edit", "spring")
	if code != 0 || !strings.Contains(out, "saved spring (revision ") {
		second, _ := os.ReadFile(filepath.Join(dir, "second"))
		t.Fatalf("program edit: exit %d\n%s%s\nthe second opening:\n%s", code, out, stderr, second)
	}
	if n, _ := os.ReadFile(filepath.Join(dir, "count")); strings.TrimSpace(string(n)) != "2" {
		t.Errorf("the editor opened %s times, want 2", n)
	}
	if _, shown, _ := ctl(t, url, "program", "show", "spring"); !strings.Contains(shown, "for: 12m") {
		t.Errorf("after the edit:\n%s", shown)
	}
	if file, _ := os.ReadFile(profiles); !strings.Contains(string(file), `runs: [{at: "06:30", for: 12m}]`) {
		t.Errorf("the file does not hold the edit:\n%s", file)
	}

	// apply: a new program from a file; the same file again is stale (it names no revision).
	autumn := filepath.Join(dir, "autumn.yaml")
	if err := os.WriteFile(autumn, []byte("name: autumn\nzones:\n  - {zone: 2, days: [all], runs: [{at: \"08:00\", for: 3m}]}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, stderr := ctl(t, url, "program", "apply", "-f", autumn); code != 0 || !strings.Contains(out, "saved autumn") {
		t.Fatalf("program apply: exit %d\n%s%s", code, out, stderr)
	}
	if code, _, stderr := ctl(t, url, "program", "apply", "-f", autumn); code != 1 || !strings.Contains(stderr, "[conflict]") {
		t.Errorf("a second apply without the revision: exit %d, %s", code, stderr)
	}
	if code, _, stderr := ctl(t, url, "program", "apply", "-f", profiles); code != 2 || !strings.Contains(stderr, "field active not found") {
		t.Errorf("apply of a whole profile file: exit %d, %s", code, stderr)
	}
	if code, _, stderr := ctl(t, url, "activate", "autumn"); code != 0 {
		t.Fatal(stderr)
	}
	if _, next, _ := ctl(t, url, "next", "--hours", "30"); !strings.Contains(next, "08:00:00  08:03:00  autumn") {
		t.Errorf("autumn's run is not planned:\n%s", next)
	}
	if code, _, _ := ctl(t, url, "activate", "summer"); code != 0 {
		t.Fatal("activate summer")
	}

	code, hist, _ := ctl(t, url, "program", "history")
	if code != 0 || !strings.Contains(hist, "file") || !strings.Contains(hist, "put spring") || !strings.Contains(hist, "put autumn") ||
		!strings.Contains(hist, "ctl-") {
		t.Fatalf("program history:\n%s", hist)
	}
	if code, out, stderr := ctl(t, url, "program", "restore", "1"); code != 0 || strings.Contains(out, "autumn") {
		t.Errorf("program restore 1: exit %d\n%s%s", code, out, stderr)
	}
	if file, _ := os.ReadFile(profiles); string(file) != string(src) {
		t.Error("restoring version 1 did not bring back the file as shipped")
	}
}

// TestZoneSettingsFromTheCommandLine renames a zone and shortens its longest run with
// sprinklerctl against an agent process started on a configuration file: the status names it
// at once, Home Assistant's retained discovery follows, and the file holds it.
func TestZoneSettingsFromTheCommandLine(t *testing.T) {
	path := shipped(t)
	p := startProc(t, filepath.Join(bin, "agent"), []string{"--config", path}, "SPRINKLER_BROKER_LISTEN=127.0.0.1:0",
		"SPRINKLER_WEB_LISTEN=", "SPRINKLER_RELAYS_DRIVER=sim", "SPRINKLER_STATE_DIR="+t.TempDir(), "SPRINKLER_AGENT_ID=garden", quietZone())
	url := brokertest.URL(p.listening(t))
	awaitOnline(t, url, "garden", p)

	if code, out, stderr := ctl(t, url, "zone", "set", "3", "--name", "Lawn", "--max", "40m", "--group", "front"); code != 0 || !strings.Contains(out, "Lawn") {
		t.Fatalf("zone set: exit %d\n%s%s", code, out, stderr)
	}
	if code, out, stderr := ctl(t, url, "zone", "set", "3", "--max", "nothing"); code != 2 || !strings.Contains(stderr, `"nothing" is not a duration`) {
		t.Errorf("a bad --max: exit %d\n%s%s", code, out, stderr)
	}
	if code, _, stderr := ctl(t, url, "zone", "set", "4", "--enabled=false"); code != 0 {
		t.Fatalf("zone set --enabled=false: %s", stderr)
	}
	if code, _, stderr := ctl(t, url, "open", "4"); code != 1 || !strings.Contains(stderr, "zone 4 is disabled") {
		t.Errorf("opening a disabled zone: exit %d, %s", code, stderr)
	}
	if _, list, _ := ctl(t, url, "zone", "list"); !regexp.MustCompile(`(?m)^4 +Zone 4 +16 +10m +1h +no +yes `).MatchString(list) {
		t.Errorf("zone list:\n%s", list)
	}
	if code, out, stderr := ctl(t, url, "site", "set", "--latitude", "47.37", "--longitude", "8.54"); code != 0 || !strings.Contains(out, "latitude 47.37, longitude 8.54") {
		t.Errorf("site set: exit %d\n%s%s", code, out, stderr)
	}
	if _, status, _ := ctl(t, url, "status"); !strings.Contains(status, "Lawn") {
		t.Errorf("status does not name the zone anew:\n%s", status)
	}
	c := brokertest.Connect(t, url)
	c.Subscribe("homeassistant/device/garden/config")
	c.AwaitMsg("homeassistant/device/garden/config", `"Lawn"`)
	if file, _ := os.ReadFile(path); !strings.Contains(string(file), "  - {id: 3, name: Lawn, line: 13, default_duration: 10m, max_duration: 40m, group: front}") {
		t.Errorf("the file does not hold the change:\n%s", file)
	}
}
