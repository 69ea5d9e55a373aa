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
	rw    sync.RWMutex
	mu    sync.Mutex
	held  map[*mqtt.Client]bool // a network client's packet in progress holds it; true: to write
	wills map[*mqtt.Client]bool // a retained will in progress holds it to write
}

func newRetainGuard() *retainGuard {
	return &retainGuard{held: map[*mqtt.Client]bool{}, wills: map[*mqtt.Client]bool{}}
}

// enter takes the guard for the packet cl's connection is handling.
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

// enterWill and leaveWill bracket the sending of cl's retained will.
func (g *retainGuard) enterWill(cl *mqtt.Client) {
	g.lock(true)
	g.mu.Lock()
	g.wills[cl] = true
	g.mu.Unlock()
}

func (g *retainGuard) leaveWill(cl *mqtt.Client) {
	g.mu.Lock()
	_, ok := g.wills[cl]
	delete(g.wills, cl)
	g.mu.Unlock()
	if ok {
		g.unlock(true)
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
