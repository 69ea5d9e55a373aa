package server

import (
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"

	"sprinkler/topics"
)

// MaxGone bounds the clients that left and are still listed (and retained) until the
// retention passes: past it, the one that left first is forgotten first. Clients that are
// connected are bounded by max_clients.
const MaxGone = 200

// presence publishes a retained entry per client under a base topic, <base>/<client-id>:
// online while connected, then offline with the time it left, cleared after the retention or
// when more than MaxGone others left after it. It keeps the same in memory for the client list.
type presence struct {
	mqtt.HookBase
	describe  func(*mqtt.Client) topics.ClientInfo // a connected client, for its entry
	base      string
	retention time.Duration
	publish   func(topic string, payload []byte, retained bool) error
	log       *slog.Logger
	mu        sync.Mutex
	clients   map[string]*presenceEntry
	gone      []*presenceEntry // the clients that left, oldest first
	timer     *time.Timer      // prunes the oldest when its retention has passed
}

type presenceEntry struct {
	owner *mqtt.Client // the connection the entry is about: a takeover's old one does not count
	info  topics.ClientInfo
}

func (p *presence) ID() string { return "sprinkler-presence" }

func (p *presence) Provides(b byte) bool {
	return provides(b, mqtt.OnSessionEstablished, mqtt.OnDisconnect)
}

// OnSessionEstablished publishes the client's presence.
func (p *presence) OnSessionEstablished(cl *mqtt.Client, pk packets.Packet) {
	if !cl.Net.Inline {
		p.up(cl, p.describe(cl))
	}
}

// OnDisconnect publishes that the client left.
func (p *presence) OnDisconnect(cl *mqtt.Client, err error, expire bool) {
	if !cl.Net.Inline {
		p.down(cl)
	}
}

// validLevel reports whether a client id may stand as a topic level: a client id of the
// contract (topics.ValidClientID) with no leading $.
func validLevel(id string) bool {
	return topics.ValidClientID(id) == nil && !strings.HasPrefix(id, "$")
}

// up records that cl, described by info, connected.
func (p *presence) up(cl *mqtt.Client, info topics.ClientInfo) {
	if !validLevel(info.ID) {
		p.log.Warn("client presence not published: the client id cannot be a topic level", "client", info.ID)
		return
	}
	info.Online = true
	p.mu.Lock()
	p.clients[info.ID] = &presenceEntry{owner: cl, info: info}
	p.mu.Unlock()
	p.put(info)
}

// down records that cl left now: it is listed as gone, and those it pushes past MaxGone are
// forgotten, in one step.
func (p *presence) down(cl *mqtt.Client) {
	now := time.Now()
	p.mu.Lock()
	e := p.clients[cl.ID]
	if e == nil || e.owner != cl || !e.info.Online {
		p.mu.Unlock()
		return
	}
	e.info.Online, e.info.DisconnectedAt = false, topics.At(now)
	info := e.info
	p.gone = append(p.gone, e)
	forgotten := p.prune(now)
	p.mu.Unlock()
	p.put(info)
	p.clearAll(forgotten)
}

// expire forgets the clients whose retention has passed.
func (p *presence) expire() {
	p.mu.Lock()
	forgotten := p.prune(time.Now())
	p.mu.Unlock()
	p.clearAll(forgotten)
}

// prune forgets the clients that left a retention ago, or more than MaxGone clients ago,
// arms the one timer for the next that is due, and returns the ids whose retained entries to
// clear. Called with mu held.
func (p *presence) prune(now time.Time) []string {
	var forgotten []string
	for len(p.gone) > 0 {
		old := p.gone[0]
		if p.clients[old.info.ID] == old && len(p.gone) <= MaxGone && now.Sub(old.info.DisconnectedAt.Time) < p.retention {
			break // the oldest still listed stays, and so do all after it
		}
		p.gone = p.gone[1:]
		if p.clients[old.info.ID] == old {
			delete(p.clients, old.info.ID)
			forgotten = append(forgotten, old.info.ID)
		}
	}
	if len(p.gone) > 0 {
		due := p.gone[0].info.DisconnectedAt.Add(p.retention).Sub(now)
		if p.timer == nil {
			p.timer = time.AfterFunc(due, p.expire)
		} else {
			p.timer.Reset(due)
		}
	}
	return forgotten
}

func (p *presence) clearAll(ids []string) {
	for _, id := range ids {
		p.clear(id)
	}
}

func (p *presence) clear(id string) {
	if err := p.publish(p.base+"/"+id, nil, true); err != nil {
		p.log.Warn("client presence not cleared", "client", id, "err", err)
	}
}

func (p *presence) put(info topics.ClientInfo) {
	b, _ := json.Marshal(info)
	if err := p.publish(p.base+"/"+info.ID, b, true); err != nil {
		p.log.Warn("client presence not published", "client", info.ID, "err", err)
	}
}

// left lists the clients that left within the retention.
func (p *presence) left() []topics.ClientInfo {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []topics.ClientInfo
	for _, e := range p.clients {
		if !e.info.Online {
			out = append(out, e.info)
		}
	}
	return out
}
