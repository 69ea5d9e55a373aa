package daemon

import (
	"log/slog"
	"maps"
	"slices"

	"sprinkler/agent/discovery"
)

// message is one retained publish; a nil payload deletes the retained message.
type message struct {
	topic   string
	payload []byte
}

// announcer makes the Home Assistant discovery messages, and the deletions of what was
// announced before and is gone now (a zone removed from the configuration, or the other
// discovery form).
type announcer struct {
	model func() discovery.Model
	st    *state
	log   *slog.Logger
}

// messages returns the deletions first, then the discovery messages, and records them.
func (a *announcer) messages() []message {
	m := a.model()
	prev := a.st.announced()
	removed := map[string]string{}
	if m.Device {
		removed = prev.Components
	}
	msgs, comps := m.Messages(removed)
	var out []message
	for _, t := range prev.Topics {
		if _, still := msgs[t]; !still {
			out = append(out, message{topic: t})
			a.log.Info("discovery: removing what is gone", "topic", t)
		}
	}
	topics := discovery.Sorted(msgs)
	for _, t := range topics {
		out = append(out, message{topic: t, payload: msgs[t]})
	}
	if !slices.Equal(prev.Topics, topics) || !maps.Equal(prev.Components, comps) {
		if err := a.st.saveAnnounced(announced{Topics: topics, Components: comps}); err != nil {
			a.log.Error("discovery: saving what was announced failed", "err", err)
		}
	}
	return out
}
