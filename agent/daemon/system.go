package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"os/exec"
	"strings"
	"sync"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"

	"sprinkler/agent/health"
	"sprinkler/agent/problems"
	"sprinkler/broker/server"
	"sprinkler/topics"
)

// mqttVersion is the embedded broker's version.
const mqttVersion = mqtt.Version

// stopper carries out shutdown and reboot requests: it stops the agent once the reply to the
// request is out, and after a reboot request runs the reboot command once everything stopped.
type stopper struct {
	cancel context.CancelFunc
	reboot []string
	log    *slog.Logger

	mu        sync.Mutex
	requested bool
	rebooting bool
}

// request is the serve.System.Shutdown callback.
func (s *stopper) request(reboot bool, by string) error {
	if reboot && len(s.reboot) == 0 {
		return topics.Errorf(topics.CodeUnavailable, "reboot is not configured: set system.reboot_command, e.g. [systemctl, reboot]")
	}
	s.mu.Lock()
	s.requested, s.rebooting = true, s.rebooting || reboot
	s.mu.Unlock()
	s.log.Warn("stop requested", "by", by, "reboot", reboot)
	return nil
}

// afterReply stops the agent if the request just answered asked for it.
func (s *stopper) afterReply() {
	s.mu.Lock()
	stop := s.requested
	s.mu.Unlock()
	if stop {
		s.cancel()
	}
}

// rebootIfAsked runs the reboot command after a reboot request; the relays are off by then.
func (s *stopper) rebootIfAsked() error {
	s.mu.Lock()
	reboot := s.rebooting
	s.mu.Unlock()
	if !reboot {
		return nil
	}
	s.log.Warn("rebooting", "command", strings.Join(s.reboot, " "))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, s.reboot[0], s.reboot[1:]...).CombinedOutput(); err != nil {
		return fmt.Errorf("reboot command %q: %w: %s", strings.Join(s.reboot, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// healthReader returns the health command's reader: the machine, the agent, the broker.
func (d *Daemon) healthReader(brk *server.Broker, started time.Time, probs *problems.Set) func(context.Context) topics.Health {
	root := d.opts.HealthRoot
	if root == "" {
		root = "/"
	}
	r := health.Reader{Root: root, StateDir: d.cfg.State.Dir}
	return func(ctx context.Context) topics.Health {
		h := r.Read(ctx)
		now := d.opts.Clock.Now()
		h.TS = topics.Time{Time: now}
		h.AgentUptimeS = now.Sub(started).Seconds()
		if brk != nil {
			n := len(brk.Clients(false))
			h.BrokerClients = &n
		}
		if d.opts.Logs != nil {
			h.LastError = d.opts.Logs.LastError()
		}
		h.Problems = probs.List()
		return h
	}
}

// publishHealth publishes the retained health every health.interval until the returned stop
// is called.
func (d *Daemon) publishHealth(post func(topic string, payload []byte), read func(context.Context) topics.Health) (stop func()) {
	return d.every(d.cfg.Health.Interval, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		h := read(ctx)
		cancel()
		post(d.topics.Health(), mustJSON(h))
	})
}

// every calls fn every interval (none when it is 0) until the returned stop is called.
func (d *Daemon) every(interval time.Duration, fn func()) (stop func()) {
	if interval <= 0 {
		return func() {}
	}
	var mu sync.Mutex
	stopped := false
	var tick func()
	var timer interface{ Stop() bool }
	tick = func() {
		fn()
		mu.Lock()
		defer mu.Unlock()
		if !stopped {
			timer = d.opts.Clock.AfterFunc(interval, tick)
		}
	}
	mu.Lock()
	timer = d.opts.Clock.AfterFunc(interval, tick) // the first goes out with every (re)connect
	mu.Unlock()
	return func() {
		mu.Lock()
		defer mu.Unlock()
		stopped = true
		if timer != nil {
			timer.Stop()
		}
	}
}
