package server_test

import (
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"sprinkler/broker/brokertest"
	"sprinkler/broker/server"
	"sprinkler/topics"
)

var errTimeout = errors.New("connect timed out")

func connectErr(addr, user string) error {
	return connectAs(addr, user, "")
}

func connectAs(addr, user, pw string) error {
	opts := paho.NewClientOptions().AddBroker(addr).SetClientID("probe").SetUsername(user).SetPassword(pw).
		SetConnectRetry(false).SetConnectTimeout(brokertest.Wait)
	c := paho.NewClient(opts)
	t := c.Connect()
	if !t.WaitTimeout(brokertest.Wait) {
		return errTimeout
	}
	if t.Error() == nil {
		c.Disconnect(10)
	}
	return t.Error()
}

func TestAnonymousPolicy(t *testing.T) {
	t.Run("loopback allows anonymous from loopback", func(t *testing.T) {
		b := brokertest.Start(t)
		if err := connectErr(brokertest.URL(b.Addr()), ""); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("a username without accounts is refused", func(t *testing.T) {
		b := brokertest.Start(t)
		if err := connectErr(brokertest.URL(b.Addr()), "alice"); err == nil {
			t.Fatal("accepted")
		}
	})
	t.Run("off refuses anonymous", func(t *testing.T) {
		b := brokertest.Start(t, func(c *server.Config) { c.Anonymous = server.AnonymousOff })
		err := connectErr(brokertest.URL(b.Addr()), "")
		if err == nil || !strings.Contains(strings.ToLower(err.Error()), "not authorized") {
			t.Fatalf("want not authorized, got %v", err)
		}
	})
}

// TestInProcessPublishAndSubscribe: the embedded agent's side of the broker, with no network
// client and no ACL, reaches network clients and hears them, retained messages first.
func TestInProcessPublishAndSubscribe(t *testing.T) {
	b := brokertest.Start(t, func(c *server.Config) { c.Anonymous = server.AnonymousOff })
	if err := b.Publish("sprinkler/garden/status", []byte("online"), true); err != nil {
		t.Fatal(err)
	}
	type msg struct {
		topic, payload string
		retained       bool
	}
	got := make(chan msg, 4)
	if err := b.Subscribe("sprinkler/garden/#", func(topic string, payload []byte, retained bool, _ topics.Sender) {
		got <- msg{topic, string(payload), retained}
	}); err != nil {
		t.Fatal(err)
	}
	if m := <-got; m != (msg{"sprinkler/garden/status", "online", true}) {
		t.Errorf("retained replay: %+v", m)
	}
	if err := b.Publish("sprinkler/garden/zone/1/state", []byte("open"), true); err != nil {
		t.Fatal(err)
	}
	if m := <-got; m.topic != "sprinkler/garden/zone/1/state" || m.payload != "open" {
		t.Errorf("live: %+v", m)
	}
}

func TestRetainedCommandsAreDropped(t *testing.T) {
	b := brokertest.Start(t)
	url := brokertest.URL(b.Addr())
	watcher := brokertest.Connect(t, url)
	watcher.Subscribe("sprinkler/#")

	pub := brokertest.Connect(t, url)
	pub.Publish("sprinkler/garden/zone/3/set", true, "OPEN")
	pub.Publish("sprinkler/garden/request/open", true, `{"zones":[1]}`)
	pub.Publish("sprinkler/garden/zone/3/state", true, "open") // state is retained as usual
	pub.Publish("sprinkler/garden/zone/3/set", false, "marker")

	watcher.Await("sprinkler/garden/zone/3/set", "marker")
	for _, m := range watcher.On("sprinkler/garden/zone/3/set") {
		if m.Payload == "OPEN" {
			t.Error("the retained command was delivered")
		}
	}
	if len(watcher.On("sprinkler/garden/request/open")) != 0 {
		t.Error("the retained request was delivered")
	}

	late := brokertest.Connect(t, url)
	late.Subscribe("sprinkler/garden/zone/3/state", "sprinkler/garden/zone/3/set", "sprinkler/garden/request/open")
	late.Await("sprinkler/garden/zone/3/state", "open")
	if got := late.Topics(); !slices.Equal(got, []string{"sprinkler/garden/zone/3/state"}) {
		t.Errorf("a new subscriber got retained %v; only the state may be stored", got)
	}
}

func TestClientsListsConnectedClients(t *testing.T) {
	b := brokertest.Start(t)
	c := brokertest.Connect(t, brokertest.URL(b.Addr()))
	id := c.ID()
	found := false
	for _, cl := range b.Clients(false) {
		if cl.ID == id {
			found = true
			if !strings.HasPrefix(cl.Remote, "127.0.0.1:") || cl.Listener != "tcp" || cl.ConnectedAt == nil {
				t.Errorf("client info %+v", cl)
			}
		}
	}
	if !found {
		t.Errorf("%s not in %+v", id, b.Clients(false))
	}
}

func TestCloseIsIdempotentAndDisconnectsClients(t *testing.T) {
	b := server.New(loopbackConfig(), brokertest.Logger(t))
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	lost := make(chan struct{})
	opts := paho.NewClientOptions().AddBroker(brokertest.URL(b.Addr())).SetClientID("closer").SetAutoReconnect(false).
		SetConnectionLostHandler(func(paho.Client, error) { close(lost) })
	c := paho.NewClient(opts)
	if tok := c.Connect(); !tok.WaitTimeout(brokertest.Wait) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	select {
	case <-lost:
	case <-time.After(brokertest.Wait):
		t.Fatal("the client was not disconnected")
	}
}

func TestStartOnBusyPortFails(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	b := server.New(withListen(l.Addr().String()), brokertest.Logger(t))
	err = b.Start()
	if err == nil || !strings.Contains(err.Error(), l.Addr().String()) {
		t.Fatalf("Start on a busy port: %v", err)
	}
	_ = b.Close()
}

// TestFailedStartClosesWhatItOpened: a start that fails after binding the TCP listener (a TLS
// listener without its certificate) leaves the TCP port free again.
func TestFailedStartClosesWhatItOpened(t *testing.T) {
	port := brokertest.FreePort(t)
	c := withListen(fmt.Sprintf("127.0.0.1:%d", port))
	c.TLS.Listen, c.TLS.Cert, c.TLS.Key = "127.0.0.1:0", filepath.Join(t.TempDir(), "none.pem"), filepath.Join(t.TempDir(), "none.key")
	b := server.New(c, brokertest.Logger(t))
	if err := b.Start(); err == nil {
		t.Fatal("a TLS listener without its certificate started")
	}
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatalf("the failed start kept the TCP port: %v", err)
	}
	_ = l.Close()
	_ = b.Close()
}

func TestLoadUsesOnlyBrokerKeys(t *testing.T) {
	t.Setenv("SPRINKLER_BROKER_LISTEN", "127.0.0.1:18830")
	c, _, err := server.Load("../../configs/agent.yaml", true)
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:18830" || c.Anonymous != server.AnonymousLoopback {
		t.Errorf("config %+v", c)
	}
}

