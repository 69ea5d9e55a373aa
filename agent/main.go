// Command agent runs a sprinkler controller: it owns the relays, serves commands on MQTT and,
// by default, embeds the MQTT broker.
//
//	agent [--config configs/agent.yaml]
//
// Every scalar key of the configuration can be overridden by SPRINKLER_<SECTION>_<KEY>, e.g.
// SPRINKLER_BROKER_LISTEN=127.0.0.1:18830.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"sprinkler/agent/config"
	"sprinkler/agent/daemon"
	"sprinkler/configs"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "agent:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("agent", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := configs.PathFlag(fs, "configuration file (YAML)")
	version := fs.Bool("version", false, "print the version and exit")
	allOff := fs.Bool("all-off", false, "switch every relay off and exit (for a service manager's stop step)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *version {
		fmt.Fprintln(stdout, daemon.Version)
		return nil
	}
	path, required := configPath()
	cfg, err := config.Load(path, required)
	if err != nil {
		return err
	}
	log := newLogger(cfg.Log, stderr)
	if *allOff {
		return daemon.AllOff(cfg, log)
	}
	d, err := daemon.New(cfg, daemon.Options{Log: log})
	if err != nil {
		return err
	}
	return d.Run(ctx)
}

func newLogger(c config.Log, w io.Writer) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(c.Level)) // validated with the configuration
	opts := &slog.HandlerOptions{Level: lvl}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
