// Package cli is ctl, the command line of sprinkler: it parses the command, finds the agent,
// sends the request over MQTT, and prints the answer for a person or, with --json, a script.
//
// Exit status: 0 done; 1 the agent answered with an error; 2 usage error (or several agents
// online and none chosen); 3 agent offline or never seen, broker unreachable, or timeout; 4 the
// broker refused the username and password.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/agnivade/levenshtein"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"sprinkler/configs/secrets"
	"sprinkler/ctl/client"
	"sprinkler/topics"
	"sprinkler/version"
)

// Exit statuses.
const (
	ExitOK            = 0
	ExitAgentError    = 1
	ExitUsage         = 2
	ExitUnavailable   = 3
	ExitNotAuthorized = 4
)

// Env is where ctl reads its environment; os.Getenv in production.
type Env func(key string) string

// exitError is an error with the exit status it calls for.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErr(format string, args ...any) error {
	return &exitError{ExitUsage, fmt.Errorf(format, args...)}
}

// ExitCode is the exit status for err, the result of Run.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	if e, ok := errors.AsType[*exitError](err); ok {
		return e.code
	}
	return ExitUsage // cobra's own errors: unknown command or flag, wrong arguments
}

// classify gives an error from talking to the agent its exit status.
func classify(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := errors.AsType[*exitError](err); ok {
		return err
	}
	if e, ok := errors.AsType[*topics.Error](err); ok {
		return &exitError{ExitAgentError, fmt.Errorf("agent: %s [%s]", e.Msg, e.Code)}
	}
	if errors.Is(err, client.ErrNotAuthorized) {
		return &exitError{ExitNotAuthorized, err}
	}
	return &exitError{ExitUnavailable, err}
}

// Name is the command line's name as installed: its help, completion scripts and man pages
// use it, whatever the binary is called.
const Name = "sprinklerctl"

// app holds the global flags of one run.
type app struct {
	broker, agent, prefix string
	username, password    string
	passwordFile          string
	caCert, cert, key     string
	timeout               time.Duration
	json                  bool
	out, errOut           io.Writer
	// stdin is where a missing password is asked for, when it is a terminal; may be nil.
	stdin io.Reader
	// send carries a request to the agent and returns its reply's data; nil: over MQTT. Tests
	// of the commands set it, to run them without a network.
	send func(ctx context.Context, cmd string, args any) (json.RawMessage, error)
	// conn is the run's connection, made at its first request (again once lost), and target
	// the agent its requests go to.
	conn   *client.Client
	target topics.Agent
}

// Command is ctl's command tree as a user's environment env would make it, for what documents
// it at build time (the manual pages), not to run.
func Command(env Env) *cobra.Command {
	a := &app{out: io.Discard, errOut: io.Discard}
	return a.rootCommand(env)
}

// Run runs ctl with args (without the program name). It never exits the process; the caller
// maps the error to an exit status with ExitCode and prints it. Without a command, and with a
// terminal on stdin, it opens the interactive shell; stdin may be nil.
func Run(ctx context.Context, args []string, env Env, stdin io.ReadCloser, stdout, stderr io.Writer) error {
	a := &app{out: stdout, errOut: stderr, stdin: stdin}
	defer a.hangUp()
	root := a.rootCommand(env)
	root.RunE = func(cmd *cobra.Command, rest []string) error {
		if len(rest) > 0 {
			return usageErr("unknown command %q; %s --help lists them", rest[0], Name)
		}
		if _, ok := secrets.Terminal(stdin); !ok {
			return usageErr("no command given; %[1]s --help lists them (on a terminal, %[1]s alone opens a shell)", Name)
		}
		var globals []string
		cmd.Flags().Visit(func(fl *pflag.Flag) { globals = append(globals, "--"+fl.Name+"="+fl.Value.String()) })
		return a.shell(cmd.Context(), env, stdin, globals)
	}
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	return root.ExecuteContext(ctx)
}

