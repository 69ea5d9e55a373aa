// Command fleet runs many agents in one process, for scale tests on one broker: each a full
// agent (its own state folder, client id and MQTT connection) with simulated relays, no web
// page and no discovery. It stops them all, cleanly, on SIGINT or SIGTERM; killed, its agents'
// last wills say offline.
//
//	fleet -broker tcp://127.0.0.1:1883 -n 1000 [-first 0] [-state DIR]
//
// Agent i is named g<i> with four digits (g0000, g0001, ...).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"

	"sprinkler/agent/config"
	"sprinkler/agent/daemon"
	"sprinkler/topics"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "fleet:", err)
		os.Exit(1)
	}
}

// ID names agent i.
func ID(i int) string { return fmt.Sprintf("g%04d", i) }

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("fleet", flag.ContinueOnError)
	broker := fs.String("broker", "tcp://127.0.0.1:1883", "the broker's URL")
	n := fs.Int("n", 100, "how many agents")
	first := fs.Int("first", 0, "the number of the first agent")
	state := fs.String("state", "", "the folder of the agents' state folders (default: a new temporary one)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *state == "" {
		dir, err := os.MkdirTemp("", "fleet-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		*state = dir
	}
	base, err := config.Load("", false)
	if err != nil {
		return err
	}
	base.Broker.Embedded, base.MQTT.URL, base.Relays.Driver = false, *broker, "sim"
	base.Web.Listen, base.Metrics.Listen, base.HomeAssistant.Enabled, base.Log.File = "", "", false, ""
	base.Schedule.File = ""
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	var wg sync.WaitGroup
	errs := make([]error, *n)
	for i := range *n {
		cfg := base
		cfg.Agent.ID = ID(*first + i)
		cfg.MQTT.ClientID = topics.AgentClientID(cfg.Agent.ID)
		cfg.State.Dir = filepath.Join(*state, cfg.Agent.ID)
		if err := cfg.Validate(); err != nil {
			return err
		}
		d, err := daemon.New(cfg, daemon.Options{Log: log})
		if err != nil {
			return err
		}
		wg.Go(func() { errs[i] = d.Run(ctx) })
	}
	fmt.Printf("fleet: %d agents started (%s to %s)\n", *n, ID(*first), ID(*first+*n-1))
	wg.Wait()
	return errors.Join(errs...)
}
