package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"sprinkler/topics"
)

// zoneSettingsCommands are "zone list" and "zone set": the zones' settings, read and changed.
func (a *app) zoneSettingsCommands() *cobra.Command {
	root := &cobra.Command{Use: "zone", Aliases: []string{"zones"}, Short: "read and change the zones' settings: name, default and longest run, group"}

	list := a.simpleSubcommand(topics.CmdZoneList, "list", printZoneSettings)

	set := command(topics.CmdZoneSet, "set ZONE [--name NAME] [--default 10m] [--max 60m] [--group NAME] [--enabled=false] [--water-level=false] [--plant-factor 0.5] [--soil loam --root-depth 0.3 --precipitation 12]")
	set.Args = cobra.ExactArgs(1)
	var name, def, most, group, revision string
	set.Flags().StringVar(&name, "name", "", "its name")
	set.Flags().StringVar(&def, "default", "", "its default run (90s, 10m, or minutes)")
	set.Flags().StringVar(&most, "max", "", "its longest run")
	set.Flags().StringVar(&group, "group", "", `its sequential group ("" for none)`)
	set.Flags().StringVar(&revision, "revision", "", "the revision read (default: the current one)")
	var enabled, level bool
	set.Flags().BoolVar(&enabled, "enabled", true, "--enabled=false: it opens for nobody and the schedule skips it")
	set.Flags().BoolVar(&level, "water-level", true, "--water-level=false: its runs ignore the water level")
	var factor float64
	set.Flags().Float64Var(&factor, "plant-factor", 1, "scales the water level for its plants: 1 as written, 0.5 shrubs, 0.3 drip (0.1 to 2.5)")
	var soil string
	set.Flags().StringVar(&soil, "soil", "", `its soil's texture for a water balance: sand, loamy_sand, sandy_loam, loam, silt_loam, silt, silty_clay_loam, silty_clay, clay ("" for none)`)
	numbers := []struct {
		flag, help string
		v          float64
		to         func(*topics.ZoneSetArgs) **float64
	}{
		{"root-depth", "how deep its roots take water, m (0.3 for a lawn)", 0, func(a *topics.ZoneSetArgs) **float64 { return &a.RootDepthM }},
		{"precipitation", "what its sprinklers put down, mm/h", 0, func(a *topics.ZoneSetArgs) **float64 { return &a.PrecipitationMmH }},
		{"area", "the area it waters, m²", 0, func(a *topics.ZoneSetArgs) **float64 { return &a.AreaM2 }},
		{"infiltration", "what its soil takes in, mm/h (0: the texture's)", 0, func(a *topics.ZoneSetArgs) **float64 { return &a.InfiltrationMmH }},
		{"available-water", "water its soil holds for plants, mm a metre (0: the texture's)", 0, func(a *topics.ZoneSetArgs) **float64 { return &a.AvailableWaterMm }},
		{"depletion", "the share of it taken without stress (0: 0.5)", 0, func(a *topics.ZoneSetArgs) **float64 { return &a.DepletionFraction }},
	}
	for i := range numbers {
		set.Flags().Float64Var(&numbers[i].v, numbers[i].flag, 0, numbers[i].help+"; 0 takes it out")
	}
	set.RunE = a.runE(func(ctx context.Context, cmd *cobra.Command, args []string) error {
		var zone int
		if _, err := fmt.Sscan(args[0], &zone); err != nil || zone < 1 {
			return usageErr("%q is not a zone number", args[0])
		}
		sa := topics.ZoneSetArgs{Zone: zone, Revision: revision}
		f := cmd.Flags()
		sa.Name, sa.Group = given(f, "name", &name), given(f, "group", &group)
		sa.Enabled, sa.WaterLevel = given(f, "enabled", &enabled), given(f, "water-level", &level)
		sa.PlantFactor, sa.Soil = given(f, "plant-factor", &factor), given(f, "soil", &soil)
		for i := range numbers {
			*numbers[i].to(&sa) = given(f, numbers[i].flag, &numbers[i].v)
		}
		for _, d := range []struct {
			flag, value string
			to          **float64
		}{{"default", def, &sa.DefaultDurationS}, {"max", most, &sa.MaxDurationS}} {
			if f.Changed(d.flag) {
				v, err := parseFor("--"+d.flag, d.value)
				if err != nil {
					return err
				}
				secs := v.Seconds()
				*d.to = &secs
			}
		}
		if noneChanged(cmd.LocalFlags(), "revision") {
			return usageErr("say what to change: --name, --default, --max, --group, --enabled, --water-level, --plant-factor, or the soil's --soil, --root-depth, --precipitation, --area, --infiltration, --available-water, --depletion")
		}
		if sa.Revision == "" {
			data, err := a.request(ctx, topics.CmdZoneList, nil)
			if err != nil {
				return err
			}
			var zs []topics.ZoneSettings
			if err := json.Unmarshal(data, &zs); err != nil {
				return err
			}
			for _, z := range zs {
				if z.Zone == zone {
					sa.Revision = z.Revision
				}
			}
		}
		return a.requestAndPrint(ctx, topics.CmdZoneSet, sa, func(w io.Writer, data json.RawMessage) error {
			return printZoneSettings(w, json.RawMessage("["+string(data)+"]"))
		})
	})
	root.AddCommand(list, set)
	return root
}

