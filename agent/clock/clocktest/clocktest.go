// Package clocktest provides a fake clock whose time moves only when a test says so.
package clocktest

import (
	"time"

	"sprinkler/agent/clock"
)

// Fake is a clock that stands still until Advance (clock.Manual).
type Fake = clock.Manual

// New returns a fake clock showing t.
func New(t time.Time) *Fake { return clock.NewManual(t) }
