package daemon

import (
	"fmt"
	"sync"
	"time"

	"sprinkler/agent/problems"
)

// clockSlack is how far behind the state's last saved time the clock may be at start-up and
// still be trusted.
const clockSlack = 2 * time.Second

// clockCheck is how often a clock that cannot be trusted is looked at again.
const clockCheck = 10 * time.Second

// problemClock is the key of the clock's problem.
const problemClock = "clock"

// checkClock reports whether the clock can be trusted at start-up (trusted), and whether the
// saved state's runs may be resumed by it (resume): a clock not behind last, the latest time the
// saved state has seen, is trusted for both. A Raspberry Pi has no real-time clock and boots
// with the time it last saved, or 1970, until NTP answers; such a clock is reported. A clock the
// system says is synchronised is trusted even behind last: the state was then saved by a clock
// that ran ahead, and its runs, timed by that clock, are not resumed.
func (d *Daemon) checkClock(now, last time.Time, probs *problems.Set) (trusted, resume bool) {
	if !now.Before(last.Add(-clockSlack)) {
		return true, true
	}
	if d.synced()() {
		d.log.Warn("the saved state was written by a clock ahead of this one, which is synchronised: the clock is trusted, "+
			"and the saved runs are not resumed", "saved", last.UTC().Format(time.RFC3339), "now", now.UTC().Format(time.RFC3339))
		return true, false
	}
	probs.Raise(problemClock, fmt.Sprintf("the clock (%s) is behind the saved state (%s): interrupted runs were not resumed, "+
		"and scheduled runs wait until the clock is synchronised or passes that time",
		now.UTC().Format(time.RFC3339), last.UTC().Format(time.RFC3339)))
	return false, false
}

// synced is how the daemon asks whether the system's clock is synchronised.
func (d *Daemon) synced() func() bool {
	if d.opts.ClockSynced != nil {
		return d.opts.ClockSynced
	}
	return systemClockSynced
}

// whenClockTrusted calls ready once the clock can be trusted: the system says it is
// synchronised, or it has passed last. It looks every clockCheck until then, or until the
// returned stop is called; ready never runs after stop returns.
func (d *Daemon) whenClockTrusted(last time.Time, probs *problems.Set, ready func()) (stop func()) {
	synced := d.synced()
	var mu sync.Mutex
	stopped := false
	var check func()
	check = func() {
		mu.Lock()
		defer mu.Unlock()
		if stopped {
			return
		}
		if now := d.opts.Clock.Now(); !synced() && now.Before(last) {
			d.opts.Clock.AfterFunc(clockCheck, check)
			return
		}
		probs.Clear(problemClock)
		ready()
	}
	d.opts.Clock.AfterFunc(clockCheck, check)
	return func() {
		mu.Lock()
		defer mu.Unlock()
		stopped = true
	}
}
