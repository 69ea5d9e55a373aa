//go:build unix

package statefile

import (
	"os"
	"syscall"
)

// owners are a file's owner and group.
func owners(info os.FileInfo) (uid, gid int) {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return int(st.Uid), int(st.Gid)
	}
	return -1, -1
}
