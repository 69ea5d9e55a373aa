package logs

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// budget writes records as JSON to a file, at most perHour bytes an hour of records below
// ERROR: the rotated files hold a day of the log however much something tries to write (an
// attacker's flood of bad logins, say). Errors are always written. What an hour's budget left
// out is said by one record when the next hour begins.
type budget struct {
	inner slog.Handler
	state *spent
}

// spent is the budget's state, shared by the handlers WithAttrs and WithGroup derive.
type spent struct {
	mu      sync.Mutex
	perHour int64
	hour    time.Time // the hour being counted
	written int64     // bytes written in it
	dropped int       // records left out in it
	out     slog.Handler
}

func newBudget(w io.Writer, opts *slog.HandlerOptions, perHour int64) *budget {
	s := &spent{perHour: perHour}
	inner := slog.NewJSONHandler(&counter{w: w, s: s}, opts)
	s.out = inner
	return &budget{inner: inner, state: s}
}

// counter counts the bytes written to the file.
type counter struct {
	w io.Writer
	s *spent
}

func (c *counter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.s.mu.Lock()
	c.s.written += int64(n)
	c.s.mu.Unlock()
	return n, err
}

func (b *budget) Enabled(ctx context.Context, l slog.Level) bool { return b.inner.Enabled(ctx, l) }

func (b *budget) Handle(ctx context.Context, r slog.Record) error {
	s := b.state
	hour := r.Time.Truncate(time.Hour)
	s.mu.Lock()
	var left int
	if !hour.Equal(s.hour) {
		left, s.hour, s.written, s.dropped = s.dropped, hour, 0, 0
	}
	over := s.written >= s.perHour && r.Level < slog.LevelError
	if over {
		s.dropped++
	}
	s.mu.Unlock()
	if left > 0 {
		said := slog.NewRecord(r.Time, slog.LevelWarn, "log: the last hour's budget was spent; records below ERROR were left out", 0)
		said.AddAttrs(slog.Int("left_out", left), slog.Int64("budget_bytes", s.perHour))
		_ = s.out.Handle(ctx, said)
	}
	if over {
		return nil
	}
	return b.inner.Handle(ctx, r)
}

func (b *budget) WithAttrs(as []slog.Attr) slog.Handler {
	return &budget{inner: b.inner.WithAttrs(as), state: b.state}
}

func (b *budget) WithGroup(name string) slog.Handler {
	return &budget{inner: b.inner.WithGroup(name), state: b.state}
}
