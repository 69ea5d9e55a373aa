package relay

import (
	"fmt"
	"sync"
)

// outputs is a bank's record of its outputs, written whole by the bank's write: a shift
// register's chain, an expander's port.
type outputs struct {
	mu     sync.Mutex
	on     []bool
	closed bool
}

// set records output i switched and has write carry it out; when write fails the output keeps
// its old state in the record, so the next write tries again.
func (o *outputs) set(kind string, i int, on bool, write func() error) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return ErrClosed
	}
	if i < 0 || i >= len(o.on) {
		return fmt.Errorf("relay: %s: no output %d", kind, i+1)
	}
	was := o.on[i]
	o.on[i] = on
	if err := write(); err != nil {
		o.on[i] = was
		return err
	}
	return nil
}

// close records every output off, once, and has off carry it out.
func (o *outputs) close(off func() error) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return nil
	}
	o.closed = true
	clear(o.on)
	return off()
}
