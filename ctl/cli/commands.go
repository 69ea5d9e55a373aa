package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"sprinkler/ctl/client"
	"sprinkler/topics"
	"sprinkler/version"
)

func (a *app) statusCommand() *cobra.Command {
	c := command(topics.CmdStatus, "status")
	c.Args = noArgs
	c.RunE = a.runE(func(ctx context.Context, _ *cobra.Command, _ []string) error {
		data, err := a.request(ctx, topics.CmdStatus, nil)
		if err != nil {
			return err
		}
		if a.json {
			return a.printJSON(data)
		}
		var s topics.Snapshot
		if err := json.Unmarshal(data, &s); err != nil {
			return fmt.Errorf("the agent's status is not a snapshot: %v", err)
		}
		printSnapshot(a.out, s, time.Now(), a.zoneNamed(s.Timezone))
		return nil
	})
	return c
}

// printSnapshot prints the agent's status, its times in loc.
func printSnapshot(w io.Writer, s topics.Snapshot, now time.Time, loc *time.Location) {
	clock := func(t *topics.Time) string { return clockIn(t, loc) }
	zones := make([]topics.ZoneStatus, 0, len(s.Zones))
	for _, z := range s.Zones {
		zones = append(zones, z)
	}
	sort.Slice(zones, func(i, j int) bool { return zones[i].Zone < zones[j].Zone })
	open := 0
	linked := slices.ContainsFunc(zones, func(z topics.ZoneStatus) bool { return z.Link != "" })
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	head := "ZONE\tNAME\tSTATE\tSINCE\tUNTIL\tLEFT\tSOURCE\tRELAY"
	if linked {
		head += "\tLINK"
	}
	fmt.Fprintln(tw, head)
	for _, z := range zones {
		until, left := "", ""
		if z.EndsAt != nil {
			open++
			until = clock(z.EndsAt)
			left = z.EndsAt.Sub(now).Round(time.Second).String()
		}
		state := z.State
		switch {
		case z.Master:
			state += " (master)"
		case z.Queued:
			state += " (queued)"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s", z.Zone, z.Name, state, clock(z.Since), until, left, z.Source, relayOf(z))
		if linked {
			fmt.Fprintf(tw, "\t%s", linkOf(z))
		}
		fmt.Fprintln(tw)
	}
	_ = tw.Flush()
	fmt.Fprintf(w, "agent %s: %d of %d zones open\n", s.Agent, open, len(zones))
	if s.Profile != "" {
		fmt.Fprintf(w, "profile %s; automatic runs ", s.Profile)
		if s.Auto != nil && !*s.Auto {
			fmt.Fprint(w, "off")
		} else {
			fmt.Fprint(w, "on")
		}
		if s.RainDelayUntil != nil {
			fmt.Fprintf(w, "; rain delay until %s", clock(s.RainDelayUntil))
		}
		if s.NextRun != nil {
			fmt.Fprintf(w, "; next run %s", clock(s.NextRun))
		}
		fmt.Fprintln(w)
	}
	if s.PausedUntil != nil {
		fmt.Fprintf(w, "paused until %s: no zone opens; resume to go on now\n", clock(s.PausedUntil))
	}
	for i, q := range s.Queue {
		waits := ""
		if q.WaitsFor != "" {
			waits = "; waits for " + q.WaitsFor
		}
		fmt.Fprintf(w, "queued %d: zone %d for %v (%s, since %s)%s\n", i+1, q.Zone,
			(time.Duration(q.DurationS * float64(time.Second))).Round(time.Second), q.Source, clock(&q.RequestedAt), waits)
	}
}

// clock writes a wire time as local time of day, with the date when it is not today.
func clock(t *topics.Time) string { return clockIn(t, time.Local) }

// clockIn is clock in the time zone loc.
func clockIn(t *topics.Time, loc *time.Location) string {
	if t == nil {
		return ""
	}
	l := t.In(loc)
	if y, m, d := l.Date(); y == time.Now().In(loc).Year() && m == time.Now().In(loc).Month() && d == time.Now().In(loc).Day() {
		return l.Format("15:04:05")
	}
	return l.Format("2006-01-02 15:04:05")
}

// zoneCommand is open, close or toggle.
func (a *app) zoneCommand(name, use string, withFor bool) *cobra.Command {
	c := command(name, use)
	var forFlag string
	if withFor {
		c.Flags().StringVar(&forFlag, "for", "", "how long: 90s, 10m, 1h30m or minutes (default: the zone's own)")
	}
	c.RunE = a.runE(func(ctx context.Context, _ *cobra.Command, args []string) error {
		zones, err := parseZones(args, name == topics.CmdClose)
		if err != nil {
			return err
		}
		req := topics.ZoneArgs{Zones: zones}
		if forFlag != "" {
			d, err := parseFor("--for", forFlag)
			if err != nil {
				return err
			}
			secs := d.Seconds()
			req.DurationS = &secs
		}
		data, err := a.request(ctx, name, req)
		if err != nil {
			return err
		}
		if a.json {
			return a.printJSON(data)
		}
		var changes []topics.ZoneChange
		if err := json.Unmarshal(data, &changes); err != nil {
			return fmt.Errorf("the agent's reply is not a list of zone changes: %v", err)
		}
		printChanges(a.out, changes)
		return nil
	})
	return c
}

// printChanges writes one line per zone change: its state, until when, and the agent's note.
func printChanges(w io.Writer, changes []topics.ZoneChange) {
	for _, ch := range changes {
		line := fmt.Sprintf("zone %d %s", ch.Zone, ch.State)
		if ch.EndsAt != nil {
			line += fmt.Sprintf(" until %s (%v)", clock(ch.EndsAt), time.Until(ch.EndsAt.Time).Round(time.Second))
		}
		if ch.Note != "" {
			line += "; " + ch.Note
		}
		fmt.Fprintln(w, line)
	}
}

func printLimits(w io.Writer, data json.RawMessage) error {
	var l topics.Limits
	if err := json.Unmarshal(data, &l); err != nil {
		return err
	}
	secs := func(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
	fmt.Fprintf(w, "power budget: at most %d valves open at once; beyond it runs %s\n", l.MaxOpen,
		map[string]string{topics.OverflowQueue: "wait in a queue", topics.OverflowReject: "are refused"}[l.Overflow])
	if l.MaxOpenLimit > l.MaxOpen {
		fmt.Fprintf(w, "  (lowered at run time; the power supply allows %d: limits set %d restores it)\n", l.MaxOpenLimit, l.MaxOpenLimit)
	}
	fmt.Fprintf(w, "stagger: turn-ons at least %v apart\n", secs(l.StaggerS))
	if l.MasterZone > 0 {
		fmt.Fprintf(w, "master valve: zone %d, opens %v before the first zone, closes %v after the last\n", l.MasterZone, secs(l.MasterLeadS), secs(l.MasterLagS))
	}
	fmt.Fprintf(w, "watchdog: every %v\n", secs(l.WatchdogS))
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "ZONE\tDEFAULT RUN\tLONGEST RUN")
	for _, z := range l.Zones {
		fmt.Fprintf(tw, "%d\t%v\t%v\n", z.Zone, secs(z.DefaultDurationS), secs(z.MaxDurationS))
	}
	return tw.Flush()
}

func printTime(w io.Writer, data json.RawMessage) error {
	var t topics.TimeReply
	if err := json.Unmarshal(data, &t); err != nil {
		return err
	}
	fmt.Fprintf(w, "%s %s (%s)\n", t.Weekday, t.Time, t.Location)
	return nil
}

func printVersion(w io.Writer, data json.RawMessage) error {
	var v topics.VersionReply
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	for _, l := range [][2]string{
		{"agent", fmt.Sprintf("%s (contract %d)", v.Version, v.Protocol)},
		{Name, fmt.Sprintf("%s (contract %d)", version.Version, topics.ProtocolVersion)},
		{"broker", cmp.Or(v.Broker, "not the agent's own (an external broker)")},
		{"go", v.Go},
		{"commit", cmp.Or(v.Revision, "unknown (built without version control stamping, as go run builds)")},
	} {
		fmt.Fprintf(w, "%-13s %s\n", l[0], l[1])
	}
	return nil
}

func printCommands(w io.Writer, data json.RawMessage) error {
	var cmds []topics.Command
	if err := json.Unmarshal(data, &cmds); err != nil {
		return err
	}
	// Each heading once, in the order the menu first names it; each command as ctl spells it.
	var groups []string
	byGroup := map[string][]topics.Command{}
	for _, c := range cmds {
		if _, seen := byGroup[c.Group]; !seen {
			groups = append(groups, c.Group)
		}
		byGroup[c.Group] = append(byGroup[c.Group], c)
	}
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	for _, g := range groups {
		fmt.Fprintf(tw, "%s:\t\t\t\n", g)
		for _, c := range byGroup[g] {
			var params []string
			for _, p := range c.Params {
				s := p.Name
				if !p.Required {
					s = "[" + s + "]"
				}
				params = append(params, s)
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", ctlName(c.Name), strings.Join(c.Aliases, ","), strings.Join(params, " "), c.Summary)
		}
	}
	return tw.Flush()
}

// ctlName is how ctl spells a contract command: with hyphens (run-once for run_once).
func ctlName(name string) string {
	if s, ok := subcommands[name]; ok {
		return s
	}
	return strings.ReplaceAll(name, "_", "-")
}

// subcommands are the requests ctl spells as a command and a subcommand.
var subcommands = map[string]string{
	topics.CmdProgramList: "program list", topics.CmdProgramGet: "program show", topics.CmdProgramPut: "program apply",
	topics.CmdProgramDelete: "program delete", topics.CmdProgramRename: "program rename", topics.CmdProgramVersions: "program history",
	topics.CmdProgramRestore: "program restore", topics.CmdProgramPreview: "program preview",
	topics.CmdZoneList: "zone list", topics.CmdZoneSet: "zone set", topics.CmdSiteGet: "site show", topics.CmdSiteSet: "site set", topics.CmdLimitsSet: "limits set",
	topics.CmdConfigVersions: "config history", topics.CmdConfigRestore: "config restore", topics.CmdWeatherCompute: "weather compute",
	topics.CmdUserList: "user list", topics.CmdUserAdd: "user add", topics.CmdUserSet: "user set", topics.CmdUserRemove: "user remove",
}

func printClients(w io.Writer, data json.RawMessage) error {
	var cls []topics.ClientInfo
	if err := json.Unmarshal(data, &cls); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "CLIENT\tREMOTE\tLISTENER\tUSER\tCONNECTED\tLEFT")
	for _, c := range cls {
		left := ""
		if !c.Online && c.DisconnectedAt != nil {
			left = clock(c.DisconnectedAt)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.Remote, c.Listener, c.Username, clock(c.ConnectedAt), left)
	}
	return tw.Flush()
}

// clientsCommand lists the broker's clients; --all adds those that left lately.
func (a *app) clientsCommand() *cobra.Command {
	c := command(topics.CmdClients, "clients [--all]")
	var all bool
	c.Flags().BoolVar(&all, "all", false, "also the clients that left within the broker's client_retention")
	c.Args = noArgs
	c.RunE = a.runE(func(ctx context.Context, _ *cobra.Command, _ []string) error {
		return a.requestAndPrint(ctx, topics.CmdClients, topics.ClientsArgs{All: all}, printClients)
	})
	return c
}

func (a *app) agentsCommand() *cobra.Command {
	c := &cobra.Command{Use: "agents", Short: "every agent the broker knows, with its presence", Args: noArgs}
	c.RunE = a.runE(func(ctx context.Context, _ *cobra.Command, _ []string) error {
		cl, err := a.dial(ctx)
		if err != nil {
			return err
		}
		defer cl.Close()
		all, err := cl.Agents(ctx)
		if err != nil {
			return err
		}
		sort.Slice(all, func(i, j int) bool { return all[i].Agent < all[j].Agent })
		if a.json {
			return a.printJSON(all)
		}
		tw := tabwriter.NewWriter(a.out, 2, 8, 2, ' ', 0)
		fmt.Fprintln(tw, "AGENT\tSTATUS\tVERSION\tZONES\tSTARTED")
		for _, p := range all {
			version, zones, started := "", "", ""
			if p.Info != nil {
				version, zones, started = p.Info.Version, strconv.Itoa(len(p.Info.Zones)), clock(&p.Info.StartedAt)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", p.Agent, p.Status, version, zones, started)
		}
		return tw.Flush()
	})
	return c
}

func (a *app) watchCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "watch",
		Short: "follow presence, zone changes and events (every agent unless --agent) until interrupted",
		Args:  noArgs,
	}
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		ctx := cmd.Context()
		dctx, cancel := context.WithTimeout(ctx, a.timeout)
		cl, err := a.dial(dctx)
		cancel()
		if err != nil {
			return classify(err)
		}
		defer cl.Close()
		if a.agent != "" {
			if err := topics.ValidAgentID(a.agent); err != nil {
				return usageErr("--agent: %v", err)
			}
		}
		return classify(cl.Watch(ctx, a.agent, func(u client.Update) { a.printUpdate(u) }))
	}
	return c
}

