package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"time"

	"sprinkler/agent/clock"
	"sprinkler/agent/intake"
	"sprinkler/agent/link"
	"sprinkler/agent/serve"
	"sprinkler/tally"
	"sprinkler/topics"
)

// worker takes the messages of the intake one at a time, in the intake's fair order: each
// command, a request or a plain set topic, goes to the one service with its sender and role; a
// request's reply goes out once its change is on disk, a refused plain command is an event. It
// runs outside paho's router, so it may publish freely. What the intake refused it answers on
// a goroutine of its own (answerRefusals).
type worker struct {
	topics topics.Agent
	svc    *serve.Service
	// birth is Home Assistant's status topic ("" without discovery); birthDelay the longest
	// random wait before answering it.
	birth      string
	birthDelay time.Duration
	announceAt time.Time   // when the last (or pending) answer to a birth is due
	announcing atomic.Bool // an answer to a birth is pending
	// afterReply runs after each reply is published: a shutdown request stops the agent then.
	afterReply func()
	// persist returns once the state's changes are on disk; a reply waits for it, so an
	// answered request survives a crash. Plain commands do not wait.
	persist func() error
	pub     publisher // replies, and the clearing of a retained command
	rep     *reporter
	event   func(topics.Event) // an event, published in order by the reporter
	log     *slog.Logger
	clock   clock.Clock
	// feeds take the data topics' messages (weather inputs, sensors on topics), by topic.
	feeds map[string]func(payload []byte, retained bool) error
	// tally keeps repeated warnings (refusals) to a line a minute each.
	tally *tally.Log
	// failing counts the messages ignored of each input topic that is unusable now.
	failing map[string]int
}

// fed logs an input that became unusable once, when it does (a Home Assistant sensor that went
// unavailable sends null until it is back), and once when it is usable again, with how many
// of its messages were ignored meanwhile.
func (w *worker) fed(m link.Message, err error) {
	ignored, failing := w.failing[m.Topic]
	switch {
	case err == nil && failing:
		delete(w.failing, m.Topic)
		w.log.Info("input usable again", "topic", m.Topic, "ignored", ignored)
	case err != nil && !failing:
		if w.failing == nil {
			w.failing = map[string]int{}
		}
		w.failing[m.Topic] = 1
		w.log.Warn("input ignored until it is usable again", "topic", m.Topic, "payload", truncate(m.Payload), "err", err)
	case err != nil:
		w.failing[m.Topic]++
	}
}

func (w *worker) run(ctx context.Context, in *intake.Intake) {
	for {
		m, ok := in.Next(ctx)
		if !ok {
			return
		}
		w.handle(m)
	}
}

func (w *worker) handle(m link.Message) {
	if feed, ok := w.feeds[m.Topic]; ok {
		w.fed(m, feed(m.Payload, m.Retained))
		return
	}
	if m.Topic == w.birth {
		w.homeAssistantBorn(m)
		return
	}
	if m.Retained {
		// A retained command replays on every subscribe and would act on its own. Ignore it and
		// clear it from brokers that stored it.
		payload := truncate(m.Payload)
		if t, ok := topics.Parse(w.topics.Prefix(), m.Topic); ok && t.Kind == topics.KindRequest {
			payload = fmt.Sprintf("(%d bytes, not logged: a request may hold a password)", len(m.Payload))
		}
		w.log.Warn("retained command ignored and cleared", "topic", m.Topic, "payload", payload)
		w.pub.Publish(m.Topic, true, nil)
		return
	}
	t, ok := topics.Parse(w.topics.Prefix(), m.Topic)
	if !ok || t.Agent != w.topics.ID() {
		return
	}
	source, role := m.From.Source(), m.From.Role
	if source == "" {
		source = topics.SourceMQTT
		if t.Kind != topics.KindRequest {
			source = topics.SourceSet
		}
	}
	if t.Kind == topics.KindRequest {
		w.request(t.Command, m.Payload, source, m.From)
		return
	}
	err := w.svc.Plain(m.Topic, t, m.Payload, source, role)
	w.refused(err, t.Zone, source)
	w.rep.flush()
}

