// Package configs holds the shipped configuration files and reads them: one YAML file whose
// scalar keys SPRINKLER_<SECTION>_<KEY> environment variables override, decoded strictly into
// the caller's struct, with every error naming the file, the line and the key.
package configs

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/agnivade/levenshtein"
	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/viper"
	"go.yaml.in/yaml/v3"
)

// EnvPrefix starts every environment variable that overrides a key.
const EnvPrefix = "SPRINKLER"

// DefaultPaths are where the programs look for their configuration file when given none, in
// order: a checkout's own, then the one the package installs.
var DefaultPaths = []string{"configs/agent.yaml", "/etc/sprinkler/agent.yaml"}

// EnvName is the environment variable that overrides key: "broker.listen" → SPRINKLER_BROKER_LISTEN.
func EnvName(key string) string {
	return EnvPrefix + "_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// KeyError is a problem with one key of a configuration. Key is the path as written in the
// file, with list positions: "zones[2].line".
type KeyError struct {
	File string // the file, when known
	Line int    // the line in File, 0 when the key is not in it
	Env  string // the environment variable that set it, if one did
	Key  string
	// Shown is the key as the message shows it, when it differs from Key: a list entry named
	// by what identifies it ("zones[id 3].line") rather than its 0-based position.
	Shown string
	Msg   string
}

func (e *KeyError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			b.WriteString(":" + strconv.Itoa(e.Line))
		}
		b.WriteString(": ")
	}
	if e.Key != "" {
		b.WriteString(cmp.Or(e.Shown, e.Key))
		if e.Env != "" {
			b.WriteString(" (from " + e.Env + ")")
		}
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errorf returns a *KeyError for key.
func Errorf(key, format string, args ...any) error {
	return &KeyError{Key: key, Msg: fmt.Sprintf(format, args...)}
}

// EntryErrorf returns a *KeyError for field of the list entry key (such as "zones[2]"), shown
// as the entry's name when it has one ("zones[id 3]"), else by its position counted from 1.
func EntryErrorf(key, name, field, format string, args ...any) error {
	shown := name
	if shown == "" {
		list, i, _ := strings.Cut(strings.TrimSuffix(key, "]"), "[")
		n, _ := strconv.Atoi(i)
		shown = fmt.Sprintf("%s[entry %d]", list, n+1)
	}
	return &KeyError{Key: key + "." + field, Shown: shown + "." + field, Msg: fmt.Sprintf(format, args...)}
}

// File is a configuration file that was read; it places key errors at their lines.
type File struct {
	Path string // "" when no file was read and only defaults and the environment count
	// Warnings are what the program should say at start-up: no file where one was looked
	// for, a SPRINKLER_* variable that names no key.
	Warnings []string
	root     *yaml.Node
}

// Load reads the YAML file at path into dst (a pointer to a struct with mapstructure tags),
// over defaults (flat dotted keys) and under environment overrides. A missing file is an error
// when required; otherwise the defaults and the environment alone count. Keys the struct does
// not have, and values of the wrong type, are errors naming file, line and key.
func Load(path string, required bool, defaults map[string]any, dst any) (*File, error) {
	v := viper.New()
	v.AllowEmptyEnv(true) // SPRINKLER_WEB_LISTEN= turns the page off, as an empty key does
	for k, val := range defaults {
		v.SetDefault(k, val)
		// Each key's own variable, and no other: a variable that names a section (sprinklerctl's
		// SPRINKLER_BROKER) would otherwise stand for the whole section and empty its keys.
		_ = v.BindEnv(k, EnvName(k))
	}
	f := &File{}
	if path != "" {
		src, err := os.ReadFile(path)
		switch {
		case errors.Is(err, fs.ErrNotExist) && !required:
			abs, _ := filepath.Abs(path)
			f.Warnings = append(f.Warnings, fmt.Sprintf("no configuration file at %s: running on the built-in defaults and SPRINKLER_* variables "+
				"(name one with --config)", abs))
		case err != nil:
			return nil, fmt.Errorf("config: %w", err)
		default:
			f.Path = path
			var doc yaml.Node
			if err := yaml.Unmarshal(src, &doc); err != nil {
				return nil, syntaxError(path, src, err)
			}
			f.root = &doc
			v.SetConfigFile(path)
			v.SetConfigType("yaml")
			if err := v.ReadInConfig(); err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
		}
	}
	err := v.UnmarshalExact(dst, func(c *mapstructure.DecoderConfig) { c.ErrorUnset = false })
	if err != nil {
		return nil, f.Locate(decodeErrors(err))
	}
	f.Warnings = append(f.Warnings, unknownEnv(v.AllKeys(), os.Environ())...)
	return f, nil
}

// unknownEnv reports the SPRINKLER_* variables of environ that look meant for a key of keys
// but name none (a typo such as SPRINKLER_BROKER_LISTN), with the nearest key's variable. A
// variable of a section that keys do not have (another program's, such as ctl's
// SPRINKLER_PASSWORD) is reported only when its section is a near miss of one.
func unknownEnv(keys, environ []string) []string {
	known := map[string]bool{}
	sections := map[string]bool{}
	for _, k := range keys {
		known[EnvName(k)] = true
		sections[EnvName(strings.SplitN(k, ".", 2)[0])] = true
	}
	var out []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, EnvPrefix+"_") || known[name] || sections[name] {
			continue
		}
		meant := false
		for sec := range sections {
			if strings.HasPrefix(name, sec+"_") || distance(strings.SplitN(name, "_", 3)[:2], sec) <= 2 {
				meant = true
			}
		}
		if !meant {
			continue
		}
		best, bestD := "", 4
		for k := range known {
			if d := levenshtein.ComputeDistance(name, k); d < bestD {
				best, bestD = k, d
			}
		}
		msg := name + " names no configuration key; it is ignored"
		if best != "" {
			msg += "; did you mean " + best + "?"
		}
		out = append(out, msg)
	}
	slices.Sort(out)
	return out
}

