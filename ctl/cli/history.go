package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"sprinkler/topics"
)

// historyCommands are history and usage.
func (a *app) historyCommands() []*cobra.Command {
	hist := command(topics.CmdHistory, "history [--zone N] [--since 7d]")
	var zone int
	var since string
	hist.Flags().IntVar(&zone, "zone", 0, "only this zone")
	hist.Flags().StringVar(&since, "since", "7d", "how far back: 36h, 7d, 2w")
	hist.Args = noArgs
	hist.RunE = a.runE(func(ctx context.Context, _ *cobra.Command, _ []string) error {
		d, err := parseSpan(since)
		if err != nil {
			return err
		}
		secs := d.Seconds()
		return a.requestAndPrint(ctx, topics.CmdHistory, topics.HistoryArgs{Zone: zone, SinceS: &secs}, printHistory)
	})

	use := command(topics.CmdUsage, "usage [--by day|week] [--since 30d]")
	var by, useSince string
	use.Flags().StringVar(&by, "by", "day", "day or week")
	use.Flags().StringVar(&useSince, "since", "30d", "how far back: 14d, 12w")
	use.Args = noArgs
	use.RunE = a.runE(func(ctx context.Context, _ *cobra.Command, _ []string) error {
		if by != "day" && by != "week" {
			return usageErr("--by %q: want day or week", by)
		}
		d, err := parseSpan(useSince)
		if err != nil {
			return err
		}
		secs := d.Seconds()
		return a.requestAndPrint(ctx, topics.CmdUsage, topics.UsageArgs{By: by, SinceS: &secs}, printUsage)
	})
	return []*cobra.Command{hist, use}
}

// parseSpan reads a span back from now: a Go duration (36h, 90m), or days or weeks (7d, 2w).
func parseSpan(s string) (time.Duration, error) {
	if s == "" {
		return 0, usageErr("--since is empty: want a span such as 36h, 7d or 2w")
	}
	unit := map[byte]time.Duration{'d': 24 * time.Hour, 'w': 7 * 24 * time.Hour}[s[len(s)-1]]
	var d time.Duration
	var err error
	if unit != 0 {
		var n float64
		n, err = strconv.ParseFloat(s[:len(s)-1], 64)
		d = time.Duration(n * float64(unit))
	} else {
		d, err = time.ParseDuration(s)
	}
	if err != nil || d <= 0 {
		return 0, usageErr("--since %q: want a span such as 36h, 7d or 2w", s)
	}
	return d, nil
}

func printHistory(w io.Writer, data json.RawMessage) error {
	var h topics.HistoryReply
	if err := json.Unmarshal(data, &h); err != nil {
		return err
	}
	if len(h.Runs) == 0 {
		fmt.Fprintf(w, "no runs ended since %s\n", h.Since.Local().Format("Mon 2006-01-02 15:04"))
		return nil
	}
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "STARTED\tZONE\tPLANNED\tRAN\tWAITED\tSOURCE\tENDED\tLITRES")
	for _, r := range h.Runs {
		waited, litres := "", ""
		if !r.Planned.IsZero() { // a run asked for by hand has no plan to wait from
			waited = r.Started.Sub(r.Planned.Time).Round(time.Second).String()
		}
		if r.Litres != nil {
			litres = strconv.FormatFloat(*r.Litres, 'f', 1, 64)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Started.Local().Format("Mon 01-02 15:04:05"), r.Zone,
			seconds(r.PlannedS).Round(time.Second), seconds(r.ActualS).Round(time.Second), waited, r.Source, r.Outcome, litres)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if h.Older > 0 {
		fmt.Fprintf(w, "(%d older runs left out; narrow with --since or --zone)\n", h.Older)
	}
	return nil
}

// barWidth is the longest bar of usage's chart, in characters.
const barWidth = 40

func printUsage(w io.Writer, data json.RawMessage) error {
	var u topics.UsageReply
	if err := json.Unmarshal(data, &u); err != nil {
		return err
	}
	most := 0.0
	for _, p := range u.Periods {
		most = math.Max(most, p.TotalS)
	}
	layout := "Mon 2006-01-02"
	if u.By == "week" {
		layout = "week of 2006-01-02"
	}
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, strings.ToUpper(u.By)+"\tRUNS\tWATER\t")
	var total float64
	for _, p := range u.Periods {
		bar := ""
		if most > 0 {
			bar = strings.Repeat("█", int(math.Round(p.TotalS/most*barWidth)))
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", p.Start.Local().Format(layout), p.Runs, minutes(p.TotalS), bar)
		total += p.TotalS
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "total %s\n", minutes(total))
	return nil
}

func minutes(s float64) string {
	if s == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f min", math.Ceil(s/60))
}
