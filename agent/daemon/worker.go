package daemon

import (
	"context"
	"log/slog"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"sprinkler/agent/clock"
	"sprinkler/agent/link"
	"sprinkler/agent/scheduler"
	"sprinkler/agent/serve"
	"sprinkler/agent/valves"
	"sprinkler/topics"
)

// worker carries out the commands in the inbox one at a time, in arrival order, and answers
// requests. It runs outside paho's router, so it may publish freely.
type worker struct {
	topics topics.Agent
	svc    *serve.Service
	valves *valves.Controller
	sched  *scheduler.Engine // nil without a schedule
	// birth is Home Assistant's status topic ("" without discovery); birthDelay the longest
	// random wait before answering it; saveDefault persists a default run.
	birth       string
	birthDelay  time.Duration
	saveDefault func(zone int, d time.Duration) error
	// afterReply runs after each reply is published: a shutdown request stops the agent then.
	afterReply func()
	// persist returns once the state's changes are on disk; a reply waits for it, so an
	// answered request survives a crash. Plain commands do not wait.
	persist func() error
	pub     publisher
	rep     *reporter
	log     *slog.Logger
	clock   clock.Clock
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
	if m.Topic == w.birth {
		w.homeAssistantBorn(m)
		return
	}
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
		w.refused(w.svc.Set(t.Zone, m.Payload, source), t.Zone, source)
		w.rep.flush()
	case topics.KindProfileSet:
		var err error
		if w.sched == nil {
			err = topics.Errorf(topics.CodeUnavailable, "no schedule is configured")
		} else {
			_, err = w.sched.Activate(strings.TrimSpace(string(m.Payload)), false, source)
		}
		w.refused(err, 0, source)
		w.rep.flush()
	case topics.KindAutoSet:
		on, err := topics.ParseOnOff(m.Payload)
		if err == nil && w.sched == nil {
			err = topics.Errorf(topics.CodeUnavailable, "no schedule is configured")
		}
		if err == nil {
			_, err = w.sched.SetAuto(on, source)
		}
		w.refused(err, 0, source)
		w.rep.flush()
	case topics.KindWaterLevelSet:
		var err error
		if w.sched == nil {
			err = topics.Errorf(topics.CodeUnavailable, "no schedule is configured")
		} else {
			err = w.sched.SetWaterLevel(parsePercent(m.Payload), source)
		}
		w.refused(err, 0, source)
		w.rep.flush()
	case topics.KindDurationSet:
		d, err := topics.ParseMinutes(m.Payload)
		if err == nil {
			err = w.valves.SetDefault(t.Zone, d)
		}
		if err == nil && w.saveDefault != nil {
			if serr := w.saveDefault(t.Zone, d); serr != nil {
				w.log.Error("saving a default run failed", "zone", t.Zone, "err", serr)
			}
		}
		w.refused(err, t.Zone, source)
		w.rep.flush()
	case topics.KindRequest:
		resp, replyTo := w.svc.Request(t.Command, m.Payload, source, role)
		if topics.CommandAccess(t.Command) != topics.AccessRead {
			w.rep.flush() // the states it changed go out before the reply; a read changes none
			if w.persist != nil {
				_ = w.persist() // a failure is logged; the change itself stands
			}
		}
		w.pub.Publish(w.topics.Reply(t.Command, replyTo), false, mustJSON(resp))
		if w.afterReply != nil {
			w.afterReply()
		}
	}
}

// refused publishes a command_refused event when err says a plain command was refused.
func (w *worker) refused(err error, zone int, source string) {
	if err == nil {
		return
	}
	w.log.Warn("command refused", "zone", zone, "source", source, "err", err)
	w.pub.Publish(w.topics.Event(), false, mustJSON(topics.Event{
		Type: topics.EventCommandRefused, Zone: zone, Source: source, TS: topics.Time{Time: w.clock.Now()}, Message: err.Error(),
	}))
}

// homeAssistantBorn answers Home Assistant's birth message: after a random wait of up to
// birthDelay, discovery and every state again, so that a restarted Home Assistant knows the
// controller at once.
func (w *worker) homeAssistantBorn(m link.Message) {
	if m.Retained || !strings.EqualFold(strings.TrimSpace(string(m.Payload)), topics.Online) {
		return
	}
	delay := time.Duration(0)
	if w.birthDelay > 0 {
		delay = rand.N(w.birthDelay)
	}
	w.log.Info("Home Assistant came online; announcing again", "after", delay.Round(time.Millisecond))
	w.clock.AfterFunc(delay, w.rep.resync)
}

func truncate(b []byte) string {
	if len(b) > 64 {
		return string(b[:64]) + "…"
	}
	return string(b)
}

// parsePercent reads a water level payload: a whole number of percent ("80", "80%", "80.0");
// anything else gives -1, which SetWaterLevel refuses with the bounds.
func parsePercent(p []byte) int {
	s := strings.TrimSuffix(strings.TrimSpace(string(p)), "%")
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || f < 0 || f > 10000 {
		return -1
	}
	return int(f)
}
