package main

import (
	"errors"
	"fmt"
	"io"

	"sprinkler/broker/server"
	"sprinkler/configs/secrets"
)

// hash reads a password, from the terminal without echo (asked twice) or else one line of
// stdin, and prints its bcrypt hash for broker.users. A password is never taken from the
// command line, where other users of the machine could read it.
func hash(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		return errors.New("hash takes no arguments: the password is read from the terminal or stdin, never from the command line")
	}
	pw, err := secrets.NewPassword(stdin, stderr, "password")
	if err != nil {
		return err
	}
	h, err := server.HashPassword(pw)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, h)
	return nil
}
