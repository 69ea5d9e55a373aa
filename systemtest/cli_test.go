package systemtest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"sprinkler/broker/brokertest"
	"sprinkler/topics"
)

// bin holds the agent, broker and ctl programs, built once for every test here.
var bin string

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		fmt.Println("systemtest: the programs' tests are skipped with -short")
		os.Exit(0)
	}
	dir, err := os.MkdirTemp("", "sprinkler-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// Built as the release builds them (.goreleaser.yaml): static, without symbols; their
	// memory is the installed programs'.
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", dir+string(os.PathSeparator),
		"sprinkler/agent", "sprinkler/broker", "sprinkler/ctl", "sprinkler/systemtest/fleet")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the programs:", err)
		os.Exit(1)
	}
	bin = dir
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// proc is a program the test started; it is stopped when the test ends.
type proc struct {
	cmd  *exec.Cmd
	out  *output
	done chan error
}

// output is a program's output, safe to read while it runs; it also tells the address its
// broker said it listens on (the agent and the broker bind port 0 and log the real one, so no
// other process can take the port between a test choosing it and the program binding it).
type output struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	listen chan string
	more   chan struct{} // a write came
}

var listeningRe = regexp.MustCompile(`msg="broker listening".* tcp=(\S+)`)

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	start := o.buf.Len()
	o.buf.Write(p)
	select {
	case o.more <- struct{}{}:
	default:
	}
	if m := listeningRe.FindSubmatch(o.buf.Bytes()[max(0, start-256):]); m != nil {
		select {
		case o.listen <- string(m[1]):
		default:
		}
	}
	return len(p), nil
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// webPage returns the address of the web page p logged it serves.
func (p *proc) webPage(t testing.TB) string {
	t.Helper()
	deadline := time.After(brokertest.Wait)
	for {
		if m := webPageRe.FindStringSubmatch(p.out.String()); m != nil {
			return m[1]
		}
		select {
		case <-p.out.more:
		case <-deadline:
			t.Fatalf("%s never said where its web page is\n%s", p.cmd.Path, p.out)
		}
	}
}

// await waits until p has printed want.
func (p *proc) await(t testing.TB, want string) {
	t.Helper()
	deadline := time.After(brokertest.Wait)
	for !strings.Contains(p.out.String(), want) {
		select {
		case <-p.out.more:
		case <-deadline:
			t.Fatalf("%s never printed %q\n%s", p.cmd.Path, want, p.out)
		}
	}
}

var webPageRe = regexp.MustCompile(`msg="web page".* url=http://(\S+)/`)

// listening returns the address p's broker logged it listens on.
func (p *proc) listening(t testing.TB) string {
	t.Helper()
	select {
	case addr := <-p.out.listen:
		return addr
	case err := <-p.done:
		t.Fatalf("%s exited: %v\n%s", p.cmd.Path, err, p.out)
	case <-time.After(brokertest.Wait):
		t.Fatalf("%s never said where it listens\n%s", p.cmd.Path, p.out)
	}
	return ""
}

// startAgent runs the agent program with an embedded broker on a port of its choosing and sim
// relays, and waits for its retained online. It returns the broker URL.
func startAgent(t testing.TB, id string, env ...string) (string, *proc) {
	t.Helper()
	return startAgentOn(t, id, "", env...)
}

// startAgentOn is startAgent on the configuration file at path ("" for none).
func startAgentOn(t testing.TB, id, path string, env ...string) (string, *proc) {
	t.Helper()
	var args []string
	if path != "" {
		args = []string{"--config", path}
	}
	p := startProc(t, filepath.Join(bin, "agent"), args, append([]string{
		"SPRINKLER_AGENT_ID=" + id,
		"SPRINKLER_BROKER_LISTEN=127.0.0.1:0",
		"SPRINKLER_RELAYS_DRIVER=sim",
		"SPRINKLER_STATE_DIR=" + t.TempDir(),
		"SPRINKLER_WEB_LISTEN=127.0.0.1:0",
	}, env...)...)
	url := brokertest.URL(p.listening(t))
	awaitOnline(t, url, id, p)
	return url, p
}

// startBroker runs the standalone broker on a port of its choosing, with env, and returns its
// URL once it listens.
func startBroker(t testing.TB, env ...string) (string, *proc) {
	t.Helper()
	p := startProc(t, filepath.Join(bin, "broker"), nil, append([]string{"SPRINKLER_BROKER_LISTEN=127.0.0.1:0"}, env...)...)
	return brokertest.URL(p.listening(t)), p
}

