package systemtest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"sprinkler/agent/intake"
	"sprinkler/broker/brokertest"
	"sprinkler/httplimit"
	"sprinkler/topics"
)

// The third round of hostile clients, each through the real agent process and its embedded
// broker, measured as the attacker's and the gardener's clients see it.

// usersFile writes a broker users file with one user of each role named, the password of each
// being "pw-" and its name, and returns its path.
func usersFile(t *testing.T, roles ...string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("users:\n")
	for _, role := range roles {
		hash, err := bcrypt.GenerateFromPassword([]byte("pw-"+role), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "  - {name: %s, hash: %q, role: %s}\n", role, hash, role)
	}
	path := filepath.Join(t.TempDir(), "users.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// rssMiB is the resident memory of p, in MiB, or 0 where /proc cannot tell.
func rssMiB(p *proc) float64 {
	status, err := os.ReadFile("/proc/" + strconv.Itoa(p.cmd.Process.Pid) + "/status")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kib, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			return kib / 1024
		}
	}
	return 0
}

// awaitLog waits up to limit for the (n+1)th line of p's output that contains want, and returns
// it; the test fails without one.
func (p *proc) awaitLog(t *testing.T, want string, limit time.Duration, n int) string {
	t.Helper()
	deadline := time.After(limit)
	for {
		var found []string
		for l := range strings.SplitSeq(p.out.String(), "\n") {
			if strings.Contains(l, want) {
				found = append(found, l)
			}
		}
		if len(found) > n {
			return found[n]
		}
		select {
		case <-p.out.more:
		case <-deadline:
			t.Fatalf("%s did not log %q within %v\n%s", p.cmd.Path, want, limit, p.out)
		}
	}
}

// asker sends requests as the local admin and times their replies.
type asker struct {
	c     *brokertest.Client
	agent topics.Agent
	n     int
}

func newAsker(t *testing.T, url, id string) *asker {
	return newAskerAs(t, url, id, "")
}

// newAskerAs is newAsker for the user role (its password "pw-" and role), or the local admin
// for "".
func newAskerAs(t *testing.T, url, id, role string) *asker {
	a, _ := topics.NewAgent(topics.DefaultPrefix, id)
	c := brokertest.Connect(t, url)
	if role != "" {
		c = brokertest.ConnectAs(t, url, role, "pw-"+role)
	}
	c.Subscribe(a.Base() + "/response/+/" + c.ID())
	return &asker{c: c, agent: a}
}

// ask sends cmd with args and returns its reply and how long it took; the test fails when no
// reply comes within brokertest.Wait.
func (a *asker) ask(t *testing.T, cmd, args string) (topics.Response, time.Duration) {
	t.Helper()
	a.n++
	id := fmt.Sprintf("ask-%d", a.n)
	body := fmt.Sprintf(`{"id":%q,"reply_to":%q%s}`, id, a.c.ID(), args)
	start := time.Now()
	a.c.Publish(a.agent.Request(cmd), false, body)
	m := a.c.AwaitMsg(a.agent.Reply(cmd, a.c.ID()), fmt.Sprintf(`"id":%q`, id))
	var r topics.Response
	if err := json.Unmarshal([]byte(m.Payload), &r); err != nil {
		t.Fatal(err)
	}
	return r, time.Since(start)
}

