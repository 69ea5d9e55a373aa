package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/chzyer/readline"

	"sprinkler/ctl/client"
	"sprinkler/topics"
)

// shell is ctl's interactive mode, like the original client: a prompt, the agent's command
// menu, history, tab completion of commands and zone numbers; "close" alone (or "exit", or
// Ctrl-D) leaves. Each line runs as a one-shot ctl command with the same global flags.
func (a *app) shell(ctx context.Context, env Env, stdin io.ReadCloser, globals []string) error {
	c, err := a.dial(ctx)
	if err != nil {
		return classify(err)
	}
	agent, err := a.chooseAgent(ctx, c)
	if err != nil {
		c.Close()
		return classify(err)
	}
	menu, cmds, zones, err := shellMenu(ctx, c, agent)
	c.Close()
	if err != nil {
		return classify(err)
	}
	fmt.Fprintf(a.out, "connected to agent %s on %s; its commands:\n", agent.ID(), a.broker)
	_ = printCommands(a.out, menu)
	fmt.Fprintln(a.out, `type a command as you would after "`+Name+`"; "close" alone leaves`)

	history := ""
	if dir, err := os.UserCacheDir(); err == nil {
		if os.MkdirAll(filepath.Join(dir, "sprinkler"), 0o700) == nil {
			history = filepath.Join(dir, "sprinkler", "ctl_history")
		}
	}
	rl, err := readline.NewEx(&readline.Config{
		Prompt:          fmt.Sprintf("sprinkler(%s)> ", agent.ID()),
		HistoryFile:     history,
		AutoComplete:    completer(cmds, zones),
		InterruptPrompt: "^C",
		EOFPrompt:       "close",
		Stdin:           stdin,
		Stdout:          a.out,
		Stderr:          a.errOut,
	})
	if err != nil {
		return classify(err)
	}
	defer rl.Close()
	for {
		line, err := rl.Readline()
		if errors.Is(err, readline.ErrInterrupt) {
			continue
		}
		if err != nil { // io.EOF: Ctrl-D
			return nil
		}
		words, err := splitWords(line)
		if err != nil {
			fmt.Fprintln(a.errOut, Name+":", err)
			continue
		}
		if len(words) == 0 {
			continue
		}
		if len(words) == 1 && (words[0] == "close" || words[0] == "exit" || words[0] == "quit") {
			return nil
		}
		args := append(append([]string{}, globals...), "--agent", agent.ID())
		if err := Run(ctx, append(args, words...), env, nil, a.out, a.errOut); err != nil {
			fmt.Fprintln(a.errOut, Name+":", err)
		}
	}
}

// shellMenu reads the agent's commands (as sent, and parsed) and its zones, for the shell's
// menu and completion.
func shellMenu(ctx context.Context, c *client.Client, agent topics.Agent) (json.RawMessage, []topics.Command, []int, error) {
	menu, err := c.Request(ctx, agent, topics.CmdCommands, nil)
	if err != nil {
		return nil, nil, nil, err
	}
	var cmds []topics.Command
	if err := json.Unmarshal(menu, &cmds); err != nil {
		return nil, nil, nil, fmt.Errorf("the agent's menu: %v", err)
	}
	var zones []int
	if st, err := c.Request(ctx, agent, topics.CmdStatus, nil); err == nil {
		var s topics.Snapshot
		if json.Unmarshal(st, &s) == nil {
			for _, z := range s.Zones {
				if !z.Master {
					zones = append(zones, z.Zone)
				}
			}
			sort.Ints(zones)
		}
	}
	return menu, cmds, zones, nil
}

// completer completes command names and aliases, and zone numbers after the zone commands.
func completer(cmds []topics.Command, zones []int) readline.AutoCompleter {
	var zoneItems []readline.PrefixCompleterInterface
	for _, z := range zones {
		zoneItems = append(zoneItems, readline.PcItem(strconv.Itoa(z)))
	}
	var items []readline.PrefixCompleterInterface
	for _, c := range cmds {
		for _, name := range append([]string{c.Name}, c.Aliases...) {
			switch c.Name {
			case topics.CmdOpen, topics.CmdToggle:
				items = append(items, readline.PcItem(name, zoneItems...))
			case topics.CmdClose:
				items = append(items, readline.PcItem(name, append(zoneItems, readline.PcItem("all"))...))
			default:
				items = append(items, readline.PcItem(name))
			}
		}
	}
	for _, local := range []string{"agents", "watch", "exit"} {
		items = append(items, readline.PcItem(local))
	}
	return readline.NewPrefixCompleter(items...)
}

// splitWords splits a line into words, keeping "quoted text" together, as the original's
// rlf took quoted strings.
func splitWords(line string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord, quote := false, rune(0)
	for _, r := range line {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '"' || r == '\'':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unclosed quote")
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}
