// Package brokertest starts real brokers on loopback for tests, the project's own on port 0
// or Debian's mosquitto, and gives tests a paho client that records what it receives and
// waits for a topic to reach a value.
package brokertest

import (
	"bufio"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"sprinkler/broker/server"
)

// Wait bounds every wait of this package; tests fail rather than hang.
const Wait = 10 * time.Second

// Start starts the project's broker on 127.0.0.1 with a free port and closes it when the test
// ends. mutate, if given, adjusts the default configuration first.
func Start(t testing.TB, mutate ...func(*server.Config)) *server.Broker {
	t.Helper()
	cfg := server.DefaultConfig()
	cfg.Listen = "127.0.0.1:0"
	for _, m := range mutate {
		m(&cfg)
	}
	b := server.New(cfg, Logger(t))
	if err := b.Start(); err != nil {
		t.Fatalf("start broker: %v", err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// URL is the tcp:// URL of a host:port address.
func URL(addr string) string { return "tcp://" + addr }

// Logger returns a logger that writes to the test's log, at debug level when -v is set.
func Logger(t testing.TB) *slog.Logger {
	lvl := slog.LevelInfo
	if testing.Verbose() {
		lvl = slog.LevelDebug
	}
	w := &tWriter{t: t}
	t.Cleanup(w.close)
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: lvl}))
}

// tWriter writes to a test's log until the test ends; a goroutine that logs later (a broker's
// connection handler finishing, say) is not heard.
type tWriter struct {
	t    testing.TB
	mu   sync.Mutex
	done bool
}

func (w *tWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

func (w *tWriter) close() {
	w.mu.Lock()
	w.done = true
	w.mu.Unlock()
}

// Mosquitto starts Debian's mosquitto on a free loopback port with a configuration of its own
// and stops it when the test ends. It returns the address. The test is skipped when mosquitto
// is not installed, unless SPRINKLER_REQUIRE_MOSQUITTO is set (as CI does).
func Mosquitto(t testing.TB) string {
	t.Helper()
	addr, _ := MosquittoProcess(t)
	return addr
}

// MosquittoProcess is Mosquitto, and also returns the broker's process id.
func MosquittoProcess(t testing.TB) (string, int) {
	t.Helper()
	return MosquittoWith(t, "")
}

// MosquittoWith is MosquittoProcess with extra lines at the end of the configuration, such as a
// bridge.
func MosquittoWith(t testing.TB, extra string) (string, int) {
	t.Helper()
	return mosquitto(t, "allow_anonymous true\nlog_type all\n"+extra)
}

// MosquittoFleet is MosquittoProcess set for a fleet, as docs/fleet.md advises: a watcher's
// queue holds every agent's retained states (mosquitto's default of 1000 queued messages drops
// the rest of a thousand agents' replay), and no per-packet log, which at a thousand clients,
// read line by line, slows it down.
func MosquittoFleet(t testing.TB) (string, int) {
	t.Helper()
	return mosquitto(t, "allow_anonymous true\nmax_queued_messages 100000\nlog_type error\nlog_type warning\nlog_type notice\nlog_type information\n")
}

// MosquittoSecured is MosquittoProcess with mosquitto's own authentication and ACL: no
// anonymous client, the password file and the ACL file given. Started as root, mosquitto stays
// root to read the test's private files.
func MosquittoSecured(t testing.TB, passwd, acl string) (string, int) {
	t.Helper()
	return mosquitto(t, fmt.Sprintf("user root\nallow_anonymous false\npassword_file %s\nacl_file %s\nlog_type all\n", passwd, acl))
}

// MosquittoExported is MosquittoProcess with the files sprinkler-broker export mosquitto wrote
// in dir: no anonymous client, dir/passwd and dir/acl. Started as root, mosquitto drops to its
// own user (as Debian's service does) before it reads them.
func MosquittoExported(t testing.TB, dir string) (string, int) {
	t.Helper()
	return mosquitto(t, fmt.Sprintf("user mosquitto\nallow_anonymous false\npassword_file %s\nacl_file %s\nlog_type all\n",
		filepath.Join(dir, "passwd"), filepath.Join(dir, "acl")))
}

// mosquitto runs mosquitto on a free loopback port with the configuration lines given (the
// access rules and what it logs).
func mosquitto(t testing.TB, extra string) (string, int) {
	t.Helper()
	bin, err := exec.LookPath("mosquitto")
	if err != nil {
		for _, p := range []string{"/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto"} {
			if _, serr := os.Stat(p); serr == nil {
				bin, err = p, nil
			}
		}
	}
	if err != nil {
		if os.Getenv("SPRINKLER_REQUIRE_MOSQUITTO") != "" {
			t.Fatal("mosquitto is not installed (apt-get install mosquitto)")
		}
		t.Skip("mosquitto is not installed (apt-get install mosquitto)")
	}
	port := FreePort(t)
	dir := t.TempDir()
	conf := filepath.Join(dir, "mosquitto.conf")
	body := fmt.Sprintf("listener %d 127.0.0.1\npersistence false\nset_tcp_nodelay true\nlog_dest stderr\n%s\n", port, extra)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-c", conf)
	out, _ := cmd.StderrPipe()
	cmd.Stdout = cmd.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start mosquitto: %v", err)
	}
	ready, logged := make(chan struct{}), make(chan struct{})
	var log strings.Builder // its log, shown when the test fails
	go func() {
		defer close(logged)
		sc := bufio.NewScanner(out)
		once := sync.Once{}
		for sc.Scan() {
			log.WriteString(sc.Text() + "\n")
			if strings.Contains(sc.Text(), "running") {
				once.Do(func() { close(ready) })
			}
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		<-logged
		if t.Failed() {
			t.Logf("mosquitto's log:\n%s", log.String())
		}
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	select {
	case <-ready:
	case <-time.After(Wait):
		t.Fatalf("mosquitto did not start on %s", addr)
	}
	return addr, cmd.Process.Pid
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
