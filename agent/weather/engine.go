// Package weather turns local weather into watering decisions: it takes readings from MQTT
// topics (temperature, humidity, wind, radiation, rain, a rain forecast), keeps them per day,
// computes each day's reference evapotranspiration by FAO-56 (package et0), and once a day
// sets the water level from the water balance of the days since the last watering, against a
// baseline ET0, or skips the day for rain. Without fresh weather it falls back to the last
// level, then to 100 %; it never stops watering for want of data.
package weather

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"sprinkler/agent/balance"
	"sprinkler/agent/clock"
	"sprinkler/agent/et0"
	"sprinkler/agent/reading"
	"sprinkler/statefile"
	"sprinkler/topics"
)

// Input is one configured weather input.
type Input struct {
	Quantity string
	Topic    string
	Path     reading.Path
	Unit     string        // of the payloads; "" is the quantity's default
	MaxAge   time.Duration // a reading older than this is stale, and a longer silence a gap
	HeightM  float64       // wind: the height of the anemometer
	Total    bool          // rain: a running total, not the rain of each event
}

// Rules give the rules in force (a Settings is rules that never change). A computation reads
// them once, so it uses one whole set.
type Rules interface {
	WeatherSettings() Settings
}

// Options configure an Engine.
type Options struct {
	Rules    Rules // the rules in force, read at each computation
	Inputs   []Input
	Dir      string // the state directory's folder for the weather
	Location *time.Location
	Clock    clock.Clock
	// At is the time of day of the daily computation (from local midnight).
	At time.Duration
	// LastWatered is when a scheduled run of a zone that follows the water level last
	// watered; zero: never.
	LastWatered func() time.Time
	// Apply takes each decision: it sets the water level, publishes and tells.
	Apply func(topics.WeatherDay)
	// Watered lists the runs of zone that ended in [from, to), for its balance.
	Watered func(zone int, from, to time.Time) []balance.Run
	// Rained, when set, is told of each rain reading kept: the zones' balances changed.
	Rained func()
	Log    *slog.Logger
}

// keepDays is how long readings and decisions are kept.
const keepDays = 60

// Engine is the agent's weather. It is safe for concurrent use.
//
// Locks: wmu serialises the computations, with their reads of the readings and their writes
// of the decisions (days.json) and the balances (balance.json); only another computation waits
// for it, and it is taken before mu. mu guards the decisions, the balances and the rain in
// memory, the timer and the inputs' counters, and is never held across a disk access or a call
// out of the package (Rules, Apply, LastWatered, Watered, Rained): a window start that asks for
// the day's Decision or a zone's Advise waits on nothing but memory and the history. The store
// has its own lock, taken without mu.
type Engine struct {
	o      Options
	store  *Store
	inputs []*input
	// maxAge is each quantity's max_age, and solarWm2 says the solar input sends W/m²
	// readings: what a day's summary needs of the inputs.
	maxAge   map[string]time.Duration
	solarWm2 bool

	wmu  sync.Mutex // one computation at a time, its files written in the order of the decisions
	mu   sync.Mutex
	days []topics.WeatherDay // decisions, oldest first
	// balances are the zones' balances at the start of the day the last computation closed
	// them to; rain the rain readings of the last rainKept, oldest first.
	balances map[int]zoneStart
	rain     []Reading
	timer    clock.Timer
	running  bool
}

// input is an Input with its conversion, and the last raw total of a rain counter.
type input struct {
	Input
	convert func(float64) float64
	unit    string
	lastRaw *float64
	refused int // readings refused since the agent started: implausible, or past the day's bound
}

// Open opens the readings and the decisions kept in o.Dir.
func Open(o Options) (*Engine, error) {
	now := o.Clock.Now()
	st, err := OpenStore(filepath.Join(o.Dir, "readings"), o.Location, keepDays, now)
	if err != nil {
		return nil, err
	}
	e := &Engine{o: o, store: st, maxAge: map[string]time.Duration{}, solarWm2: true}
	for _, in := range o.Inputs {
		conv, unit, err := Unit(in.Quantity, in.Unit)
		if err != nil {
			return nil, err
		}
		x := &input{Input: in, convert: conv, unit: unit}
		e.maxAge[in.Quantity] = in.MaxAge
		if in.Quantity == Solar {
			e.solarWm2 = solarKept(unit) == "W/m2"
		}
		if r, ok := st.Last(in.Quantity); ok {
			x.lastRaw = r.Raw
		}
		e.inputs = append(e.inputs, x)
	}
	if _, err := statefile.Read(e.daysPath(), daysFormat, &e.days); err != nil {
		o.Log.Warn("weather: the decisions kept could not be read; starting afresh", "err", err)
		e.days = nil
	}
	if _, err := statefile.Read(e.balancePath(), balanceFormat, &e.balances); err != nil {
		o.Log.Warn("weather: the zones' balances kept could not be read; they start again at field capacity", "err", err)
		e.balances = nil
	}
	for _, date := range []string{e.dateOf(now.Add(-rainKept)), e.dateOf(now.AddDate(0, 0, -1)), e.dateOf(now)} {
		rs, _, _ := st.Day(date)
		for _, r := range rs {
			if r.Q == Rain && r.At.After(now.Add(-rainKept)) && !slices.ContainsFunc(e.rain, func(x Reading) bool { return x.At.Equal(r.At) }) {
				e.rain = append(e.rain, r)
			}
		}
	}
	return e, nil
}

