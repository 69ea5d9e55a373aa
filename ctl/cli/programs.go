package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"sprinkler/topics"
)

// programCommands are "program list|show|edit|apply|delete|rename|history|restore": the
// schedule's programs (profiles) read and changed as documents.
func (a *app) programCommands() *cobra.Command {
	root := &cobra.Command{Use: "program", Aliases: []string{"programs"}, Short: "read and change the schedule's programs (profiles)"}

	list := a.simpleSubcommand(topics.CmdProgramList, "list", printProgramList)

	show := command(topics.CmdProgramGet, "show NAME")
	show.Args = cobra.ExactArgs(1)
	show.RunE = a.runE(func(ctx context.Context, _ *cobra.Command, args []string) error {
		return a.requestAndPrint(ctx, topics.CmdProgramGet, topics.ProgramArgs{Name: args[0]}, printProgramYAML)
	})

	edit := &cobra.Command{Use: "edit NAME", Args: cobra.ExactArgs(1),
		Short: "edit a program as YAML in $EDITOR; it is checked when saved, and opened again with the error when refused"}
	edit.RunE = func(cmd *cobra.Command, args []string) error { return classify(a.editProgram(cmd.Context(), args[0])) }

	apply := &cobra.Command{Use: "apply -f FILE", Args: noArgs, Short: "create or replace a program from a YAML or JSON file (- for stdin); its revision, if any, must be current"}
	var file string
	apply.Flags().StringVarP(&file, "file", "f", "", "the program, as program show prints it")
	apply.RunE = a.runE(func(ctx context.Context, _ *cobra.Command, _ []string) error {
		doc, err := readProgram(file)
		if err != nil {
			return err
		}
		return a.requestAndPrint(ctx, topics.CmdProgramPut, topics.ProgramArgs{Program: &doc}, printProgramSaved)
	})

	var revision string
	del := command(topics.CmdProgramDelete, "delete NAME [--revision R]")
	del.Args = cobra.ExactArgs(1)
	del.Flags().StringVar(&revision, "revision", "", "the revision read (default: the current one)")
	del.RunE = a.runE(func(ctx context.Context, _ *cobra.Command, args []string) error {
		rev, err := a.revision(ctx, args[0], revision)
		if err != nil {
			return err
		}
		return a.requestAndPrint(ctx, topics.CmdProgramDelete, topics.ProgramArgs{Name: args[0], Revision: rev}, func(w io.Writer, _ json.RawMessage) error {
			_, err := fmt.Fprintf(w, "deleted %s\n", args[0])
			return err
		})
	})

	rename := command(topics.CmdProgramRename, "rename NAME NEW-NAME [--revision R]")
	rename.Args = cobra.ExactArgs(2)
	rename.Flags().StringVar(&revision, "revision", "", "the revision read (default: the current one)")
	rename.RunE = a.runE(func(ctx context.Context, _ *cobra.Command, args []string) error {
		rev, err := a.revision(ctx, args[0], revision)
		if err != nil {
			return err
		}
		return a.requestAndPrint(ctx, topics.CmdProgramRename, topics.ProgramArgs{Name: args[0], NewName: args[1], Revision: rev}, printProgramSaved)
	})

	history := a.simpleSubcommand(topics.CmdProgramVersions, "history", printProgramVersions)

	restore := command(topics.CmdProgramRestore, "restore VERSION")
	restore.Args = cobra.ExactArgs(1)
	restore.RunE = a.runE(func(ctx context.Context, _ *cobra.Command, args []string) error {
		v, err := versionArg(args[0], "program history")
		if err != nil {
			return err
		}
		return a.requestAndPrint(ctx, topics.CmdProgramRestore, topics.ProgramArgs{Version: v}, printProgramList)
	})

	preview := command(topics.CmdProgramPreview, "preview -f FILE [--hours 168]")
	var hours float64
	preview.Args = noArgs
	preview.Flags().StringVarP(&file, "file", "f", "", "the program, as program show prints it")
	preview.Flags().Float64Var(&hours, "hours", 168, "how far ahead")
	preview.RunE = a.runE(func(ctx context.Context, _ *cobra.Command, _ []string) error {
		doc, err := readProgram(file)
		if err != nil {
			return err
		}
		return a.requestAndPrint(ctx, topics.CmdProgramPreview, topics.ProgramArgs{Program: &doc, Hours: hours}, nextPrinter(a.agentZone(ctx)))
	})

	root.AddCommand(list, show, edit, apply, preview, del, rename, history, restore)
	return root
}

