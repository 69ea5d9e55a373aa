package systemtest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"sprinkler/broker/brokertest"
	"sprinkler/ctl/client"
	"sprinkler/topics"
)

// fleetSize is how many agents TestThousandAgentsOnMosquitto runs: SPRINKLER_FLEET_AGENTS, else
// 1000.
func fleetSize(t *testing.T) int {
	if s := os.Getenv("SPRINKLER_FLEET_AGENTS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 10 || n > 10000 {
			t.Fatalf("SPRINKLER_FLEET_AGENTS=%q: want 10 to 10000", s)
		}
		return n
	}
	return 1000
}

// raiseFileLimit lifts the soft limit of open files to the hard one, for this process and the
// brokers it starts (Go restores the original in children unless the program set it).
func raiseFileLimit(t *testing.T, need uint64) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		t.Fatal(err)
	}
	l.Cur = l.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil || l.Cur < need {
		t.Skipf("open files limited to %d, %d needed: %v", l.Cur, need, err)
	}
}

// TestThousandAgentsOnMosquitto runs a thousand agents (two fleet processes, each agent on its
// own MQTT connection) on one mosquitto: ctl agents lists them all online; a request through
// ctl reaches the chosen agent and only it; one ctl watch of every agent sees each agent's zone
// change; killing the process of a tenth of them marks exactly those offline, by their wills.
func TestThousandAgentsOnMosquitto(t *testing.T) {
	n := fleetSize(t)
	k := n / 10
	raiseFileLimit(t, uint64(2*n+200))
	addr, _ := brokertest.MosquittoFleet(t)
	url := brokertest.URL(addr)
	id := func(i int) string { return fmt.Sprintf("g%04d", i) }
	presence := brokertest.Connect(t, url)
	presence.Subscribe(topics.StatusFilter(topics.DefaultPrefix))
	start := time.Now()
	startProc(t, filepath.Join(bin, "fleet"), []string{"-broker", url, "-n", strconv.Itoa(n - k), "-state", t.TempDir()})
	killed := startProc(t, filepath.Join(bin, "fleet"), []string{"-broker", url, "-n", strconv.Itoa(k), "-first", strconv.Itoa(n - k), "-state", t.TempDir()})
	online := func(latest map[string]string, want string) int {
		c := 0
		for i := range n {
			if latest[topics.DefaultPrefix+"/"+id(i)+"/status"] == want {
				c++
			}
		}
		return c
	}
	if !presence.WaitFor(func(latest map[string]string, _ []brokertest.Msg) bool { return online(latest, topics.Online) == n }) {
		t.Fatalf("not every one of %d agents came online", n)
	}
	t.Logf("%d agents online %v after the fleets started", n, time.Since(start).Round(time.Millisecond))

	t0 := time.Now()
	code, stdout, stderr := ctl(t, url, "agents", "--json")
	took := time.Since(t0)
	var all []client.Presence
	if err := json.Unmarshal([]byte(stdout), &all); code != 0 || err != nil || len(all) != n {
		t.Fatalf("agents: exit %d, %d listed, %v, %s", code, len(all), err, stderr)
	}
	for i, p := range all {
		if p.Agent != id(i) || p.Status != topics.Online {
			t.Fatalf("agent %d: %+v", i, p)
		}
	}
	t.Logf("sprinklerctl agents listed %d agents online in %v (the whole process)", n, took.Round(time.Millisecond))

	watch := startLines(t, filepath.Join(bin, "ctl"), "--broker", url, "--json", "watch")
	awaitReplays(t, watch, n)

	chosen := n / 2
	if code, _, stderr := ctl(t, url, "--agent", id(chosen), "open", "5", "--for", "5m"); code != 0 {
		t.Fatalf("open on %s: %s", id(chosen), stderr)
	}
	if rec := nextRecord(t, watch, `"state":"open"`); rec.Agent != id(chosen) || rec.Zone != 5 {
		t.Fatalf("the request to %s opened %+v", id(chosen), rec)
	}
	setter := brokertest.Connect(t, url)
	for i := range n {
		if i != chosen {
			setter.Publish(fmt.Sprintf("%s/%s/zone/%d/set", topics.DefaultPrefix, id(i), i%8+1), false, "OPEN")
		}
	}
	opened := awaitOpens(t, watch, n, map[string]int{id(chosen): 5})
	for i := range n {
		if want := i%8 + 1; i != chosen && opened[id(i)] != want {
			t.Errorf("%s opened zone %d, want %d", id(i), opened[id(i)], want)
		}
	}

	if err := killed.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	gone := map[string]bool{}
	for len(gone) < k {
		gone[nextRecord(t, watch, `"status":"offline"`).Agent] = true
	}
	for a := range gone {
		if i, _ := strconv.Atoi(a[1:]); i < n-k {
			t.Errorf("%s went offline, but its process lives", a)
		}
	}
	_, stdout, _ = ctl(t, url, "agents", "--json")
	all = nil
	if err := json.Unmarshal([]byte(stdout), &all); err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, p := range all {
		count[p.Status]++
	}
	if count[topics.Online] != n-k || count[topics.Offline] != k {
		t.Errorf("after killing %d: %v", k, count)
	}
	watch.interrupt()
}
