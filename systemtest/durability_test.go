package systemtest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sprinkler/broker/brokertest"
	"sprinkler/statefile/disktest"
	"sprinkler/topics"
)

// writeState puts a state document in dir, as an agent that ran before would have left it.
func writeState(t *testing.T, dir string, doc map[string]any) {
	t.Helper()
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "state.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// healthOf runs ctl health --json.
func healthOf(t *testing.T, url string) topics.Health {
	t.Helper()
	code, stdout, stderr := ctl(t, url, "health", "--json")
	var h topics.Health
	if err := json.Unmarshal([]byte(stdout), &h); code != 0 || err != nil {
		t.Fatalf("health: exit %d, %v, %s%s", code, err, stdout, stderr)
	}
	return h
}

// TestClockBehindTheState starts the agent process on a state written an hour in its future,
// as after a power cut on a Raspberry Pi, which has no real-time clock: the agent starts (it
// used to panic and restart until the clock caught up), every relay is off, the interrupted run
// is not resumed on a clock it cannot trust, the history has no negative duration, and the
// health and an event say what is wrong.
func TestClockBehindTheState(t *testing.T) {
	state := t.TempDir()
	future := time.Now().Add(time.Hour).UTC()
	writeState(t, state, map[string]any{
		"runs":  []map[string]any{{"zone": 2, "started": future, "ends_at": future.Add(10 * time.Minute), "source": "ctl-x"}},
		"saved": future,
	})
	url, agent := startAgent(t, "garden", "SPRINKLER_STATE_DIR="+state)
	if z := zoneStatus(t, url, "2"); z.State != topics.StateClosed {
		t.Errorf("zone 2 resumed on a clock behind the state: %+v", z)
	}
	h := healthOf(t, url)
	if len(h.Problems) != 1 || !strings.Contains(h.Problems[0], "clock") {
		t.Errorf("health problems: %q", h.Problems)
	}
	for _, r := range history(t, url).Runs {
		if r.ActualS < 0 || r.PlannedS < 0 {
			t.Errorf("a record with a negative duration: %+v", r)
		}
	}
	agent.stop(t)
	if out := agent.out.String(); strings.Contains(out, "panic") || !strings.Contains(out, "behind the saved state") {
		t.Errorf("the agent's log:\n%s", out)
	}
}

// settings are the four things a user sets that must survive: automatic runs off, a rain
// delay, the water level and a zone's default run.
type settings struct {
	autoOff, rainDelay bool
	level              int
	default3           float64
}

func setSettings(t *testing.T, url string) {
	t.Helper()
	for _, args := range [][]string{{"stop"}, {"rain-delay", "24"}, {"water-level", "60"}} {
		if code, _, stderr := ctl(t, url, args...); code != 0 {
			t.Fatalf("%v: %s", args, stderr)
		}
	}
	c := brokertest.Connect(t, url)
	c.Subscribe("sprinkler/garden/zone/3/duration/state")
	c.Publish("sprinkler/garden/zone/3/duration/set", false, "15")
	c.Await("sprinkler/garden/zone/3/duration/state", "15")
	if code, _, stderr := ctl(t, url, "version"); code != 0 { // a request: every change before it is saved
		t.Fatal(stderr)
	}
}

func readSettings(t *testing.T, url string) settings {
	t.Helper()
	code, stdout, stderr := ctl(t, url, "profile", "--json")
	var p topics.ScheduleReply
	if err := json.Unmarshal([]byte(stdout), &p); code != 0 || err != nil {
		t.Fatalf("profile: %v %s", err, stderr)
	}
	code, stdout, stderr = ctl(t, url, "limits", "--json")
	var l topics.Limits
	if err := json.Unmarshal([]byte(stdout), &l); code != 0 || err != nil {
		t.Fatalf("limits: %v %s", err, stderr)
	}
	s := settings{autoOff: !p.Auto, rainDelay: p.RainDelayUntil != nil, level: p.WaterLevel}
	for _, z := range l.Zones {
		if z.Zone == 3 {
			s.default3 = z.DefaultDurationS
		}
	}
	return s
}

func (s settings) kept() int {
	n := 0
	for _, ok := range []bool{s.autoOff, s.rainDelay, s.level == 60, s.default3 == 900} {
		if ok {
			n++
		}
	}
	return n
}

// TestDamagedStateKeepsSettings stops the agent, damages its state file as a power cut or a
// worn SD card does, and starts it again: the user's settings come back from the copy beside
// it (or, for one unreadable field, everything else from the file), the damaged file is kept
// for inspection, and the health says what happened. Before, the agent started afresh with
// automatic runs back on: 0 of 4 settings kept.
func TestDamagedStateKeepsSettings(t *testing.T) {
	profiles, err := filepath.Abs("../configs/profiles.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for name, damage := range map[string]func([]byte) []byte{
		"truncated":  func(b []byte) []byte { return b[:len(b)/2] },
		"empty":      func([]byte) []byte { return nil },
		"NUL-filled": func(b []byte) []byte { return make([]byte, len(b)) },
		"wrong type": func(b []byte) []byte {
			return []byte(strings.Replace(string(b), `"water_level": 60`, `"water_level": "sixty"`, 1))
		},
	} {
		t.Run(name, func(t *testing.T) {
			state := t.TempDir()
			env := []string{"SPRINKLER_STATE_DIR=" + state, "SPRINKLER_SCHEDULE_FILE=" + profiles, quietZone()}
			url, agent := startAgent(t, "garden", env...)
			setSettings(t, url)
			agent.stop(t)
			path := filepath.Join(state, "state.json")
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			damaged := damage(b)
			if string(damaged) == string(b) {
				t.Fatal("the damage changed nothing")
			}
			if err := os.WriteFile(path, damaged, 0o600); err != nil {
				t.Fatal(err)
			}
			url, _ = startAgent(t, "garden", env...)
			if got := readSettings(t, url); got.kept() != 4 {
				t.Errorf("settings kept: %d of 4 (%+v)", got.kept(), got)
			}
			h := healthOf(t, url)
			if len(h.Problems) != 1 || !strings.Contains(h.Problems[0], "state.json") {
				t.Errorf("health problems: %q", h.Problems)
			}
			if name == "wrong type" && len(h.Problems) == 1 && !strings.Contains(h.Problems[0], `schedule.water_level: "sixty" could not be read`) {
				t.Errorf("the problem does not name the field and its value: %q", h.Problems)
			}
			aside, _ := filepath.Glob(filepath.Join(state, "state.json.bad-*"))
			if len(aside) != 1 {
				t.Errorf("the damaged file was not kept for inspection: %v", aside)
			}
		})
	}
}

// TestANewerReleasesStateIsSetAside: after a downgrade, the state a newer release wrote (a
// format this release does not know) is neither read as if it were older nor overwritten: it is
// set aside whole, the agent starts safe (automatic runs off), and the health says why.
func TestANewerReleasesStateIsSetAside(t *testing.T) {
	profiles, err := filepath.Abs("../configs/profiles.yaml")
	if err != nil {
		t.Fatal(err)
	}
	state := t.TempDir()
	env := []string{"SPRINKLER_STATE_DIR=" + state, "SPRINKLER_SCHEDULE_FILE=" + profiles, quietZone()}
	url, agent := startAgent(t, "garden", env...)
	setSettings(t, url)
	agent.stop(t)
	newer := map[string][]byte{}
	for _, name := range []string{"state.json", "state.json.prev"} {
		path := filepath.Join(state, name)
		b, err := os.ReadFile(path)
		if err != nil || !strings.Contains(string(b), `"format": 1`) {
			t.Fatalf("%s: %v, no format 1 in it:\n%s", name, err, b)
		}
		newer[name] = []byte(strings.Replace(string(b), `"format": 1`, `"format": 2`, 1))
		if err := os.WriteFile(path, newer[name], 0o600); err != nil {
			t.Fatal(err)
		}
	}
	url, _ = startAgent(t, "garden", env...)
	if got := readSettings(t, url); !got.autoOff || got.kept() != 1 {
		t.Errorf("settings read from a newer format, or automatic runs on: %+v", got)
	}
	h := healthOf(t, url)
	if len(h.Problems) != 1 || !strings.Contains(h.Problems[0], "newer release (format 2") {
		t.Errorf("health problems: %q", h.Problems)
	}
	for name, want := range newer {
		if b, err := os.ReadFile(filepath.Join(state, name+".format-2")); err != nil || string(b) != string(want) {
			t.Errorf("%s was not set aside whole: %v", name, err)
		}
	}
}

// TestFullDiskNeverReopensAClosedZone puts the state on a small filesystem and fills it while
// a zone runs. Closing the zone still closes it, but the reply says the change was not saved;
// so does the next open. After kill -9 and a restart (the disk still full), the zone the user
// closed stays closed (it used to reopen for the rest of its run), nothing resumes, the
// settings saved before are kept, and the health says the state cannot be saved. Once there is
// room again, the next change is saved and the problem clears.
func TestFullDiskNeverReopensAClosedZone(t *testing.T) {
	state := disktest.Mount(t, "512k")
	profiles, err := filepath.Abs("../configs/profiles.yaml")
	if err != nil {
		t.Fatal(err)
	}
	env := []string{"SPRINKLER_STATE_DIR=" + state, "SPRINKLER_SCHEDULE_FILE=" + profiles, "SPRINKLER_SAFETY_STAGGER=0s", quietZone(),
		"SPRINKLER_LOG_FILE=" + filepath.Join(t.TempDir(), "agent.log")}
	url, agent := startAgent(t, "garden", env...)
	if code, _, stderr := ctl(t, url, "stop"); code != 0 {
		t.Fatal(stderr)
	}
	if code, _, stderr := ctl(t, url, "open", "2", "--for", "10m"); code != 0 {
		t.Fatal(stderr)
	}
	disktest.Fill(t, state)
	code, _, stderr := ctl(t, url, "close", "2")
	if code == 0 || !strings.Contains(stderr, "not_saved") && !strings.Contains(stderr, "could not be saved") {
		t.Errorf("closing on a full disk: exit %d, %s; want the reply to say it was not saved", code, stderr)
	}
	if z := zoneStatus(t, url, "2"); z.State != topics.StateClosed {
		t.Errorf("zone 2 did not close on a full disk: %+v", z)
	}
	if code, _, _ := ctl(t, url, "open", "3", "--for", "10m"); code == 0 {
		t.Error("an open on a full disk was acknowledged as saved")
	}
	if h := healthOf(t, url); len(h.Problems) != 1 || !strings.Contains(h.Problems[0], "cannot be saved") {
		t.Errorf("health problems: %q", h.Problems)
	}
	_ = agent.cmd.Process.Kill()
	<-agent.done

	url, _ = startAgent(t, "garden", env...)
	for _, zone := range []string{"2", "3"} {
		if z := zoneStatus(t, url, zone); z.State != topics.StateClosed {
			t.Errorf("after kill -9 on a full disk zone %s is %+v", zone, z)
		}
	}
	if s := readSettings(t, url); !s.autoOff {
		t.Error("automatic runs came back on")
	}
	if h := healthOf(t, url); len(h.Problems) == 0 {
		t.Error("starting on a full disk is not reported")
	}
	disktest.Free(t, state)
	if code, _, stderr := ctl(t, url, "open", "4", "--for", "1m"); code != 0 {
		t.Errorf("with room again: %s", stderr)
	}
	if h := healthOf(t, url); len(h.Problems) != 1 || strings.Contains(h.Problems[0], "cannot be saved") {
		t.Errorf("with room again the health still says: %q", h.Problems)
	}
}

// TestQueueSurvivesAKill: runs acknowledged as queued (the power budget allows two valves)
// come back after kill -9, in their order, behind the runs that were open; they used to be
// lost without a trace.
func TestQueueSurvivesAKill(t *testing.T) {
	state := t.TempDir()
	url, agent := startAgent(t, "garden", "SPRINKLER_STATE_DIR="+state, "SPRINKLER_SAFETY_STAGGER=0s")
	if code, _, stderr := ctl(t, url, "open", "1", "2", "3", "4", "--for", "10m"); code != 0 {
		t.Fatal(stderr)
	}
	for _, z := range []string{"3", "4"} {
		if s := zoneStatus(t, url, z); !s.Queued {
			t.Fatalf("zone %s is not queued: %+v", z, s)
		}
	}
	_ = agent.cmd.Process.Kill()
	<-agent.done

	url, _ = startAgent(t, "garden", "SPRINKLER_STATE_DIR="+state, "SPRINKLER_SAFETY_STAGGER=0s")
	code, stdout, stderr := ctl(t, url, "status", "--json")
	var s topics.Snapshot
	if err := json.Unmarshal([]byte(stdout), &s); code != 0 || err != nil {
		t.Fatalf("status: %v %s", err, stderr)
	}
	kept := 0
	for _, q := range s.Queue {
		if q.Zone == 3 || q.Zone == 4 {
			kept++
		}
	}
	if kept != 2 || len(s.Queue) != 2 || s.Queue[0].Zone != 3 || s.Zones["1"].State != topics.StateOpen || s.Zones["2"].State != topics.StateOpen {
		t.Errorf("after kill -9: %d of 2 queued runs kept; queue %+v, zone 1 %s, zone 2 %s", kept, s.Queue, s.Zones["1"].State, s.Zones["2"].State)
	}
}

// TestWindowClosedByHandStaysClosed: a scheduled run in progress, closed by hand, is not
// watered again when the agent restarts inside its window (it used to be resumed).
func TestWindowClosedByHandStaysClosed(t *testing.T) {
	now := time.Now().UTC()
	start := now.Truncate(time.Minute).Add(-time.Minute)
	if start.Day() != now.Add(25*time.Minute).Day() {
		t.Skip("the window would cross midnight; run again in half an hour")
	}
	profiles := filepath.Join(t.TempDir(), "profiles.yaml")
	src := fmt.Sprintf("active: p\nprofiles:\n  - name: p\n    zones:\n      - {zone: 5, days: all, runs: [{at: %q, for: 20m}]}\n", start.Format("15:04"))
	if err := os.WriteFile(profiles, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	state := t.TempDir()
	env := []string{"SPRINKLER_STATE_DIR=" + state, "SPRINKLER_SCHEDULE_FILE=" + profiles, "SPRINKLER_AGENT_TIMEZONE=UTC"}
	url, agent := startAgent(t, "garden", env...)
	if z := zoneStatus(t, url, "5"); z.State != topics.StateOpen {
		t.Fatalf("the window in progress did not start: %+v", z)
	}
	if code, _, stderr := ctl(t, url, "close", "5"); code != 0 {
		t.Fatal(stderr)
	}
	_ = agent.cmd.Process.Kill()
	<-agent.done
	url, _ = startAgent(t, "garden", env...)
	if z := zoneStatus(t, url, "5"); z.State != topics.StateClosed {
		t.Errorf("the window closed by hand was watered again after a restart: %+v", z)
	}
}
