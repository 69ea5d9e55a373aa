package daemon

import (
	"context"
	"log/slog"
	"strings"

	"sprinkler/agent/clock"
	"sprinkler/agent/link"
	"sprinkler/agent/scheduler"
	"sprinkler/agent/serve"
	"sprinkler/topics"
)

// worker carries out the commands in the inbox one at a time, in arrival order, and answers
// requests. It runs outside paho's router, so it may publish freely.
type worker struct {
	topics topics.Agent
	svc    *serve.Service
	sched  *scheduler.Engine // nil without a schedule
	pub    publisher
	rep    *reporter
	log    *slog.Logger
	clock  clock.Clock
	// origin names the client that published a command, when the broker is embedded.
	origin func(topic string, payload []byte) (clientID, role string, ok bool)
}

func (w *worker) run(ctx context.Context, inbox <-chan link.Message) {
	for {
		select {
		case <-ctx.Done():
			return
		case m := <-inbox:
			w.handle(m)
		}
	}
}

func (w *worker) handle(m link.Message) {
	if m.Retained {
		// A retained command replays on every subscribe and would act on its own. Ignore it and
		// clear it from brokers that stored it.
		w.log.Warn("retained command ignored and cleared", "topic", m.Topic, "payload", truncate(m.Payload))
		w.pub.Publish(m.Topic, true, nil)
		return
	}
	t, ok := topics.Parse(w.topics.Prefix(), m.Topic)
	if !ok || t.Agent != w.topics.ID() {
		return
	}
	source := topics.SourceMQTT
	if t.Kind != topics.KindRequest {
		source = topics.SourceSet
	}
	role := ""
	if w.origin != nil {
		if id, r, ok := w.origin(m.Topic, m.Payload); ok {
			source, role = id, r
		}
	}
	if t.Kind != topics.KindRequest && !serve.Permits(role, topics.AccessOperate) {
		w.log.Warn("command refused: the requester may not operate", "topic", m.Topic, "source", source, "role", role)
		return
	}
	switch t.Kind {
	case topics.KindZoneSet:
		if err := w.svc.Set(t.Zone, m.Payload, source); err != nil {
			w.pub.Publish(w.topics.Event(), false, mustJSON(topics.Event{
				Type: topics.EventCommandRefused, Zone: t.Zone, Source: source,
				TS: topics.Time{Time: w.clock.Now()}, Message: err.Error(),
			}))
		}
		w.rep.flush()
	case topics.KindProfileSet:
		var err error
		if w.sched == nil {
			err = topics.Errorf(topics.CodeUnavailable, "no schedule is configured")
		} else {
			_, err = w.sched.Activate(strings.TrimSpace(string(m.Payload)), false, source)
		}
		if err != nil {
			w.log.Warn("profile set refused", "source", source, "err", err)
			w.pub.Publish(w.topics.Event(), false, mustJSON(topics.Event{
				Type: topics.EventCommandRefused, Source: source, TS: topics.Time{Time: w.clock.Now()}, Message: err.Error(),
			}))
		}
		w.rep.flush()
	case topics.KindRequest:
		resp := w.svc.Request(t.Command, m.Payload, source, role)
		w.rep.flush()
		w.pub.Publish(w.topics.Response(t.Command), false, mustJSON(resp))
	}
}

func truncate(b []byte) string {
	if len(b) > 64 {
		return string(b[:64]) + "…"
	}
	return string(b)
}
