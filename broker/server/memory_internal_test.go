package server

import (
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// TestReleaserWaitsForTheStormToEnd: fewer connections than releaseAfter release nothing; a
// storm releases once, releaseQuiet after its last connection; publishes put it off.
func TestReleaserWaitsForTheStormToEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var released atomic.Int32
		r := &releaser{release: func() { released.Add(1) }}
		for range releaseAfter - 1 {
			r.connected()
		}
		time.Sleep(2 * releaseQuiet)
		if released.Load() != 0 {
			t.Fatalf("released after %d connections", releaseAfter-1)
		}
		r.connected() // the storm's 64th
		time.Sleep(releaseQuiet / 2)
		r.connected() // it goes on
		time.Sleep(releaseQuiet - time.Millisecond)
		synctest.Wait()
		if released.Load() != 0 {
			t.Fatal("released during the storm")
		}
		time.Sleep(time.Millisecond)
		synctest.Wait()
		if released.Load() != 1 {
			t.Fatalf("released %d times after the storm", released.Load())
		}
		r.connected()
		time.Sleep(2 * releaseQuiet)
		if released.Load() != 1 {
			t.Fatal("one connection after a release made another")
		}
		for range releaseAfter { // another storm, then traffic
			r.connected()
		}
		for range 5 {
			time.Sleep(releaseQuiet / 2)
			r.busy()
		}
		synctest.Wait()
		if released.Load() != 1 {
			t.Fatal("released during traffic")
		}
		time.Sleep(releaseQuiet)
		synctest.Wait()
		if released.Load() != 2 {
			t.Fatalf("released %d times once the traffic stopped", released.Load())
		}
		r.stop()
	})
}
