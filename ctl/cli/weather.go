package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"sprinkler/topics"
)

// weatherCommands are "weather [--days N]", "weather compute" and "et0".
func (a *app) weatherCommands() []*cobra.Command {
	root := command(topics.CmdWeather, "weather [--days N]")
	root.Args = noArgs
	var days int
	root.Flags().IntVar(&days, "days", 0, "also the decisions of that many days before, as a table and a chart (at most 60)")
	root.RunE = a.runE(func(ctx context.Context, _ *cobra.Command, _ []string) error {
		return a.requestAndPrint(ctx, topics.CmdWeather, topics.WeatherArgs{Days: days}, printWeather)
	})
	compute := command(topics.CmdWeatherCompute, "compute")
	compute.Args = noArgs
	compute.RunE = a.runE(func(ctx context.Context, _ *cobra.Command, _ []string) error {
		return a.requestAndPrint(ctx, topics.CmdWeatherCompute, nil, func(w io.Writer, data json.RawMessage) error {
			var d topics.WeatherDay
			if err := json.Unmarshal(data, &d); err != nil {
				return err
			}
			printWeatherDay(w, d)
			return nil
		})
	})
	root.AddCommand(compute)
	return []*cobra.Command{root, a.et0Command()}
}

// et0Command computes ET0 on the agent for weather given by flags.
func (a *app) et0Command() *cobra.Command {
	c := command(topics.CmdET0, "et0 --latitude DEG --tmin C --tmax C [--date YYYY-MM-DD] [more weather]")
	c.Args = noArgs
	var args topics.ET0Args
	var lat, tmin, tmax float64
	opt := map[string]**float64{"rh-min": &args.RHMin, "rh-max": &args.RHMax, "rh-mean": &args.RHMean, "dewpoint": &args.DewpointC,
		"wind": &args.WindMS, "solar": &args.SolarMJ, "sunshine": &args.SunshineH}
	vals := map[string]*float64{}
	f := c.Flags()
	f.StringVar(&args.Date, "date", "", "the day, YYYY-MM-DD (default today)")
	f.Float64Var(&lat, "latitude", 0, "degrees, north positive")
	f.Float64Var(&args.ElevationM, "elevation", 0, "metres above sea level")
	f.Float64Var(&tmin, "tmin", 0, "the day's minimum temperature, °C")
	f.Float64Var(&tmax, "tmax", 0, "the day's maximum temperature, °C")
	for name, help := range map[string]string{"rh-min": "minimum relative humidity, %", "rh-max": "maximum relative humidity, %",
		"rh-mean": "mean relative humidity, %", "dewpoint": "mean dew point, °C", "wind": "mean wind speed, m/s",
		"solar": "solar radiation, MJ/m² a day", "sunshine": "hours of sunshine"} {
		vals[name] = f.Float64(name, 0, help)
	}
	f.Float64Var(&args.WindHeightM, "wind-height", 0, "the wind's measurement height, m (default 2)")
	f.StringVar(&args.Method, "method", "", "penman-monteith or hargreaves (default: hargreaves with temperatures alone)")
	c.RunE = a.runE(func(ctx context.Context, cmd *cobra.Command, _ []string) error {
		for _, req := range []string{"latitude", "tmin", "tmax"} {
			if !cmd.Flags().Changed(req) {
				return usageErr("--%s is required", req)
			}
		}
		args.LatitudeDeg, args.TminC, args.TmaxC = &lat, &tmin, &tmax
		if args.Date == "" {
			args.Date = time.Now().Format(time.DateOnly)
		}
		for name, to := range opt {
			if cmd.Flags().Changed(name) {
				*to = vals[name]
			}
		}
		return a.requestAndPrint(ctx, topics.CmdET0, args, printET0)
	})
	return c
}

func printET0(w io.Writer, data json.RawMessage) error {
	var r topics.ET0Result
	if err := json.Unmarshal(data, &r); err != nil {
		return err
	}
	fmt.Fprintf(w, "ET0 %.2f mm/day by %s\n", r.ET0Mm, r.Method)
	names := make([]string, 0, len(r.Terms))
	for k := range r.Terms {
		names = append(names, k)
	}
	slices.Sort(names)
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	for _, k := range names {
		fmt.Fprintf(tw, "  %s\t%.4g\n", k, r.Terms[k])
	}
	return tw.Flush()
}