// TestStuckViewerAtQoS1: a viewer subscribes to everything at QoS 1 with keepalive 0, has the
// broker echo 800 KB to it at QoS 1, stops reading, and sends a second SUBSCRIBE, three times
// over. Status requests of the admin are answered all along, each viewer is disconnected, and
// the agent's memory comes back.
func TestStuckViewerAtQoS1(t *testing.T) {
	url, agent := startAgent(t, "garden", "SPRINKLER_BROKER_USERS_FILE="+usersFile(t, "viewer"))
	addr := strings.TrimPrefix(url, "tcp://")
	admin := newAsker(t, url, "garden")
	admin.ask(t, "status", "")
	before := rssMiB(agent)
	var slowest time.Duration
	for episode := range 3 {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		_ = conn.(*net.TCPConn).SetReadBuffer(4096)
		raw := brokertest.Wrap(t, conn)
		id := fmt.Sprintf("stuck-%d", episode)
		if code, err := raw.Connect(brokertest.RawOptions{ClientID: id, Username: "viewer", Password: "pw-viewer"}); err != nil || code != 0 {
			t.Fatalf("viewer: connack %#x, %v", code, err)
		}
		raw.Subscribe(1, "sprinkler/#", 1)
		payload := strings.Repeat("x", 8000)
		for i := range 100 {
			raw.Publish(topics.Sync(topics.DefaultPrefix, id), payload, 1, false, uint16(100+i))
		}
		raw.Subscribe(2, "sprinkler/garden/#", 1)
		stalled := time.Now()
		for range 30 {
			r, took := admin.ask(t, "status", "")
			if r.Status != topics.StatusOK {
				t.Fatalf("status: %+v", r)
			}
			slowest = max(slowest, took)
		}
		line := agent.awaitLog(t, "client disconnected: it does not read what is sent to it", 2*brokertest.Wait, episode)
		t.Logf("episode %d: %s", episode, line)
		_ = conn.SetReadDeadline(time.Now().Add(brokertest.Wait))
		var err2 error
		for err2 == nil {
			_, _, err2 = raw.Read()
		}
		if ne, ok := err2.(net.Error); ok && ne.Timeout() {
			t.Fatalf("episode %d: the agent says it disconnected the stuck viewer, and the viewer's socket is open", episode)
		}
		t.Logf("episode %d: viewer disconnected %v after it stalled; agent RSS %.1f MiB", episode, time.Since(stalled).Round(100*time.Millisecond), rssMiB(agent))
	}
	after := rssMiB(agent)
	given := after // the broker gives memory back once quiet (releaseQuiet), which RSS tells only by looking
	for deadline := time.Now().Add(3 * brokertest.Wait); given > before+4 && time.Now().Before(deadline); {
		time.Sleep(500 * time.Millisecond)
		given = rssMiB(agent)
	}
	t.Logf("90 status requests beside three stuck QoS 1 viewers: slowest reply %v; agent RSS %.1f MiB before, %.1f after the third, %.1f once quiet",
		slowest.Round(time.Millisecond), before, after, given)
	if before > 0 && given > before+4 {
		t.Errorf("the agent's memory stayed at %.1f MiB after the stuck viewers, from %.1f", given, before)
	}
}

// TestViewerBurstLosesNoAdminCommand: a viewer sends 3000 time requests at QoS 1 as fast as its
// socket takes them while the admin sends 50 close requests. Every admin request is carried
// out at once; every viewer request is answered (the viewer is slowed to its rate).
func TestViewerBurstLosesNoAdminCommand(t *testing.T) {
	url, agentProc := startAgent(t, "garden", "SPRINKLER_BROKER_USERS_FILE="+usersFile(t, "viewer"))
	defer func() {
		for l := range strings.SplitSeq(agentProc.out.String(), "\n") {
			if strings.Contains(l, "busy") || strings.Contains(l, "keep up") || strings.Contains(l, "drop") || strings.Contains(l, "intake") {
				t.Log(l)
			}
		}
	}()
	addr := strings.TrimPrefix(url, "tcp://")
	a, _ := topics.NewAgent(topics.DefaultPrefix, "garden")
	viewer := brokertest.Dial(t, addr)
	if code, err := viewer.Connect(brokertest.RawOptions{ClientID: "flood", Username: "viewer", Password: "pw-viewer", Keepalive: 60}); err != nil || code != 0 {
		t.Fatalf("viewer: connack %#x, %v", code, err)
	}
	viewer.Subscribe(1, a.Base()+"/response/#", 0)
	const flood = 3000
	var mu sync.Mutex
	replies := map[topics.Code]int{}
	answered := make(chan struct{})
	go func() { // the viewer reads every reply
		defer close(answered)
		n := 0
		for n < flood {
			typ, body, err := viewer.Read()
			if err != nil {
				return
			}
			if typ>>4 != 3 || len(body) < 2 {
				continue
			}
			tl := int(body[0])<<8 | int(body[1])
			var r topics.Response
			if json.Unmarshal(body[2+tl:], &r) != nil {
				continue
			}
			mu.Lock()
			replies[r.Code]++
			mu.Unlock()
			n++
		}
	}()
	go func() {
		for i := range flood {
			viewer.Conn.Write(brokertest.Frame(0x32, append(append(brokertest.Str(a.Request("time")), byte(i>>8)|1, byte(i)),
				fmt.Sprintf(`{"id":"v%d","reply_to":"flood"}`, i)...)))
		}
	}()
	admin := newAsker(t, url, "garden")
	ok := 0
	var slowest time.Duration
	for range 50 {
		r, took := admin.ask(t, "close", `,"zones":[1]`)
		if r.Status == topics.StatusOK {
			ok++
		}
		slowest = max(slowest, took)
	}
	if ok != 50 {
		t.Errorf("%d of 50 admin close requests carried out", ok)
	}
	select {
	case <-answered:
	case <-time.After(flood/intake.ClientRate*time.Second + 2*brokertest.Wait):
	}
	mu.Lock()
	defer mu.Unlock()
	total := 0
	for _, n := range replies {
		total += n
	}
	if total != flood {
		t.Errorf("the viewer got %d replies to %d requests: %v", total, flood, replies)
	}
	t.Logf("50/50 admin closes beside %d viewer requests (slowest %v); the viewer's replies: %d ok, %d busy",
		flood, slowest.Round(time.Millisecond), replies[""], replies[topics.CodeBusy])
}

