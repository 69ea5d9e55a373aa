// Package writeback runs a write on its own goroutine when asked, so that the caller never
// waits for the disk: requests made while a write runs coalesce into one more.
package writeback

import (
	"context"
	"time"
)

// Kick asks a Loop to write. The zero value is not usable; make one with New.
type Kick chan struct{}

// New returns a Kick.
func New() Kick { return make(Kick, 1) }

// Ask requests a write; it never blocks.
func (k Kick) Ask() {
	select {
	case k <- struct{}{}:
	default:
	}
}

// Loop calls write after each request until ctx ends, then once more. Errors are write's to
// report; the next request tries again.
func (k Kick) Loop(ctx context.Context, write func() error) { k.LoopAfter(ctx, 0, write) }

// LoopAfter is Loop that waits delay after a request before it writes: what the request was
// for (a relay switched, say) goes on first, and requests in the meantime join the write.
func (k Kick) LoopAfter(ctx context.Context, delay time.Duration, write func() error) {
	for {
		select {
		case <-k:
			if delay > 0 {
				select {
				case <-time.After(delay):
				case <-ctx.Done():
				}
			}
			_ = write()
		case <-ctx.Done():
			_ = write()
			return
		}
	}
}
