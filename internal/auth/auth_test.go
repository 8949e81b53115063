package auth_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

func TestPasswordHash(t *testing.T) {
	h, err := auth.HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$") {
		t.Fatalf("hash %q is not argon2id PHC", h)
	}
	h2, _ := auth.HashPassword("correct horse battery")
	if h == h2 {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	for pw, want := range map[string]bool{"correct horse battery": true, "correct horse batterY": false, "": false} {
		if ok, err := auth.CheckPassword(h, pw); err != nil || ok != want {
			t.Errorf("CheckPassword(%q) = %v, %v", pw, ok, err)
		}
	}
	if _, err := auth.CheckPassword("$2a$10$bcrypt", "x"); err == nil {
		t.Error("a non-argon2id hash was accepted")
	}
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestLoginSessionsAndLimits(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := &clock{t: time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)}
		a := auth.NewService(db, c.now)
		if _, err := a.CreateUser(ctx, "test", auth.NewUser{Name: "alice", Password: "alice-password", Role: auth.Operator}); err != nil {
			t.Fatal(err)
		}
		if _, err := a.CreateUser(ctx, "test", auth.NewUser{Name: "alice", Password: "alice-password", Role: auth.Operator}); !errors.Is(err, apperr.ErrConflict) {
			t.Fatalf("duplicate user: %v", err)
		}
		id, p, err := a.Login(ctx, "alice", "alice-password", "192.0.2.1")
		if err != nil || p.Role != auth.Operator || p.CSRF == "" || id == "" {
			t.Fatalf("login = %q, %+v, %v", id, p, err)
		}
		got, err := a.Session(ctx, id)
		if err != nil || got.Name != "alice" || got.CSRF != p.CSRF {
			t.Fatalf("session = %+v, %v", got, err)
		}
		// The stored row holds a digest, never the id itself.
		var n int
		if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM sessions WHERE id_hash = $1`, id).Scan(&n); err != nil || n != 0 {
			t.Fatalf("session id stored in clear (%d rows, %v)", n, err)
		}
		// Sessions expire.
		c.t = c.t.Add(auth.SessionLifetime)
		if _, err := a.Session(ctx, id); !errors.Is(err, auth.ErrUnauthenticated) {
			t.Fatalf("expired session: %v", err)
		}
		// A password change ends sessions.
		id, _, _ = a.Login(ctx, "alice", "alice-password", "192.0.2.1")
		if err := a.SetPassword(ctx, "test", "alice", "a-new-password"); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Session(ctx, id); !errors.Is(err, auth.ErrUnauthenticated) {
			t.Fatalf("session after password change: %v", err)
		}
		// Five failures are allowed, the sixth attempt is refused even with
		// the right password, and a minute later one more try is allowed.
		for i := 0; i < 5; i++ {
			if _, _, err := a.Login(ctx, "alice", "wrong", "192.0.2.9"); !errors.Is(err, auth.ErrBadCredentials) {
				t.Fatalf("failure %d: %v", i, err)
			}
		}
		if _, _, err := a.Login(ctx, "alice", "a-new-password", "192.0.2.9"); !errors.Is(err, auth.ErrRateLimited) {
			t.Fatalf("after five failures: %v", err)
		}
		// The guessing address does not lock the real user out: from
		// another address she signs in at once.
		if _, _, err := a.Login(ctx, "alice", "a-new-password", "192.0.2.10"); err != nil {
			t.Fatalf("from another address: %v", err)
		}
		c.t = c.t.Add(time.Minute)
		if _, _, err := a.Login(ctx, "alice", "a-new-password", "192.0.2.9"); err != nil {
			t.Fatalf("a minute later: %v", err)
		}
		// Unknown users fail the same way as wrong passwords.
		if _, _, err := a.Login(ctx, "mallory", "whatever-pass", "192.0.2.11"); !errors.Is(err, auth.ErrBadCredentials) {
			t.Fatalf("unknown user: %v", err)
		}
	})
}

func TestTokens(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := auth.NewService(db, nil)
		secret, tok, err := a.CreateToken(ctx, "test", "ci", auth.Operator)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(secret, auth.TokenPrefix) || !strings.HasPrefix(secret, tok.Prefix) {
			t.Fatalf("secret %q, prefix %q", secret, tok.Prefix)
		}
		var n int
		if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM api_tokens WHERE token_hash = $1 OR prefix = $1`, secret).Scan(&n); err != nil || n != 0 {
			t.Fatal("token stored in clear")
		}
		p, err := a.Bearer(ctx, secret)
		if err != nil || p.Role != auth.Operator || p.Actor() != "token:ci" {
			t.Fatalf("bearer = %+v, %v", p, err)
		}
		if err := a.RevokeToken(ctx, "test", "ci"); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Bearer(ctx, secret); !errors.Is(err, auth.ErrUnauthenticated) {
			t.Fatalf("revoked token: %v", err)
		}
		if err := a.RevokeToken(ctx, "test", "ci"); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("revoking twice: %v", err)
		}
	})
}

