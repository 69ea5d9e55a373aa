package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"sprinkler/topics"
)

// scheduleCommands are the commands of the watering schedule.
func (a *app) scheduleCommands() []*cobra.Command {
	activate := command(topics.CmdActivate, "activate NAME|INDEX [--force]")
	var force bool
	activate.Flags().BoolVar(&force, "force", false, "end a scheduled run in progress first")
	activate.Args = cobra.ExactArgs(1)
	activate.RunE = a.runE(func(ctx context.Context, _ *cobra.Command, args []string) error {
		profile := topics.ProfileRef(args[0])
		return a.requestAndPrint(ctx, topics.CmdActivate, topics.ActivateArgs{Profile: &profile, Force: force}, printProfile)
	})

	next := command(topics.CmdNext, "next [--hours 48]")
	var hours float64
	next.Flags().Float64Var(&hours, "hours", 48, "how far ahead")
	next.Args = noArgs
	next.RunE = a.runE(func(ctx context.Context, _ *cobra.Command, _ []string) error {
		return a.requestAndPrint(ctx, topics.CmdNext, topics.HoursArgs{Hours: &hours}, nextPrinter(a.agentZone(ctx)))
	})

	rain := command(topics.CmdRainDelay, "rain-delay HOURS")
	rain.Aliases = append(rain.Aliases, topics.CmdRainDelay)
	rain.Args = cobra.ExactArgs(1)
	rain.RunE = a.runE(func(ctx context.Context, _ *cobra.Command, args []string) error {
		h, err := strconv.ParseFloat(args[0], 64)
		if err != nil || h < 0 {
			return usageErr("%q is not a number of hours (0 ends a rain delay)", args[0])
		}
		return a.requestAndPrint(ctx, topics.CmdRainDelay, topics.HoursArgs{Hours: &h}, printProfile)
	})

	level := command(topics.CmdWaterLevel, "water-level PERCENT")
	level.Aliases = append(level.Aliases, topics.CmdWaterLevel)
	level.Args = cobra.ExactArgs(1)
	level.RunE = a.runE(func(ctx context.Context, _ *cobra.Command, args []string) error {
		p, err := strconv.Atoi(strings.TrimSuffix(args[0], "%"))
		if err != nil {
			return usageErr("%q is not a whole percent (100 waters as written)", args[0])
		}
		return a.requestAndPrint(ctx, topics.CmdWaterLevel, topics.WaterLevelArgs{Percent: &p}, printWaterLevel)
	})

	skip := command(topics.CmdSkip, "skip next|today ZONE...|all")
	skip.Args = cobra.MinimumNArgs(2)
	skip.RunE = a.runE(func(ctx context.Context, _ *cobra.Command, args []string) error {
		if args[0] != "next" && args[0] != "today" {
			return usageErr("%q: say next or today", args[0])
		}
		zones, err := parseZones(args[1:], true)
		if err != nil {
			return err
		}
		return a.requestAndPrint(ctx, topics.CmdSkip, topics.SkipArgs{Zones: zones, What: args[0]}, printSkips)
	})

	return []*cobra.Command{
		level,
		skip,
		a.simpleCommand(topics.CmdProfiles, printProfiles),
		a.simpleCommand(topics.CmdProfile, printProfile),
		activate,
		a.simpleCommand(topics.CmdReload, printProfiles),
		a.simpleCommand(topics.CmdRun, printProfile),
		a.simpleCommand(topics.CmdStop, printProfile),
		a.scheduleCommand(),
		next,
		rain,
	}
}

// requestAndPrint sends cmd with args and prints the reply with print, or as JSON.
// agentZone is the agent's time zone, which its schedule runs in, for the times a command
// prints; it says so when the machine's differs. Without an answer it is the machine's.
func (a *app) agentZone(ctx context.Context) *time.Location {
	if a.json {
		return time.Local // the wire's times are UTC, whatever the zone
	}
	data, err := a.request(ctx, topics.CmdTime, nil)
	var t topics.TimeReply
	if err != nil || json.Unmarshal(data, &t) != nil || t.Location == "" || t.Location == "Local" {
		return time.Local
	}
	loc, err := time.LoadLocation(t.Location)
	if err != nil { // no zone database here: the agent's offset now
		at, perr := time.Parse(time.RFC3339, t.Time)
		if perr != nil {
			return time.Local
		}
		_, off := at.Zone()
		loc = time.FixedZone(t.Location, off)
	}
	a.noteZone(loc)
	return loc
}

