package cli

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"sprinkler/ctl/bench"
)

func (a *app) benchCommand() *cobra.Command {
	var o bench.Options
	c := &cobra.Command{
		Use:   "bench [--requests N] [--watchers N] [--connects N] [--burst N --clients N]",
		Short: "measure this installation: request latency, fan-out, connect storm, burst",
		Long: `bench measures the broker and an agent from outside, as any client sees them:
  request   sequential version requests, one at a time: round-trip percentiles
  fan-out   one 64-byte message to N watchers: time until the last (and first) has it
  connect   N clients connecting at once: CONNECT to CONNACK
  burst     N requests from C clients, each keeping --window outstanding: none may be lost

The fan-out publishes on a topic of the bench's own, so it moves no water, unless --zone
names a zone: then it opens and closes that zone and the watchers follow its state.
Point --broker at another broker (an external mosquitto with the agent behind it, say) to
compare them. A count of 0 skips its test. The run takes at most --timeout when it is given,
else 5 minutes.`,
		Args: noArgs,
	}
	f := c.Flags()
	f.IntVar(&o.Requests, "requests", 1000, "sequential requests of the latency test")
	f.IntVar(&o.Watchers, "watchers", 100, "subscribers of the fan-out test")
	f.IntVar(&o.Rounds, "rounds", 20, "messages fanned out")
	f.IntVar(&o.Zone, "zone", 0, "fan out a real change of this zone (opens and closes it)")
	f.DurationVar(&o.Pace, "pace", 0, "the least time between two fan-out rounds (600ms: above the agent's stagger)")
	f.IntVar(&o.Connects, "connects", 100, "clients connecting at once")
	f.IntVar(&o.Burst, "burst", 10000, "requests of the burst")
	f.IntVar(&o.BurstClients, "clients", 20, "concurrent clients of the burst")
	f.IntVar(&o.Window, "window", 8, "requests each burst client keeps outstanding")
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		for name, v := range map[string]int{"requests": o.Requests, "watchers": o.Watchers, "rounds": o.Rounds, "zone": o.Zone,
			"connects": o.Connects, "burst": o.Burst, "clients": o.BurstClients, "window": o.Window} {
			if v < 0 {
				return usageErr("--%s %d: want 0 or more", name, v)
			}
		}
		timeout := a.timeout
		if !cmd.Flags().Changed("timeout") {
			timeout = 5 * time.Minute
		}
		ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
		defer cancel()
		conn, err := a.clientOptions()
		if err != nil {
			return err
		}
		dctx, dcancel := context.WithTimeout(ctx, 10*time.Second)
		defer dcancel()
		cl, err := a.dial(dctx)
		if err != nil {
			return classify(err)
		}
		agent, err := a.chooseAgent(dctx, cl)
		if err == nil {
			_, err = cl.Request(dctx, agent, "version", nil) // online, and answering
		}
		cl.Close()
		if err != nil {
			return classify(err)
		}
		o.Conn, o.Agent = conn, agent
		r, err := bench.Run(ctx, o)
		if a.json {
			if perr := a.printJSON(r); perr != nil {
				return perr
			}
		} else {
			printBench(a.out, r)
		}
		return classify(err)
	}
	return c
}

func printBench(w io.Writer, r *bench.Results) {
	fmt.Fprintf(w, "broker %s, agent %s, %.1f s\n", r.Broker, r.Agent, r.Duration)
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "TEST\tN\tP50 µs\tP90 µs\tP99 µs\tMAX µs\t")
	row := func(name string, l *bench.Latency) {
		if l != nil {
			fmt.Fprintf(tw, "%s\t%d\t%.0f\t%.0f\t%.0f\t%.0f\t\n", name, l.N, l.P50, l.P90, l.P99, l.Max)
		}
	}
	row("request/response", r.Request)
	if f := r.FanOut; f != nil {
		row(fmt.Sprintf("fan-out to %d, last", f.Watchers), &f.Last)
		row(fmt.Sprintf("fan-out to %d, first", f.Watchers), &f.First)
	}
	row("connect storm", r.Connect)
	if b := r.Burst; b != nil {
		row(fmt.Sprintf("burst, %d clients × %d", b.Clients, b.Window), &b.Latency)
	}
	_ = tw.Flush()
	if b := r.Burst; b != nil {
		fmt.Fprintf(w, "burst: %d requests, %d answered (%d with an error), %d lost, %d mismatched; %.0f requests/s\n",
			b.Requests, b.Answered, b.Errors, b.Lost, b.Mismatched, b.PerSecond)
	}
	for _, e := range r.Errors {
		fmt.Fprintln(w, "failed:", e)
	}
}