// awaitOnline waits until the agent's retained status on the broker at url is online.
func awaitOnline(t testing.TB, url, id string, p *proc) {
	t.Helper()
	awaitListening(t, strings.TrimPrefix(url, "tcp://"), p)
	c := brokertest.Connect(t, url)
	c.Subscribe("sprinkler/" + id + "/status")
	c.Await("sprinkler/"+id+"/status", topics.Online)
}

// awaitListening waits until something accepts connections on addr, failing if p exits.
func awaitListening(t testing.TB, addr string, p *proc) {
	t.Helper()
	deadline := time.Now().Add(brokertest.Wait)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = conn.Close()
			break
		}
		select {
		case err := <-p.done:
			t.Fatalf("%s exited: %v\n%s", p.cmd.Path, err, p.out)
		case <-time.After(20 * time.Millisecond): // the process gives no other sign that it listens
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing listens on %s\n%s", addr, p.out)
		}
	}
}

func startProc(t testing.TB, path string, args []string, env ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(path, args...), out: &output{listen: make(chan string, 1), more: make(chan struct{}, 1)}, done: make(chan error, 1)}
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() { p.stop(t) })
	return p
}

// stop sends SIGTERM and waits; a process that does not stop is made to print its goroutines
// (SIGQUIT), killed, and the test fails.
func (p *proc) stop(t testing.TB) {
	if p.cmd.ProcessState != nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(brokertest.Wait):
		_ = p.cmd.Process.Signal(syscall.SIGQUIT) // a Go program prints its goroutines and exits
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		t.Errorf("%s did not stop on SIGTERM\n%s", p.cmd.Path, p.out)
	}
}

// ctl runs ctl and returns its exit status, stdout and stderr. It is killed, and the test
// fails, if it outlives its own --timeout by more than a few seconds.
func ctl(t *testing.T, url string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	flags := []string{"--broker", url}
	if !slices.Contains(args, "--timeout") {
		flags = append(flags, "--timeout", "10s") // a loaded test machine is slower than a garden
	}
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "ctl"), append(flags, args...)...)
	cmd.Env = append(os.Environ(), "SPRINKLER_AGENT=")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("ctl %v hung", args)
	}
	code := 0
	if ee, ok := errors.AsType[*exec.ExitError](err); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, stdout.String(), stderr.String()
}

func TestCommandsAndExitStatuses(t *testing.T) {
	url, _ := startAgent(t, "garden")
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stdout string // a substring of stdout
		stderr string // a substring of stderr
	}{
		{"status", []string{"--agent", "garden", "status"}, 0, "ZONE", ""},
		{"picks the only agent", []string{"status"}, 0, "agent garden: 0 of 8 zones open", ""},
		{"open with flag after", []string{"open", "3", "--for", "1m"}, 0, "zone 3 open until", ""},
		{"open in minutes, beyond the power budget", []string{"src", "4,5", "--for", "2"}, 0, "zone 5 queued; waits for a free slot", ""},
		{"status json", []string{"status", "--json"}, 0, `"state": "open"`, ""},
		{"toggle", []string{"t1", "5"}, 0, "zone 5 closed", ""},
		{"close all", []string{"close", "all"}, 0, "zone 8 closed", ""},
		{"alias grs", []string{"grs"}, 0, "Zone 1", ""},
		{"commands", []string{"commands"}, 0, "open", ""},
		{"menu alias", []string{"m"}, 0, "toggle", ""},
		{"time", []string{"time"}, 0, "day", ""},
		{"limits", []string{"limits"}, 0, "at most 2 valves open at once", ""},
		{"logs", []string{"rlf", "--lines", "3", "relay"}, 0, " relay ", ""},
		{"errors", []string{"errors"}, 0, "", ""},
		{"health", []string{"gt"}, 0, "broker clients", ""},
		{"fail", []string{"ge"}, 1, "", "test error"},
		{"reboot not configured", []string{"rbt"}, 1, "", "system.reboot_command"},
		{"version", []string{"gvn"}, 0, "contract 1", ""},
		{"clients", []string{"clients"}, 0, "ctl-", ""},
		{"agents", []string{"agents"}, 0, "garden", ""},
		{"unknown zone", []string{"open", "99"}, 1, "", "no zone 99"},
		{"duplicate zone", []string{"open", "2", "2"}, 1, "", "twice"},
		{"no zone", []string{"open"}, 2, "", "at least one zone"},
		{"all only for close", []string{"open", "all"}, 2, "", "only with close"},
		{"bad duration", []string{"open", "3", "--for", "banana"}, 2, "", "--for"},
		{"unknown command", []string{"flood"}, 2, "", "unknown command"},
		{"unknown flag", []string{"status", "--loud"}, 2, "", "unknown flag"},
		{"misspelt flag", []string{"open", "3", "--fro", "5m"}, 2, "", "did you mean --for?"},
		{"never seen agent", []string{"--agent", "ghost", "status"}, 3, "", "never seen"},
		{"bad agent id", []string{"--agent", "Ghost!", "status"}, 2, "", "agent id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := ctl(t, url, tc.args...)
			if code != tc.code || !strings.Contains(stdout, tc.stdout) || !strings.Contains(stderr, tc.stderr) {
				t.Errorf("ctl %v: exit %d, want %d\nstdout: %s\nstderr: %s", tc.args, code, tc.code, stdout, stderr)
			}
			if code != 0 && strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
				t.Errorf("stderr is more than one line: %q", stderr)
			}
		})
	}
}

