package server

import (
	"runtime/debug"
	"sync"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// Memory after a storm of connections, or after a client that did not read was disconnected
// with its queue: each client costs two goroutines, their stacks and
// buffers, and the Go runtime keeps the heap it grew to (about twice what lives) long after.
// Once many clients connected and the broker has been quiet for a while (no connection, no
// publish), it gives what is free back to the system in one go; not during traffic, whose
// next burst would pay for the memory again in page faults. Nothing runs while nobody
// connects: the timer is armed by connections only.
const (
	releaseAfter = 64               // connections since the last release that make one worth it
	releaseQuiet = 10 * time.Second // how long no client connected or published before it
)

// releaser returns free memory to the system after a storm of connections. It is a mochi hook
// of its own: it counts connections and hears publishes.
type releaser struct {
	mqtt.HookBase
	mu       sync.Mutex
	connects int
	last     time.Time   // the last connection or publish while a release waits
	timer    *time.Timer // nil: no release waits
	release  func()      // debug.FreeOSMemory, or a test's
}

func newReleaser() *releaser { return &releaser{release: debug.FreeOSMemory} }

func (r *releaser) ID() string { return "sprinkler-memory" }

func (r *releaser) Provides(b byte) bool {
	return provides(b, mqtt.OnSessionEstablished, mqtt.OnPublish)
}

// OnSessionEstablished counts a connection.
func (r *releaser) OnSessionEstablished(*mqtt.Client, packets.Packet) { r.connected() }

// OnPublish puts a waiting release off.
func (r *releaser) OnPublish(_ *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	r.busy()
	return pk, nil
}

// connected counts a connection and, after enough, has a release wait for quiet.
func (r *releaser) connected() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.connects++
	r.last = time.Now()
	if r.connects >= releaseAfter && r.timer == nil {
		r.timer = time.AfterFunc(releaseQuiet, r.fire)
	}
}

// freed has a release wait for quiet after a client that held much was disconnected (one that
// did not read what was queued for it).
func (r *releaser) freed() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.last = time.Now()
	if r.timer == nil {
		r.timer = time.AfterFunc(releaseQuiet, r.fire)
	}
}

// busy puts a waiting release off: the broker is not quiet.
func (r *releaser) busy() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.timer != nil {
		r.last = time.Now()
	}
}

// fire releases once releaseQuiet passed since the last activity, else waits the rest.
func (r *releaser) fire() {
	r.mu.Lock()
	if r.timer == nil { // stopped
		r.mu.Unlock()
		return
	}
	if wait := releaseQuiet - time.Since(r.last); wait > 0 {
		r.timer.Reset(wait)
		r.mu.Unlock()
		return
	}
	r.connects, r.timer = 0, nil
	r.mu.Unlock()
	r.release()
}

// stop cancels a waiting release.
func (r *releaser) stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.timer != nil {
		r.timer.Stop()
		r.timer = nil
	}
}
