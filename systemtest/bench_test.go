package systemtest

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

// BenchmarkAgentIdleCPU reports the share of one core an idle agent (embedded broker, sim
// relays, the shipped schedule, one watcher) uses over ten seconds, from /proc; the time per op
// is meaningless.
func BenchmarkAgentIdleCPU(b *testing.B) {
	_, p := startAgent(b, "idle")
	time.Sleep(time.Second) // start-up work is not idling
	b.ReportMetric(cpuShare(b, p.cmd.Process.Pid, time.Duration(b.N)*10*time.Second), "cpu-%")
}

// cpuShare is the share of one core, in percent, that process pid uses over d, from /proc.
func cpuShare(b *testing.B, pid int, d time.Duration) float64 {
	ticks := func() float64 {
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			b.Skip("no /proc on this system")
		}
		// Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
		f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		u, _ := strconv.ParseFloat(f[11], 64)
		s, _ := strconv.ParseFloat(f[12], 64)
		return u + s
	}
	before, start := ticks(), time.Now()
	time.Sleep(d)
	const clockTicks = 100 // USER_HZ on Linux
	return (ticks() - before) / clockTicks / time.Since(start).Seconds() * 100
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