func TestStatusJSONIsTheSnapshot(t *testing.T) {
	url, _ := startAgent(t, "garden")
	if code, _, stderr := ctl(t, url, "open", "2", "--for", "90s"); code != 0 {
		t.Fatal(stderr)
	}
	_, stdout, _ := ctl(t, url, "--json", "status")
	var s topics.Snapshot
	if err := json.Unmarshal([]byte(stdout), &s); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	z := s.Zones["2"]
	if z.State != topics.StateOpen || z.EndsAt == nil || !strings.HasPrefix(z.Source, "admin with sprinklerctl (ctl-") {
		t.Errorf("zone 2: %+v", z)
	}
}

func TestStoppedAgentExits3WithinTimeout(t *testing.T) {
	url, agent := startAgent(t, "garden")
	agent.stop(t)
	start := time.Now()
	code, _, stderr := ctl(t, url, "--agent", "garden", "--timeout", "3s", "status")
	// The embedded broker went with the agent: unreachable is exit 3 too.
	if code != 3 || !strings.Contains(stderr, "unreachable") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	t.Logf("ctl gave up after %v", time.Since(start))
}

func TestOfflineAgentOnStandaloneBroker(t *testing.T) {
	url, _ := startBroker(t)
	agent := startProc(t, filepath.Join(bin, "agent"), nil, "SPRINKLER_AGENT_ID=shed", "SPRINKLER_BROKER_EMBEDDED=false",
		"SPRINKLER_MQTT_URL="+url, "SPRINKLER_RELAYS_DRIVER=sim", "SPRINKLER_STATE_DIR="+t.TempDir())
	awaitOnline(t, url, "shed", agent)
	if code, _, stderr := ctl(t, url, "--agent", "shed", "version"); code != 0 {
		t.Fatal(stderr)
	}
	_ = agent.cmd.Process.Kill() // no clean goodbye: the will must say offline
	<-agent.done
	w := brokertest.Connect(t, url)
	w.Subscribe("sprinkler/shed/status")
	w.Await("sprinkler/shed/status", topics.Offline)

	code, _, stderr := ctl(t, url, "--agent", "shed", "--timeout", "3s", "status")
	if code != 3 || !strings.Contains(stderr, "offline") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = ctl(t, url, "status")
	if code != 3 || !strings.Contains(stderr, "no agent online") {
		t.Errorf("without --agent: exit %d, stderr %q", code, stderr)
	}
}

