//go:build unix

package server

import "syscall"

// openFiles is the process's limit of open file descriptors, or 0 when unknown.
func openFiles() uint64 {
	var r syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r) != nil {
		return 0
	}
	return r.Cur
}