// TestPreviewIsWeighedFirst: a viewer's program_preview of a program of 8 zones × 96 starts a
// day over a year is refused (too_large) before it is computed, saying how far a preview of it
// may look; over the default span it is cut to what a reply holds; the agent's memory and an
// operator's commands do not notice ten of them.
func TestPreviewIsWeighedFirst(t *testing.T) {
	url, agent := startAgentOn(t, "garden", shipped(t), "SPRINKLER_BROKER_USERS_FILE="+usersFile(t, "viewer", "operator"), quietZone())
	viewer := newAskerAs(t, url, "garden", "viewer")
	operator := newAskerAs(t, url, "garden", "operator")
	var zones []string
	for z := 1; z <= 8; z++ {
		zones = append(zones, fmt.Sprintf(`{"zone":%d,"days":["all"],"runs":[{"at":"00:05","for":"1m","times":96,"every":"15m"}]}`, z))
	}
	program := `,"program":{"name":"flood","zones":[` + strings.Join(zones, ",") + `]}`
	before := rssMiB(agent)
	var slowest time.Duration
	var refusal string
	for range 10 {
		r, took := viewer.ask(t, "program_preview", program+`,"hours":8784`)
		refusal = r.Error
		if r.Code != topics.CodeTooLarge || !strings.Contains(r.Error, "hours ahead") {
			t.Fatalf("a year's preview: %+v", r)
		}
		slowest = max(slowest, took)
		if r, _ := operator.ask(t, "status", ""); r.Status != topics.StatusOK {
			t.Fatalf("the operator's status: %+v", r)
		}
	}
	r, _ := viewer.ask(t, "program_preview", program)
	var runs []topics.PlannedRun
	if err := json.Unmarshal(r.Data, &runs); err != nil || len(runs) == 0 || len(runs) > topics.MaxPlannedRuns || len(r.Data) > topics.MaxReply {
		t.Fatalf("the default preview: %d runs in %d bytes (%v): %s", len(runs), len(r.Data), err, r.Error)
	}
	t.Logf("10 previews of a year of 8 zones × 96 starts: refused in %v at most: %q; the default preview: %d runs, %d bytes; agent RSS %.1f → %.1f MiB",
		slowest.Round(time.Millisecond), refusal, len(runs), len(r.Data), before, rssMiB(agent))
}

