package cli_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkCtlStatusProcess measures "ctl status" as a whole process against a running agent:
// start-up, connect, presence check, request, reply, table, exit.
func BenchmarkCtlStatusProcess(b *testing.B) {
	url, _ := startAgent(b, "bench")
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		out, err := exec.Command(filepath.Join(bin, "ctl"), "--broker", url, "--agent", "bench", "status").CombinedOutput()
		if err != nil {
			b.Fatalf("%v: %s", err, out)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// BenchmarkAgentIdleRSS reports the resident memory of an agent process (embedded broker,
// simulated relays, one watcher) once it is online and idle; the time per op is meaningless.
func BenchmarkAgentIdleRSS(b *testing.B) {
	_, p := startAgent(b, "rss")
	status, err := os.ReadFile("/proc/" + strconv.Itoa(p.cmd.Process.Pid) + "/status")
	if err != nil {
		b.Skip("no /proc on this system")
	}
	var kib float64
	for line := range strings.SplitSeq(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kib, _ = strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
		}
	}
	for range b.N {
	}
	b.ReportMetric(kib/1024, "rss-MiB")
}