// versionArg reads a kept version's number; lister is the command that lists them.
func versionArg(s, lister string) (int, error) {
	var v int
	if _, err := fmt.Sscan(s, &v); err != nil || v < 1 {
		return 0, usageErr("%q is not a version number (%s lists them)", s, lister)
	}
	return v, nil
}

// revision is rev when given, else the program's current revision.
func (a *app) revision(ctx context.Context, name, rev string) (string, error) {
	if rev != "" {
		return rev, nil
	}
	data, err := a.request(ctx, topics.CmdProgramGet, topics.ProgramArgs{Name: name})
	if err != nil {
		return "", err
	}
	var d topics.ProgramDoc
	if err := json.Unmarshal(data, &d); err != nil {
		return "", err
	}
	return d.Revision, nil
}

// editHeader starts the file the editor opens; lines starting with # are ignored.
const editHeader = `# Edit the program, save and quit; it is checked when saved. An empty file cancels.
# Days: mon..sun, 1-31, last, 2026-07-04, or alone: all, even, odd, none, every 3 days from 2026-04-01.
# Runs: {at: "06:00" or sunrise-30m / sunset+15m, for: 10m}, optionally times: 3 and every: 1h.
# Leave revision as it is: it says which version you edited.
`

// editProgram opens the program in $EDITOR until the agent takes it or the person cancels (an
// empty file or no change). A text the agent refuses opens again with the reason on top; an
// edit another client's save overtook opens again with their changes shown and the person's
// text kept. Each request has its own --timeout; the editor has none.
func (a *app) editProgram(ctx context.Context, name string) error {
	var doc topics.ProgramDoc
	err := a.withTimeout(ctx, func(ctx context.Context) error {
		data, err := a.request(ctx, topics.CmdProgramGet, topics.ProgramArgs{Name: name})
		if err != nil {
			return err
		}
		return json.Unmarshal(data, &doc)
	})
	if e, ok := errors.AsType[*topics.Error](err); ok && e.Code == topics.CodeBadRequest && strings.HasPrefix(e.Msg, "no program") {
		doc = topics.ProgramDoc{Name: name, Zones: []topics.ProgramZone{{Zone: 1, Days: []string{"mon", "thu"}, Runs: []topics.ProgramRun{{At: "06:00", For: "10m"}}}}}
		err = nil
	}
	if err != nil {
		return err
	}
	body, err := yaml.Marshal(doc)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp("", "sprinkler-program-*.yaml")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	f.Close()
	text := editHeader + string(body)
	overtaken := false // the text stands at the revision of a save that overtook the person's
	for {
		if err := os.WriteFile(f.Name(), []byte(text), 0o600); err != nil {
			return err
		}
		if err := runEditor(f.Name()); err != nil {
			return err
		}
		edited, err := os.ReadFile(f.Name())
		if err != nil {
			return err
		}
		if !overtaken && string(stripComments(edited)) == string(stripComments([]byte(text))) || len(bytes.TrimSpace(stripComments(edited))) == 0 {
			fmt.Fprintln(a.out, "nothing changed")
			return nil
		}
		fresh, err := parseProgram(edited)
		if err == nil {
			err = a.withTimeout(ctx, func(ctx context.Context) error {
				return a.requestAndPrint(ctx, topics.CmdProgramPut, topics.ProgramArgs{Program: &fresh}, printProgramSaved)
			})
		}
		if e, ok := errors.AsType[*topics.Error](err); ok && e.Code == topics.CodeConflict {
			// Someone saved it meanwhile: open it again with their changes shown above the
			// person's text, which now stands at their revision; the text is kept in a file
			// if theirs cannot be read.
			theirs, terr := a.programText(ctx, name)
			if terr != nil {
				return keepText(edited, name, e)
			}
			fresh.Revision = theirs.doc.Revision
			mine, merr := yaml.Marshal(fresh)
			if merr != nil {
				return keepText(edited, name, e)
			}
			text = "# NOT SAVED: someone else saved this program while you edited it. Their changes to the version\n" +
				"# you started from (- theirs removed, + theirs added):\n" + commentLines(lineDiff(body, theirs.yaml)) +
				"# Your text follows, now at their revision: save it to put it in place of theirs, or take\n" +
				"# what you need of theirs first.\n" + editHeader + string(mine)
			body, overtaken = theirs.yaml, true
			continue
		}
		if err == nil || !textRefused(err) {
			return err // saved, or not a fault of the text: the agent gone
		}
		// Open it again, the error on top, so the person can fix it.
		text = "# NOT SAVED: " + strings.ReplaceAll(err.Error(), "\n", "\n#   ") + "\n" + editHeader + string(stripComments(edited))
	}
}

