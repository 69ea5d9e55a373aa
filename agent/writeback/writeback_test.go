package writeback_test

import (
	"context"
	"testing"

	"sprinkler/agent/writeback"
)

func TestAsksCoalesceAndTheLastWriteFollowsTheEnd(t *testing.T) {
	k := writeback.New()
	for range 5 {
		k.Ask() // never blocks, even with no loop running
	}
	ctx, cancel := context.WithCancel(context.Background())
	writes := make(chan int, 10)
	n := 0
	done := make(chan struct{})
	go func() {
		k.Loop(ctx, func() error { n++; writes <- n; return nil })
		close(done)
	}()
	if got := <-writes; got != 1 {
		t.Fatalf("first write %d", got)
	}
	cancel()
	<-done
	if n != 2 {
		t.Errorf("%d writes: five asks before the loop make one, and the end one more", n)
	}
}
