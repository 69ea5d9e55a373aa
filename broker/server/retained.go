package server

import (
	"sync"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// retainGuard is a hook that works around a data race in mochi v2.7.9: storing a retained
// message writes its topic's path into the topic index while a new subscription's scan for
// retained messages reads it without a lock. Stores take the lock alone (a client's retained
// publish or will, the embedded agent's publish); scans share it. It is held only around work
// that does not wait on a socket: from a publish's hook to its store, and from a SUBACK's write
// to the end of the scan, which queues messages without writing them. Being taken in one mochi
// callback and released in another, it relies on mochi's order of them:
// TestRetainGuardIsReleasedWhateverMochiCalls fails if an upgrade of mochi changes it.
type retainGuard struct {
	mqtt.HookBase
	rw   sync.RWMutex
	mu   sync.Mutex
	held map[*mqtt.Client]bool // the clients whose packet or will holds it; true: to write
}

func newRetainGuard() *retainGuard { return &retainGuard{held: map[*mqtt.Client]bool{}} }

func (g *retainGuard) ID() string { return "sprinkler-retain-guard" }

func (g *retainGuard) Provides(b byte) bool {
	return provides(b, mqtt.OnPublish, mqtt.OnRetainMessage, mqtt.OnPacketSent, mqtt.OnPacketProcessed,
		mqtt.OnWill, mqtt.OnWillSent, mqtt.OnDisconnect)
}

// OnPublish takes the guard for a retained message mochi will store (a retained command was
// dropped by the access hook before). The embedded agent's publishes take it in Broker.Publish.
func (g *retainGuard) OnPublish(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	if pk.FixedHeader.Retain && !cl.Net.Inline {
		g.enter(cl, true)
	}
	return pk, nil
}

// OnRetainMessage releases the guard a retained publish or will took: the message is stored.
func (g *retainGuard) OnRetainMessage(cl *mqtt.Client, pk packets.Packet, r int64) { g.leave(cl) }

// OnPacketSent takes the guard for reading once a SUBACK is written: mochi then scans the
// retained messages for the new subscriptions. Taken only after the write, it is never held
// while a client that does not read blocks it.
func (g *retainGuard) OnPacketSent(cl *mqtt.Client, pk packets.Packet, b []byte) {
	if pk.FixedHeader.Type == packets.Suback && !cl.Net.Inline {
		g.enter(cl, false)
	}
}

// OnPacketProcessed releases whatever the packet still holds.
func (g *retainGuard) OnPacketProcessed(cl *mqtt.Client, pk packets.Packet, err error) { g.leave(cl) }

// OnWill takes the guard for a retained will sent now, which mochi stores.
func (g *retainGuard) OnWill(cl *mqtt.Client, will mqtt.Will) (mqtt.Will, error) {
	if will.Retain && will.WillDelayInterval == 0 {
		g.enter(cl, true)
	}
	return will, nil
}

// OnWillSent releases what OnWill took, if the will was not stored.
func (g *retainGuard) OnWillSent(cl *mqtt.Client, pk packets.Packet) { g.leave(cl) }

// OnDisconnect releases what a connection that ended still held.
func (g *retainGuard) OnDisconnect(cl *mqtt.Client, err error, expire bool) { g.leave(cl) }

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