// programText is a program as the agent has it, and as YAML.
type programText struct {
	doc  topics.ProgramDoc
	yaml []byte
}

func (a *app) programText(ctx context.Context, name string) (programText, error) {
	var p programText
	err := a.withTimeout(ctx, func(ctx context.Context) error {
		data, err := a.request(ctx, topics.CmdProgramGet, topics.ProgramArgs{Name: name})
		if err != nil {
			return err
		}
		return json.Unmarshal(data, &p.doc)
	})
	if err != nil {
		return p, err
	}
	p.yaml, err = yaml.Marshal(p.doc)
	return p, err
}

// lineDiff lists the lines of b that a lacks ("+ ") and of a that b lacks ("- "), in order: a
// longest common subsequence of lines, as diff does, for the small texts of a program.
func lineDiff(a, b []byte) []string {
	x, y := strings.Split(strings.TrimRight(string(a), "\n"), "\n"), strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	lcs := make([][]int, len(x)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(y)+1)
	}
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []string
	i, j := 0, 0
	for i < len(x) || j < len(y) {
		switch {
		case i < len(x) && j < len(y) && x[i] == y[j]:
			i, j = i+1, j+1
		case j < len(y) && (i == len(x) || lcs[i][j+1] >= lcs[i+1][j]):
			out = append(out, "+ "+y[j])
			j++
		default:
			out = append(out, "- "+x[i])
			i++
		}
	}
	return out
}

// commentLines makes lines comments of the editor's file.
func commentLines(lines []string) string {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString("#   " + l + "\n")
	}
	return b.String()
}

// keepText keeps text, an edit of program name the agent refused because the program changed
// meanwhile (refusal), in a file of the user's cache, and says where in the error, so that
// nothing typed is lost: read the program again, and merge.
func keepText(text []byte, name string, refusal *topics.Error) error {
	agent := fmt.Sprintf("agent: %s [%s]", refusal.Msg, refusal.Code)
	dir, err := os.UserCacheDir()
	if err == nil {
		dir = filepath.Join(dir, "sprinkler")
		err = os.MkdirAll(dir, 0o700)
	}
	if err != nil {
		dir = os.TempDir()
	}
	f, err := os.CreateTemp(dir, "program-"+name+"-*.yaml")
	if err == nil {
		_, err = f.Write(text)
		err = errors.Join(err, f.Close())
	}
	if err != nil {
		return &exitError{ExitAgentError, fmt.Errorf("%s; your text could not be kept: %v", agent, err)}
	}
	return &exitError{ExitAgentError, fmt.Errorf("%s; your text is kept in %s: read the program again (%s program show %s), merge, and apply it with -f",
		agent, f.Name(), Name, name)}
}