// request answers a request: the states it changed go out, and are on disk, before the reply.
func (w *worker) request(cmd string, payload []byte, source string, from topics.Sender) {
	resp, replyTo := w.svc.Request(cmd, payload, source, from)
	if topics.CommandAccess(cmd) != topics.AccessRead { // a read changes nothing
		w.rep.flush()
		if w.persist != nil {
			if err := w.persist(); err != nil && resp.Status == topics.StatusOK {
				resp = topics.Fail(resp.ID, topics.Errorf(topics.CodeNotSaved,
					"%s was carried out but could not be saved (%v): it holds until the agent stops, and a restart will not know it", cmd, err))
			}
		}
	}
	w.pub.Publish(w.replyTopic(cmd, replyTo, from), false, mustJSON(resp))
	if w.afterReply != nil {
		w.afterReply()
	}
}

// answerRefusals answers what the intake refused, until ctx ends: a request gets its error
// reply (busy) at once; a plain command or a reading is told once a minute per client, in the
// log and, for a command, as a command_refused event.
func (w *worker) answerRefusals(ctx context.Context, in *intake.Intake) {
	tick := time.NewTicker(time.Minute)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if n := in.Lost(); n > 0 {
				w.log.Warn("intake: refusals came faster than they could be answered; not answered", "count", n)
			}
		case r := <-in.Refusals():
			w.refuseBusy(r)
		}
	}
}

// refuseBusy answers one refusal of the intake: a request with its error reply; anything else
// is logged, and a plain command told as an event, once a minute per sender.
func (w *worker) refuseBusy(r intake.Refusal) {
	who := r.From.Client
	if who == "" {
		who = string(r.From.Role)
	}
	t, ok := topics.Parse(w.topics.Prefix(), r.Topic)
	if ok && t.Kind == topics.KindRequest {
		req, _ := topics.ParseRequest(r.Payload)
		w.pub.Publish(w.replyTopic(t.Command, req.ReplyTo, r.From), false, mustJSON(topics.Fail(req.ID, r.Err)))
	}
	first := w.tally.Add(slog.LevelWarn, "busy "+r.Class.String()+" "+who, "message refused: busy", "topic", r.Topic, "source", who,
		"role", r.From.Role, "err", r.Err)
	if first && ok && t.Agent == w.topics.ID() && t.Kind != topics.KindRequest && r.Class != intake.Data {
		w.event(topics.Event{Type: topics.EventCommandRefused, Zone: t.Zone, Source: who, Message: r.Err.Error()})
	}
}

// replyTopic is where the reply to a request from sender goes: under the request's reply_to (a
// client id: only that client may read it). Without one, a sender the embedded broker names,
// but for an admin, is answered under its own client id; an admin, or an external broker's
// sender, on the shared response topic, which admins alone read. A bridge forwards requests for
// its far side's clients, so reply_to wins over the sender.
func (w *worker) replyTopic(cmd, replyTo string, from topics.Sender) string {
	if replyTo == "" && from.Role != topics.RoleAdmin && topics.ValidClientID(from.Client) == nil {
		replyTo = from.Client
	}
	return w.topics.Reply(cmd, replyTo)
}

// refused publishes a command_refused event when err says a plain command was refused.
func (w *worker) refused(err error, zone int, source string) {
	if err == nil {
		return
	}
	w.log.Warn("command refused", "zone", zone, "source", source, "err", err)
	w.event(topics.Event{Type: topics.EventCommandRefused, Zone: zone, Source: source, Message: err.Error()})
}

// birthWindow is the least time between two answers to Home Assistant's birth: births in
// between (a restart loop, or a flood) are answered once, after the last of them.
const birthWindow = 10 * time.Second

// homeAssistantBorn answers Home Assistant's birth message: after a random wait of up to
// birthDelay, discovery and every state again, so that a restarted Home Assistant knows the
// controller at once. A birth while an answer is pending is answered by it.
func (w *worker) homeAssistantBorn(m link.Message) {
	if m.Retained || !strings.EqualFold(strings.TrimSpace(string(m.Payload)), topics.Online) {
		return
	}
	if !w.announcing.CompareAndSwap(false, true) {
		return
	}
	now := w.clock.Now()
	delay := time.Duration(0)
	if w.birthDelay > 0 {
		delay = rand.N(w.birthDelay)
	}
	if !w.announceAt.IsZero() {
		delay = max(delay, w.announceAt.Add(birthWindow).Sub(now))
	}
	w.announceAt = now.Add(delay)
	w.log.Info("Home Assistant came online; announcing again", "after", delay.Round(time.Millisecond))
	w.clock.AfterFunc(delay, func() {
		w.announcing.Store(false)
		w.rep.resync()
	})
}

func truncate(b []byte) string {
	if len(b) > 64 {
		return string(b[:64]) + "…"
	}
	return string(b)
}