// zoneNamed is the agent's time zone as a snapshot names it, told as agentZone tells it; the
// machine's when unnamed or unknown here.
func (a *app) zoneNamed(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if name == "" || err != nil {
		return time.Local
	}
	a.noteZone(loc)
	return loc
}

// noteZone says the times printed are in loc, the agent's time zone, when the machine's differs.
func (a *app) noteZone(loc *time.Location) {
	now, later := time.Now(), time.Now().AddDate(0, 6, 0) // both sides of a summer time
	if now.In(loc).Format("-0700") != now.Format("-0700") || later.In(loc).Format("-0700") != later.Format("-0700") {
		fmt.Fprintf(a.out, "times in %s, the agent's time zone\n", loc)
	}
}

func (a *app) requestAndPrint(ctx context.Context, cmd string, args any, print func(io.Writer, json.RawMessage) error) error {
	data, err := a.request(ctx, cmd, args)
	if err != nil {
		return err
	}
	if a.json {
		return a.printJSON(data)
	}
	return print(a.out, data)
}

func printProfiles(w io.Writer, data json.RawMessage) error {
	var ps []topics.ProfileInfo
	if err := json.Unmarshal(data, &ps); err != nil {
		return err
	}
	for _, p := range ps {
		mark := ""
		if p.Active {
			mark = " (active)"
		}
		fmt.Fprintf(w, "%d %s%s", p.Index, p.Name, mark)
		if p.About != "" {
			fmt.Fprintf(w, ": %s", p.About)
		}
		fmt.Fprintln(w)
		for _, z := range p.Zones {
			var runs []string
			for _, r := range z.Runs {
				run := fmt.Sprintf("%s for %v", r.At, seconds(r.DurationS))
				if r.Times > 1 {
					run += fmt.Sprintf(", %d times every %v", r.Times, seconds(r.EveryS))
				}
				runs = append(runs, run)
			}
			fmt.Fprintf(w, "    zone %d on %s: %s", z.Zone, z.Days, strings.Join(runs, ", "))
			if z.About != "" {
				fmt.Fprintf(w, " (%s)", z.About)
			}
			fmt.Fprintln(w)
		}
	}
	return nil
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// printWaterLevel answers water-level with the level now in force, and whether the active
// profile follows it.
func printWaterLevel(w io.Writer, data json.RawMessage) error {
	var s topics.ScheduleReply
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	follows := "follows it"
	if !s.ScalesRuns {
		follows = "does not follow it (its water_level is not true)"
	}
	_, err := fmt.Fprintf(w, "water level %d%%; the active profile %s %s\n", s.WaterLevel, s.Profile, follows)
	return err
}

func printProfile(w io.Writer, data json.RawMessage) error {
	var s topics.ScheduleReply
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	fmt.Fprintf(w, "profile %s (index %d)", s.Profile, s.Index)
	if s.About != "" {
		fmt.Fprintf(w, ": %s", s.About)
	}
	auto := "on"
	if !s.Auto {
		auto = "off"
	}
	fmt.Fprintf(w, "\nautomatic runs %s", auto)
	if s.ScalesRuns {
		fmt.Fprintf(w, "; water level %d%%", s.WaterLevel)
	}
	if s.RainDelayUntil != nil {
		fmt.Fprintf(w, "; rain delay until %s", clock(s.RainDelayUntil))
	}
	fmt.Fprintln(w)
	return nil
}

// scheduleCommand is "schedule": each zone's windows today and next start, in the agent's time
// zone.
func (a *app) scheduleCommand() *cobra.Command {
	c := command(topics.CmdSchedule, "schedule")
	c.Args = noArgs
	c.RunE = a.runE(func(ctx context.Context, _ *cobra.Command, _ []string) error {
		loc := a.agentZone(ctx)
		return a.requestAndPrint(ctx, topics.CmdSchedule, nil, func(w io.Writer, data json.RawMessage) error { return printSchedule(w, data, loc) })
	})
	return c
}

func printSchedule(w io.Writer, data json.RawMessage, loc *time.Location) error {
	if err := printProfile(w, data); err != nil {
		return err
	}
	var s topics.ScheduleReply
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "ZONE\tNAME\tTODAY\tNOW\tNEXT")
	for _, z := range s.Zones {
		var today []string
		for _, r := range z.Today {
			today = append(today, r.Start.In(loc).Format("15:04:05")+"-"+r.End.In(loc).Format("15:04:05"))
		}
		now := ""
		if z.Running {
			now = "in a window"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", z.Zone, z.Name, strings.Join(today, " "), now, clockIn(z.Next, loc))
	}
	return tw.Flush()
}

// printNext prints planned runs in the machine's time zone.
func printNext(w io.Writer, data json.RawMessage) error { return nextPrinter(time.Local)(w, data) }

// nextPrinter prints planned runs, and a timeline of them, in loc.
func nextPrinter(loc *time.Location) func(io.Writer, json.RawMessage) error {
	return func(w io.Writer, data json.RawMessage) error { return printNextIn(w, data, loc) }
}

func printNextIn(w io.Writer, data json.RawMessage, loc *time.Location) error {
	var runs []topics.PlannedRun
	if err := json.Unmarshal(data, &runs); err != nil {
		return err
	}
	if len(runs) == 0 {
		fmt.Fprintln(w, "no scheduled runs ahead")
		return nil
	}
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "ZONE\tSTART\tEND\tPROFILE\tNOTE")
	for _, r := range runs {
		note := r.Skipped
		if r.Skipped != "" {
			note = "skipped: " + r.Skipped
		}
		if r.Note != "" && note != "" {
			note += "; "
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", r.Zone, r.Start.In(loc).Format("Mon 2006-01-02 15:04:05"), r.End.In(loc).Format("15:04:05"), r.Profile, note+r.Note)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	printTimeline(w, runs, time.Now().In(loc))
	return nil
}

// slot is the timeline's resolution: 96 columns a day.
const slot = 15 * time.Minute

// printTimeline draws each day of runs as one line per zone, a column per quarter hour, in
// now's time zone: '#' waters, 'x' would water but is skipped, '.' does not; '|' in the scale
// marks now.
func printTimeline(w io.Writer, runs []topics.PlannedRun, now time.Time) {
	days := map[string][]topics.PlannedRun{}
	var order []string
	for _, r := range runs {
		d := r.Start.In(now.Location()).Format("Mon 2006-01-02")
		if _, ok := days[d]; !ok {
			order = append(order, d)
		}
		days[d] = append(days[d], r)
	}
	for _, d := range order {
		first := days[d][0].Start.In(now.Location())
		midnight := time.Date(first.Year(), first.Month(), first.Day(), 0, 0, 0, 0, now.Location())
		scale := []byte(strings.Repeat(" ", 96))
		for h := 0; h < 24; h += 3 {
			copy(scale[h*4:], fmt.Sprintf("%02d", h))
		}
		if i := int(now.Sub(midnight) / slot); i >= 0 && i < 96 {
			scale[i] = '|'
		}
		fmt.Fprintf(w, "%s  %s\n", d, scale)
		zones := map[int][]byte{}
		for _, r := range days[d] {
			line := zones[r.Zone]
			if line == nil {
				line = []byte(strings.Repeat(".", 96))
				zones[r.Zone] = line
			}
			mark := byte('#')
			if r.Skipped != "" {
				mark = 'x'
			}
			for t := r.Start.Time; t.Before(r.End.Time); t = t.Add(slot) {
				if i := int(t.Sub(midnight) / slot); i >= 0 && i < 96 {
					line[i] = mark
				}
			}
		}
		ids := make([]int, 0, len(zones))
		for id := range zones {
			ids = append(ids, id)
		}
		sort.Ints(ids)
		for _, id := range ids {
			fmt.Fprintf(w, "zone %-9d  %s\n", id, zones[id])
		}
	}
}

func printSkips(w io.Writer, data json.RawMessage) error {
	var skips []struct {
		Zone  int       `json:"zone"`
		Start time.Time `json:"start"`
		Day   string    `json:"day"`
	}
	if err := json.Unmarshal(data, &skips); err != nil {
		return err
	}
	if len(skips) == 0 {
		fmt.Fprintln(w, "no scheduled run to skip")
	}
	for _, k := range skips {
		if k.Day != "" {
			fmt.Fprintf(w, "zone %d: every run of %s skipped\n", k.Zone, k.Day)
		} else {
			fmt.Fprintf(w, "zone %d: the run at %s skipped\n", k.Zone, k.Start.Local().Format("Mon 2006-01-02 15:04"))
		}
	}
	return nil
}
