// Package logs is the agent's log: structured records (log/slog) as text on the terminal and
// as JSON in a file that rotates by size with a bounded number of old files, so an SD card
// never fills; errors also go to an error log of their own. It reads them back for the logs
// and errors commands.
package logs

import (
	"bufio"
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"gopkg.in/natefinch/lumberjack.v2"
)

// Config says where the logs go.
type Config struct {
	Level    slog.Level
	Format   string // of the terminal: "text" or "json"
	File     string // the log file; "" for none. Errors go to errors.log beside it.
	MaxSize  int    // megabytes a file grows to before it rotates
	MaxFiles int    // rotated files kept, beside the current one
}

// Logs is the agent's log.
type Logs struct {
	// Logger writes to every destination.
	Logger *slog.Logger

	cfg     Config
	file    *lumberjack.Logger
	errFile *lumberjack.Logger
	lastErr *lastError
}

// Open opens the log files (when configured) and returns the logger over them and term.
func Open(cfg Config, term io.Writer) (*Logs, error) {
	l := &Logs{cfg: cfg, lastErr: &lastError{}}
	opts := &slog.HandlerOptions{Level: cfg.Level, ReplaceAttr: readable}
	var console slog.Handler = slog.NewTextHandler(term, opts)
	if cfg.Format == "json" {
		console = slog.NewJSONHandler(term, opts)
	}
	handlers := []slog.Handler{console, l.lastErr}
	if cfg.File != "" {
		if err := os.MkdirAll(filepath.Dir(cfg.File), 0o700); err != nil {
			return nil, err
		}
		l.file = &lumberjack.Logger{Filename: cfg.File, MaxSize: cfg.MaxSize, MaxBackups: cfg.MaxFiles}
		l.errFile = &lumberjack.Logger{Filename: l.ErrorsPath(), MaxSize: cfg.MaxSize, MaxBackups: cfg.MaxFiles}
		handlers = append(handlers,
			newBudget(l.file, opts, int64(cfg.MaxSize)<<20*int64(cfg.MaxFiles+1)/24),
			slog.NewJSONHandler(l.errFile, &slog.HandlerOptions{Level: slog.LevelError, ReplaceAttr: readable}))
	}
	l.Logger = slog.New(slog.NewMultiHandler(handlers...))
	return l, nil
}

// readable writes a duration as people read it ("1m0s"), in JSON too, where it would be a
// count of nanoseconds.
func readable(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindDuration {
		a.Value = slog.StringValue(a.Value.Duration().String())
	}
	return a
}

// ErrorsPath is the error log's file.
func (l *Logs) ErrorsPath() string {
	if l.cfg.File == "" {
		return ""
	}
	return filepath.Join(filepath.Dir(l.cfg.File), "errors.log")
}

// Close closes the files.
func (l *Logs) Close() error {
	if l.file == nil {
		return nil
	}
	return errors.Join(l.file.Close(), l.errFile.Close())
}

// ErrNoFile means the log is not kept in a file, so there is nothing to read back.
var ErrNoFile = errors.New("the log is not kept in a file (log.file is empty)")

// Tail returns the last n lines of the log that contain every string of grep, oldest first;
// n <= 0 means all.
func (l *Logs) Tail(n int, grep []string) ([]string, error) { return l.tail(l.cfg.File, n, grep) }

// Errors returns the last n lines of the error log.
func (l *Logs) Errors(n int, grep []string) ([]string, error) { return l.tail(l.ErrorsPath(), n, grep) }

func (l *Logs) tail(path string, n int, grep []string) ([]string, error) {
	if path == "" {
		return nil, ErrNoFile
	}
	var lines []string
	for _, f := range generations(path) {
		fh, err := os.Open(f)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			if matches(sc.Text(), grep) {
				lines = append(lines, sc.Text())
			}
		}
		_ = fh.Close()
	}
	if n > 0 && len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines, nil
}

func matches(line string, grep []string) bool {
	for _, g := range grep {
		if !strings.Contains(line, g) {
			return false
		}
	}
	return true
}

// generations lists a log's files oldest first: rotated ones (name-<time>.ext), then path.
func generations(path string) []string {
	ext := filepath.Ext(path)
	prefix := strings.TrimSuffix(filepath.Base(path), ext) + "-"
	entries, _ := os.ReadDir(filepath.Dir(path))
	var old []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) && strings.HasSuffix(e.Name(), ext) {
			old = append(old, filepath.Join(filepath.Dir(path), e.Name()))
		}
	}
	sort.Strings(old) // the timestamps in the names sort by time
	return append(old, path)
}

// Clear empties the log: the current file starts afresh and rotated files are removed.
func (l *Logs) Clear() error { return empty(l.file, l.cfg.File) }

// ClearErrors empties the error log.
func (l *Logs) ClearErrors() error {
	l.lastErr.set("")
	return empty(l.errFile, l.ErrorsPath())
}

func empty(lj *lumberjack.Logger, path string) error {
	if lj == nil {
		return ErrNoFile
	}
	if err := lj.Rotate(); err != nil {
		return err
	}
	var errs []error
	for _, f := range generations(path) {
		if f != path {
			errs = append(errs, os.Remove(f))
		}
	}
	return errors.Join(errs...)
}

// LastError is the message of the last error logged since start or ClearErrors.
func (l *Logs) LastError() string { return l.lastErr.get() }

// lastError is a handler that remembers the last error record.
type lastError struct {
	mu  sync.Mutex
	msg string
}

func (h *lastError) Enabled(_ context.Context, lvl slog.Level) bool { return lvl >= slog.LevelError }

func (h *lastError) Handle(_ context.Context, r slog.Record) error {
	msg := r.Time.UTC().Format("2006-01-02T15:04:05Z") + " " + r.Message
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "err" {
			msg += ": " + a.Value.String()
		}
		return true
	})
	h.set(msg)
	return nil
}

func (h *lastError) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *lastError) WithGroup(string) slog.Handler      { return h }

func (h *lastError) set(s string) {
	h.mu.Lock()
	h.msg = s
	h.mu.Unlock()
}

func (h *lastError) get() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.msg
}
