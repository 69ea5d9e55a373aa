//go:build unix

package setup

import (
	"os"
	"syscall"
)

// groupOf is the group owning a file, to keep when it is replaced (the package's schedule is
// root:sprinkler, written by the agent's user); -1 when it cannot be told or not kept.
func groupOf(info os.FileInfo) int {
	if st, ok := info.Sys().(*syscall.Stat_t); ok && os.Geteuid() == 0 {
		return int(st.Gid)
	}
	return -1
}