func (a *app) withTimeout(ctx context.Context, fn func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, a.timeout)
	defer cancel()
	return fn(ctx)
}

// runEditor opens path in $VISUAL or $EDITOR (vi without either), as kubectl edit does; the
// variable may hold arguments ("code --wait").
func runEditor(path string) error {
	ed := os.Getenv("VISUAL")
	if ed == "" {
		ed = os.Getenv("EDITOR")
	}
	if ed == "" {
		ed = "vi"
	}
	cmd := exec.Command("sh", "-c", ed+` "$1"`, "editor", path)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("the editor (%s): %w", ed, err)
	}
	return nil
}

// stripComments drops the lines that start with #.
func stripComments(b []byte) []byte {
	var out []byte
	for _, l := range bytes.SplitAfter(b, []byte("\n")) {
		if !bytes.HasPrefix(bytes.TrimSpace(l), []byte("#")) {
			out = append(out, l...)
		}
	}
	return out
}

var errNotYAML = errors.New("not a program")

// textRefused reports whether err is the edited text's fault: it does not read as a
// program, or the agent refused the program as written.
func textRefused(err error) bool {
	if errors.Is(err, errNotYAML) {
		return true
	}
	e, ok := errors.AsType[*topics.Error](err)
	return ok && e.Code == topics.CodeBadRequest
}

// parseProgram reads a program document from YAML or JSON, strictly: a misspelt field is an
// error, not silently dropped.
func parseProgram(src []byte) (topics.ProgramDoc, error) {
	var doc topics.ProgramDoc
	dec := yaml.NewDecoder(bytes.NewReader(src))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return doc, fmt.Errorf("%w: %s", errNotYAML, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	return doc, nil
}

// readProgram reads the program of -f FILE ("-" for stdin).
func readProgram(name string) (topics.ProgramDoc, error) {
	if name == "" {
		return topics.ProgramDoc{}, usageErr("name the program's file with -f FILE (or -f - for stdin)")
	}
	var src []byte
	var err error
	if name == "-" {
		src, err = io.ReadAll(os.Stdin)
	} else {
		src, err = os.ReadFile(name)
	}
	if err != nil {
		return topics.ProgramDoc{}, usageErr("-f %s: %v", name, err)
	}
	doc, err := parseProgram(src)
	if err != nil {
		return doc, usageErr("%s: %v", name, err)
	}
	return doc, nil
}

func printProgramList(w io.Writer, data json.RawMessage) error {
	var ps []topics.ProgramSummary
	if err := json.Unmarshal(data, &ps); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tACTIVE\tZONES\tREVISION\tABOUT")
	for _, p := range ps {
		active := ""
		if p.Active {
			active = "yes"
		}
		zones := strings.Trim(strings.ReplaceAll(fmt.Sprint(p.Zones), " ", ","), "[]")
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", p.Name, active, zones, p.Revision, p.About)
	}
	return tw.Flush()
}

func printProgramYAML(w io.Writer, data json.RawMessage) error {
	var d topics.ProgramDoc
	if err := json.Unmarshal(data, &d); err != nil {
		return err
	}
	out, err := yaml.Marshal(d)
	if err != nil {
		return err
	}
	_, err = w.Write(out)
	return err
}

func printProgramSaved(w io.Writer, data json.RawMessage) error {
	var d topics.ProgramDoc
	if err := json.Unmarshal(data, &d); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "saved %s (revision %s)\n", d.Name, d.Revision)
	return err
}

func printProgramVersions(w io.Writer, data json.RawMessage) error {
	var vs []topics.Version
	if err := json.Unmarshal(data, &vs); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tWHEN\tBY\tWHAT\t")
	for _, v := range vs {
		now := ""
		if v.Current {
			now = "(the file now)"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", v.Version, v.TS.Local().Format("2006-01-02 15:04:05"), v.By, strings.TrimSpace(v.Action+" "+v.What), now)
	}
	return tw.Flush()
}
