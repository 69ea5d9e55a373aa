package daemon

import "golang.org/x/sys/unix"

// systemClockSynced reports whether the kernel says the clock is synchronised (by NTP or
// systemd-timesyncd), as timedatectl does.
func systemClockSynced() bool {
	var tx unix.Timex
	state, err := unix.Adjtimex(&tx)
	return err == nil && state != unix.TIME_ERROR && tx.Status&unix.STA_UNSYNC == 0
}
