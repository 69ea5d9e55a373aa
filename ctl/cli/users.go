package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"sprinkler/configs/secrets"
	"sprinkler/topics"
)

// userCommands are "user list", "user add", "user set" and "user remove": the embedded
// broker's users, changed in place and in force at once. A password is asked on the
// terminal without echo (or read as one line of stdin), never taken from the command line.
func (a *app) userCommands() *cobra.Command {
	root := &cobra.Command{Use: "user", Aliases: []string{"users"}, Short: "the broker's users: list, add, change a password, role or agents, remove"}
	list := a.simpleSubcommand(topics.CmdUserList, "list", printUsers)

	var role, agents string
	var password bool
	roleHelp := "viewer, operator, admin, agent, homeassistant or device"
	agentsHelp := `the only agents a viewer, operator or homeassistant user may reach, comma-separated ("" for every agent)`

	add := command(topics.CmdUserAdd, "add NAME --role ROLE [--agents ID,ID]")
	add.Args = cobra.ExactArgs(1)
	add.Flags().StringVar(&role, "role", "", roleHelp)
	add.Flags().StringVar(&agents, "agents", "", agentsHelp)
	add.RunE = a.runE(func(ctx context.Context, cmd *cobra.Command, args []string) error {
		if role == "" {
			return usageErr("say the new user's role: --role viewer, operator, admin, agent, homeassistant or device")
		}
		ua, err := a.userArgs(cmd, args[0], true, role, agents)
		if err != nil {
			return err
		}
		return a.requestAndPrint(ctx, topics.CmdUserAdd, ua, printUser)
	})

	set := command(topics.CmdUserSet, "set NAME [--password] [--role ROLE] [--agents ID,ID]")
	set.Args = cobra.ExactArgs(1)
	set.Flags().BoolVar(&password, "password", false, "ask for a new password")
	set.Flags().StringVar(&role, "role", "", roleHelp)
	set.Flags().StringVar(&agents, "agents", "", agentsHelp)
	set.RunE = a.runE(func(ctx context.Context, cmd *cobra.Command, args []string) error {
		if noneChanged(cmd.LocalFlags()) {
			return usageErr("say what to change: --password, --role or --agents")
		}
		ua, err := a.userArgs(cmd, args[0], password, role, agents)
		if err != nil {
			return err
		}
		return a.requestAndPrint(ctx, topics.CmdUserSet, ua, printUser)
	})

	remove := command(topics.CmdUserRemove, "remove NAME")
	remove.Args = cobra.ExactArgs(1)
	remove.RunE = a.runE(func(ctx context.Context, _ *cobra.Command, args []string) error {
		return a.requestAndPrint(ctx, topics.CmdUserRemove, topics.UserArgs{Name: args[0]}, func(w io.Writer, _ json.RawMessage) error {
			_, err := fmt.Fprintf(w, "removed %s: their connections and sign-ins ended\n", args[0])
			return err
		})
	})
	root.AddCommand(list, add, set, remove)
	return root
}

// userArgs are a user command's arguments from its flags; withPassword asks for a new one.
func (a *app) userArgs(cmd *cobra.Command, name string, withPassword bool, role, agents string) (topics.UserArgs, error) {
	ua := topics.UserArgs{Name: name}
	f := cmd.Flags()
	if f.Changed("role") {
		r := topics.Role(role)
		ua.Role = &r
	}
	if f.Changed("agents") {
		ids := []string{}
		for _, id := range strings.Split(agents, ",") {
			if id = strings.TrimSpace(id); id != "" {
				ids = append(ids, id)
			}
		}
		ua.Agents = &ids
	}
	if withPassword {
		if a.stdin == nil { // the interactive shell's lines: its terminal is readline's
			return ua, usageErr("a new password is asked on a terminal or read from stdin: run this outside the shell")
		}
		pw, err := secrets.NewPassword(a.stdin, a.errOut, "password for "+name)
		if err != nil {
			return ua, usageErr("%v", err)
		}
		s := string(pw)
		ua.Password = &s
	}
	return ua, nil
}

func printUsers(w io.Writer, data json.RawMessage) error {
	var us []topics.UserInfo
	if err := json.Unmarshal(data, &us); err != nil {
		return err
	}
	if len(us) == 0 {
		_, err := fmt.Fprintln(w, "no users yet: only this machine's clients connect, without a name (broker.anonymous); "+
			Name+" user add NAME --role ROLE makes one")
		return err
	}
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tROLE\tAGENTS\tKEPT IN")
	for _, u := range us {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", u.Name, u.Role, reach(u), u.In)
	}
	return tw.Flush()
}

func printUser(w io.Writer, data json.RawMessage) error {
	var u topics.UserInfo
	if err := json.Unmarshal(data, &u); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%s: %s of %s, in force now\n", u.Name, u.Role, reach(u))
	return err
}

// reach names what a user may reach: its agents, or, a device, the network valves.
func reach(u topics.UserInfo) string {
	switch {
	case u.Role == topics.RoleDevice:
		return "the network valves"
	case len(u.Agents) == 0:
		return "every agent"
	}
	return strings.Join(u.Agents, ", ")
}
