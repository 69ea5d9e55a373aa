package server

import (
	"sync"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
)

// session is what the broker knows of a client from its login on.
type session struct {
	identity
	connected time.Time
}

// sessions knows who each client is, from its login until mochi forgets it: at a clean
// disconnect, at the expiry of a persistent session, or when a new connection takes its
// session over. It also remembers who set each delayed will on a command topic until the will
// is due, so that the agent can tell who sent it when it arrives.
type sessions struct {
	mu    sync.Mutex
	byCl  map[*mqtt.Client]*session
	byID  map[string]*mqtt.Client // the current connection of each client id
	wills map[string]lateWill
}

type lateWill struct {
	identity
	until time.Time
}

// willGrace is how long past its due time a delayed will's sender is remembered.
const willGrace = time.Minute

func newSessions() *sessions {
	return &sessions{byCl: map[*mqtt.Client]*session{}, byID: map[string]*mqtt.Client{}, wills: map[string]lateWill{}}
}

// add records who cl is; a connection that took over cl's id replaces the one before it.
func (s *sessions) add(cl *mqtt.Client, who identity) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old := s.byID[cl.ID]; old != nil && old != cl {
		delete(s.byCl, old)
	}
	s.byCl[cl] = &session{identity: who, connected: time.Now()}
	s.byID[cl.ID] = cl
}

// remove forgets cl.
func (s *sessions) remove(cl *mqtt.Client) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.byCl, cl)
	if s.byID[cl.ID] == cl {
		delete(s.byID, cl.ID)
	}
}

// of returns a copy of what is known of cl, or nil.
func (s *sessions) of(cl *mqtt.Client) *session {
	s.mu.Lock()
	defer s.mu.Unlock()
	if x, ok := s.byCl[cl]; ok {
		c := *x
		return &c
	}
	return nil
}

// byClient returns who is connected as client id now, if anyone.
func (s *sessions) byClient(id string) (identity, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if x, ok := s.byCl[s.byID[id]]; ok {
		return x.identity, true
	}
	return identity{}, false
}

// willDue remembers who set a will that is sent after delay.
func (s *sessions) willDue(who identity, delay time.Duration) {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, w := range s.wills {
		if now.After(w.until) {
			delete(s.wills, id)
		}
	}
	s.wills[who.client] = lateWill{who, now.Add(delay + willGrace)}
}

// sender names the client that published a message whose origin (mochi's client id of the
// publisher) is origin, and its role; the role is "" when the sender is not known.
func (s *sessions) sender(origin string) identity {
	if who, ok := s.byClient(origin); ok {
		return who
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if w, ok := s.wills[origin]; ok && time.Now().Before(w.until) {
		return w.identity
	}
	return identity{client: origin}
}
