// Command ctl, installed as sprinklerctl, controls sprinkler agents over MQTT from a terminal
// or a script.
//
//	sprinklerctl [--broker URL] [--agent ID] [--timeout 5s] [--json] COMMAND [ARGS]
//
// Run "sprinklerctl --help" for the commands.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"sprinkler/ctl/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := cli.Run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, cli.Name+":", err)
	}
	os.Exit(cli.ExitCode(err))
}
