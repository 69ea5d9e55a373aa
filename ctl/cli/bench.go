package cli

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"sprinkler/ctl/bench"
)

func (a *app) benchCommand() *cobra.Command {
	var o bench.Options
	c := &cobra.Command{
		Use:   "bench [--requests N] [--watchers N] [--connects N] [--burst N --clients N]",
		Short: "measure this installation: request latency, fan-out, connect storm, burst",
		Long: `bench measures the broker and agent from outside. The fan-out test publishes on a topic
of its own (never a zone), so it moves no water. Point --broker at another broker (an external
mosquitto, say) to compare them with the same agent behind each. Set a test to 0 to skip it.`,
		Args: noArgs,
	}
	f := c.Flags()
	f.IntVar(&o.Requests, "requests", 1000, "sequential requests for the latency test")
	f.IntVar(&o.Watchers, "watchers", 100, "subscribers of the fan-out test")
	f.IntVar(&o.Rounds, "rounds", 20, "messages fanned out")
	f.IntVar(&o.Connects, "connects", 100, "clients connecting at once")
	f.IntVar(&o.Burst, "burst", 10000, "requests of the burst")
	f.IntVar(&o.BurstClients, "clients", 20, "concurrent clients of the burst")
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		ctx := cmd.Context()
		dctx, cancel := context.WithTimeout(ctx, a.timeout)
		defer cancel()
		cl, err := a.dial(dctx)
		if err != nil {
			return classify(err)
		}
		agent, err := a.chooseAgent(dctx, cl)
		cl.Close()
		if err != nil {
			return classify(err)
		}
		o.Broker, o.Username, o.Password, o.Agent = a.broker, a.username, a.password, agent
		r, err := bench.Run(ctx, o)
		if err != nil {
			return classify(err)
		}
		if a.json {
			return a.printJSON(r)
		}
		printBench(a.out, r)
		return nil
	}
	return c
}

func printBench(w io.Writer, r *bench.Results) {
	fmt.Fprintf(w, "broker %s, agent %s\n", r.Broker, r.Agent)
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "TEST\tN\tP50 µs\tP90 µs\tP99 µs\tMAX µs\t")
	row := func(name string, l *bench.Latency) {
		if l != nil {
			fmt.Fprintf(tw, "%s\t%d\t%.0f\t%.0f\t%.0f\t%.0f\t\n", name, l.N, l.P50, l.P90, l.P99, l.Max)
		}
	}
	row("request/response", r.Request)
	if r.FanOut != nil {
		row(fmt.Sprintf("fan-out to %d (last)", r.Watchers), r.FanOut)
	}
	row("connect (storm)", r.Connect)
	if b := r.Burst; b != nil {
		row(fmt.Sprintf("burst (%d clients)", b.Clients), &b.Latency)
	}
	_ = tw.Flush()
	if b := r.Burst; b != nil {
		fmt.Fprintf(w, "burst: %d requests, %d answered, %d lost, %d mismatched, %.0f requests/s\n",
			b.Requests, b.Answered, b.Lost, b.Mismatched, b.PerSecond)
	}
}
