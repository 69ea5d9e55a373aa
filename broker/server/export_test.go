package server

import "time"

// RetainGuardFree reports whether b's retain guard is free now: nothing holds it.
func RetainGuardFree(b *Broker) bool {
	if !b.guard.rw.TryLock() {
		return false
	}
	b.guard.rw.Unlock()
	return true
}

// SetSignInClock makes b's sign-ins read the time from now.
func SetSignInClock(b *Broker, now func() time.Time) { b.access.signins.now = now }
