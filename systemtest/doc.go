// Package systemtest holds the tests of the built programs as a user runs them: agent, broker
// and ctl processes on loopback (and in network namespaces), Debian's mosquitto, Chromium for
// the page, full and read-only filesystems, killed processes. The packages' own tests are the
// fast layer; `go test -short ./...` skips this one.
package systemtest
