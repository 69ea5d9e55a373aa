package server

import (
	"net"

	"golang.org/x/sys/unix"
)

// kernelQueue reports how many bytes c's kernel holds for the client (unsent, or sent and not
// acknowledged) and how many the client has acknowledged since the connection began; ok is
// false where it cannot tell.
func kernelQueue(c net.Conn) (queued int, acked uint64, ok bool) {
	tc := tcpOf(c)
	if tc == nil {
		return 0, 0, false
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return 0, 0, false
	}
	_ = raw.Control(func(fd uintptr) {
		q, qerr := unix.IoctlGetInt(int(fd), unix.SIOCOUTQ)
		info, ierr := unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
		if qerr == nil && ierr == nil {
			queued, acked, ok = q, info.Bytes_acked, true
		}
	})
	return queued, acked, ok
}
