package link_test

import (
	"log/slog"
	"testing"
	"time"

	"sprinkler/agent/link"
	"sprinkler/broker/brokertest"
	"sprinkler/topics"
)

// up counts the link's OnUp calls on a channel.
func up() (chan struct{}, func()) {
	ch := make(chan struct{}, 8)
	return ch, func() { ch <- struct{}{} }
}

// inbox is a link's inbox that a test reads as a channel.
type inbox chan link.Message

func (in inbox) Deliver(m link.Message) { in <- m }

func await[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(brokertest.Wait):
		t.Fatalf("no %s", what)
	}
	var zero T
	return zero
}

// TestLinkComesBackAfterACut connects through a proxy that then cuts the connection without
// a goodbye: the link reconnects by itself, subscribes again (OnUp runs once more) and hears
// commands again; its retained will says offline in between, and Close says offline too.
func TestLinkComesBackAfterACut(t *testing.T) {
	b := brokertest.Start(t)
	proxy := brokertest.StartProxy(t, b.Addr())
	inbox := make(inbox, 8)
	ups, onUp := up()
	l := link.New(link.Options{URL: brokertest.URL(proxy.Addr()), ClientID: "sprinkler-garden", Keepalive: 2 * time.Second,
		Will: "sprinkler/garden/status", WillPayload: topics.Offline, Filters: []string{"sprinkler/garden/request/+"},
		Inbox: inbox, OnUp: onUp, Log: slog.New(slog.DiscardHandler)})
	l.Start()
	await(t, ups, "first connect")
	watcher := brokertest.Connect(t, brokertest.URL(b.Addr()))
	watcher.Subscribe("sprinkler/garden/status")

	proxy.Sever()
	watcher.Await("sprinkler/garden/status", topics.Offline) // the will
	await(t, ups, "reconnect")
	if l.Connects() != 2 {
		t.Errorf("%d connects, want 2", l.Connects())
	}
	watcher.Publish("sprinkler/garden/request/status", false, `{"id":"after"}`)
	if m := await(t, inbox, "a command after the reconnect"); m.Topic != "sprinkler/garden/request/status" || m.From.Role != topics.RoleExternal {
		t.Errorf("heard %+v", m)
	}
	if err := l.Close(time.Second); err != nil {
		t.Fatal(err)
	}
	watcher.Await("sprinkler/garden/status", topics.Offline)
}

// TestInlineLinkNamesTheSender: the in-process link hears each command with its sender, as the
// embedded broker names it, and says offline when closed.
func TestInlineLinkNamesTheSender(t *testing.T) {
	b := brokertest.Start(t)
	inbox := make(inbox, 8)
	ups, onUp := up()
	l := link.NewInline(b, link.Options{Will: "sprinkler/garden/status", WillPayload: topics.Offline,
		Filters: []string{"sprinkler/garden/request/+"}, Inbox: inbox, OnUp: onUp, Log: slog.New(slog.DiscardHandler)})
	l.Start()
	await(t, ups, "OnUp")
	c := brokertest.Connect(t, brokertest.URL(b.Addr()))
	c.Subscribe("sprinkler/garden/status")
	c.Publish("sprinkler/garden/request/status", false, `{"id":"1"}`)
	if m := await(t, inbox, "the command"); m.From.Client != c.ID() || m.From.Role != topics.RoleAdmin {
		t.Errorf("sender %+v, want %s as admin", m.From, c.ID())
	}
	if err := l.Close(time.Second); err != nil {
		t.Fatal(err)
	}
	c.Await("sprinkler/garden/status", topics.Offline)
}
