// Command broker, installed as sprinkler-broker, runs the sprinkler MQTT broker on its own,
// for agents that do not embed it. It reads the broker.* keys of the agent's configuration
// file and ignores the rest.
//
//	sprinkler-broker [--config FILE] [--version]
//	sprinkler-broker hash     reads a password from the terminal or stdin, prints its bcrypt hash
//	sprinkler-broker export mosquitto --out DIR   the users and roles as mosquitto's passwd and ACL
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

	"sprinkler/broker/server"
	"sprinkler/configs"
	"sprinkler/version"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	var err error
	switch {
	case len(os.Args) > 1 && os.Args[1] == "hash":
		err = hash(os.Args[2:], os.Stdin, os.Stdout, os.Stderr)
	case len(os.Args) > 1 && os.Args[1] == "export":
		err = export(os.Args[2:], os.Stdout)
	default:
		err = run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	}
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "sprinkler-broker:", err)
		os.Exit(1)
	}
}

const usage = `Usage: sprinkler-broker [--config FILE] [--version]
       sprinkler-broker hash
       sprinkler-broker export mosquitto --out DIR [--config FILE]

The sprinkler MQTT broker on its own, for agents that do not embed it (broker.embedded:
false): users and roles, topic ACLs, TLS and WebSocket listeners. It reads the broker.* keys of
the agent's configuration file and ignores the rest.

Commands:
  hash    read a password from the terminal (or one line of stdin) and print its bcrypt hash,
          for broker.users or the users file
  export  write the users and roles as an external mosquitto's password file and ACL
          (sprinkler-broker export mosquitto --help)

Options:
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sprinkler-broker", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are returned; help goes to stdout
	config := configs.PathFlag(fs, "configuration file; only its broker.* keys are used")
	showVersion := fs.Bool("version", false, "print the version and exit")
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, usage)
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		return nil
	} else if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (sprinkler-broker --help)", fs.Arg(0))
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
