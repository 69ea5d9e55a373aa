package health_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"sprinkler/agent/health"
)

func TestReadFixtureTree(t *testing.T) {
	r := health.Reader{Root: "testdata/root", StateDir: t.TempDir(),
		Throttled: func(context.Context) (string, error) { return "throttled=0x50005\n", nil }}
	h := r.Read(context.Background())
	if h.CPUTempC == nil || *h.CPUTempC != 48.312 {
		t.Errorf("temperature %v", h.CPUTempC)
	}
	if h.UptimeS != 12345.67 || h.MemTotalB != 3884096*1024 || h.MemAvailableB != 2000000*1024 || h.DiskFreeB == 0 {
		t.Errorf("health %+v", h)
	}
	want := []string{"under-voltage", "throttled", "under-voltage-occurred", "throttling-occurred"}
	if h.Throttled != "0x50005" || !slices.Equal(h.Flags, want) {
		t.Errorf("throttled %s %v, want %v", h.Throttled, h.Flags, want)
	}
}

func TestUnknownWithoutVcgencmd(t *testing.T) {
	r := health.Reader{Root: t.TempDir(), Throttled: func(context.Context) (string, error) { return "", errors.New("not found") }}
	if h := r.Read(context.Background()); h.Throttled != "unknown" || h.CPUTempC != nil {
		t.Errorf("health %+v", h)
	}
}