// The formats of the kept decisions (days.json) and balances (balance.json).
const (
	daysFormat    = 1
	balanceFormat = 1
)

func (e *Engine) daysPath() string { return filepath.Join(e.o.Dir, "days.json") }

// Filters are the topics the inputs come on.
func (e *Engine) Filters() []string {
	var out []string
	for _, in := range e.inputs {
		out = append(out, in.Topic)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Feed takes a message on an input's topic; it reports whether the topic is one, and what was
// wrong with the payload. A retained message is not a new reading, but for a forecast.
func (e *Engine) Feed(topic string, payload []byte, retained bool) (bool, error) {
	found := false
	var errs []error
	for _, in := range e.inputs {
		if in.Topic == topic {
			found = true
			errs = append(errs, e.feed(in, payload, retained))
		}
	}
	return found, errors.Join(errs...)
}

// feed takes a payload of one input.
func (e *Engine) feed(in *input, payload []byte, retained bool) error {
	if retained && in.Quantity != ForecastRain {
		return nil // heard before: a replay would count it twice
	}
	v, err := in.Path.Value(payload)
	if err != nil {
		return fmt.Errorf("weather input %s on %s: %w", in.Quantity, in.Topic, err)
	}
	r := Reading{At: e.o.Clock.Now(), Q: in.Quantity, V: in.convert(v)}
	switch {
	case in.Quantity == Wind:
		r.V = wind2m(r.V, in.HeightM)
	case in.Quantity == Rain && in.Total:
		raw := r.V
		r.Raw, r.V = &raw, 0
		e.mu.Lock()
		if in.lastRaw != nil && raw >= *in.lastRaw {
			r.V = raw - *in.lastRaw
		} else if in.lastRaw != nil {
			r.V = raw // the counter restarted
		}
		in.lastRaw = &raw
		e.mu.Unlock()
	}
	if r.V, err = check(in.Quantity, in.unit, r.V); err != nil {
		e.mu.Lock()
		in.refused++
		e.mu.Unlock()
		return fmt.Errorf("weather input %s on %s: %w; not stored", in.Quantity, in.Topic, err)
	}
	if err := e.store.Add(r); err != nil {
		if errors.Is(err, ErrDayFull) {
			e.mu.Lock()
			in.refused++
			e.mu.Unlock()
		}
		return fmt.Errorf("weather input %s on %s: %w", in.Quantity, in.Topic, err)
	}
	if r.Q == Rain {
		e.mu.Lock()
		e.rain = append(slices.DeleteFunc(e.rain, func(x Reading) bool { return x.At.Before(r.At.Add(-rainKept)) }), r)
		e.mu.Unlock()
		if e.o.Rained != nil && r.V > 0 {
			e.o.Rained()
		}
	}
	return nil
}

// Start computes today's decision if there is none yet (the agent was down at the time), and
// arms the daily computation.
func (e *Engine) Start() {
	e.mu.Lock()
	e.running = true
	_, have := e.decisionOf(e.dateOf(e.o.Clock.Now()))
	e.mu.Unlock()
	if !have {
		e.Compute(topics.SourceStartup)
	}
	e.mu.Lock()
	e.arm()
	e.mu.Unlock()
}

// Stop stops the daily computation and closes the readings.
func (e *Engine) Stop() {
	e.mu.Lock()
	e.running = false
	if e.timer != nil {
		e.timer.Stop()
	}
	e.mu.Unlock()
	_ = e.store.Close()
}

// longestSleep bounds the timer, so that a step of the wall clock is noticed within an hour.
const longestSleep = time.Hour

// due is today's computation time.
func (e *Engine) due(now time.Time) time.Time {
	l := now.In(e.o.Location)
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, e.o.Location).Add(e.o.At)
}

// arm sets the timer for the next daily computation. Called with mu held.
func (e *Engine) arm() {
	if e.timer != nil {
		e.timer.Stop()
	}
	if !e.running {
		return
	}
	now := e.o.Clock.Now()
	next := e.due(now)
	if !next.After(now) {
		next = e.due(now.AddDate(0, 0, 1))
	}
	e.timer = e.o.Clock.AfterFunc(min(next.Sub(now), longestSleep), e.tick)
}

// tick runs the daily computation when it is due and has not run today.
func (e *Engine) tick() {
	e.mu.Lock()
	if !e.running {
		e.mu.Unlock()
		return
	}
	now := e.o.Clock.Now()
	due := e.due(now)
	d, ok := e.decisionOf(e.dateOf(now))
	done := ok && !d.ComputedAt.Before(due)
	e.mu.Unlock()
	if !now.Before(due) && !done {
		e.Compute(topics.SourceSchedule)
	}
	e.mu.Lock()
	e.arm()
	e.mu.Unlock()
}

func (e *Engine) dateOf(t time.Time) string { return t.In(e.o.Location).Format(time.DateOnly) }

// Compute decides today's level now, closes the zones' balances into today, keeps both and
// hands the decision to Apply. One computation runs at a time.
func (e *Engine) Compute(by string) topics.WeatherDay {
	e.wmu.Lock()
	defer e.wmu.Unlock()
	now := e.o.Clock.Now()
	today := e.dateOf(now)
	e.store.Prune(now)
	d := topics.WeatherDay{Date: today, ComputedAt: topics.Time{Time: now}, By: by, Notes: []string{}}
	d.Rain24hMm = round2(e.rainSince(now.Add(-24*time.Hour), now))
	if f, ok := e.fresh(ForecastRain, now); ok {
		d.ForecastMm = ptr(round2(f.V))
	}
	set := e.o.Rules.WeatherSettings()
	weighed := map[string]balanceDay{}
	dayOf := func(date string) balanceDay {
		if b, ok := weighed[date]; ok {
			return b
		}
		b, notes := e.weigh(date, now, set)
		if date == e.dateOf(now.AddDate(0, 0, -1)) {
			d.Notes = append(d.Notes, notes...)
		}
		weighed[date] = b
		return b
	}
	var days []balanceDay
	for _, date := range e.window(now, set.BalanceDays) {
		days = append(days, dayOf(date))
	}
	e.mu.Lock()
	var last *topics.WeatherDay
	for i := len(e.days) - 1; i >= 0; i-- {
		if e.days[i].Source == topics.LevelFromWeather && e.days[i].Date < today {
			last = &e.days[i]
			break
		}
	}
	d = decide(set, d, days, last)
	starts, lastET0 := maps.Clone(e.balances), e.lastET0(set)
	e.mu.Unlock()
	starts = e.closeDays(now, set, starts, lastET0, func(date string) (float64, bool) {
		if b := dayOf(date); b.et0 != nil {
			return b.et0.ET0Mm, true
		}
		return 0, false
	}, func(date string) float64 { return dayOf(date).rainMm })
	e.mu.Lock()
	e.balances = starts
	e.mu.Unlock()
	d.Zones = e.Balances(now)
	e.mu.Lock()
	e.days = slices.DeleteFunc(e.days, func(x topics.WeatherDay) bool { return x.Date == today || daysBetween(x.Date, today) > keepDays })
	e.days = append(e.days, d)
	kept := slices.Clone(e.days)
	e.mu.Unlock()
	if err := statefile.Write(e.daysPath(), daysFormat, kept); err != nil {
		e.o.Log.Error("weather: saving the decision failed", "err", err)
	}
	if err := statefile.Write(e.balancePath(), balanceFormat, starts); err != nil {
		e.o.Log.Error("weather: saving the zones' balances failed", "err", err)
	}
	e.o.Log.Info("weather: water level computed", "date", d.Date, "water_level", d.Level, "source", d.Source, "skip", d.Skip, "by", by)
	if e.o.Apply != nil {
		e.o.Apply(d)
	}
	return d
}

// weigh is a day's ET0 and rain, with what was wrong with its readings. Called without mu.
func (e *Engine) weigh(date string, now time.Time, set Settings) (balanceDay, []string) {
	s, notes := e.summary(date, now)
	b := balanceDay{date: date}
	if s.RainMm != nil {
		b.rainMm = *s.RainMm
	}
	if day, ok := s.day(e.startOf(date).Add(12 * time.Hour)); ok {
		if r, err := et0.Daily(set.Site, day); err == nil {
			b.et0 = &r
		} else {
			notes = append(notes, date+": "+err.Error())
		}
	}
	return b, notes
}

// window lists the days the balance weighs: from the day of the last watering (or
// yesterday) to yesterday, at most balanceDays.
func (e *Engine) window(now time.Time, balanceDays int) []string {
	n := 1
	if e.o.LastWatered != nil {
		if w := e.o.LastWatered(); !w.IsZero() {
			n = daysBetween(e.dateOf(w), e.dateOf(now))
		}
	}
	n = max(1, min(n, max(balanceDays, 1)))
	out := make([]string, 0, n)
	for i := n; i >= 1; i-- {
		out = append(out, e.dateOf(now.AddDate(0, 0, -i)))
	}
	return out
}

// summary is a day's weather, with what was wrong with its readings.
func (e *Engine) summary(date string, now time.Time) (Summary, []string) {
	rs, bad, err := e.store.Day(date)
	if err != nil {
		return Summary{Date: date}, []string{err.Error()}
	}
	from, _ := time.ParseInLocation(time.DateOnly, date, e.o.Location)
	to := from.AddDate(0, 0, 1)
	if to.After(now) {
		to = now
	}
	s := summarise(date, rs, from, to, e.maxAge, e.solarWm2)
	if bad > 0 {
		s.Gaps = append(s.Gaps, fmt.Sprintf("%d damaged lines skipped", bad))
	}
	if len(rs) == 0 {
		s.Gaps = append(s.Gaps, date+": no readings")
	}
	return s, s.Gaps
}

// rainSince is the rain measured in [from, to).
func (e *Engine) rainSince(from, to time.Time) float64 {
	total := 0.0
	for _, date := range []string{e.dateOf(from), e.dateOf(to)} {
		rs, _, _ := e.store.Day(date)
		for _, r := range rs {
			if r.Q == Rain && !r.At.Before(from) && r.At.Before(to) {
				total += r.V
			}
		}
		if e.dateOf(from) == e.dateOf(to) {
			break
		}
	}
	return total
}

// fresh is quantity q's last reading, if it is no older than its input's max_age.
func (e *Engine) fresh(q string, now time.Time) (Reading, bool) {
	r, ok := e.store.Last(q)
	age, configured := e.maxAge[q]
	return r, ok && configured && !stale(r, age, now)
}

// stale says reading r is older than maxAge (0: never stale).
func stale(r Reading, maxAge time.Duration, now time.Time) bool {
	return maxAge > 0 && now.Sub(r.At) > maxAge
}

// decisionOf is the decision for date (YYYY-MM-DD), if one was made: the newest. Called with
// mu held.
func (e *Engine) decisionOf(date string) (topics.WeatherDay, bool) {
	if n := len(e.days); n > 0 && e.days[n-1].Date == date {
		return e.days[n-1], true
	}
	return topics.WeatherDay{}, false
}

// Today is today's decision, or nil before it is made.
func (e *Engine) Today() *topics.WeatherDay {
	e.mu.Lock()
	defer e.mu.Unlock()
	if d, ok := e.decisionOf(e.dateOf(e.o.Clock.Now())); ok {
		return &d
	}
	return nil
}

// Decision is the decision for date (YYYY-MM-DD), if one was made: what the schedule asks for
// each window of a zone that follows the water level (scheduler.Weather).
func (e *Engine) Decision(date string) (topics.WeatherDay, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.decisionOf(date)
}

// Report is the inputs now, today's decision and the decisions of the days days before.
func (e *Engine) Report(days int) topics.WeatherReport {
	now := e.o.Clock.Now()
	rep := topics.WeatherReport{Inputs: []topics.WeatherInput{}, Today: e.Today(), Zones: e.Balances(now)}
	for _, in := range e.inputs {
		wi := topics.WeatherInput{Quantity: in.Quantity, Topic: in.Topic, Path: in.Path.String(), Unit: in.unit, Stale: true}
		if r, ok := e.store.Last(in.Quantity); ok {
			age := now.Sub(r.At).Seconds()
			wi.Value, wi.ValueUnit, wi.At, wi.AgeS = ptr(r.V), keptIn(in.Quantity, in.unit), topics.At(r.At), &age
			if r.Raw != nil {
				wi.Value = ptr(*r.Raw)
			}
			wi.Stale = stale(r, in.MaxAge, now)
		}
		e.mu.Lock()
		wi.Refused = in.refused
		e.mu.Unlock()
		rep.Inputs = append(rep.Inputs, wi)
	}
	if days > 0 {
		oldest := e.dateOf(now.AddDate(0, 0, -days))
		e.mu.Lock()
		for _, d := range e.days {
			if d.Date >= oldest {
				rep.Days = append(rep.Days, d)
			}
		}
		e.mu.Unlock()
	}
	return rep
}

// daysBetween counts the days from date a to date b (YYYY-MM-DD); a bad date counts as far.
func daysBetween(a, b string) int {
	ta, err1 := time.Parse(time.DateOnly, a)
	tb, err2 := time.Parse(time.DateOnly, b)
	if err1 != nil || err2 != nil {
		return 1 << 20
	}
	return int(tb.Sub(ta).Hours()/24 + 0.5)
}
