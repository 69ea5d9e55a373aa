package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"sprinkler/topics"
)

// runCommands are run-once, pause and resume.
func (a *app) runCommands() []*cobra.Command {
	once := command(topics.CmdRunOnce, "run-once ZONE[:DURATION]... [--preempt]")
	once.Aliases = append(once.Aliases, topics.CmdRunOnce)
	var preempt bool
	once.Flags().BoolVar(&preempt, "preempt", false, "end every run, started or queued, first")
	once.Args = cobra.MinimumNArgs(1)
	once.RunE = a.runE(func(ctx context.Context, _ *cobra.Command, args []string) error {
		steps, err := parseSteps(args)
		if err != nil {
			return err
		}
		return a.requestAndPrint(ctx, topics.CmdRunOnce, topics.RunOnceArgs{Steps: steps, Preempt: preempt}, printRunOnce)
	})

	pause := command(topics.CmdPause, "pause DURATION")
	pause.Args = cobra.ExactArgs(1)
	pause.RunE = a.runE(func(ctx context.Context, _ *cobra.Command, args []string) error {
		d, err := parseFor("pause", args[0])
		if err != nil {
			return err
		}
		secs := d.Seconds()
		return a.requestAndPrint(ctx, topics.CmdPause, topics.PauseArgs{DurationS: &secs}, printPause)
	})

	return []*cobra.Command{once, pause, a.simpleCommand(topics.CmdResume, printPause)}
}

// parseSteps reads run-once arguments: ZONE or ZONE:DURATION (1:10m, 2:5, 3).
func parseSteps(args []string) ([]topics.Step, error) {
	steps := make([]topics.Step, len(args))
	for i, arg := range args {
		zone, dur, hasDur := strings.Cut(arg, ":")
		n, err := strconv.Atoi(zone)
		if err != nil || n < 1 {
			return nil, usageErr("%q: want ZONE or ZONE:DURATION, such as 1:10m", arg)
		}
		steps[i].Zone = n
		if hasDur {
			d, err := parseFor("step "+arg+":", dur)
			if err != nil {
				return nil, err
			}
			steps[i].DurationS = d.Seconds()
		}
	}
	return steps, nil
}

func printRunOnce(w io.Writer, data json.RawMessage) error {
	var r topics.RunOnceReply
	if err := json.Unmarshal(data, &r); err != nil {
		return err
	}
	if len(r.Preempted) > 0 {
		fmt.Fprintf(w, "preempted: ended the runs of zones %s first\n", topics.JoinZones(r.Preempted))
	} else {
		fmt.Fprintln(w, "queued: what ran goes on; the list waits its turn")
	}
	printChanges(w, r.Steps)
	return nil
}

func printPause(w io.Writer, data json.RawMessage) error {
	var r topics.PauseReply
	if err := json.Unmarshal(data, &r); err != nil {
		return err
	}
	if !r.Paused {
		fmt.Fprintf(w, "resumed; %d run(s) wait their turn\n", r.Waiting)
		return nil
	}
	fmt.Fprintf(w, "paused until %s", clock(r.PausedUntil))
	if len(r.Closed) > 0 {
		fmt.Fprintf(w, "; closed zones %s, their remaining time kept", topics.JoinZones(r.Closed))
	}
	fmt.Fprintf(w, "; %d run(s) wait\n", r.Waiting)
	return nil
}