func TestUnreachableBrokerExits3(t *testing.T) {
	url := fmt.Sprintf("tcp://127.0.0.1:%d", brokertest.FreePort(t))
	code, _, stderr := ctl(t, url, "--timeout", "2s", "status")
	if code != 3 || !strings.Contains(stderr, "unreachable") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

func TestSeveralAgentsNeedAChoice(t *testing.T) {
	url, _ := startBroker(t)
	for _, id := range []string{"front", "back"} {
		p := startProc(t, filepath.Join(bin, "agent"), nil, "SPRINKLER_AGENT_ID="+id, "SPRINKLER_BROKER_EMBEDDED=false",
			"SPRINKLER_MQTT_URL="+url, "SPRINKLER_RELAYS_DRIVER=sim", "SPRINKLER_STATE_DIR="+t.TempDir())
		awaitOnline(t, url, id, p)
	}
	code, _, stderr := ctl(t, url, "status")
	if code != 2 || !strings.Contains(stderr, "back") || !strings.Contains(stderr, "front") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	if code, _, stderr := ctl(t, url, "--agent", "back", "open", "1"); code != 0 {
		t.Errorf("--agent back: %s", stderr)
	}
	_, stdout, _ := ctl(t, url, "agents")
	if !strings.Contains(stdout, "back") || !strings.Contains(stdout, "front") {
		t.Errorf("agents: %s", stdout)
	}
}

func TestWatchFollowsChanges(t *testing.T) {
	url, _ := startAgent(t, "garden")
	w := startLines(t, filepath.Join(bin, "ctl"), "--broker", url, "watch", "--agent", "garden")
	w.await("garden zone 8 closed") // the retained states come first
	if code, _, stderr := ctl(t, url, "open", "6"); code != 0 {
		t.Fatal(stderr)
	}
	w.await("garden zone 6 open")
	w.await("event zone_opened zone=6")
	w.interrupt()
}

// lineProc is a long-running program whose output the test reads line by line.
type lineProc struct {
	t      testing.TB
	cmd    *exec.Cmd
	lines  chan string
	done   chan error
	exited chan struct{} // closed once the program has been waited for
}

// startLines starts a program and reads its standard output line by line; it is killed when
// the test ends.
func startLines(t testing.TB, path string, args ...string) *lineProc {
	t.Helper()
	return startLinesEnv(t, nil, path, args...)
}

// startLinesEnv is startLines with extra environment variables; standard error joins the
// output.
func startLinesEnv(t testing.TB, env []string, path string, args ...string) *lineProc {
	t.Helper()
	p := &lineProc{t: t, cmd: exec.Command(path, args...), lines: make(chan string, 10000), done: make(chan error, 1), exited: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), env...)
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if env != nil {
		p.cmd.Stderr = p.cmd.Stdout
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
		p.done <- p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = p.cmd.Process.Kill()
			for range p.lines { // let the reader reach Wait
			}
			<-p.exited
		}
	})
	return p
}

// await returns the first line that holds every one of want, failing after brokertest.Wait.
func (p *lineProc) await(want ...string) string {
	p.t.Helper()
	timeout := time.After(brokertest.Wait)
	for {
		select {
		case l, ok := <-p.lines:
			if !ok {
				p.t.Fatalf("%s ended before printing %q", p.cmd.Path, want)
			}
			if containsAll(l, want) {
				return l
			}
		case <-timeout:
			p.t.Fatalf("%s never printed %q", p.cmd.Path, want)
		}
	}
}

func containsAll(s string, parts []string) bool {
	for _, w := range parts {
		if !strings.Contains(s, w) {
			return false
		}
	}
	return true
}

// interrupt stops the program as ^C would and checks that it exits cleanly.
func (p *lineProc) interrupt() {
	p.t.Helper()
	_ = p.cmd.Process.Signal(os.Interrupt)
	for {
		select {
		case _, ok := <-p.lines:
			if ok {
				continue
			}
			if err := <-p.done; err != nil {
				p.t.Errorf("%s exit: %v", p.cmd.Path, err)
			}
			return
		case <-time.After(brokertest.Wait):
			_ = p.cmd.Process.Kill()
			p.t.Fatalf("%s did not stop on interrupt", p.cmd.Path)
		}
	}
}

func zoneStatus(t *testing.T, url, zone string) topics.ZoneStatus {
	t.Helper()
	code, stdout, stderr := ctl(t, url, "status", "--json")
	if code != 0 {
		t.Fatal(stderr)
	}
	var s topics.Snapshot
	if err := json.Unmarshal([]byte(stdout), &s); err != nil {
		t.Fatal(err)
	}
	return s.Zones[zone]
}

