package auth_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// Two replicas on one PostgreSQL database share the failed-login limit: the
// five attempts of a (name, address) pair are five across both, a success
// gives its attempt back, and a minute later one attempt more is allowed.
func TestSharedLoginLimitsAcrossReplicas(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)}
	a, b := auth.NewService(storetest.OpenAt(t, dsn), c.now), auth.NewService(storetest.OpenAt(t, dsn), c.now)
	a.ShareLimits()
	b.ShareLimits()
	if _, err := a.CreateUser(ctx, "test", auth.NewUser{Name: "alice", Password: "alice-password", Role: auth.Operator}); err != nil {
		t.Fatal(err)
	}
	// A success through b costs nothing.
	if _, _, err := b.Login(ctx, "alice", "alice-password", "192.0.2.1"); err != nil {
		t.Fatalf("right password through b: %v", err)
	}
	// Five wrong guesses, alternating between the replicas.
	for i := range 5 {
		s := a
		if i%2 == 1 {
			s = b
		}
		if _, _, err := s.Login(ctx, "alice", "wrong", "192.0.2.1"); !errors.Is(err, auth.ErrBadCredentials) {
			t.Fatalf("guess %d: %v, want bad credentials", i+1, err)
		}
	}
	// Neither replica grants a sixth, not even with the right password.
	for name, s := range map[string]*auth.Service{"a": a, "b": b} {
		if _, _, err := s.Login(ctx, "alice", "alice-password", "192.0.2.1"); !errors.Is(err, auth.ErrRateLimited) {
			t.Fatalf("sixth attempt through %s: %v, want rate limited", name, err)
		}
	}
	// Another address is not held back.
	if _, _, err := b.Login(ctx, "alice", "alice-password", "198.51.100.7"); err != nil {
		t.Fatalf("another address: %v", err)
	}
	// A minute refills one attempt, shared too: one replica takes it.
	c.t = c.t.Add(time.Minute)
	if _, _, err := a.Login(ctx, "alice", "wrong", "192.0.2.1"); !errors.Is(err, auth.ErrBadCredentials) {
		t.Fatalf("after a minute: %v, want one more attempt", err)
	}
	if _, _, err := b.Login(ctx, "alice", "alice-password", "192.0.2.1"); !errors.Is(err, auth.ErrRateLimited) {
		t.Fatalf("the refilled attempt was granted twice: %v", err)
	}
}
