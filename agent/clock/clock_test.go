package clock_test

import (
	"testing"
	"time"

	"sprinkler/agent/clock"
)

func TestLater(t *testing.T) {
	a, b := time.Unix(100, 0), time.Unix(200, 0)
	if clock.Later(a, b) != b || clock.Later(b, a) != b || clock.Later(a, a) != a {
		t.Error("Later does not pick the later time")
	}
}

// TestRealRunsLater: the wall clock's AfterFunc runs its function, and Stop prevents one not
// yet run.
func TestRealRunsLater(t *testing.T) {
	var c clock.Clock = clock.Real{}
	done := make(chan struct{})
	c.AfterFunc(time.Millisecond, func() { close(done) })
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("AfterFunc never ran")
	}
	never := c.AfterFunc(time.Hour, func() { t.Error("a stopped timer ran") })
	if !never.Stop() {
		t.Error("Stop of a pending timer reported nothing stopped")
	}
}