func TestLastAdminStays(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := auth.NewService(db, nil)
		if _, err := a.CreateUser(ctx, "test", auth.NewUser{Name: "root", Password: "root-password", Role: auth.Admin}); err != nil {
			t.Fatal(err)
		}
		if err := a.DeleteUser(ctx, "test", "root"); !errors.Is(err, apperr.ErrConflict) {
			t.Fatalf("deleting the last admin: %v", err)
		}
	})
}

func TestRoles(t *testing.T) {
	cases := []struct {
		have, need auth.Role
		ok         bool
	}{
		{auth.Admin, auth.Viewer, true}, {auth.Viewer, auth.Operator, false}, {auth.Operator, auth.Operator, true},
		{auth.Agent, auth.Viewer, false}, {auth.Agent, auth.Agent, true}, {auth.Admin, auth.Agent, false}, {auth.Operator, auth.Agent, false},
	}
	for _, c := range cases {
		if got := c.have.Allows(c.need); got != c.ok {
			t.Errorf("%s.Allows(%s) = %v", c.have, c.need, got)
		}
	}
}

// TestConcurrentGuesses sends 200 wrong passwords for one name at once from
// one address: the limit is taken before hashing, so only the first five
// are checked, and the real user still signs in from elsewhere.
func TestConcurrentGuesses(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := &clock{t: time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)}
		a := auth.NewService(db, c.now)
		if _, err := a.CreateUser(ctx, "test", auth.NewUser{Name: "alice", Password: "alice-password", Role: auth.Operator}); err != nil {
			t.Fatal(err)
		}
		before := a.PasswordChecks()
		var wg sync.WaitGroup
		var bad, limited, busy atomic.Int64
		for i := 0; i < 200; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _, err := a.Login(ctx, "alice", "wrong-guess", "198.51.100.7")
				switch {
				case errors.Is(err, auth.ErrBadCredentials):
					bad.Add(1)
				case errors.Is(err, auth.ErrRateLimited):
					limited.Add(1)
				case errors.Is(err, auth.ErrBusy):
					busy.Add(1)
				default:
					t.Errorf("guess: %v", err)
				}
			}()
		}
		wg.Wait()
		if checks := a.PasswordChecks() - before; checks > 5 {
			t.Errorf("%d password checks for 200 concurrent guesses, want at most 5", checks)
		}
		if bad.Load() > 5 || bad.Load()+limited.Load()+busy.Load() != 200 {
			t.Errorf("answers: %d wrong, %d limited, %d busy", bad.Load(), limited.Load(), busy.Load())
		}
		if _, _, err := a.Login(ctx, "alice", "alice-password", "203.0.113.1"); err != nil {
			t.Fatalf("the real user from another address: %v", err)
		}
	})
}

// TestConcurrentLoginsAreBounded sends 500 logins at once from 500
// addresses: at most a few hashes run together, the rest wait briefly or
// are told the server is busy, and memory stays far from what 500
// concurrent argon2id hashes (19 MiB each) would take.
func TestConcurrentLoginsAreBounded(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := auth.NewService(db, nil)
		if _, err := a.CreateUser(ctx, "test", auth.NewUser{Name: "alice", Password: "alice-password", Role: auth.Operator}); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for i := 0; i < 500; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _, err := a.Login(ctx, []string{"alice", "nobody"}[i%2], "wrong-guess", fmt.Sprintf("10.9.%d.%d", i/250, i%250))
				if !errors.Is(err, auth.ErrBadCredentials) && !errors.Is(err, auth.ErrBusy) {
					t.Errorf("login %d: %v", i, err)
				}
			}()
		}
		wg.Wait()
		if hwm, ok := peakRSS(); ok && hwm > 1<<30 {
			t.Errorf("peak RSS %d MiB after 500 concurrent logins, want under 1 GiB", hwm>>20)
		}
	})
}

// peakRSS reads the process's high-water mark of resident memory.
func peakRSS() (int64, bool) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10, err == nil
		}
	}
	return 0, false
}
