// Command mangen writes sprinklerctl's manual pages, one per command, into a folder: the
// release build runs it (packaging/generate.sh), so that sprinklerctl itself does not carry
// the Markdown and roff writers, which would cost it at every start.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra/doc"

	"sprinkler/ctl/cli"
	"sprinkler/version"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: mangen DIR")
		os.Exit(2)
	}
	if err := write(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "mangen:", err)
		os.Exit(1)
	}
}

func write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	root := cli.Command(func(string) string { return "" }) // the defaults, not the builder's environment
	root.DisableAutoGenTag = true                          // the pages then depend on the source alone
	h := &doc.GenManHeader{Title: "SPRINKLERCTL", Section: "1", Source: "sprinkler " + version.Version, Manual: "sprinkler manual"}
	return doc.GenManTree(root, h, dir)
}