// distance is the edit distance between a variable's first two parts (SPRINKLER, SECTION)
// joined and a section's variable.
func distance(parts []string, section string) int {
	return levenshtein.ComputeDistance(strings.Join(parts, "_"), section)
}

// syntaxError names the line a YAML syntax error is on. The parser reports some errors (a
// mis-indented key, say) at the line where the enclosing block began, which may be a comment
// far above; the first line whose addition makes the file unreadable is the one to show.
func syntaxError(path string, src []byte, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if _, rest, ok := strings.Cut(msg, ": "); ok && strings.HasPrefix(msg, "line ") {
		msg = rest
	}
	lines := strings.SplitAfter(string(src), "\n")
	fails := func(n int) bool {
		var doc yaml.Node
		return yaml.Unmarshal([]byte(strings.Join(lines[:n], "")), &doc) != nil
	}
	// A line where the file stops being readable: the first n lines read, the first n+1 do not
	// (found by bisection: a file of any length costs a few parses).
	lo, hi := 0, len(lines) // the first lo lines read; the first hi do not
	for hi-lo > 1 {
		if mid := (lo + hi) / 2; fails(mid) {
			hi = mid
		} else {
			lo = mid
		}
	}
	if hi >= 1 && hi <= len(lines) && fails(hi) {
		err := fmt.Errorf("%s:%d: %s: %q", path, hi, msg, strings.TrimRight(lines[hi-1], "\r\n"))
		if prev := previousLine(lines, hi); prev > 0 && strings.Contains(msg, "expected") {
			err = fmt.Errorf("%w (or line %d above it is indented wrongly)", err, prev)
		}
		return err
	}
	return fmt.Errorf("%s: %s", path, msg)
}

// previousLine is the number of the last line before line n that holds more than a comment,
// or 0.
func previousLine(lines []string, n int) int {
	for i := n - 1; i >= 1; i-- {
		if t := strings.TrimSpace(lines[i-1]); t != "" && !strings.HasPrefix(t, "#") {
			return i
		}
	}
	return 0
}

var (
	unusedRe = regexp.MustCompile(`^'([^']*)' has invalid keys: (.+)$`)
	keyedRe  = regexp.MustCompile(`^'([^']+)' (.+)$`)
)

// decodeErrors turns viper's and mapstructure's decode errors into KeyErrors.
func decodeErrors(err error) error {
	var out []error
	for line := range strings.SplitSeq(err.Error(), "\n") {
		line = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "*"))
		if line == "" || strings.HasPrefix(line, "decoding failed") || strings.HasSuffix(line, "error(s):") {
			continue
		}
		if m := unusedRe.FindStringSubmatch(line); m != nil {
			for k := range strings.SplitSeq(m[2], ",") {
				key := strings.TrimSpace(k)
				if m[1] != "" {
					key = m[1] + "." + key
				}
				out = append(out, &KeyError{Key: key, Msg: "unknown key"})
			}
			continue
		}
		if m := keyedRe.FindStringSubmatch(line); m != nil {
			out = append(out, &KeyError{Key: m[1], Msg: m[2]})
			continue
		}
		out = append(out, errors.New(line))
	}
	if len(out) == 0 {
		return err
	}
	return errors.Join(out...)
}

