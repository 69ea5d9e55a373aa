package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"sprinkler/broker/server"
	"strings"

	"golang.org/x/term"
)

// hash reads a password, from the terminal without echo (asked twice) or else one line of
// stdin, and prints its bcrypt hash for broker.users. A password is never taken from the
// command line, where other users of the machine could read it.
func hash(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		return errors.New("hash takes no arguments: the password is read from the terminal or stdin, never from the command line")
	}
	var pw []byte
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stderr, "password: ")
		p1, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return err
		}
		fmt.Fprint(stderr, "again: ")
		p2, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return err
		}
		if string(p1) != string(p2) {
			return errors.New("the passwords differ")
		}
		pw = p1
	} else {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		pw = []byte(strings.TrimRight(line, "\r\n"))
	}
	h, err := server.HashPassword(pw)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, h)
	return nil
}
