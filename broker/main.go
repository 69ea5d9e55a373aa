// Command broker runs the sprinkler MQTT broker on its own, for agents that do not embed it.
// It reads the broker.* keys of the agent's configuration file and ignores the rest.
//
//	broker [--config configs/agent.yaml]
//	broker hash     reads a password from the terminal or stdin, prints its bcrypt hash
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

	"sprinkler/broker/server"
	"sprinkler/configs"
	"sprinkler/version"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	var err error
	if len(os.Args) > 1 && os.Args[1] == "hash" {
		err = hash(os.Args[2:], os.Stdin, os.Stdout, os.Stderr)
	} else {
		err = run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	}
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "broker:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("broker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	config := configs.PathFlag(fs, "configuration file; only its broker.* keys are used")
	showVersion := fs.Bool("version", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *showVersion {
		fmt.Fprintln(stdout, version.String())
		return nil
	}
	path, required := config()
	cfg, warnings, err := server.Load(path, required)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	for _, w := range warnings {
		log.Warn(w)
	}
	return server.New(cfg, log).Run(ctx)
}
