// Package simulate replays a season offline: the agent's configuration and profiles, and the
// weather readings as the agent would have received them, through the agent's own weather,
// schedule and safety governor on a clock that runs as fast as the machine allows. It tells,
// per zone per day, the weather, the balance and the water applied, so that a gardener can ask
// what the agent would have done last summer with their station, and anyone can check the
// balance from outside.
package simulate

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"sprinkler/agent/balance"
	"sprinkler/agent/clock"
	"sprinkler/agent/config"
	"sprinkler/agent/relay"
	"sprinkler/agent/scheduler"
	"sprinkler/agent/valves"
	"sprinkler/agent/weather"
	"sprinkler/agent/zones"
	"sprinkler/configs"
	"sprinkler/topics"
)

// Reading is one message as the agent would have received it: a line of the readings file.
type Reading struct {
	At      time.Time `json:"ts"`
	Topic   string    `json:"topic"`
	Payload string    `json:"payload"`
}

// ReadReadings reads a JSON Lines file of readings, in any order; a bad line is an error
// naming it.
func ReadReadings(r io.Reader, name string) ([]Reading, error) {
	var out []Reading
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; s.Scan(); n++ {
		line := s.Bytes()
		if len(line) == 0 {
			continue
		}
		var x Reading
		if err := json.Unmarshal(line, &x); err != nil || x.At.IsZero() || x.Topic == "" {
			return nil, fmt.Errorf("%s:%d: want {\"ts\": RFC 3339 time, \"topic\": ..., \"payload\": ...}: %v", name, n, err)
		}
		out = append(out, x)
	}
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out, nil
}

// Day is what happened to one zone on one day.
type Day struct {
	Date string `json:"date"`
	Zone int    `json:"zone"`
	Name string `json:"name"`
	// ET0Mm is the day's reference ET (nil: no weather for it), ETcMm the zone's plants' by
	// its crop coefficient and water stress.
	ET0Mm *float64 `json:"et0_mm"`
	ETcMm float64  `json:"etc_mm"`
	// RainMm is the rain measured, RainCountedMm what the balance counted of it.
	RainMm        float64 `json:"rain_mm"`
	RainCountedMm float64 `json:"rain_counted_mm"`
	// DepletionStartMm and DepletionEndMm are the root zone's depletion below field capacity
	// at the start and the end of the day; TAWMm and RAWMm its bounds.
	DepletionStartMm float64 `json:"depletion_start_mm"`
	DepletionEndMm   float64 `json:"depletion_end_mm"`
	TAWMm            float64 `json:"taw_mm"`
	RAWMm            float64 `json:"raw_mm"`
	// AppliedMm and AppliedMin are the water the zone's runs put down, and how long they ran.
	AppliedMm  float64  `json:"applied_mm"`
	AppliedMin float64  `json:"applied_min"`
	Skips      []string `json:"skips"` // the runs skipped, each with its reason
}

