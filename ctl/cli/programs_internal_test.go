package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sprinkler/topics"
)

// programFile writes a program's YAML to a file of the test's and returns its path.
func programFile(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "program.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

const summerYAML = "name: summer\nrevision: p1\nzones:\n  - zone: 1\n    days: [odd]\n    runs:\n      - {at: \"05:30\", for: 10m}\n"

// TestProgramFromAFile: apply and preview send the file's program; a misspelt field is a usage
// error naming the file, and nothing is sent.
func TestProgramFromAFile(t *testing.T) {
	path := programFile(t, summerYAML)
	calls, out, err := talk(t, map[string]any{topics.CmdProgramPut: topics.ProgramDoc{Name: "summer", Revision: "p2"}}, "program", "apply", "-f", path)
	if err != nil || len(calls) != 1 || !strings.Contains(calls[0].args, `"at":"05:30","for":"10m"`) || !strings.Contains(calls[0].args, `"revision":"p1"`) {
		t.Errorf("apply: %v, %v", calls, err)
	}
	if !strings.Contains(out, "summer") || !strings.Contains(out, "p2") {
		t.Errorf("apply printed %q", out)
	}
	calls, _, err = talk(t, map[string]any{topics.CmdProgramPreview: []topics.PlannedRun{}, topics.CmdTime: topics.TimeReply{Location: "UTC"}},
		"program", "preview", "-f", path, "--hours", "24")
	if err != nil || len(calls) != 2 || calls[0].cmd != topics.CmdTime || !strings.Contains(calls[1].args, `"hours":24`) {
		t.Errorf("preview: %v, %v", calls, err)
	}
	bad := programFile(t, "name: summer\nzones: []\ncolour: red\n")
	calls, _, err = talk(t, nil, "program", "apply", "-f", bad)
	if ExitCode(err) != ExitUsage || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "colour") || len(calls) != 0 {
		t.Errorf("a misspelt field: exit %d, %v, sent %v", ExitCode(err), err, calls)
	}
	if _, _, err := talk(t, nil, "program", "apply"); ExitCode(err) != ExitUsage || !strings.Contains(err.Error(), "-f FILE") {
		t.Errorf("apply without a file: %v", err)
	}
}

// editor sets $EDITOR to a shell command run on the file, for the test.
func editor(t *testing.T, script string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "editor.sh")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+script+"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("VISUAL", "")
	t.Setenv("EDITOR", path)
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
}

var summerDoc = topics.ProgramDoc{Name: "summer", Revision: "p1", Zones: []topics.ProgramZone{{Zone: 1, Days: []string{"odd"}, Runs: []topics.ProgramRun{{At: "05:30", For: "10m"}}}}}

