package httpserve_test

import (
	"bufio"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"sprinkler/agent/httpserve"
	"sprinkler/httplimit"
)

func serve(t *testing.T, hosts ...string) *httpserve.Server {
	t.Helper()
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) })
	s, err := httpserve.Serve("127.0.0.1:0", h, hosts, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// get sends a GET with Host host on c and returns the status.
func get(t *testing.T, c net.Conn, host string) int {
	t.Helper()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", host)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}

// TestAnswersOnlyToItsOwnNames: against DNS rebinding, a server answers to this machine's
// addresses and names and to the configured hosts, not to a name a hostile page brought along.
func TestAnswersOnlyToItsOwnNames(t *testing.T) {
	s := serve(t, "garden.example")
	for host, want := range map[string]int{
		"127.0.0.1:8080": http.StatusTeapot, "[::1]:8080": http.StatusTeapot, "localhost:8080": http.StatusTeapot,
		"GARDEN.example:8080": http.StatusTeapot, "evil.example:8080": http.StatusMisdirectedRequest,
		"evil.example": http.StatusMisdirectedRequest,
	} {
		c, err := net.Dial("tcp", s.Addr())
		if err != nil {
			t.Fatal(err)
		}
		if got := get(t, c, host); got != want {
			t.Errorf("Host %q: %d, want %d", host, got, want)
		}
		_ = c.Close()
	}
}

// TestConnectionsPerAddressAreCapped: past httplimit.PerAddress open connections from one
// address, a new one is closed at once; one freed makes room again.
func TestConnectionsPerAddressAreCapped(t *testing.T) {
	s := serve(t)
	var held []net.Conn
	for range httplimit.PerAddress {
		c, err := net.Dial("tcp", s.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if got := get(t, c, "127.0.0.1"); got != http.StatusTeapot { // kept alive afterwards
			t.Fatalf("connection %d: %d", len(held), got)
		}
		held = append(held, c)
	}
	extra, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	if got := get(t, extra, "127.0.0.1"); got != 0 {
		t.Errorf("connection %d past the cap was answered: %d", httplimit.PerAddress+1, got)
	}
	_ = held[0].Close()
	for deadline := time.Now().Add(5 * time.Second); ; { // the server sees the close when it reads
		c, err := net.Dial("tcp", s.Addr())
		if err != nil {
			t.Fatal(err)
		}
		got := get(t, c, "127.0.0.1")
		_ = c.Close()
		if got == http.StatusTeapot {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a freed place was not given again")
		}
	}
}