// Locate fills in file, line and environment variable of every KeyError in err (a single error
// or an errors.Join of them) and returns the result; other errors pass unchanged.
func (f *File) Locate(err error) error {
	if err == nil {
		return nil
	}
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	out := make([]error, 0, len(errs))
	for _, e := range errs {
		if ke, ok := errors.AsType[*KeyError](e); ok {
			c := *ke
			value := ""
			if env := EnvName(stripIndexes(c.Key)); os.Getenv(env) != "" && !strings.Contains(c.Key, "[") {
				c.Env, value = env, os.Getenv(env)
			} else if f != nil {
				c.File = f.Path
				c.Line = f.line(c.Key)
				value = f.value(c.Key)
			}
			c.Msg = typeMessage(c.Msg, value)
			e = &c
		}
		out = append(out, e)
	}
	if len(out) == 1 {
		return out[0]
	}
	return errors.Join(out...)
}

// typeNames say what a value of each Go type is written as.
var typeNames = map[string]string{
	"int": "a whole number", "int64": "a whole number", "uint": "a whole number", "uint16": "a whole number",
	"uint32": "a whole number", "float64": "a number", "bool": "true or false",
	"time.Duration": "a duration such as 90s, 10m or 1h30m", "string": "a string",
}

var typeRe = regexp.MustCompile(`(?:cannot parse value as|expected type) '([^']+)'`)

// typeMessage turns a decoder's message about a value of the wrong type into one that quotes
// the value and says what is wanted: "two" is not a whole number.
func typeMessage(msg, value string) string {
	m := typeRe.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	want := cmp.Or(typeNames[m[1]], m[1])
	if value == "" {
		return "not " + want
	}
	return fmt.Sprintf("%q is not %s", value, want)
}

var indexRe = regexp.MustCompile(`\[\d+\]`)

func stripIndexes(key string) string { return indexRe.ReplaceAllString(key, "") }

// value returns the scalar written for key in the file, or "".
func (f *File) value(key string) string {
	if f == nil || f.root == nil || len(f.root.Content) == 0 {
		return ""
	}
	n := f.root.Content[0]
	for _, part := range keyParts(key) {
		if n, _ = child(n, part); n == nil {
			return ""
		}
	}
	if n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

// line finds the line of key ("zones[2].line") in the file, or of its nearest ancestor present.
func (f *File) line(key string) int {
	if f == nil || f.root == nil || len(f.root.Content) == 0 {
		return 0
	}
	n := f.root.Content[0]
	found := n.Line
	for _, part := range keyParts(key) {
		next, line := child(n, part)
		if next == nil {
			break
		}
		n, found = next, line
	}
	return found
}

// keyParts splits "zones[2].line" into "zones", "[2]", "line".
func keyParts(key string) []string {
	var parts []string
	for p := range strings.SplitSeq(key, ".") {
		name, idx, ok := strings.Cut(p, "[")
		if name != "" {
			parts = append(parts, name)
		}
		for ok {
			var i string
			i, idx, _ = strings.Cut(idx, "]")
			parts = append(parts, "["+i+"]")
			_, idx, ok = strings.Cut(idx, "[")
		}
	}
	return parts
}

// child returns the node under n for a key part, a mapping key's value (matched without regard
// to case, as viper does) or a sequence element "[i]", and the line where that part is written.
func child(n *yaml.Node, part string) (*yaml.Node, int) {
	if strings.HasPrefix(part, "[") {
		i, err := strconv.Atoi(strings.Trim(part, "[]"))
		if n.Kind != yaml.SequenceNode || err != nil || i < 0 || i >= len(n.Content) {
			return nil, 0
		}
		return n.Content[i], n.Content[i].Line
	}
	if n.Kind != yaml.MappingNode {
		return nil, 0
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if strings.EqualFold(n.Content[i].Value, part) {
			return n.Content[i+1], n.Content[i].Line
		}
	}
	return nil, 0
}

// PathFlag registers --config on fs. After parsing, the returned function gives the path and
// whether it was named on the command line: a named file must exist. Unnamed, it is the first
// of DefaultPaths that exists, else the first, which may be absent.
func PathFlag(fs *flag.FlagSet, usage string) func() (path string, required bool) {
	path := fs.String("config", "", usage+" (default: "+strings.Join(DefaultPaths, ", else ")+")")
	return func() (string, bool) {
		if *path != "" {
			return *path, true
		}
		for _, p := range DefaultPaths {
			if _, err := os.Stat(p); err == nil {
				return p, false
			}
		}
		return DefaultPaths[0], false
	}
}

// Resolve returns path taken from the configuration file's folder when it is relative, as
// the files a configuration names are meant; an empty path stays empty.
func (f *File) Resolve(path string) string {
	if path == "" || filepath.IsAbs(path) || f == nil || f.Path == "" {
		return path
	}
	return filepath.Join(filepath.Dir(f.Path), path)
}
