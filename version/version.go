// Package version says which build a program is: the release stamped into it and the commit
// it was built from.
package version

import "runtime/debug"

// Version is the release, stamped by the release build with
// -ldflags "-X sprinkler/version.Version=1.2.3"; a plain go build keeps this default.
var Version = "0.1.0-dev"

// Commit is the commit the release build was made from (-X sprinkler/version.Commit=…); when it
// is not stamped, Revision reads Go's own version-control stamp.
var Commit = ""

// Revision is the commit the program was built from: the stamped Commit, else the one Go
// records when it builds a git checkout; "" for go run and builds outside one.
func Revision() string {
	if Commit != "" {
		return Commit
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, kv := range bi.Settings {
			if kv.Key == "vcs.revision" {
				return kv.Value
			}
		}
	}
	return ""
}

// String is the version as a program prints it for --version: "1.2.3 (commit 0123abc)".
func String() string {
	r := Revision()
	if r == "" {
		return Version
	}
	return Version + " (commit " + r[:min(len(r), 12)] + ")"
}
