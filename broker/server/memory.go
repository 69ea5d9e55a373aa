package server

import (
	"runtime/debug"
	"sync"
	"time"
)

// Memory after a storm of connections: each client costs two goroutines, their stacks and
// buffers, and the Go runtime keeps the heap it grew to (about twice what lives) long after.
// Once many clients connected and the connections have been quiet for a while, the broker gives
// what is free back to the system in one go. Nothing runs while nobody connects: the timer is
// armed by connections only.
const (
	releaseAfter = 64               // connections since the last release that make one worth it
	releaseQuiet = 10 * time.Second // how long no client connected before it
)

// releaser returns free memory to the system after a storm of connections.
type releaser struct {
	mu       sync.Mutex
	connects int
	timer    *time.Timer
	release  func() // debug.FreeOSMemory, or a test's
}

func newReleaser() *releaser { return &releaser{release: debug.FreeOSMemory} }

// connected counts a connection and, after enough, (re)arms the release for when they stop.
func (r *releaser) connected() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.connects++
	if r.connects < releaseAfter {
		return
	}
	if r.timer != nil {
		r.timer.Stop()
	}
	r.timer = time.AfterFunc(releaseQuiet, func() {
		r.mu.Lock()
		r.connects, r.timer = 0, nil
		r.mu.Unlock()
		r.release()
	})
}

// stop cancels a pending release.
func (r *releaser) stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.timer != nil {
		r.timer.Stop()
		r.timer = nil
	}
}
