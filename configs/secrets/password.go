package secrets

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// ErrDiffer is NewPassword's error when the password typed again is not the first.
var ErrDiffer = errors.New("the two passwords differ")

// Terminal returns r as the terminal a person types at, if it is one.
func Terminal(r io.Reader) (*os.File, bool) {
	f, ok := r.(*os.File)
	return f, ok && term.IsTerminal(int(f.Fd()))
}

// NewPassword reads a new password: from a terminal on in without echo, asked twice with
// prompt on out (an empty first answer is not asked again); else the first line of in (a
// script's pipe). Never from a command line, where other users of the machine could read it.
func NewPassword(in io.Reader, out io.Writer, prompt string) ([]byte, error) {
	f, ok := Terminal(in)
	if !ok {
		line, err := bufio.NewReader(in).ReadString('\n')
		if err != nil && (line == "" || !errors.Is(err, io.EOF)) {
			return nil, fmt.Errorf("no password on stdin: %w", err)
		}
		return []byte(strings.TrimRight(line, "\r\n")), nil
	}
	fmt.Fprint(out, prompt+": ")
	p1, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(out)
	if err != nil || len(p1) == 0 {
		return p1, err
	}
	fmt.Fprint(out, "again: ")
	p2, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(out)
	if err != nil {
		return nil, err
	}
	if string(p1) != string(p2) {
		return nil, ErrDiffer
	}
	return p1, nil
}
