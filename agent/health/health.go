// Package health reads the state of the machine the agent runs on: CPU temperature, the
// Raspberry Pi's under-voltage and throttling flags, uptime, memory and free disk. Readers
// take a root path, so tests use fixture trees instead of /sys and /proc.
package health

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"sprinkler/topics"
)

// Reader reads the machine's health.
type Reader struct {
	Root     string // "/" in production
	StateDir string // the disk whose free space counts
	// Throttled runs "vcgencmd get_throttled"; nil uses the real command when it exists.
	Throttled func(ctx context.Context) (string, error)
}

// throttleBits are the bits of vcgencmd get_throttled.
var throttleBits = []struct {
	bit  uint
	flag string
}{
	{0, "under-voltage"}, {1, "arm-frequency-capped"}, {2, "throttled"}, {3, "soft-temperature-limit"},
	{16, "under-voltage-occurred"}, {17, "arm-frequency-capped-occurred"}, {18, "throttling-occurred"},
	{19, "soft-temperature-limit-occurred"},
}

// Read returns what it can read now; what it cannot stays empty, or "unknown" for the
// throttling flags.
func (r Reader) Read(ctx context.Context) topics.Health {
	h := topics.Health{Throttled: "unknown"}
	if b, err := os.ReadFile(filepath.Join(r.Root, "sys/class/thermal/thermal_zone0/temp")); err == nil {
		if milli, err := strconv.ParseFloat(strings.TrimSpace(string(b)), 64); err == nil {
			c := milli / 1000
			h.CPUTempC = &c
		}
	}
	if b, err := os.ReadFile(filepath.Join(r.Root, "proc/uptime")); err == nil {
		if f := strings.Fields(string(b)); len(f) > 0 {
			h.UptimeS, _ = strconv.ParseFloat(f[0], 64)
		}
	}
	if b, err := os.ReadFile(filepath.Join(r.Root, "proc/meminfo")); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			f := strings.Fields(line)
			if len(f) < 2 {
				continue
			}
			kb, _ := strconv.ParseUint(f[1], 10, 64)
			switch f[0] {
			case "MemTotal:":
				h.MemTotalB = kb * 1024
			case "MemAvailable:":
				h.MemAvailableB = kb * 1024
			}
		}
	}
	if r.StateDir != "" {
		h.DiskFreeB = diskFree(r.StateDir)
	}
	throttled := r.Throttled
	if throttled == nil {
		throttled = vcgencmd
	}
	if out, err := throttled(ctx); err == nil {
		if v, perr := parseThrottled(out); perr == nil {
			h.Throttled = fmt.Sprintf("0x%x", v)
			for _, b := range throttleBits {
				if v&(1<<b.bit) != 0 {
					h.Flags = append(h.Flags, b.flag)
				}
			}
		}
	}
	return h
}

// parseThrottled reads "throttled=0x50005".
func parseThrottled(out string) (uint64, error) {
	_, hex, ok := strings.Cut(strings.TrimSpace(out), "=")
	if !ok {
		return 0, fmt.Errorf("unexpected output %q", out)
	}
	return strconv.ParseUint(strings.TrimPrefix(hex, "0x"), 16, 32)
}

func vcgencmd(ctx context.Context) (string, error) {
	path, err := exec.LookPath("vcgencmd")
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "get_throttled").Output()
	return string(out), err
}
