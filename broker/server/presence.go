package server

import (
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"

	"sprinkler/topics"
)

// presence publishes a retained entry per client under a base topic, <base>/<client-id>:
// online while connected, then offline with the time it left, cleared after the retention. It
// keeps the same in memory for the client list.
type presence struct {
	base      string
	retention time.Duration
	publish   func(topic string, payload []byte, retained bool) error
	log       *slog.Logger
	mu        sync.Mutex
	clients   map[string]*presenceEntry
}

type presenceEntry struct {
	owner *mqtt.Client // the connection the entry is about: a takeover's old one does not count
	info  topics.ClientInfo
	clear *time.Timer // pending removal of a client that left
}

// validLevel reports whether a client id may stand as a topic level: 1 to 128 printable
// characters, none of / + # and no leading $.
func validLevel(id string) bool {
	if id == "" || len(id) > 128 || strings.HasPrefix(id, "$") || strings.ContainsAny(id, "/+#") {
		return false
	}
	for _, r := range id {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// up records that cl, described by info, connected.
func (p *presence) up(cl *mqtt.Client, info topics.ClientInfo) {
	if !validLevel(info.ID) {
		p.log.Warn("client presence not published: the client id cannot be a topic level", "client", info.ID)
		return
	}
	info.Online = true
	p.mu.Lock()
	if e := p.clients[info.ID]; e != nil && e.clear != nil {
		e.clear.Stop()
	}
	p.clients[info.ID] = &presenceEntry{owner: cl, info: info}
	p.mu.Unlock()
	p.put(info)
}

// down records that cl left at t.
func (p *presence) down(cl *mqtt.Client, t time.Time) {
	id := cl.ID
	p.mu.Lock()
	e := p.clients[id]
	if e == nil || e.owner != cl || !e.info.Online {
		p.mu.Unlock()
		return
	}
	e.info.Online, e.info.DisconnectedAt = false, topics.At(t)
	info := e.info
	e.clear = time.AfterFunc(p.retention, func() { p.forget(id, e) })
	p.mu.Unlock()
	p.put(info)
}

// forget clears the entry of a client that left a retention ago, unless it came back.
func (p *presence) forget(id string, e *presenceEntry) {
	p.mu.Lock()
	if p.clients[id] != e {
		p.mu.Unlock()
		return
	}
	delete(p.clients, id)
	p.mu.Unlock()
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

// gone lists the clients that left within the retention.
func (p *presence) gone() []topics.ClientInfo {
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
