package server

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"log/slog"
	"maps"
	"strings"
	"sync"
	"time"

	"sprinkler/topics"
)

// signinPrefix starts every sign-in token, so that the broker tells one from a password.
const signinPrefix = "signin."

// maxSignins bounds the sign-ins kept; the oldest goes first. maxSigninsPerUser bounds one
// user's (a phone, a tablet, a few browsers), so that a user who signs in over and over
// pushes out only their own older sign-ins, never another's, and the file stays small.
const (
	maxSignins        = 1000
	maxSigninsPerUser = 20
)

// ErrSignIn is a sign-in refused: a wrong username or password; ErrSignInOff one this broker
// does not take.
var (
	ErrSignIn    = errors.New("wrong username or password")
	ErrSignInOff = errors.New("this broker takes no sign-ins")
)

// signins are the page's sign-ins: a person who gave their password gets a token that their
// browser keeps instead of it, good as that user's password on this broker until it expires,
// is signed out, or the user's password changes or the user is removed. Only a hash of each
// token is kept, in memory and in a file that a restart reads.
type signins struct {
	keep Keeper // nil keeps them in memory alone
	ttl  time.Duration
	now  func() time.Time

	mu   sync.Mutex
	byID map[string]signin // by the hex SHA-256 of the token
}

// signin is one sign-in: its user, the fingerprint of the password hash it was made with, and
// when it ends.
type signin struct {
	User        string    `json:"user"`
	Fingerprint string    `json:"fingerprint"`
	Made        time.Time `json:"made"`
	Expires     time.Time `json:"expires"`
}

// Keeper keeps the sign-ins across a restart: Load reads what Save wrote into v (nothing
// written: v stays empty), bringing an older format forward.
type Keeper interface {
	Load(format int, v any) error
	Save(format int, v any) error
}

// signinsFormat is the format of the kept sign-ins (the signin type).
const signinsFormat = 1

func newSignins(keep Keeper, ttl time.Duration) *signins {
	s := &signins{keep: keep, ttl: ttl, now: time.Now, byID: map[string]signin{}}
	if keep != nil {
		_ = keep.Load(signinsFormat, &s.byID) // a damaged file signs everybody out
		if s.byID == nil {
			s.byID = map[string]signin{}
		}
	}
	return s
}

func tokenID(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

func fingerprint(hash string) string {
	h := sha256.Sum256([]byte(hash))
	return hex.EncodeToString(h[:8])
}

// make signs u in until now+ttl and returns the token.
func (s *signins) make(u User, now time.Time) (string, time.Time, error) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	token := signinPrefix + base64.RawURLEncoding.EncodeToString(b)
	in := signin{User: u.Name, Fingerprint: fingerprint(u.Hash), Made: now, Expires: now.Add(s.ttl)}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.prune(now, u.Name)
	s.byID[tokenID(token)] = in
	return token, in.Expires, s.save()
}

// check reports whether token signs in user u now.
func (s *signins) check(u User, token string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	in, ok := s.byID[tokenID(token)]
	return ok && in.User == u.Name && in.Fingerprint == fingerprint(u.Hash) && now.Before(in.Expires)
}

// end signs token out; it reports whether it was signed in.
func (s *signins) end(token string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := tokenID(token)
	if _, ok := s.byID[id]; !ok {
		return false
	}
	delete(s.byID, id)
	_ = s.save()
	return true
}

// forget ends every sign-in of user.
func (s *signins) forget(user string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.byID)
	maps.DeleteFunc(s.byID, func(_ string, in signin) bool { return in.User == user })
	if len(s.byID) < n {
		_ = s.save()
	}
}

// prune forgets the sign-ins that ended, then makes room for one more of user: the oldest of
// user's beyond maxSigninsPerUser, and the oldest of all beyond maxSignins. Called with mu held.
func (s *signins) prune(now time.Time, user string) {
	maps.DeleteFunc(s.byID, func(_ string, in signin) bool { return !now.Before(in.Expires) })
	s.dropOldest(maxSigninsPerUser, func(in signin) bool { return in.User == user })
	s.dropOldest(maxSignins, func(signin) bool { return true })
}

// dropOldest forgets the oldest sign-ins of those which, until fewer than limit are left.
func (s *signins) dropOldest(limit int, which func(signin) bool) {
	for {
		oldest, n := "", 0
		for id, in := range s.byID {
			if !which(in) {
				continue
			}
			n++
			if oldest == "" || in.Made.Before(s.byID[oldest].Made) {
				oldest = id
			}
		}
		if n < limit {
			return
		}
		delete(s.byID, oldest)
	}
}

// save keeps the sign-ins. Called with mu held; they are small.
func (s *signins) save() error {
	if s.keep == nil {
		return nil
	}
	return s.keep.Save(signinsFormat, s.byID)
}

// SignIn checks a person's username and password as a CONNECT would (an unknown name costs
// what a wrong password does) and signs them in: the token returned is good as their password
// on this broker until expires. A wrong pair is ErrSignIn.
func (b *Broker) SignIn(user, password string) (token string, role topics.Role, expires time.Time, err error) {
	h := b.access
	if h.signins.ttl <= 0 {
		return "", "", time.Time{}, ErrSignInOff
	}
	u, ok := h.users.Load().login(user, []byte(password))
	if !ok || strings.HasPrefix(password, signinPrefix) {
		h.tally.Add(slog.LevelWarn, "signin:"+user, "broker: sign-in refused", "user", user)
		return "", "", time.Time{}, ErrSignIn
	}
	token, expires, err = h.signins.make(u, h.signins.now())
	if err != nil {
		h.log.Warn("broker: the sign-ins were not saved; a restart signs this one out", "err", err)
	}
	h.log.Info("signed in", "user", u.Name, "role", u.Role, "until", expires)
	return token, u.Role, expires, nil
}

// SignOut ends the sign-in of token.
func (b *Broker) SignOut(token string) {
	if b.access.signins.end(token) {
		b.log.Info("signed out")
	}
}
