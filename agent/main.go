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
	_ "time/tzdata" // agent.timezone works on systems and images without a zone database

	"sprinkler/agent/config"
	"sprinkler/agent/daemon"
	"sprinkler/agent/logs"
	"sprinkler/configs"
	"sprinkler/version"
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
	showVersion := fs.Bool("version", false, "print the version and exit")
	allOff := fs.Bool("all-off", false, "switch every relay off and exit (for a service manager's stop step)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *showVersion {
		fmt.Fprintln(stdout, version.String())
		return nil
	}
	path, required := configPath()
	cfg, warnings, err := config.LoadWarn(path, required)
	if err != nil {
		return err
	}
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(cfg.Log.Level)) // validated with the configuration
	lc := logs.Config{Level: lvl, Format: cfg.Log.Format, File: cfg.Log.File, MaxSize: cfg.Log.MaxSize, MaxFiles: cfg.Log.MaxFiles}
	if *allOff {
		lc.File = "" // a stop step writes to the journal only
	}
	l, err := logs.Open(lc, stderr)
	if err != nil {
		return fmt.Errorf("log.file: %w", err)
	}
	defer l.Close()
	for _, w := range warnings {
		l.Logger.Warn(w)
	}
	if *allOff {
		return daemon.AllOff(cfg, l.Logger)
	}
	d, err := daemon.New(cfg, daemon.Options{Log: l.Logger, Logs: l})
	if err != nil {
		return err
	}
	return d.Run(ctx)
}
