//go:build linux

package health

import "syscall"

// diskFree is the space an unprivileged user may still write on the disk holding dir.
func diskFree(dir string) uint64 {
	var st syscall.Statfs_t
	if syscall.Statfs(dir, &st) != nil {
		return 0
	}
	return st.Bavail * uint64(st.Bsize)
}