// TestCrashResumesOnlyTheRemainder kills the agent in the middle of a run: started again on the
// same state, it resumes the run until its original end, not longer.
func TestCrashResumesOnlyTheRemainder(t *testing.T) {
	state := t.TempDir()
	url, agent := startAgent(t, "garden", "SPRINKLER_STATE_DIR="+state)
	if code, _, stderr := ctl(t, url, "open", "2", "--for", "10m"); code != 0 {
		t.Fatal(stderr)
	}
	before := zoneStatus(t, url, "2")
	_ = agent.cmd.Process.Kill()
	<-agent.done

	url, _ = startAgent(t, "garden", "SPRINKLER_STATE_DIR="+state)
	after := zoneStatus(t, url, "2")
	if after.State != topics.StateOpen || after.Source != topics.SourceResume {
		t.Fatalf("after the crash zone 2 is %+v", after)
	}
	if !after.EndsAt.Equal(before.EndsAt.Time) {
		t.Errorf("resumed until %v, the run was to end at %v", after.EndsAt, before.EndsAt)
	}
	h := history(t, url, "--zone", "2")
	if len(h.Runs) != 1 || h.Runs[0].Outcome != topics.ReasonPowerLoss || h.Runs[0].Source == "" || h.Runs[0].PlannedS != 600 {
		t.Errorf("the history after the crash: %+v", h)
	}
}

// history runs ctl history --json with args.
func history(t *testing.T, url string, args ...string) topics.HistoryReply {
	t.Helper()
	code, stdout, stderr := ctl(t, url, append([]string{"history", "--json"}, args...)...)
	var h topics.HistoryReply
	if err := json.Unmarshal([]byte(stdout), &h); code != 0 || err != nil {
		t.Fatalf("history: exit %d, %v, %s", code, err, stderr)
	}
	return h
}

// TestCleanStopResumesNothing stops the agent cleanly in the middle of a run: nothing resumes.
func TestCleanStopResumesNothing(t *testing.T) {
	state := t.TempDir()
	url, agent := startAgent(t, "garden", "SPRINKLER_STATE_DIR="+state)
	if code, _, stderr := ctl(t, url, "open", "2", "--for", "10m"); code != 0 {
		t.Fatal(stderr)
	}
	agent.stop(t)
	url, _ = startAgent(t, "garden", "SPRINKLER_STATE_DIR="+state)
	if z := zoneStatus(t, url, "2"); z.State != topics.StateClosed {
		t.Fatalf("zone 2 after a clean stop: %+v", z)
	}
}

// quietZone sets the agent's time zone to one where it is about noon now, when no shipped
// program runs: a test on the shipped profiles is not held up by a run of the hour it runs at.
func quietZone() string {
	n := time.Now().UTC().Hour() - 12 // local = UTC - n
	switch {
	case n > 0:
		return fmt.Sprintf("SPRINKLER_AGENT_TIMEZONE=Etc/GMT+%d", n)
	case n < 0:
		return fmt.Sprintf("SPRINKLER_AGENT_TIMEZONE=Etc/GMT%d", n)
	}
	return "SPRINKLER_AGENT_TIMEZONE=UTC"
}

func TestScheduleCommands(t *testing.T) {
	profiles, err := filepath.Abs("../configs/profiles.yaml")
	if err != nil {
		t.Fatal(err)
	}
	url, _ := startAgent(t, "garden", "SPRINKLER_SCHEDULE_FILE="+profiles, quietZone())
	for _, tc := range []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{[]string{"profiles"}, 0, "0 summer (active)", ""},
		{[]string{"gp"}, 0, "zone 5 on odd: 05:45 for 6m0s", ""},
		{[]string{"profile"}, 0, "profile summer (index 0)", ""},
		{[]string{"activate", "spring"}, 0, "profile spring (index 1)", ""},
		{[]string{"sap", "2"}, 0, "profile off", ""},
		{[]string{"sap", "autumn"}, 1, "", "no profile \"autumn\""},
		{[]string{"activate"}, 2, "", "arg"},
		{[]string{"activate", "summer", "--force"}, 0, "summer", ""},
		{[]string{"schedule"}, 0, "Zone 5", ""},
		{[]string{"gps"}, 0, "ZONE", ""},
		{[]string{"next", "--hours", "72"}, 0, "zone 5", ""},
		{[]string{"rain-delay", "2"}, 0, "rain delay until", ""},
		{[]string{"rain-delay", "-1"}, 2, "", "-1"},
		{[]string{"rain-delay", "soon"}, 2, "", "hours"},
		{[]string{"stop"}, 0, "automatic runs off", ""},
		{[]string{"run"}, 0, "automatic runs on", ""},
		{[]string{"reload"}, 0, "summer", ""},
		{[]string{"status"}, 0, "profile summer; automatic runs on; rain delay until", ""},
	} {
		code, stdout, stderr := ctl(t, url, tc.args...)
		if code != tc.code || !strings.Contains(stdout, tc.stdout) || !strings.Contains(stderr, tc.stderr) {
			t.Errorf("ctl %v: exit %d, want %d\nstdout: %s\nstderr: %s", tc.args, code, tc.code, stdout, stderr)
		}
	}
}

