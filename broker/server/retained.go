package server

import (
	"sync"

	mqtt "github.com/mochi-mqtt/server/v2"
)

// retainGuard works around a data race in mochi v2.7.9: storing a retained message writes its
// topic's path into the topic index while a new subscription's scan for retained messages
// reads it without a lock. Stores take the lock alone (a client's retained publish or will, the
// embedded agent's publish); scans share it. It is held only around work that does not wait
// on a socket: from a publish's hook to its store, and from a SUBACK's write to the end of
// the scan, which queues messages without writing them.
type retainGuard struct {
	rw   sync.RWMutex
	mu   sync.Mutex
	held map[*mqtt.Client]bool // the clients whose packet or will holds it; true: to write
}

func newRetainGuard() *retainGuard { return &retainGuard{held: map[*mqtt.Client]bool{}} }

// enter takes the guard for what cl's connection is handling: a packet, or its will, which
// its own goroutine sends after the last packet.
func (g *retainGuard) enter(cl *mqtt.Client, write bool) {
	g.lock(write)
	g.mu.Lock()
	g.held[cl] = write
	g.mu.Unlock()
}

// leave releases what enter took for cl, if anything.
func (g *retainGuard) leave(cl *mqtt.Client) {
	g.mu.Lock()
	write, ok := g.held[cl]
	delete(g.held, cl)
	g.mu.Unlock()
	if ok {
		g.unlock(write)
	}
}

func (g *retainGuard) lock(write bool) {
	if write {
		g.rw.Lock()
	} else {
		g.rw.RLock()
	}
}

func (g *retainGuard) unlock(write bool) {
	if write {
		g.rw.Unlock()
	} else {
		g.rw.RUnlock()
	}
}
