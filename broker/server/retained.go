package server

import (
	"sync"

	mqtt "github.com/mochi-mqtt/server/v2"
)

// retainGuard works around a data race in mochi v2.7.9: storing a retained message writes its
// topic's path into the topic index while a new subscription's scan for retained messages
// reads it without a lock. Stores take the lock alone (a client's retained publish, a retained
// will, the embedded agent's publish); subscriptions share it.
type retainGuard struct {
	rw   sync.RWMutex
	mu   sync.Mutex
	held map[holder]bool // what holds it while mochi handles a packet or a will; true: to write
}

// holder is a network client's packet in progress, or its will being sent.
type holder struct {
	cl   *mqtt.Client
	will bool
}

func newRetainGuard() *retainGuard { return &retainGuard{held: map[holder]bool{}} }

// enter takes the guard for the packet cl's connection is handling.
func (g *retainGuard) enter(cl *mqtt.Client, write bool) { g.take(holder{cl, false}, write) }

// leave releases what enter took for cl, if anything.
func (g *retainGuard) leave(cl *mqtt.Client) { g.release(holder{cl, false}) }

// enterWill and leaveWill bracket the sending of cl's retained will.
func (g *retainGuard) enterWill(cl *mqtt.Client) { g.take(holder{cl, true}, true) }

func (g *retainGuard) leaveWill(cl *mqtt.Client) { g.release(holder{cl, true}) }

func (g *retainGuard) take(h holder, write bool) {
	g.lock(write)
	g.mu.Lock()
	g.held[h] = write
	g.mu.Unlock()
}

func (g *retainGuard) release(h holder) {
	g.mu.Lock()
	write, ok := g.held[h]
	delete(g.held, h)
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