// TestScheduleStateSurvivesRestarts: the active profile, automatic runs and a rain delay are
// remembered across a restart, clean or not.
func TestScheduleStateSurvivesRestarts(t *testing.T) {
	profiles, _ := filepath.Abs("../configs/profiles.yaml")
	state := t.TempDir()
	env := []string{"SPRINKLER_SCHEDULE_FILE=" + profiles, "SPRINKLER_STATE_DIR=" + state, quietZone()}
	url, agent := startAgent(t, "garden", env...)
	for _, args := range [][]string{{"activate", "spring"}, {"stop"}, {"rain-delay", "3"}} {
		if code, _, stderr := ctl(t, url, args...); code != 0 {
			t.Fatal(stderr)
		}
	}
	_, before, _ := ctl(t, url, "profile")
	_ = agent.cmd.Process.Kill()
	<-agent.done
	url, _ = startAgent(t, "garden", env...)
	_, after, _ := ctl(t, url, "profile")
	if after != before || !strings.Contains(after, "spring") || !strings.Contains(after, "automatic runs off; rain delay until") {
		t.Errorf("before the crash:\n%safter:\n%s", before, after)
	}
}

// terminal is a program on a pseudo-terminal, as a person at a keyboard runs it.
type terminal struct {
	t    *testing.T
	cmd  *exec.Cmd
	tty  *os.File
	out  chan string
	seen strings.Builder // what it printed since the last reset
	all  strings.Builder // everything it printed
}

func startTerminal(t *testing.T, cmd *exec.Cmd) *terminal {
	t.Helper()
	tty, err := pty.Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	tm := &terminal{t: t, cmd: cmd, tty: tty, out: make(chan string, 1000)}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		tty.Close()
	})
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := tty.Read(buf)
			if n > 0 {
				tm.out <- string(buf[:n])
			}
			if err != nil {
				close(tm.out)
				return
			}
		}
	}()
	return tm
}

// await reads what the program prints until want appears.
func (tm *terminal) await(want string) {
	tm.t.Helper()
	deadline := time.After(brokertest.Wait)
	for !strings.Contains(tm.seen.String(), want) {
		select {
		case s, ok := <-tm.out:
			if !ok {
				tm.t.Fatalf("the program ended before %q:\n%s", want, tm.seen.String())
			}
			tm.seen.WriteString(s)
			tm.all.WriteString(s)
		case <-deadline:
			tm.t.Fatalf("no %q:\n%s", want, tm.seen.String())
		}
	}
}

// awaitNoEcho waits until the program turned its terminal's echo off, as a password prompt
// does just after printing itself. The kernel sends no event for that: the setting is polled.
func (tm *terminal) awaitNoEcho() {
	tm.t.Helper()
	tty, err := os.Open(fmt.Sprintf("/proc/%d/fd/0", tm.cmd.Process.Pid)) // the terminal's own side
	if err != nil {
		tm.t.Fatal(err)
	}
	defer tty.Close()
	for deadline := time.Now().Add(brokertest.Wait); ; time.Sleep(time.Millisecond) {
		tio, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
		if err == nil && tio.Lflag&unix.ECHO == 0 {
			return
		}
		if time.Now().After(deadline) {
			tm.t.Fatalf("echo still on (%v):\n%s", err, tm.seen.String())
		}
	}
}

// send types line and Enter, after what was printed so far is set aside.
func (tm *terminal) send(line string) {
	tm.seen.Reset()
	_, _ = tm.tty.Write([]byte(line + "\r"))
}

// exit waits for the program to end by itself and returns how it ended.
func (tm *terminal) exit() error {
	tm.t.Helper()
	done := make(chan error, 1)
	go func() { done <- tm.cmd.Wait() }()
	select {
	case err := <-done:
		for s := range tm.out {
			tm.all.WriteString(s)
		}
		return err
	case <-time.After(brokertest.Wait):
		_ = tm.cmd.Process.Kill()
		tm.t.Fatal("the program did not end")
		return nil
	}
}