func (a *app) rootCommand(env Env) *cobra.Command {
	root := &cobra.Command{
		Use:     Name,
		Short:   "Control sprinkler agents over MQTT",
		Version: version.String(),
		Long: Name + ` sends a command to a sprinkler agent over MQTT and prints its answer.

Flags may stand anywhere, also after the command and its arguments: ` + Name + ` open 3 --for 1m.
Exit status: 0 done; 1 the agent refused; 2 usage error; 3 agent offline or never seen,
broker unreachable, or timeout (always within --timeout); 4 the broker refused the username
and password. With --username and no password, on a terminal, it asks for the password.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	f := root.PersistentFlags()
	f.StringVar(&a.broker, "broker", envOr(env, "SPRINKLER_BROKER", "tcp://127.0.0.1:1883"), "broker URL (env SPRINKLER_BROKER)")
	f.StringVar(&a.agent, "agent", env("SPRINKLER_AGENT"), "agent id; default: the only agent online (env SPRINKLER_AGENT)")
	f.StringVar(&a.prefix, "prefix", envOr(env, "SPRINKLER_MQTT_PREFIX", topics.DefaultPrefix), "topic prefix (env SPRINKLER_MQTT_PREFIX)")
	f.StringVar(&a.username, "username", env("SPRINKLER_USERNAME"), "broker username (env SPRINKLER_USERNAME)")
	a.password = env("SPRINKLER_PASSWORD")
	f.StringVar(&a.passwordFile, "password-file", env("SPRINKLER_PASSWORD_FILE"), "file holding the broker password, not readable by others (env SPRINKLER_PASSWORD_FILE; or SPRINKLER_PASSWORD)")
	f.StringVar(&a.caCert, "cacert", env("SPRINKLER_CACERT"), "CA certificate that signed the broker's (ssl:// brokers; env SPRINKLER_CACERT)")
	f.StringVar(&a.cert, "cert", env("SPRINKLER_CERT"), "client certificate to log in with (env SPRINKLER_CERT)")
	f.StringVar(&a.key, "key", env("SPRINKLER_KEY"), "its private key (env SPRINKLER_KEY)")
	f.DurationVar(&a.timeout, "timeout", 5*time.Second, "give up after this long")
	f.BoolVar(&a.json, "json", false, "print JSON for scripts")
	root.SetFlagErrorFunc(flagError)

	root.AddCommand(
		a.statusCommand(),
		a.zoneCommand(topics.CmdOpen, "open ZONE... [--for DURATION]", true),
		a.zoneCommand(topics.CmdClose, "close ZONE...|all", false),
		a.zoneCommand(topics.CmdToggle, "toggle ZONE... [--for DURATION]", true),
		a.limitsCommand(),
		a.simpleCommand(topics.CmdTime, printTime),
		a.simpleCommand(topics.CmdVersion, printVersion),
		a.simpleCommand(topics.CmdCommands, printCommands),
		a.simpleCommand(topics.CmdWhoami, printWhoami),
		a.clientsCommand(),
		a.agentsCommand(),
		a.watchCommand(),
		a.benchCommand(),
	)
	root.AddCommand(a.runCommands()...)
	root.AddCommand(a.scheduleCommands()...)
	root.AddCommand(a.programCommands(), a.zoneSettingsCommands(), a.siteCommands(), a.configCommands(), a.userCommands())
	root.AddCommand(a.weatherCommands()...)
	root.AddCommand(a.historyCommands()...)
	root.AddCommand(a.systemCommands()...)
	return root
}

// negativeRe matches a "flag" that is a negative number or duration, such as -1m.
var negativeRe = regexp.MustCompile(`unknown shorthand flag: '.' in (-[0-9][0-9.hms]*)$`)

// flagError explains a bad flag: a negative duration says durations are positive, and a
// misspelt flag gets a suggestion, as a misspelt command does.
func flagError(cmd *cobra.Command, err error) error {
	msg := err.Error()
	if m := negativeRe.FindStringSubmatch(msg); m != nil {
		return usageErr("%s: durations are positive", m[1])
	}
	if name, ok := strings.CutPrefix(msg, "unknown flag: --"); ok {
		best, bestD := "", 3
		visit := func(f *pflag.Flag) {
			if d := levenshtein.ComputeDistance(name, f.Name); d < bestD {
				best, bestD = f.Name, d
			}
		}
		cmd.Flags().VisitAll(visit)
		cmd.InheritedFlags().VisitAll(visit)
		if best != "" {
			return usageErr("%s (did you mean --%s?)", msg, best)
		}
	}
	return usageErr("%v", err)
}

func envOr(env Env, key, def string) string {
	if v := env(key); v != "" {
		return v
	}
	return def
}

// command returns a cobra command for the topics command named name, with its aliases and
// summary from the contract.
func command(name, use string) *cobra.Command {
	c, _ := topics.LookupCommand(name)
	return &cobra.Command{Use: use, Short: c.Summary, Aliases: c.Aliases}
}

// runE wraps a command's body: a deadline of --timeout, and errors with exit statuses.
func (a *app) runE(body func(ctx context.Context, cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if a.timeout <= 0 {
			return usageErr("--timeout %v: want a positive duration", a.timeout)
		}
		ctx, cancel := context.WithTimeout(cmd.Context(), a.timeout)
		defer cancel()
		return classify(body(ctx, cmd, args))
	}
}

func (a *app) dial(ctx context.Context) (*client.Client, error) {
	o, err := a.clientOptions()
	if err != nil {
		return nil, err
	}
	return client.Dial(ctx, o)
}

// clientOptions are the broker, prefix and credentials the global flags give.
func (a *app) clientOptions() (client.Options, error) {
	if err := topics.ValidPrefix(a.prefix); err != nil {
		return client.Options{}, usageErr("--prefix: %v", err)
	}
	o := client.Options{Broker: a.broker, Prefix: a.prefix, Username: a.username, Password: a.password}
	if a.passwordFile != "" {
		pw, warning, err := secrets.ReadSecret(a.passwordFile)
		if err != nil {
			return o, usageErr("--password-file: %v", err)
		}
		if warning != "" {
			fmt.Fprintln(a.errOut, Name+": warning:", warning)
		}
		o.Password = pw
	}
	if o.Username != "" && o.Password == "" && a.passwordFile == "" {
		pw, err := a.askPassword(o.Username, o.Broker)
		if err != nil {
			return o, err
		}
		o.Password = pw
	}
	if a.caCert != "" || a.cert != "" {
		tc, err := secrets.ClientTLS(a.caCert, a.cert, a.key)
		if err != nil {
			return o, usageErr("TLS: %v", err)
		}
		o.TLS = tc
	}
	return o, nil
}

// askPassword asks for the password of user on the terminal, without echo, once a run; with no
// terminal there is nothing to ask and the password stays empty.
func (a *app) askPassword(user, broker string) (string, error) {
	f, ok := secrets.Terminal(a.stdin)
	if !ok {
		return "", nil
	}
	fmt.Fprintf(a.errOut, "password for %s at %s: ", user, broker)
	pw, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(a.errOut)
	if err != nil {
		return "", usageErr("reading the password: %v", err)
	}
	a.password = string(pw) // the shell and a second connection ask no more
	return a.password, nil
}

// request sends cmd with args to the chosen agent and returns the reply's data.
func (a *app) request(ctx context.Context, cmd string, args any) (json.RawMessage, error) {
	if a.send != nil {
		return a.send(ctx, cmd, args)
	}
	if a.conn != nil && !a.conn.Open() { // lost while an editor was open, say: a new one
		a.hangUp()
	}
	if a.conn == nil {
		c, err := a.dial(ctx)
		if err != nil {
			return nil, err
		}
		agent, err := a.chooseAgent(ctx, c)
		if err != nil {
			c.Close()
			return nil, err
		}
		a.conn, a.target = c, agent
	}
	return a.conn.Request(ctx, a.target, cmd, args)
}

// hangUp closes the run's connection, if it made one.
func (a *app) hangUp() {
	if a.conn != nil {
		a.conn.Close()
		a.conn = nil
	}
}

// chooseAgent returns --agent, or the only agent online.
func (a *app) chooseAgent(ctx context.Context, c *client.Client) (topics.Agent, error) {
	if a.agent != "" {
		t, err := topics.NewAgent(a.prefix, a.agent)
		if err != nil {
			return topics.Agent{}, usageErr("--agent: %v", err)
		}
		return t, nil
	}
	all, err := c.Agents(ctx)
	if err != nil {
		return topics.Agent{}, err
	}
	var online, offline []string
	for _, p := range all {
		if p.Status == topics.Online {
			online = append(online, p.Agent)
		} else {
			offline = append(offline, p.Agent)
		}
	}
	switch {
	case len(online) == 1:
		return topics.NewAgent(a.prefix, online[0])
	case len(online) > 1:
		return topics.Agent{}, usageErr("%d agents are online (%s); choose one with --agent or SPRINKLER_AGENT", len(online), strings.Join(online, ", "))
	case len(offline) > 0:
		return topics.Agent{}, fmt.Errorf("%w: no agent online (offline: %s)", client.ErrOffline, strings.Join(offline, ", "))
	}
	return topics.Agent{}, fmt.Errorf("%w: no agent has ever announced itself on %s", client.ErrUnknownAgent, a.broker)
}

// printJSON writes data indented, for --json.
func (a *app) printJSON(data any) error {
	enc := json.NewEncoder(a.out)
	enc.SetIndent("", "  ")
	return enc.Encode(data)
}

// simpleCommand is a command without arguments whose reply print formats.
func (a *app) simpleCommand(name string, print func(io.Writer, json.RawMessage) error) *cobra.Command {
	return a.simpleSubcommand(name, name, print)
}

// simpleSubcommand is simpleCommand spelt use, as under a parent command ("program list").
func (a *app) simpleSubcommand(name, use string, print func(io.Writer, json.RawMessage) error) *cobra.Command {
	c := command(name, use)
	c.Args = noArgs
	c.RunE = a.runE(func(ctx context.Context, _ *cobra.Command, _ []string) error {
		return a.requestAndPrint(ctx, name, nil, print)
	})
	return c
}

func noArgs(_ *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageErr("unexpected argument %q", args[0])
	}
	return nil
}

// parseZones reads zone arguments: numbers separated by spaces or commas, or "all" when
// allowed.
func parseZones(args []string, allowAll bool) (topics.Zones, error) {
	var zones []int
	for _, arg := range args {
		for f := range strings.FieldsFuncSeq(arg, func(r rune) bool { return r == ',' }) {
			if strings.EqualFold(f, "all") {
				if !allowAll || len(args) > 1 {
					return topics.Zones{}, usageErr(`"all" stands alone, and only with close`)
				}
				return topics.AllZones, nil
			}
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 1 {
				return topics.Zones{}, usageErr("%q is not a zone number", f)
			}
			zones = append(zones, n)
		}
	}
	if len(zones) == 0 {
		return topics.Zones{}, usageErr("name at least one zone")
	}
	return topics.ZoneList(zones...), nil
}

// parseFor reads the duration what names (--for, a pause, a run-once step): 90s, 10m or
// 1h30m, or a plain number of minutes, from a second to the contract's longest.
func parseFor(what, s string) (time.Duration, error) {
	written := s
	if m, err := strconv.ParseFloat(s, 64); err == nil {
		s = strconv.FormatFloat(m, 'f', -1, 64) + "m"
	}
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		return 0, usageErr("%s %q is not a duration: want one such as 90s, 10m or 1h30m, or minutes", what, written)
	case d < time.Second || d > topics.MaxDuration:
		return 0, usageErr("%s %s: want from 1s to %v (a zone's max_duration caps a run further)", what, written, topics.MaxDuration)
	}
	return d, nil
}