// limitsCommand is "limits", the safety rules in force, and "limits set MAX_OPEN", the power
// budget lowered below safety.max_open, or restored.
func (a *app) limitsCommand() *cobra.Command {
	limits := a.simpleCommand(topics.CmdLimits, printLimits)
	set := command(topics.CmdLimitsSet, "set MAX_OPEN")
	set.Args = cobra.ExactArgs(1)
	set.RunE = a.runE(func(ctx context.Context, _ *cobra.Command, args []string) error {
		var n int
		if _, err := fmt.Sscan(args[0], &n); err != nil {
			return usageErr("%q is not a number of valves", args[0])
		}
		return a.requestAndPrint(ctx, topics.CmdLimitsSet, topics.LimitsSetArgs{MaxOpen: n}, printLimits)
	})
	limits.AddCommand(set)
	return limits
}

// configCommands are "config history" and "config restore N": the configuration file's kept
// versions.
func (a *app) configCommands() *cobra.Command {
	root := &cobra.Command{Use: "config", Short: "the configuration file's kept versions: who changed which zone or the site"}
	history := a.simpleSubcommand(topics.CmdConfigVersions, "history", printProgramVersions)
	restore := command(topics.CmdConfigRestore, "restore VERSION")
	restore.Args = cobra.ExactArgs(1)
	restore.RunE = a.runE(func(ctx context.Context, _ *cobra.Command, args []string) error {
		v, err := versionArg(args[0], "config history")
		if err != nil {
			return err
		}
		return a.requestAndPrint(ctx, topics.CmdConfigRestore, topics.ProgramArgs{Version: v}, printZoneSettings)
	})
	root.AddCommand(history, restore)
	return root
}

// siteCommands are "site show" and "site set": where the garden is, and its time zone.
func (a *app) siteCommands() *cobra.Command {
	root := &cobra.Command{Use: "site", Short: "where the garden is (for sunrise and sunset) and its time zone"}
	show := a.simpleSubcommand(topics.CmdSiteGet, "show", printSite)
	set := command(topics.CmdSiteSet, "set [--latitude DEG] [--longitude DEG] [--timezone NAME]")
	set.Args = noArgs
	var lat, lon float64
	var tz string
	set.Flags().Float64Var(&lat, "latitude", 0, "degrees, north positive")
	set.Flags().Float64Var(&lon, "longitude", 0, "degrees, east positive")
	set.Flags().StringVar(&tz, "timezone", "", `IANA name such as Europe/Berlin; "" for the machine's`)
	set.RunE = a.runE(func(ctx context.Context, cmd *cobra.Command, _ []string) error {
		f := cmd.Flags()
		sa := topics.SiteSetArgs{Latitude: given(f, "latitude", &lat), Longitude: given(f, "longitude", &lon), Timezone: given(f, "timezone", &tz)}
		if sa.Latitude == nil && sa.Longitude == nil && sa.Timezone == nil {
			return usageErr("say what to change: --latitude, --longitude or --timezone")
		}
		data, err := a.request(ctx, topics.CmdSiteGet, nil)
		if err != nil {
			return err
		}
		var cur topics.SiteSettings
		if err := json.Unmarshal(data, &cur); err != nil {
			return err
		}
		sa.Revision = cur.Revision
		return a.requestAndPrint(ctx, topics.CmdSiteSet, sa, printSite)
	})
	root.AddCommand(show, set)
	return root
}

func printSite(w io.Writer, data json.RawMessage) error {
	var s topics.SiteSettings
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	tz := s.Timezone
	if tz == "" {
		tz = "the machine's"
	}
	fmt.Fprintf(w, "latitude %g, longitude %g, time zone %s (revision %s)\n", s.Latitude, s.Longitude, tz, s.Revision)
	if s.Restart {
		fmt.Fprintln(w, "the time zone takes effect when the agent starts again")
	}
	return nil
}

func printZoneSettings(w io.Writer, data json.RawMessage) error {
	var zs []topics.ZoneSettings
	if err := json.Unmarshal(data, &zs); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ZONE\tNAME\tGPIO\tDEFAULT\tMAX\tGROUP\tENABLED\tWATER LEVEL\tPLANT FACTOR\tSOIL\tREVISION")
	yes := map[bool]string{true: "yes", false: "no"}
	for _, z := range zs {
		fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%g\t%s\t%s\n", z.Zone, z.Name, z.Line, topics.FormatDuration(time.Duration(z.DefaultDurationS*float64(time.Second))),
			topics.FormatDuration(time.Duration(z.MaxDurationS*float64(time.Second))), z.Group, yes[z.Enabled], yes[z.WaterLevel], z.PlantFactor, soilOf(z), z.Revision)
	}
	return tw.Flush()
}

// soilOf says a zone's soil and sprinklers in a few words: "loam 0.3 m, 12 mm/h", or "-".
func soilOf(z topics.ZoneSettings) string {
	if !z.Balance {
		return "-"
	}
	soil := z.Soil
	if soil == "" {
		soil = fmt.Sprintf("%g mm/m", z.AvailableWaterMm)
	}
	rate := fmt.Sprintf("%g mm/h", z.PrecipitationMmH)
	if z.PrecipitationMmH == 0 {
		rate = fmt.Sprintf("%g m²", z.AreaM2)
	}
	return fmt.Sprintf("%s %g m, %s", soil, z.RootDepthM, rate)
}

// noneChanged reports whether no flag of f was given but those named.
func noneChanged(f *pflag.FlagSet, but ...string) bool {
	n := 0
	f.VisitAll(func(fl *pflag.Flag) {
		if fl.Changed && !slices.Contains(but, fl.Name) {
			n++
		}
	})
	return n == 0
}

// given is v when the flag name was given on the command line, else nil: a request changes
// only what was named.
func given[T any](f *pflag.FlagSet, name string, v *T) *T {
	if f.Changed(name) {
		return v
	}
	return nil
}
