package server

// RetainGuardFree reports whether b's retain guard is free now: nothing holds it.
func RetainGuardFree(b *Broker) bool {
	if !b.guard.rw.TryLock() {
		return false
	}
	b.guard.rw.Unlock()
	return true
}
