package auth

import (
	"context"
	"errors"
	"testing"

	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// TestBusyLoginIsNotCounted fills every hashing slot and the waiting room:
// the next login is answered ErrBusy at once, computes no hash, and does
// not use up one of the user's five attempts.
func TestBusyLoginIsNotCounted(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := NewService(db, nil)
		if _, err := s.CreateUser(ctx, "test", NewUser{Name: "alice", Password: "alice-password", Role: Operator}); err != nil {
			t.Fatal(err)
		}
		for range MaxConcurrentHashes {
			s.hashing <- struct{}{}
		}
		s.waiters.Store(MaxHashWaiters)
		for i := 0; i < 10; i++ {
			if _, _, err := s.Login(ctx, "alice", "wrong-guess", "192.0.2.1"); !errors.Is(err, ErrBusy) {
				t.Fatalf("login %d while full: %v", i, err)
			}
		}
		if n := s.PasswordChecks(); n != 0 {
			t.Fatalf("%d hashes computed while full", n)
		}
		s.waiters.Store(0)
		for range MaxConcurrentHashes {
			<-s.hashing
		}
		// All five attempts are still there.
		for i := 0; i < 5; i++ {
			if _, _, err := s.Login(ctx, "alice", "wrong-guess", "192.0.2.1"); !errors.Is(err, ErrBadCredentials) {
				t.Fatalf("failure %d: %v", i, err)
			}
		}
		if _, _, err := s.Login(ctx, "alice", "alice-password", "192.0.2.1"); !errors.Is(err, ErrRateLimited) {
			t.Fatalf("sixth attempt: %v", err)
		}
	})
}