func (a *app) printUpdate(u client.Update) {
	now := time.Now()
	if a.json {
		rec := map[string]any{"ts": topics.Time{Time: now}, "agent": u.Agent, "replay": u.Replay}
		switch u.Kind {
		case topics.KindStatus:
			rec["type"], rec["status"] = "status", string(u.Payload)
		case topics.KindZoneState:
			rec["type"], rec["zone"], rec["state"] = "zone", u.Zone, string(u.Payload)
		case topics.KindEvent:
			rec["type"], rec["event"] = "event", json.RawMessage(u.Payload)
		}
		_ = json.NewEncoder(a.out).Encode(rec)
		return
	}
	stamp := now.Format("15:04:05.000")
	if u.Replay {
		stamp = "(retained)  "
	}
	switch u.Kind {
	case topics.KindStatus:
		fmt.Fprintf(a.out, "%s %s %s\n", stamp, u.Agent, u.Payload)
	case topics.KindZoneState:
		fmt.Fprintf(a.out, "%s %s zone %d %s\n", stamp, u.Agent, u.Zone, u.Payload)
	case topics.KindEvent:
		var e topics.Event
		if json.Unmarshal(u.Payload, &e) != nil {
			return
		}
		line := fmt.Sprintf("%s %s event %s", stamp, u.Agent, e.Type)
		if e.Zone > 0 {
			line += fmt.Sprintf(" zone=%d", e.Zone)
		}
		if e.Source != "" {
			line += " source=" + e.Source
		}
		if e.EndsAt != nil {
			line += " until=" + clock(e.EndsAt)
		}
		if e.Message != "" {
			line += fmt.Sprintf(" message=%q", e.Message)
		}
		fmt.Fprintln(a.out, line)
	}
}

// relayOf says where a zone's relay is: "GPIO 5 (pin 29)", a bank's output, "ospi 3", or a
// network valve, "tap: zigbee2mqtt tap_valve".
func relayOf(z topics.ZoneStatus) string {
	switch {
	case z.Device != "":
		return z.Bank + ": " + z.Device
	case z.Bank != "":
		return fmt.Sprintf("%s %d", z.Bank, z.Output)
	case z.Pin > 0:
		return fmt.Sprintf("GPIO %d (pin %d)", z.Line, z.Pin)
	}
	return fmt.Sprintf("GPIO %d", z.Line)
}

// linkOf says how a network valve is reached and what it reported: "online, reported open".
func linkOf(z topics.ZoneStatus) string {
	if z.Reported == "" {
		return z.Link
	}
	return z.Link + ", reported " + z.Reported
}
