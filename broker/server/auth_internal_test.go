package server

import (
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// TestDummyHashCostsWhatUsersDo: an unknown user name is checked against a hash of the highest
// cost among the users, so a refusal takes as long whether the name exists or not.
func TestDummyHashCostsWhatUsersDo(t *testing.T) {
	var users []User
	for name, cost := range map[string]int{"cheap": bcrypt.MinCost, "dear": bcrypt.MinCost + 2} {
		h, err := bcrypt.GenerateFromPassword([]byte("pw"), cost)
		if err != nil {
			t.Fatal(err)
		}
		users = append(users, User{Name: name, Hash: string(h), Role: RoleViewer})
	}
	s, err := newUserSet(users, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := bcrypt.Cost(s.dummy); err != nil || c != bcrypt.MinCost+2 {
		t.Errorf("the dummy hash's cost: %d (%v), want %d", c, err, bcrypt.MinCost+2)
	}
}