// TestIdleHTTPConnectionsAreBounded runs the agent with 256 file descriptors, its web page and
// its WebSocket listener on. 1000 connections that each fetch /config.json and then idle, and
// 1000 that idle on the WebSocket listener without a request, take no more than their cap;
// MQTT clients still connect, valves still open and close and the state is still written.
func TestIdleHTTPConnectionsAreBounded(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("needs bash for ulimit")
	}
	agent := startProc(t, "bash", []string{"-c", "ulimit -n 256 && exec " + filepath.Join(bin, "agent")},
		"SPRINKLER_AGENT_ID=garden", "SPRINKLER_BROKER_LISTEN=127.0.0.1:0", "SPRINKLER_RELAYS_DRIVER=sim",
		"SPRINKLER_STATE_DIR="+t.TempDir(), "SPRINKLER_WEB_LISTEN=127.0.0.1:0", "SPRINKLER_BROKER_WEBSOCKET_LISTEN=127.0.0.1:0")
	url := brokertest.URL(agent.listening(t))
	awaitOnline(t, url, "garden", agent)
	page := agent.webPage(t)
	ws := regexp.MustCompile(`websocket=(\S+)`).FindStringSubmatch(agent.out.String())[1]
	answered, refused := map[string]int{}, map[string]int{}
	for _, target := range []struct{ name, addr, request string }{
		{"web page", page, "GET /config.json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"},
		{"websocket", ws, ""},
	} {
		for range 1000 {
			c, err := net.DialTimeout("tcp", target.addr, time.Second)
			if err != nil {
				refused[target.name]++
				continue
			}
			t.Cleanup(func() { _ = c.Close() })
			if target.request == "" {
				answered[target.name]++ // held open, idle
				continue
			}
			_ = c.SetDeadline(time.Now().Add(2 * time.Second))
			fmt.Fprint(c, target.request)
			if resp, err := http.ReadResponse(bufio.NewReader(c), nil); err == nil && resp.StatusCode == http.StatusOK {
				answered[target.name]++
			} else {
				refused[target.name]++
			}
		}
	}
	if answered["web page"] > httplimit.PerAddress {
		t.Errorf("the web page answered %d connections from one address; want at most %d", answered["web page"], httplimit.PerAddress)
	}
	admin := newAsker(t, url, "garden")
	if r, _ := admin.ask(t, "open", `,"zones":[2],"duration_s":60`); r.Status != topics.StatusOK {
		t.Fatalf("open beside the idle connections: %+v", r)
	}
	if r, _ := admin.ask(t, "close", `,"zones":[2]`); r.Status != topics.StatusOK {
		t.Fatalf("close beside the idle connections: %+v", r)
	}
	if code, out, errOut := ctl(t, url, "status"); code != 0 {
		t.Fatalf("ctl status beside the idle connections: %d\n%s%s", code, out, errOut)
	}
	agent.stop(t)
	if strings.Contains(agent.out.String(), "too many open files") {
		t.Errorf("the agent ran out of descriptors:\n%s", agent.out)
	}
	t.Logf("1000 connections each to the web page and the WebSocket listener under 256 descriptors: web page answered %d, refused %d; "+
		"MQTT, valves and state unaffected", answered["web page"], refused["web page"])
}

