package server_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"sprinkler/broker/brokertest"
	"sprinkler/broker/server"
	"sprinkler/topics"
)

// memoryKeeper keeps the sign-ins as JSON in memory, as a file would across a restart.
type memoryKeeper struct {
	mu   sync.Mutex
	data []byte
}

func (m *memoryKeeper) Load(_ int, v any) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.data == nil {
		return nil
	}
	return json.Unmarshal(m.data, v)
}

func (m *memoryKeeper) Save(_ int, v any) error {
	b, err := json.Marshal(v)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.data = b
	return err
}

// TestSignIns: a person's password makes a sign-in whose token logs them in with their role
// in its place, across a restart; a wrong password is refused as a wrong CONNECT is; the token
// ends when it expires, when it is signed out, and when the password changes.
func TestSignIns(t *testing.T) {
	keep := &memoryKeeper{}
	c := withUsers(t)
	c.SignIns, c.SignInFor = keep, time.Hour
	b := start(t, c)
	now := time.Now()
	server.SetSignInClock(b, func() time.Time { return now })
	if _, _, _, err := b.SignIn("viewer-user", "wrong"); !errors.Is(err, server.ErrSignIn) {
		t.Fatalf("a wrong password: %v", err)
	}
	if _, _, _, err := b.SignIn("nobody", password); !errors.Is(err, server.ErrSignIn) {
		t.Fatalf("an unknown user: %v", err)
	}
	token, role, expires, err := b.SignIn("operator-user", password)
	if err != nil || role != topics.RoleOperator || !expires.Equal(now.Add(time.Hour)) {
		t.Fatalf("sign-in: %q %v %v %v", token, role, expires, err)
	}
	if len(keep.data) == 0 || strings.Contains(string(keep.data), token) {
		t.Errorf("the kept sign-ins hold the token itself, or nothing: %s", keep.data)
	}
	url := brokertest.URL(b.Addr())
	if cl, _, err := login(url, "page-1", "operator-user", token, nil); err != nil {
		t.Fatalf("logging in with the token: %v", err)
	} else {
		cl.Disconnect(0)
	}
	if _, _, err := login(url, "page-2", "viewer-user", token, nil); err == nil {
		t.Error("another user logged in with operator's token")
	}

	// A restart with the same users reads the sign-in back; a changed password ends it.
	_ = b.Close()
	b2 := start(t, c)
	if cl, _, err := login(brokertest.URL(b2.Addr()), "page-3", "operator-user", token, nil); err != nil {
		t.Errorf("the token after a restart: %v", err)
	} else {
		cl.Disconnect(0)
	}
	_ = b2.Close()
	changed := c
	changed.Users = append([]server.User(nil), c.Users...)
	for i := range changed.Users {
		changed.Users[i].Hash = hashed(t, "a new password")
	}
	b3 := start(t, changed)
	if _, _, err := login(brokertest.URL(b3.Addr()), "page-4", "operator-user", token, nil); err == nil {
		t.Error("the token outlived a password change")
	}

	// Expiry and sign-out, on a broker whose clock we move.
	token2, _, _, err := b3.SignIn("admin-user", "a new password")
	if err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(2 * time.Hour)
	server.SetSignInClock(b3, func() time.Time { return later })
	if _, _, err := login(brokertest.URL(b3.Addr()), "page-5", "admin-user", token2, nil); err == nil {
		t.Error("an expired token logged in")
	}
	server.SetSignInClock(b3, time.Now)
	b3.SignOut(token2)
	if _, _, err := login(brokertest.URL(b3.Addr()), "page-6", "admin-user", token2, nil); err == nil {
		t.Error("a signed-out token logged in")
	}
}

// TestSignInsAreBoundedPerUser: a user who signs in over and over (a script with a viewer's
// password) keeps only their own newest sign-ins, and pushes out nobody else's.
func TestSignInsAreBoundedPerUser(t *testing.T) {
	keep := &memoryKeeper{}
	c := withUsers(t)
	c.SignIns, c.SignInFor = keep, time.Hour
	b := start(t, c)
	now := time.Now()
	server.SetSignInClock(b, func() time.Time { now = now.Add(time.Second); return now })
	admin, _, _, err := b.SignIn("admin-user", password)
	if err != nil {
		t.Fatal(err)
	}
	var tokens []string
	for range 25 {
		tok, _, _, err := b.SignIn("viewer-user", password)
		if err != nil {
			t.Fatal(err)
		}
		tokens = append(tokens, tok)
	}
	url := brokertest.URL(b.Addr())
	for i, want := range map[int]bool{0: false, 4: false, 5: true, 24: true} {
		cl, _, err := login(url, fmt.Sprintf("page-v%d", i), "viewer-user", tokens[i], nil)
		if (err == nil) != want {
			t.Errorf("the viewer's sign-in %d of 25: logged in %v, want %v", i+1, err == nil, want)
		}
		if err == nil {
			cl.Disconnect(0)
		}
	}
	if cl, _, err := login(url, "page-admin", "admin-user", admin, nil); err != nil {
		t.Errorf("the viewer's sign-ins pushed out the admin's: %v", err)
	} else {
		cl.Disconnect(0)
	}
	if n := strings.Count(string(keep.data), `"user"`); n != 21 {
		t.Errorf("%d sign-ins kept, want 21 (20 of the viewer's and the admin's)", n)
	}
}
