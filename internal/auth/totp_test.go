package auth_test

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/audit"
	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// The generator against RFC 6238's test vectors for SHA-1 (appendix B),
// cut to six digits as RFC 4226 truncation does.
func TestTOTPCodeRFC6238Vectors(t *testing.T) {
	secret := base32.StdEncoding.EncodeToString([]byte("12345678901234567890"))
	for _, tc := range []struct {
		unix int64
		want string
	}{
		{59, "287082"},
		{1111111109, "081804"},
		{1111111111, "050471"},
		{1234567890, "005924"},
		{2000000000, "279037"},
		{20000000000, "353130"},
	} {
		t.Run(time.Unix(tc.unix, 0).UTC().Format(time.RFC3339), func(t *testing.T) {
			got, err := auth.TOTPCode(secret, time.Unix(tc.unix, 0))
			if err != nil || got != tc.want {
				t.Fatalf("TOTPCode = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	if _, err := auth.TOTPCode("not base32!", time.Now()); err == nil {
		t.Error("a secret that is not base32 gave a code")
	}
}

func TestTOTPURI(t *testing.T) {
	u, err := url.Parse(auth.TOTPURI("alice", "ABCDEFGH"))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Scheme != "otpauth" || u.Host != "totp" || u.Path != "/Sextant:alice" || q.Get("secret") != "ABCDEFGH" || q.Get("issuer") != "Sextant" ||
		q.Get("digits") != "6" || q.Get("period") != "30" || q.Get("algorithm") != "SHA1" {
		t.Fatalf("URI %s", u)
	}
}

func TestLoadKey(t *testing.T) {
	dir := t.TempDir()
	k1, err := auth.LoadKey(dir)
	if err != nil || len(k1) != 32 {
		t.Fatalf("LoadKey = %d bytes, %v", len(k1), err)
	}
	fi, err := os.Stat(filepath.Join(dir, auth.KeyFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, %v", fi, err)
	}
	k2, err := auth.LoadKey(dir)
	if err != nil || string(k1) != string(k2) {
		t.Fatal("the key changed between loads")
	}
	if err := os.WriteFile(filepath.Join(dir, auth.KeyFile), []byte("short\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := auth.LoadKey(dir); err == nil || !strings.Contains(err.Error(), auth.KeyFile) {
		t.Fatalf("a broken key file: %v", err)
	}
}

// enrol sets up alice's second factor at the clock's time and returns the
// secret and recovery codes, as a person with an authenticator app would.
func enrol(t *testing.T, a *auth.Service, p auth.Principal, now time.Time) (string, []string) {
	t.Helper()
	ctx := context.Background()
	e, err := a.BeginTOTP(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	code, err := auth.TOTPCode(e.Secret, now)
	if err != nil {
		t.Fatal(err)
	}
	codes, err := a.ConfirmTOTP(ctx, p, code)
	if err != nil {
		t.Fatal(err)
	}
	return e.Secret, codes
}

func TestTOTPEnrolAndLogin(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := &clock{t: time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)}
		a := auth.NewService(db, c.now)
		a.UseKey(make([]byte, 32))
		if _, err := a.CreateUser(ctx, "test", auth.NewUser{Name: "alice", Password: "alice-password", Role: auth.Operator}); err != nil {
			t.Fatal(err)
		}
		_, p, err := a.Login(ctx, "alice", "alice-password", "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}

		t.Run("a wrong code does not confirm the enrolment", func(t *testing.T) {
			e, err := a.BeginTOTP(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			again, err := a.PendingTOTP(ctx, p)
			if err != nil || again.Secret != e.Secret || !strings.Contains(e.URI, "secret="+e.Secret) {
				t.Fatalf("PendingTOTP = %+v, %v", again, err)
			}
			good, _ := auth.TOTPCode(e.Secret, c.t)
			bad := "000000"
			if bad == good {
				bad = "111111"
			}
			if _, err := a.ConfirmTOTP(ctx, p, bad); !errors.Is(err, auth.ErrBadCode) {
				t.Fatalf("wrong code: %v", err)
			}
			var inv *apperr.Invalid
			if _, err := a.ConfirmTOTP(ctx, p, "12ab"); !errors.As(err, &inv) || inv.Fields[0].Path != "code" {
				t.Fatalf("malformed code: %v", err)
			}
			if st, _ := a.TOTPStatus(ctx, p.UserID); st.Enabled || !st.Pending {
				t.Fatalf("status %+v", st)
			}
		})

		secret, recovery := enrol(t, a, p, c.t)
		if len(recovery) != auth.RecoveryCodes {
			t.Fatalf("%d recovery codes", len(recovery))
		}
		t.Run("the secret is sealed and never logged", func(t *testing.T) {
			var stored string
			if err := db.Reader().QueryRowContext(ctx, `SELECT secret FROM user_totp WHERE user_id = $1`, p.UserID).Scan(&stored); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(stored, secret) || !strings.HasPrefix(stored, "v1:") {
				t.Fatalf("stored secret %q is not sealed", stored)
			}
			entries, _, err := audit.List(ctx, db, audit.Filter{ObjectType: "user", ObjectID: "alice"}, store.Page{Limit: 50})
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				for _, code := range append([]string{secret}, recovery...) {
					if strings.Contains(string(e.Before)+string(e.After), code) {
						t.Fatalf("audit entry %+v holds a secret", e)
					}
				}
			}
			if _, err := a.PendingTOTP(ctx, p); !errors.Is(err, apperr.ErrNotFound) {
				t.Fatalf("the secret is shown after enrolment: %v", err)
			}
			if _, err := a.BeginTOTP(ctx, p); !errors.Is(err, apperr.ErrConflict) {
				t.Fatalf("a second enrolment while on: %v", err)
			}
		})

		// The code used to confirm was for this step: replay refused.
		c.t = c.t.Add(10 * time.Second)
		pending := func(t *testing.T) string {
			t.Helper()
			_, _, err := a.Login(ctx, "alice", "alice-password", "192.0.2.1")
			var pl *auth.PendingLogin
			if !errors.As(err, &pl) || !errors.Is(err, auth.ErrSecondFactor) || pl.Token == "" {
				t.Fatalf("login with a second factor = %v", err)
			}
			return pl.Token
		}
		t.Run("a code already used is refused", func(t *testing.T) {
			token := pending(t)
			code, _ := auth.TOTPCode(secret, c.t)
			if _, _, err := a.LoginSecondFactor(ctx, token, code, "192.0.2.1"); !errors.Is(err, auth.ErrBadCode) {
				t.Fatalf("replayed code: %v", err)
			}
		})
		t.Run("the next step's code signs in, once", func(t *testing.T) {
			c.t = c.t.Add(auth.TOTPStep)
			token := pending(t)
			code, _ := auth.TOTPCode(secret, c.t)
			if _, _, err := a.LoginSecondFactor(ctx, token, code, "198.51.100.7"); !errors.Is(err, auth.ErrLoginExpired) {
				t.Fatalf("from another address: %v", err)
			}
			id, p2, err := a.LoginSecondFactor(ctx, token, code, "192.0.2.1")
			if err != nil || id == "" || p2.Name != "alice" || !p2.SecondFactor {
				t.Fatalf("second step = %q, %+v, %v", id, p2, err)
			}
			if s, err := a.Session(ctx, id); err != nil || s.Name != "alice" || !s.SecondFactor {
				t.Fatalf("session = %+v, %v", s, err)
			}
			if _, _, err := a.LoginSecondFactor(ctx, token, code, "192.0.2.1"); !errors.Is(err, auth.ErrLoginExpired) {
				t.Fatalf("the pending login was used twice: %v", err)
			}
			token = pending(t)
			if _, _, err := a.LoginSecondFactor(ctx, token, code, "192.0.2.1"); !errors.Is(err, auth.ErrBadCode) {
				t.Fatalf("the same code in a new sign-in: %v", err)
			}
		})
		t.Run("a code one step off is accepted, two steps off is not", func(t *testing.T) {
			c.t = c.t.Add(5 * auth.TOTPStep)
			token := pending(t)
			far, _ := auth.TOTPCode(secret, c.t.Add(-2*auth.TOTPStep))
			if _, _, err := a.LoginSecondFactor(ctx, token, far, "192.0.2.1"); !errors.Is(err, auth.ErrBadCode) {
				t.Fatalf("two steps old: %v", err)
			}
			near, _ := auth.TOTPCode(secret, c.t.Add(auth.TOTPStep))
			if _, _, err := a.LoginSecondFactor(ctx, token, near, "192.0.2.1"); err != nil {
				t.Fatalf("one step ahead: %v", err)
			}
		})
		t.Run("a recovery code works once", func(t *testing.T) {
			token := pending(t)
			if _, _, err := a.LoginSecondFactor(ctx, token, strings.ToUpper(recovery[0]), "192.0.2.1"); err != nil {
				t.Fatalf("recovery code: %v", err)
			}
			token = pending(t)
			if _, _, err := a.LoginSecondFactor(ctx, token, recovery[0], "192.0.2.1"); !errors.Is(err, auth.ErrBadCode) {
				t.Fatalf("recovery code used twice: %v", err)
			}
			if st, _ := a.TOTPStatus(ctx, p.UserID); !st.Enabled || st.RecoveryLeft != auth.RecoveryCodes-1 {
				t.Fatalf("status %+v", st)
			}
		})
		t.Run("five wrong codes end the pending sign-in", func(t *testing.T) {
			c.t = c.t.Add(5 * auth.TOTPStep)
			token := pending(t)
			good, _ := auth.TOTPCode(secret, c.t)
			bad := "000000"
			if bad == good {
				bad = "111111"
			}
			for i := 1; i < auth.PendingLoginAttempts; i++ {
				if _, _, err := a.LoginSecondFactor(ctx, token, bad, "192.0.2.2"+string(rune('0'+i))); !errors.Is(err, auth.ErrLoginExpired) {
					// Another address is refused and counts too.
					t.Fatalf("attempt %d from elsewhere: %v", i, err)
				}
			}
			if _, _, err := a.LoginSecondFactor(ctx, token, bad, "192.0.2.1"); !errors.Is(err, auth.ErrLoginExpired) {
				t.Fatalf("fifth wrong code: %v", err)
			}
			if _, _, err := a.LoginSecondFactor(ctx, token, good, "192.0.2.1"); !errors.Is(err, auth.ErrLoginExpired) {
				t.Fatalf("a right code after five wrong ones: %v", err)
			}
		})
		t.Run("recovery codes are stored keyed, not as plain digests", func(t *testing.T) {
			var n int
			if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM totp_recovery_codes WHERE user_id = $1`, p.UserID).Scan(&n); err != nil || n != auth.RecoveryCodes {
				t.Fatalf("%d recovery code rows, %v", n, err)
			}
			sum := sha256.Sum256([]byte(recovery[1]))
			if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM totp_recovery_codes WHERE code_hash = $1`, hex.EncodeToString(sum[:])).Scan(&n); err != nil || n != 0 {
				t.Fatalf("a recovery code is stored as its SHA-256: %d, %v", n, err)
			}
		})
		t.Run("a password change ends a pending sign-in", func(t *testing.T) {
			token := pending(t)
			if err := a.SetPassword(ctx, "test", "alice", "alice-password"); err != nil {
				t.Fatal(err)
			}
			if _, _, err := a.LoginSecondFactor(ctx, token, recovery[9], "192.0.2.1"); !errors.Is(err, auth.ErrLoginExpired) {
				t.Fatalf("a pending sign-in outlived the password change: %v", err)
			}
		})
		t.Run("disable needs a code", func(t *testing.T) {
			c.t = c.t.Add(5 * auth.TOTPStep)
			if err := a.DisableTOTP(ctx, p, "000000x"); !errors.Is(err, auth.ErrBadCode) {
				t.Fatalf("disable with a wrong code: %v", err)
			}
			if err := a.DisableTOTP(ctx, p, recovery[1]); err != nil {
				t.Fatal(err)
			}
			if _, _, err := a.Login(ctx, "alice", "alice-password", "192.0.2.1"); err != nil {
				t.Fatalf("login without a second factor: %v", err)
			}
		})
		t.Run("an admin resets it", func(t *testing.T) {
			if err := a.ResetTOTP(ctx, "user:admin", "alice"); !errors.Is(err, apperr.ErrNotFound) {
				t.Fatalf("reset with none: %v", err)
			}
			enrol(t, a, p, c.t)
			token := pending(t)
			if err := a.ResetTOTP(ctx, "user:admin", "alice"); err != nil {
				t.Fatal(err)
			}
			if _, _, err := a.LoginSecondFactor(ctx, token, recovery[2], "192.0.2.1"); !errors.Is(err, auth.ErrLoginExpired) {
				t.Fatalf("a pending sign-in outlived the reset: %v", err)
			}
			if _, _, err := a.Login(ctx, "alice", "alice-password", "192.0.2.1"); err != nil {
				t.Fatalf("login after reset: %v", err)
			}
			entries, _, err := audit.List(ctx, db, audit.Filter{Actor: "user:admin"}, store.Page{Limit: 5})
			if err != nil || len(entries) == 0 || !strings.Contains(string(entries[0].After), "reset") {
				t.Fatalf("reset not audited: %+v, %v", entries, err)
			}
		})
		t.Run("a pending sign-in expires", func(t *testing.T) {
			c.t = c.t.Add(2 * auth.TOTPStep)
			secret, _ := enrol(t, a, p, c.t)
			token := pending(t)
			c.t = c.t.Add(auth.PendingLoginLifetime + time.Second)
			code, _ := auth.TOTPCode(secret, c.t)
			if _, _, err := a.LoginSecondFactor(ctx, token, code, "192.0.2.1"); !errors.Is(err, auth.ErrLoginExpired) {
				t.Fatalf("an expired pending sign-in: %v", err)
			}
		})
	})
}

func TestSecondFactorRequired(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := &clock{t: time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)}
		a := auth.NewService(db, c.now)
		for _, u := range []auth.NewUser{{Name: "root", Password: "root-password", Role: auth.Admin}, {Name: "bob", Password: "bob-password", Role: auth.Viewer}} {
			if _, err := a.CreateUser(ctx, "test", u); err != nil {
				t.Fatal(err)
			}
		}
		a.RequireSecondFactor([]auth.Role{auth.Admin})
		id, _, err := a.Login(ctx, "root", "root-password", "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Session(ctx, id); !errors.Is(err, auth.ErrSecondFactorRequired) || !errors.Is(err, auth.ErrUnauthenticated) {
			t.Fatalf("admin without a second factor: %v", err)
		}
		p, err := a.EnrolmentSession(ctx, id)
		if err != nil || p.Name != "root" {
			t.Fatalf("enrolment session = %+v, %v", p, err)
		}
		enrol(t, a, p, c.t)
		if _, err := a.Session(ctx, id); err != nil {
			t.Fatalf("after enrolment: %v", err)
		}
		bob, _, err := a.Login(ctx, "bob", "bob-password", "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Session(ctx, bob); err != nil {
			t.Fatalf("a viewer is not required: %v", err)
		}
		if users, err := a.TwoFactorUsers(ctx); err != nil || !users["root"] || users["bob"] {
			t.Fatalf("TwoFactorUsers = %v, %v", users, err)
		}
	})
}
