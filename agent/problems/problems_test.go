package problems_test

import (
	"slices"
	"testing"

	"sprinkler/agent/problems"
)

func TestRaiseOnceClearOnce(t *testing.T) {
	var raised, cleared []string
	s := &problems.Set{
		Raised:  func(k, text string) { raised = append(raised, k+": "+text) },
		Cleared: func(k, text string) { cleared = append(cleared, k) },
	}
	s.Raise("state", "state file unreadable")
	s.Raise("state", "state file unreadable") // the same again: nothing new to tell
	s.Raise("clock", "clock behind")
	if got := s.List(); !slices.Equal(got, []string{"clock behind", "state file unreadable"}) {
		t.Errorf("List = %q", got)
	}
	s.Clear("clock")
	s.Clear("clock")
	if !slices.Equal(raised, []string{"state: state file unreadable", "clock: clock behind"}) || !slices.Equal(cleared, []string{"clock"}) {
		t.Errorf("raised %q, cleared %q", raised, cleared)
	}
	if got := s.List(); !slices.Equal(got, []string{"state file unreadable"}) {
		t.Errorf("after Clear: %q", got)
	}
}