// Run replays readings from the start of from to the end of to (local dates of the
// configuration's time zone) and returns the days of each zone that keeps a water balance,
// date by date.
func Run(cfg config.Config, readings []Reading, from, to string, log *slog.Logger) ([]Day, error) {
	loc, err := cfg.Location()
	if err != nil {
		return nil, err
	}
	start, err1 := time.ParseInLocation(time.DateOnly, from, loc)
	end, err2 := time.ParseInLocation(time.DateOnly, to, loc)
	if err := errors.Join(err1, err2); err != nil || !end.After(start) && !end.Equal(start) {
		return nil, fmt.Errorf("--from %q --to %q: want two dates, YYYY-MM-DD, the first not after the second", from, to)
	}
	if !cfg.Weather.Enabled() {
		return nil, errors.New("the configuration has no weather.inputs: there is nothing to balance")
	}
	dir, err := os.MkdirTemp("", "sprinkler-simulate-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	s := &season{cfg: cfg, loc: loc, clk: clock.NewManual(start), model: zones.New(cfg), log: log, days: map[string]map[int]*Day{}}
	if err := s.open(dir); err != nil {
		return nil, err
	}
	defer s.wx.Stop()
	defer s.sched.Stop()
	s.wx.Start()
	s.sched.Start()
	for _, r := range readings {
		if r.At.Before(start) {
			continue
		}
		if !r.At.Before(end.AddDate(0, 0, 1)) {
			break
		}
		s.advance(r.At)
		if _, err := s.wx.Feed(r.Topic, []byte(r.Payload), false); err != nil {
			log.Debug("simulate: a reading refused", "at", r.At, "topic", r.Topic, "err", err)
		}
	}
	at, _ := cfg.Weather.TimeOfDay()
	s.advance(end.AddDate(0, 0, 1).Add(at + time.Minute)) // the last day closed
	return s.rows(from, to), nil
}

// season is a simulation's parts and what it gathered.
type season struct {
	cfg   config.Config
	loc   *time.Location
	clk   *clock.Manual
	model *zones.Model
	log   *slog.Logger
	v     *valves.Controller
	wx    *weather.Engine
	sched *scheduler.Engine

	runs      []topics.RunRecord
	decisions []topics.WeatherDay
	days      map[string]map[int]*Day // by date and zone: the runs' water and the skips
}

// open makes the parts the agent would: the governor on simulated relays, the weather, the
// schedule.
func (s *season) open(dir string) error {
	cfg := s.cfg
	s.v = valves.New(cfg.Agent.ID, cfg.ValveZones(), relay.NewSim(len(cfg.Zones)), s.clk, s.log,
		valves.Options{Limits: cfg.ValveLimits(), Location: s.loc, Ended: func(r topics.RunRecord) { s.runs = append(s.runs, r) }})
	if err := s.v.Reset(topics.SourceStartup); err != nil {
		return err
	}
	at, _ := cfg.Weather.TimeOfDay()
	wx, err := weather.Open(weather.Options{Rules: s.model, Inputs: cfg.WeatherInputs(), Dir: dir, Location: s.loc, Clock: s.clk, At: at,
		LastWatered: s.lastWatered, Watered: s.watered, Apply: s.decided, Log: s.log})
	if err != nil {
		return err
	}
	s.wx = wx
	if cfg.Schedule.File == "" {
		return errors.New("the configuration has no schedule.file: there are no runs to simulate")
	}
	s.sched, err = scheduler.New(scheduler.Options{Path: cfg.Schedule.File, Zones: s.model, Location: s.loc, Clock: s.clk, Valves: s.v,
		Log: s.log, MinRun: cfg.Schedule.MinRun, Weather: wx, PausedUntil: s.v.PausedUntil, Hold: func(zone int) string {
			if s.v.Disabled(zone) {
				return "the zone is disabled"
			}
			return ""
		}})
	return err
}

// advance moves the clock to t, the runs and the weather's computations on the way, and keeps
// the skips the schedule told.
func (s *season) advance(t time.Time) {
	if d := t.Sub(s.clk.Now()); d > 0 {
		s.clk.Advance(d)
	}
	events, _ := s.v.TakeEvents()
	for _, e := range events {
		if e.Type == topics.EventRunSkipped {
			day := s.day(e.TS.Time, e.Zone)
			day.Skips = append(day.Skips, e.TS.In(s.loc).Format("15:04")+" "+e.Message)
		}
	}
}

// day is the record of zone on the local date of t.
func (s *season) day(t time.Time, zone int) *Day {
	date := t.In(s.loc).Format(time.DateOnly)
	if s.days[date] == nil {
		s.days[date] = map[int]*Day{}
	}
	if s.days[date][zone] == nil {
		s.days[date][zone] = &Day{Date: date, Zone: zone, Skips: []string{}}
	}
	return s.days[date][zone]
}

func (s *season) decided(d topics.WeatherDay) {
	s.decisions = append(s.decisions, d)
	s.sched.WeatherDecided()
}

// watered lists zone's runs that ended in [from, to).
func (s *season) watered(zone int, from, to time.Time) []balance.Run {
	var out []balance.Run
	for _, r := range s.runs {
		if r.Zone == zone && r.ActualS > 0 && !r.Ended.Before(from) && r.Ended.Before(to) {
			out = append(out, balance.Run{Seconds: r.ActualS, Litres: r.Litres})
		}
	}
	return out
}

// lastWatered is when a scheduled run of a zone that follows the water level last watered.
func (s *season) lastWatered() time.Time {
	var last time.Time
	for _, r := range s.runs {
		if r.Owner == topics.OwnerSchedule && r.ActualS > 0 && s.model.FollowsLevel(r.Zone) && r.Ended.After(last) {
			last = r.Ended.Time
		}
	}
	return last
}

// rows are the days of from to to of each zone that keeps a balance: the depletion at each
// day's start as the weather closed it, the day's ET0 from the next morning's decision, the
// rain and the runs.
func (s *season) rows(from, to string) []Day {
	set := s.model.WeatherSettings()
	starts := map[string]map[int]topics.ZoneBalance{} // by date
	et0 := map[string]*float64{}                      // by the date it is of
	for _, d := range s.decisions {
		starts[d.Date] = map[int]topics.ZoneBalance{}
		for _, b := range d.Zones {
			starts[d.Date][b.Zone] = b
		}
		t, _ := time.ParseInLocation(time.DateOnly, d.Date, s.loc)
		et0[t.AddDate(0, 0, -1).Format(time.DateOnly)] = d.ET0Mm
	}
	var out []Day
	for t, _ := time.ParseInLocation(time.DateOnly, from, s.loc); t.Format(time.DateOnly) <= to; t = t.AddDate(0, 0, 1) {
		date, next := t.Format(time.DateOnly), t.AddDate(0, 0, 1).Format(time.DateOnly)
		rain := s.wx.Rain(t, t.AddDate(0, 0, 1))
		for _, id := range slices.Sorted(maps.Keys(set.Zones)) {
			z := set.Zones[id]
			b0, ok0 := starts[date][id]
			b1, ok1 := starts[next][id]
			if !ok0 || !ok1 {
				continue
			}
			d := *s.day(t, id)
			d.Name, d.ET0Mm, d.TAWMm, d.RAWMm = s.model.Name(id), et0[date], b0.TAWMm, b0.RAWMm
			d.DepletionStartMm, d.DepletionEndMm = b0.StartMm, b1.StartMm
			if d.ET0Mm != nil {
				d.ETcMm = round2(z.Ks(b0.StartMm) * z.Kc * *d.ET0Mm)
			}
			d.RainMm, d.RainCountedMm = rain, round2(balance.Counted(rain, set.LightRainMm, set.RainFactor))
			for _, r := range s.runs {
				if r.Zone == id && r.Ended.In(s.loc).Format(time.DateOnly) == date {
					d.AppliedMm += z.Applied(balance.Run{Seconds: r.ActualS, Litres: r.Litres})
					d.AppliedMin += r.ActualS / 60
				}
			}
			d.AppliedMm, d.AppliedMin = round2(d.AppliedMm), round2(d.AppliedMin)
			out = append(out, d)
		}
	}
	return out
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

// columns are the CSV's, in the order Day has them.
var columns = []string{"date", "zone", "name", "et0_mm", "etc_mm", "rain_mm", "rain_counted_mm", "depletion_start_mm", "depletion_end_mm",
	"taw_mm", "raw_mm", "applied_mm", "applied_min", "skips"}

// WriteCSV writes days as CSV with a header line; an unknown ET0 is empty, skips are joined
// by " | ".
func WriteCSV(w io.Writer, days []Day) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(columns); err != nil {
		return err
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	for _, d := range days {
		et0 := ""
		if d.ET0Mm != nil {
			et0 = f(*d.ET0Mm)
		}
		if err := cw.Write([]string{d.Date, strconv.Itoa(d.Zone), d.Name, et0, f(d.ETcMm), f(d.RainMm), f(d.RainCountedMm), f(d.DepletionStartMm),
			f(d.DepletionEndMm), f(d.TAWMm), f(d.RAWMm), f(d.AppliedMm), f(d.AppliedMin), strings.Join(d.Skips, " | ")}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// Command is `sprinkler-agent simulate`: it reads the configuration and the readings, replays
// the season and prints its days.
func Command(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sprinkler-agent simulate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := configs.PathFlag(fs, "configuration file (YAML): the zones, their soil, the weather inputs, the schedule")
	readingsPath := fs.String("weather", "", "the readings, JSON Lines: {\"ts\": \"2015-07-01T06:00:00Z\", \"topic\": \"station/t\", \"payload\": \"21.5\"}")
	from := fs.String("from", "", "the first day, YYYY-MM-DD")
	to := fs.String("to", "", "the last day, YYYY-MM-DD")
	format := fs.String("format", "csv", "csv or json")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: sprinkler-agent simulate --config FILE --weather READINGS --from DATE --to DATE [--format csv|json]")
		fmt.Fprintln(stderr, "\nReplays the weather readings through the agent's weather, schedule and governor on a simulated clock, and prints")
		fmt.Fprintln(stderr, "per zone per day: ET0, ETc, rain and the rain counted, the depletion before and after, the water applied, the skips.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return nil
	} else if err != nil {
		return err
	}
	if *readingsPath == "" || *from == "" || *to == "" || fs.NArg() > 0 || *format != "csv" && *format != "json" {
		fs.Usage()
		return errors.New("simulate needs --weather, --from and --to, and --format csv or json")
	}
	path, _ := configPath()
	cfg, err := config.Load(path, true)
	if err != nil {
		return err
	}
	f, err := os.Open(*readingsPath)
	if err != nil {
		return err
	}
	defer f.Close()
	readings, err := ReadReadings(f, *readingsPath)
	if err != nil {
		return err
	}
	days, err := Run(cfg, readings, *from, *to, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(days)
	}
	return WriteCSV(stdout, days)
}