// TestClientIDTakeoverOnMosquitto runs an agent on Debian's mosquitto with the files that
// sprinkler-broker export mosquitto wrote (mosquitto reading them as its own user), and a
// viewer that connects every moment with the client id an agent has on our broker,
// sprinkler-orchard, hoping to take the agent's connection over and send its offline will.
// The export gave the agent an id nobody can guess: every admin status call finds it online.
func TestClientIDTakeoverOnMosquitto(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{filepath.Dir(dir), dir} { // mosquitto, as its own user, reads the export in it
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	hash, err := bcrypt.GenerateFromPassword([]byte("unused on mosquitto"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "broker.yaml")
	var users strings.Builder
	for name, role := range map[string]string{"orchard": "agent", "vera": "viewer", "root": "admin"} {
		fmt.Fprintf(&users, "    - {name: %s, hash: %q, role: %s}\n", name, hash, role)
	}
	if err := os.WriteFile(cfg, []byte("broker:\n  users:\n"+users.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	export := filepath.Join(dir, "export")
	out, err := exec.Command(filepath.Join(bin, "broker"), "export", "mosquitto", "--out", export, "--config", cfg).CombinedOutput()
	if err != nil {
		t.Fatalf("export: %v\n%s", err, out)
	}
	if err := os.Chmod(export, 0o755); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "WARNING") && os.Getuid() == 0 {
		t.Errorf("as root, the export could not give mosquitto's group its files:\n%s", out)
	}
	secret := func(kind, name string) string {
		b, err := os.ReadFile(filepath.Join(export, kind, name))
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(b))
	}
	agentID := secret("client-ids", "orchard")
	if agentID == topics.AgentClientID("orchard") || !strings.HasPrefix(agentID, topics.AgentClientID("orchard")+"-") {
		t.Fatalf("the agent's client id is %q", agentID)
	}
	addr, _ := brokertest.MosquittoExported(t, export)
	url := brokertest.URL(addr)
	startProc(t, filepath.Join(bin, "agent"), nil, "SPRINKLER_AGENT_ID=orchard", "SPRINKLER_BROKER_EMBEDDED=false",
		"SPRINKLER_MQTT_URL="+url, "SPRINKLER_MQTT_USERNAME=orchard", "SPRINKLER_MQTT_PASSWORD_FILE="+filepath.Join(export, "passwords", "orchard"),
		"SPRINKLER_MQTT_CLIENT_ID="+agentID, "SPRINKLER_RELAYS_DRIVER=sim", "SPRINKLER_STATE_DIR="+t.TempDir())
	root := []string{"--username", "root", "--password-file", filepath.Join(export, "passwords", "root"), "--agent", "orchard"}
	deadline := time.Now().Add(brokertest.Wait)
	for code := 1; code != 0; {
		if code, _, _ = ctl(t, url, append(root, "status")...); code != 0 && time.Now().After(deadline) {
			t.Fatal("the agent never came online on mosquitto")
		}
	}
	online := 0
	for i := range 20 {
		raw := brokertest.Dial(t, addr)
		code, err := raw.Connect(brokertest.RawOptions{ClientID: topics.AgentClientID("orchard"), Username: "vera", Password: secret("passwords", "vera"), Keepalive: 60})
		if err != nil || code != 0 {
			t.Fatalf("attempt %d: the viewer could not log in: %#x, %v", i, code, err)
		}
		if code, stdout, _ := ctl(t, url, append(root, "status")...); code == 0 && !strings.Contains(stdout, "offline") {
			online++
		}
		raw.Drop()
	}
	if online != 20 {
		t.Errorf("%d of 20 admin status calls found the agent online beside a viewer connecting as %s", online, topics.AgentClientID("orchard"))
	}
	t.Logf("%d of 20 status calls found the agent online while a viewer connected as %s (the agent is %s)", online, topics.AgentClientID("orchard"), agentID)
}

// TestLoginFloodKeepsTheLog: 3000 logins with unknown user names, as fast as one client makes
// them (with keepalive 0, which mochi warns of), leave two lines in the agent's log (the first
// refusal, and at the stop how many more came), and what the log held before them stays.
func TestLoginFloodKeepsTheLog(t *testing.T) {
	dir := t.TempDir()
	url, agent := startAgent(t, "garden", "SPRINKLER_BROKER_USERS_FILE="+usersFile(t, "admin"), "SPRINKLER_STATE_DIR="+dir,
		"SPRINKLER_LOG_FILE=agent.log")
	addr := strings.TrimPrefix(url, "tcp://")
	for i := range 3000 {
		if code := refusedLogin(t, addr, fmt.Sprintf("intruder-%d", i), "x"); code == 0 {
			t.Fatal("an unknown user logged in")
		}
	}
	agent.stop(t)
	b, err := os.ReadFile(filepath.Join(dir, "agent.log"))
	if err != nil {
		t.Fatal(err)
	}
	log := string(b)
	refused := strings.Count(log, `"msg":"connection refused"`)
	if refused > 2 || !strings.Contains(log, `"repeated":2999`) || strings.Count(log, "\n") > 100 {
		t.Errorf("%d lines of 3000 refused logins, want one and the count of the rest:\n%s", refused, log)
	}
	if !strings.Contains(log, `"msg":"broker listening"`) {
		t.Error("the flood pushed the start of the log out")
	}
	t.Logf("3000 refused logins: %d log lines of them, %d lines and %d bytes of log in all", refused, strings.Count(log, "\n"), len(b))
}

// refusedLogin logs in to the broker at addr as user with pw and returns the CONNACK's code.
func refusedLogin(t *testing.T, addr, user, pw string) byte {
	raw := brokertest.Dial(t, addr)
	defer raw.Drop()
	code, err := raw.Connect(brokertest.RawOptions{ClientID: "flood", Username: user, Password: pw})
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// TestLoginTimeTellsNoName: with a user's hash at bcrypt's default cost, a login with an unknown
// name takes as long as one with a wrong password (the times are logged, not asserted: times
// are for benchmarks; the rule, one cost for both, is TestDummyHashCostsWhatUsersDo's).
func TestLoginTimeTellsNoName(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte("pw-gardener"), bcrypt.DefaultCost)
	if err != nil {
		t.Fatal(err)
	}
	users := filepath.Join(t.TempDir(), "users.yaml")
	if err := os.WriteFile(users, fmt.Appendf(nil, "users:\n  - {name: gardener, hash: %q, role: admin}\n", hash), 0o600); err != nil {
		t.Fatal(err)
	}
	url, _ := startAgent(t, "garden", "SPRINKLER_BROKER_USERS_FILE="+users)
	addr := strings.TrimPrefix(url, "tcp://")
	var known, unknown time.Duration
	for i := range 10 {
		start := time.Now()
		refusedLogin(t, addr, "gardener", "wrong")
		known += time.Since(start)
		start = time.Now()
		refusedLogin(t, addr, fmt.Sprintf("nobody-%d", i), "wrong")
		unknown += time.Since(start)
	}
	t.Logf("a wrong password %v, an unknown name %v (means of 10)", (known / 10).Round(time.Millisecond), (unknown / 10).Round(time.Millisecond))
}