// TestInteractiveShell drives ctl's shell through a pseudo-terminal: the menu and prompt
// appear, a command runs and prints its reply, and "close" leaves.
func TestInteractiveShell(t *testing.T) {
	url, _ := startAgent(t, "garden")
	cmd := exec.Command(filepath.Join(bin, "ctl"), "--broker", url)
	cmd.Env = append(os.Environ(), "SPRINKLER_AGENT=", "XDG_CACHE_HOME="+t.TempDir(), "TERM=dumb")
	tm := startTerminal(t, cmd)
	tm.await("sprinkler(garden)> ")
	if !strings.Contains(tm.seen.String(), "toggle") {
		t.Errorf("no menu before the prompt:\n%s", tm.seen.String())
	}
	tm.send("open 2 --for 1m")
	tm.await("zone 2 open until")
	tm.send("grs")
	tm.await("1 of 8 zones open")
	tm.send("close")
	if err := tm.exit(); err != nil {
		t.Fatalf("the shell exited with %v", err)
	}
}

func TestShutdownStopsTheAgent(t *testing.T) {
	url, agent := startAgent(t, "garden")
	code, stdout, stderr := ctl(t, url, "ks")
	if code != 0 || !strings.Contains(stdout, "stopping") {
		t.Fatalf("exit %d: %s %s", code, stdout, stderr)
	}
	select {
	case err := <-agent.done:
		if err != nil {
			t.Fatalf("the agent exited with %v\n%s", err, agent.out)
		}
	case <-time.After(brokertest.Wait):
		t.Fatal("the agent did not stop")
	}
}

// TestRunOncePauseResume drives run-once, pause and resume from the command line against an
// agent process with the default power budget of two valves, turn-ons not staggered.
func TestRunOncePauseResume(t *testing.T) {
	url, _ := startAgent(t, "garden", "SPRINKLER_SAFETY_STAGGER=0s")
	for _, tc := range []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{[]string{"open", "4", "--for", "30m"}, 0, "zone 4 open", ""},
		{[]string{"run-once", "1:10m", "2:5m", "3"}, 0, "queued: what ran goes on", ""},
		{[]string{"status"}, 0, "waits for run-once (zone 1)", ""},
		{[]string{"run-once", "1:10m"}, 1, "", "zone 1 runs or waits already"},
		{[]string{"run-once", "5:1x"}, 2, "", `step 5:1x: "1x" is not a duration`},
		{[]string{"run-once", "zone5"}, 2, "", "ZONE:DURATION"},
		{[]string{"pause", "20m"}, 0, "closed zones 1, 4, their remaining time kept", ""},
		{[]string{"status"}, 0, "paused until", ""},
		{[]string{"pause", "soon"}, 2, "", "not a duration"},
		{[]string{"pause", "48h"}, 1, "", "24h0m0s"},
		{[]string{"status"}, 0, "queued 4: zone 3 for 10m0s", ""},
		{[]string{"resume"}, 0, "resumed; 2 run(s) wait their turn", ""},
		{[]string{"resume"}, 1, "", "nothing is paused"},
		{[]string{"run-once", "5:1m", "6", "--preempt"}, 0, "preempted: ended the runs of zones 1, 2, 3, 4 first", ""},
		{[]string{"status"}, 0, "queued 1: zone 6 for 10m0s", ""},
	} {
		code, stdout, stderr := ctl(t, url, tc.args...)
		if code != tc.code || !strings.Contains(stdout, tc.stdout) || !strings.Contains(stderr, tc.stderr) {
			t.Errorf("ctl %v: exit %d\nstdout: %s\nstderr: %s", tc.args, code, stdout, stderr)
		}
	}
}

// TestStatusInTheAgentsTimeZone: status prints the schedule's times in the agent's time zone,
// and says so, when it is not this machine's.
func TestStatusInTheAgentsTimeZone(t *testing.T) {
	url, _ := startAgent(t, "garden", "SPRINKLER_AGENT_TIMEZONE=Pacific/Kiritimati", "TZ=UTC")
	code, stdout, stderr := ctl(t, url, "status")
	if code != 0 || !strings.Contains(stdout, "times in Pacific/Kiritimati, the agent's time zone") {
		t.Errorf("status: exit %d\n%s%s", code, stdout, stderr)
	}
}
