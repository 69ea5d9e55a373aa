// Command agent, installed as sprinkler-agent, runs a sprinkler controller: it owns the
// relays, serves commands on MQTT and, by default, embeds the MQTT broker.
//
//	sprinkler-agent [--config FILE] [--all-off] [--version]
//	sprinkler-agent init [flags]     the first-run questions, written into the configuration
//	sprinkler-agent simulate [flags] a season replayed offline from weather readings
//
// Every scalar key of the configuration can be overridden by SPRINKLER_<SECTION>_<KEY>, e.g.
// SPRINKLER_BROKER_LISTEN=127.0.0.1:18830.
package main

import (
	"context"
	"errors"
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
	"sprinkler/agent/setup"
	"sprinkler/agent/simulate"
	"sprinkler/configs"
	"sprinkler/version"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "sprinkler-agent:", err)
		os.Exit(1)
	}
}

const usage = `Usage: sprinkler-agent [--config FILE] [--all-off] [--version]
       sprinkler-agent init [flags]
       sprinkler-agent simulate --config FILE --weather READINGS --from DATE --to DATE

The sprinkler agent owns the relays of an irrigation controller (one valve, a zone, per
relay), runs the watering schedule, bounds every run and the valves open at once, and serves
commands over MQTT through a broker of its own. sprinklerctl, Home Assistant, Node-RED and
its web page are its clients.

Commands:
  init    ask the first-run questions (agent id, zones, network, admin user, Home Assistant,
          place) and write the answers into the configuration file; init --help for its flags
  simulate  replay weather readings (JSON Lines) through the agent's weather, schedule and
          governor on a simulated clock, and print per zone per day the water balance and
          the water applied, as CSV or JSON; simulate --help for its flags

Options:
`

const usageEnd = `
Environment:
  SPRINKLER_<SECTION>_<KEY> overrides that key of the configuration file, e.g.
  SPRINKLER_BROKER_LISTEN=127.0.0.1:18830 or SPRINKLER_RELAYS_DRIVER=sim.

Files:
  /etc/sprinkler/agent.yaml      the configuration (commented); profiles.yaml the schedule
  /var/lib/sprinkler             the state, history and logs (state.dir)
`

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "init" {
		return setup.Run(args[1:], stdin, stdout, stderr)
	}
	if len(args) > 0 && args[0] == "simulate" {
		return simulate.Command(args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("sprinkler-agent", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are returned; help goes to stdout
	configPath := configs.PathFlag(fs, "configuration file (YAML)")
	showVersion := fs.Bool("version", false, "print the version and exit")
	allOff := fs.Bool("all-off", false, "switch every relay off and exit (for a service manager's stop step)")
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, usage)
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		fmt.Fprint(stdout, usageEnd)
		return nil
	} else if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (sprinkler-agent --help)", fs.Arg(0))
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
	if _, err := os.Stat(path); err == nil {
		l.Logger.Info("configuration", "file", path) // which one, when none was named
	}
	if *allOff {
		said, err := daemon.AllOff(cfg, l.Logger)
		if err == nil {
			fmt.Fprintln(stdout, "sprinkler-agent: "+said)
		}
		return err
	}
	d, err := daemon.New(cfg, daemon.Options{Log: l.Logger, Logs: l})
	if err != nil {
		return err
	}
	return d.Run(ctx)
}