// TestEverySubscriptionGetsItsRetainedMessages covers a mochi bug the broker works around: a
// second SUBSCRIBE whose packet id clashes with a retained message still in flight from the
// first was refused, silently for MQTT 3.1.1 clients.
func TestEverySubscriptionGetsItsRetainedMessages(t *testing.T) {
	for _, n := range []int{1, 2, 8, 40} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			b := brokertest.Start(t)
			p := brokertest.Connect(t, brokertest.URL(b.Addr()))
			for i := range n {
				p.Publish("x/a/"+strconv.Itoa(i), true, "r")
			}
			p.Publish("x/b", true, "second")
			c := brokertest.Connect(t, brokertest.URL(b.Addr()))
			c.Subscribe("x/a/+")
			c.Subscribe("x/b")
			c.Subscribe("x/c")
			c.Await("x/b", "second")
			p.Publish("x/c", false, "live")
			c.Await("x/c", "live")
			if got := len(c.Topics()); got != n+2 {
				t.Errorf("%d topics received, want %d", got, n+2)
			}
		})
	}
}

func loopbackConfig() server.Config { return withListen("127.0.0.1:0") }

func withListen(addr string) server.Config {
	c := server.DefaultConfig()
	c.Listen = addr
	return c
}

// TestAcksDuringPublishesNeverDeadlock: subscribers acknowledge QoS 1 messages while the
// embedded agent and a network client publish to them. mochi 2.7.9's send quota took a read
// lock twice after each acknowledgement, and a publish to the same client between the two
// froze the client, the publisher and then the whole broker.
func TestAcksDuringPublishesNeverDeadlock(t *testing.T) {
	b := brokertest.Start(t)
	url := brokertest.URL(b.Addr())
	subs := make([]*brokertest.Client, 4)
	for i := range subs {
		subs[i] = brokertest.Connect(t, url)
		subs[i].Subscribe("load/#")
	}
	pub := brokertest.Connect(t, url)
	const n = 300 // 3n messages in flight at most: within the broker's limits, so none is dropped
	done := make(chan struct{}, 3)
	for g := range 2 {
		go func() {
			for i := range n {
				_ = b.Publish("load/agent/"+strconv.Itoa(g), []byte(strconv.Itoa(i)), false)
			}
			done <- struct{}{}
		}()
	}
	go func() {
		var last paho.Token
		for i := range n {
			last = pub.Paho().Publish("load/client", 1, false, strconv.Itoa(i))
		}
		last.Wait() // the broker acknowledged them all
		done <- struct{}{}
	}()
	for range 3 {
		select {
		case <-done:
		case <-time.After(3 * brokertest.Wait):
			t.Fatal("publishing froze: the broker is deadlocked")
		}
	}
	_ = b.Publish("load/end", []byte("end"), false)
	for _, s := range subs {
		s.Await("load/end", "end")
		if got := len(s.On("load/client")) + len(s.On("load/agent/0")) + len(s.On("load/agent/1")); got != 3*n {
			t.Errorf("%s received %d of %d messages", s.ID(), got, 3*n)
		}
	}
}