func printWeather(w io.Writer, data json.RawMessage) error {
	var rep topics.WeatherReport
	if err := json.Unmarshal(data, &rep); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "INPUT\tVALUE\tAGE\tTOPIC\tPATH")
	for _, in := range rep.Inputs {
		value, age := "-", "never heard"
		if in.Value != nil {
			value = fmt.Sprintf("%.4g %s", *in.Value, in.ValueUnit)
		}
		if in.AgeS != nil {
			age = (time.Duration(*in.AgeS) * time.Second).Round(time.Second).String()
			if in.Stale {
				age += " (stale)"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", in.Quantity, value, age, in.Topic, in.Path)
	}
	_ = tw.Flush()
	if rep.Today == nil {
		fmt.Fprintln(w, "no decision yet today")
	} else {
		printWeatherDay(w, *rep.Today)
	}
	printBalances(w, rep.Zones)
	if len(rep.Days) > 0 {
		fmt.Fprintln(w)
		printWeatherDays(w, rep.Days)
	}
	return nil
}

// printBalances says each zone's water balance in a few lines: what it lost, what rain and
// runs gave back, where its soil is, and its next run.
func printBalances(w io.Writer, zones []topics.ZoneBalance) {
	for _, b := range zones {
		name := b.Name
		if name == "" {
			name = fmt.Sprintf("zone %d", b.Zone)
		}
		fmt.Fprintf(w, "%s: %.1f mm lost since %s, %.1f mm of rain counted, %.1f mm watered; depletion %.1f of %.1f mm (%.1f readily available)\n",
			name, b.LostMm, b.Date, b.RainMm, b.WateredMm, b.DepletionMm, b.TAWMm, b.RAWMm)
		switch n := b.Next; {
		case n == nil:
			fmt.Fprintln(w, "  no run in the next 48 hours")
		case n.Skipped != "":
			fmt.Fprintf(w, "  next run %s: skipped, %s\n", clock(&n.Start), n.Skipped)
		default:
			fmt.Fprintf(w, "  next run %s for %s\n", clock(&n.Start), n.End.Sub(n.Start.Time).Round(time.Second))
		}
	}
}

func printWeatherDay(w io.Writer, d topics.WeatherDay) {
	fmt.Fprintf(w, "water level %d%% for %s (%s, computed %s by %s)\n", d.Level, d.Date, d.Source, clock(&d.ComputedAt), d.By)
	if d.ET0Mm != nil {
		fmt.Fprintf(w, "  ET0 yesterday %.2f mm by %s\n", *d.ET0Mm, d.Method)
	}
	if d.Window > 0 {
		fmt.Fprintf(w, "  balance since %s (%d days): ET0 %.1f mm - effective rain %.1f mm (of %.1f) against %.1f mm a day\n",
			d.BalanceFrom, d.Window, d.ET0SumMm, d.EffectiveMm, d.RainMm, d.BaselineMm)
	}
	forecast := "none"
	if d.ForecastMm != nil {
		forecast = fmt.Sprintf("%.1f mm", *d.ForecastMm)
	}
	fmt.Fprintf(w, "  rain in the last 24 h %.1f mm; forecast for the next 24 h %s\n", d.Rain24hMm, forecast)
	if d.Skip != "" {
		fmt.Fprintf(w, "  today's runs skipped: %s\n", d.Skip)
	}
	for _, n := range d.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
}

// printWeatherDays is a table of the days' decisions, with a bar of each level (one block
// per 10 %, the 100 % mark a bar).
func printWeatherDays(w io.Writer, days []topics.WeatherDay) {
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "DATE\tET0 mm\tRAIN mm\tLEVEL\tSOURCE\tCHART\tSKIP")
	for _, d := range days {
		et := "-"
		if d.ET0Mm != nil {
			et = fmt.Sprintf("%.1f", *d.ET0Mm)
		}
		bar := strings.Repeat("█", min(d.Level/10, 25))
		if d.Level >= 100 {
			bar = bar[:len("█")*10] + "|" + bar[len("█")*10:]
		}
		fmt.Fprintf(tw, "%s\t%s\t%.1f\t%d%%\t%s\t%s\t%s\n", d.Date, et, d.RainMm, d.Level, d.Source, bar, d.Skip)
	}
	_ = tw.Flush()
}
