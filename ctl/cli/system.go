package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"sprinkler/topics"
)

// systemCommands are the operator's commands: logs, health, shutdown and reboot.
func (a *app) systemCommands() []*cobra.Command {
	logCmd := func(name string) *cobra.Command {
		c := command(name, name+" [--lines N] [--grep TEXT]...")
		var lines int
		var grep []string
		c.Flags().IntVar(&lines, "lines", 50, "how many lines")
		c.Flags().StringArrayVar(&grep, "grep", nil, "only lines containing this text (repeat for more)")
		c.Args = func(_ *cobra.Command, args []string) error {
			grep = append(grep, args...) // the original's rlf took the texts as arguments
			return nil
		}
		c.RunE = a.runE(func(ctx context.Context, _ *cobra.Command, _ []string) error {
			return a.requestAndPrint(ctx, name, topics.LogArgs{Lines: &lines, Grep: grep}, printLog)
		})
		return c
	}
	return []*cobra.Command{
		logCmd(topics.CmdLogs),
		logCmd(topics.CmdErrors),
		a.simpleCommand(topics.CmdClearLogs, printDone("log cleared")),
		a.simpleCommand(topics.CmdClearErrors, printDone("error log cleared")),
		a.simpleCommand(topics.CmdHealth, printHealth),
		a.simpleCommand(topics.CmdShutdown, printDone("the agent is stopping; every relay is off")),
		a.simpleCommand(topics.CmdReboot, printDone("the agent is stopping and will reboot the machine")),
		a.simpleCommand(topics.CmdFail, printDone("no error was raised")),
	}
}

func printDone(msg string) func(io.Writer, json.RawMessage) error {
	return func(w io.Writer, _ json.RawMessage) error {
		_, err := fmt.Fprintln(w, msg)
		return err
	}
}

// printLog prints the agent's log lines readably: time, level, message, then the other fields
// as key=value in the order they were written. A line that is not a JSON record stays as it is.
func printLog(w io.Writer, data json.RawMessage) error {
	var r topics.LogReply
	if err := json.Unmarshal(data, &r); err != nil {
		return err
	}
	for _, l := range r.Lines {
		fmt.Fprintln(w, readableLog(l))
	}
	return nil
}

// readableLog turns one slog JSON record into "2026-12-02 04:43:44 INFO message key=value ...".
func readableLog(line string) string {
	dec := json.NewDecoder(strings.NewReader(line))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return line
	}
	var when, level, msg string
	var fields []string
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return line
		}
		var v any
		if err := dec.Decode(&v); err != nil {
			return line
		}
		text := fmt.Sprint(v)
		if _, ok := v.(string); !ok {
			b, _ := json.Marshal(v)
			text = string(b)
		}
		switch k {
		case "time":
			when = text
			if t, err := time.Parse(time.RFC3339Nano, text); err == nil {
				when = t.Local().Format(time.DateTime)
			}
		case "level":
			level = text
		case "msg":
			msg = text
		default:
			if text == "" || strings.ContainsAny(text, " =\"") {
				text = strconv.Quote(text)
			}
			fields = append(fields, fmt.Sprintf("%s=%s", k, text))
		}
	}
	return strings.TrimSpace(fmt.Sprintf("%s %-5s %s %s", when, level, msg, strings.Join(fields, " ")))
}

func printWhoami(w io.Writer, data json.RawMessage) error {
	var r topics.WhoamiReply
	if err := json.Unmarshal(data, &r); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "client %s, role %s\n", r.ClientID, cmp.Or(r.Role, "unknown"))
	return err
}

func printHealth(w io.Writer, data json.RawMessage) error {
	var h topics.Health
	if err := json.Unmarshal(data, &h); err != nil {
		return err
	}
	if h.CPUTempC != nil {
		fmt.Fprintf(w, "CPU temperature  %.1f °C\n", *h.CPUTempC)
	} else {
		fmt.Fprintln(w, "CPU temperature  unknown (no thermal sensor here)")
	}
	flags := strings.Join(h.Flags, ", ")
	if flags == "" && h.Throttled != "unknown" {
		flags = "none"
	}
	fmt.Fprintf(w, "throttled        %s %s\n", h.Throttled, flags)
	fmt.Fprintf(w, "uptime           %v (agent %v)\n", seconds(h.UptimeS).Round(time.Second), seconds(h.AgentUptimeS).Round(time.Second))
	if h.MemTotalB > 0 {
		fmt.Fprintf(w, "memory           %d MiB available of %d MiB\n", h.MemAvailableB>>20, h.MemTotalB>>20)
	} else {
		fmt.Fprintln(w, "memory           unknown")
	}
	if h.DiskFreeB > 0 {
		fmt.Fprintf(w, "disk free        %d MiB\n", h.DiskFreeB>>20)
	} else {
		fmt.Fprintln(w, "disk free        unknown")
	}
	if h.BrokerClients != nil {
		fmt.Fprintf(w, "broker clients   %d\n", *h.BrokerClients)
	} else {
		fmt.Fprintln(w, "broker clients   unknown (the broker is not the agent's own)")
	}
	last := h.LastError
	if last == "" {
		last = "none"
	}
	fmt.Fprintf(w, "last error       %s\n", last)
	if len(h.Problems) == 0 {
		fmt.Fprintln(w, "problems         none")
	}
	for _, p := range h.Problems {
		fmt.Fprintf(w, "PROBLEM          %s\n", p)
	}
	return nil
}