// TestProgramEdit: the editor's change is put; no change puts nothing; a program the agent
// refuses for its text opens again with the reason on top; a save that overtook the person's
// opens again with its changes shown and the person's text kept.
func TestProgramEdit(t *testing.T) {
	editor(t, `sed -i 's/10m/12m/' "$1"`)
	calls, _, err := talk(t, map[string]any{topics.CmdProgramGet: summerDoc, topics.CmdProgramPut: topics.ProgramDoc{Name: "summer", Revision: "p2"}}, "program", "edit", "summer")
	if err != nil || len(calls) != 2 || calls[1].cmd != topics.CmdProgramPut || !strings.Contains(calls[1].args, `"for":"12m"`) {
		t.Errorf("an edit: %v, %v", calls, err)
	}

	editor(t, `true`)
	calls, out, err := talk(t, map[string]any{topics.CmdProgramGet: summerDoc}, "program", "edit", "summer")
	if err != nil || len(calls) != 1 || !strings.Contains(out, "nothing changed") {
		t.Errorf("no change: %v, %q, %v", calls, out, err)
	}

	// The first save is refused for its text (a run past midnight); the second fixes it.
	marker := filepath.Join(t.TempDir(), "seen")
	editor(t, `if [ -e `+marker+` ]; then grep -q "NOT SAVED: past midnight" "$1" && sed -i 's/23:55/22:00/' "$1"; else touch `+marker+`; sed -i 's/05:30/23:55/' "$1"; fi`)
	puts := 0
	put := func() any {
		puts++
		if puts == 1 {
			return topics.Errorf(topics.CodeBadRequest, "past midnight")
		}
		return topics.ProgramDoc{Name: "summer", Revision: "p2"}
	}
	calls, _, err = talkWith(t, map[string]func() any{topics.CmdProgramGet: func() any { return summerDoc }, topics.CmdProgramPut: put}, "program", "edit", "summer")
	if err != nil || puts != 2 || !strings.Contains(calls[len(calls)-1].args, `"at":"22:00"`) {
		t.Errorf("an edit refused, then fixed: %d puts, %v, %v", puts, calls, err)
	}

	// Someone else saves summer (05:30 → 06:00) while the person edits it (10m → 15m): the
	// editor opens again with their change shown and the person's text at their revision;
	// saved as it is, the person's text goes in.
	shown := filepath.Join(t.TempDir(), "shown")
	editor(t, `if grep -q "NOT SAVED: someone else saved" "$1"; then cp "$1" `+shown+`; else sed -i 's/10m/15m/' "$1"; fi`)
	theirs := summerDoc
	theirs.Revision = "p2"
	theirs.Zones = []topics.ProgramZone{{Zone: 1, Days: []string{"odd"}, Runs: []topics.ProgramRun{{At: "06:00", For: "10m"}}}}
	gets, puts := 0, 0
	get := func() any {
		gets++
		if gets == 1 {
			return summerDoc
		}
		return theirs
	}
	put = func() any {
		puts++
		if puts == 1 {
			return topics.Errorf(topics.CodeConflict, "summer changed since revision p1")
		}
		return topics.ProgramDoc{Name: "summer", Revision: "p3"}
	}
	calls, _, err = talkWith(t, map[string]func() any{topics.CmdProgramGet: get, topics.CmdProgramPut: put}, "program", "edit", "summer")
	last := calls[len(calls)-1]
	if err != nil || puts != 2 || last.cmd != topics.CmdProgramPut || !strings.Contains(last.args, `"revision":"p2"`) ||
		!strings.Contains(last.args, `"for":"15m"`) || !strings.Contains(last.args, `"at":"05:30"`) {
		t.Errorf("an edit overtaken by another save: %d puts, %v, %v", puts, calls, err)
	}
	if b, rerr := os.ReadFile(shown); rerr != nil || !strings.Contains(string(b), `#   - revision: p1`) || !strings.Contains(string(b), `#   + revision: p2`) ||
		!strings.Contains(string(b), `#   + `) || !strings.Contains(string(b), `06:00`) || !strings.Contains(string(b), "15m") {
		t.Errorf("the editor after the conflict:\n%s (%v)", b, rerr)
	}

	// Theirs cannot be read (the agent gone): the text is kept in a file, and the error says where.
	editor(t, `sed -i 's/10m/15m/' "$1"`)
	gets = 0
	get = func() any {
		gets++
		if gets == 1 {
			return summerDoc
		}
		return topics.Errorf(topics.CodeUnavailable, "gone")
	}
	_, _, err = talkWith(t, map[string]func() any{topics.CmdProgramGet: get,
		topics.CmdProgramPut: func() any { return topics.Errorf(topics.CodeConflict, "summer changed since revision p1") }}, "program", "edit", "summer")
	if ExitCode(err) != ExitAgentError || !strings.Contains(err.Error(), "your text is kept in ") {
		t.Fatalf("a conflict: exit %d, %v", ExitCode(err), err)
	}
	kept := strings.Fields(strings.SplitAfter(err.Error(), "your text is kept in ")[1])[0]
	if b, rerr := os.ReadFile(strings.TrimSuffix(kept, ":")); rerr != nil || !strings.Contains(string(b), "15m") {
		t.Errorf("the kept text: %q, %v", b, rerr)
	}
}

// TestVersionArguments: a version is a positive number, and the error names the lister.
func TestVersionArguments(t *testing.T) {
	for _, args := range [][]string{{"program", "restore", "0"}, {"program", "restore", "x"}, {"config", "restore", "0"}} {
		if _, _, err := talk(t, nil, args...); ExitCode(err) != ExitUsage || !strings.Contains(err.Error(), "is not a version number") {
			t.Errorf("%v: %v", args, err)
		}
	}
}
