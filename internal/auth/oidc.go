package auth

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/audit"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/store"
)

// SSOStateLifetime is how long a sign-in begun at the provider may take to
// come back; a slower one starts again.
const SSOStateLifetime = 10 * time.Minute

// Limits on sign-ins begun, which anyone may start without a password: an
// address may begin twenty at once, then one every fifteen seconds, and at
// most MaxSSOStates may be under way in all, so that a flood of requests
// cannot fill the table.
const (
	ssoBurst     = 20
	ssoEvery     = 15 * time.Second
	MaxSSOStates = 10000
)

// Errors of single sign-on a caller tells apart.
var (
	// ErrSSOState is a callback whose state is unknown, used or expired: it
	// came from another browser, twice, or too late.
	ErrSSOState = errors.New("the sign-in had expired or was begun in another browser")
	// ErrAccountDisabled is an SSO account an admin has disabled.
	ErrAccountDisabled = errors.New("this account is disabled")
)

// SSOIdentity is who an OpenID Connect provider says signed in, after its
// ID token has been verified and its claims mapped to a role.
type SSOIdentity struct {
	Issuer  string
	Subject string
	// Username is the provider's preferred user name (or e-mail); a new
	// account's name is made from it, and never changes afterwards.
	Username    string
	DisplayName string
	Email       string
	Role        Role
	// IDToken is kept with the session, to be sent back to the provider as
	// id_token_hint when the user signs out.
	IDToken string
}

// SSOSignIn finds the account of an SSO identity by issuer and subject —
// never by name — creating it on first sign-in and updating its role, name
// and e-mail from the claims on every one, and starts a session. It
// returns the session id for the cookie and whether the account was new.
//
// The account's name is the provider's user name made into a Sextant name;
// when that is taken (by a local account or another provider's user), a
// suffix from the subject's digest is added ("alice-3fa2c1"), so an SSO
// user can never sign in as, or be mistaken for, a local account.
func (s *Service) SSOSignIn(ctx context.Context, id SSOIdentity) (string, Principal, bool, error) {
	if id.Issuer == "" || id.Subject == "" {
		return "", Principal{}, false, errors.New("auth: sso sign-in without issuer or subject")
	}
	if _, ok := rank[id.Role]; !ok {
		return "", Principal{}, false, fmt.Errorf("auth: sso sign-in with role %q", id.Role)
	}
	display := truncate(id.DisplayName, 200)
	email := id.Email
	if !strings.Contains(email, "@") || len(email) > 254 {
		email = ""
	}
	var (
		sid     string
		p       Principal
		created bool
	)
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		now := s.now()
		actor := "sso:" + id.Issuer
		u, err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE sso_issuer = $1 AND sso_subject = $2`, id.Issuer, id.Subject))
		switch {
		case errors.Is(err, sql.ErrNoRows):
			name, err := freeSSOName(ctx, tx, id)
			if err != nil {
				return err
			}
			t := now.UTC().Truncate(time.Millisecond)
			u = User{Name: name, DisplayName: display, Email: email, Role: id.Role, SSOIssuer: id.Issuer, CreatedAt: t, UpdatedAt: t}
			// The password hash is not an argon2id hash, so no password can
			// ever match it; Login refuses SSO accounts before looking.
			err = tx.QueryRowContext(ctx, `INSERT INTO users (name, display_name, email, role, password_hash, disabled, created_at, updated_at, sso_issuer, sso_subject)
				VALUES ($1, $2, $3, $4, '!sso', $5, $6, $6, $7, $8) RETURNING id`, u.Name, u.DisplayName, u.Email, u.Role, false, store.Millis(now), id.Issuer, id.Subject).Scan(&u.ID)
			if err != nil {
				return fmt.Errorf("auth: create sso user: %w", err)
			}
			created = true
			if err := audit.Record(ctx, tx, now, actor, audit.Create, "user", u.Name, nil, u); err != nil {
				return err
			}
		case err != nil:
			return fmt.Errorf("auth: find sso user: %w", err)
		case u.Disabled:
			return ErrAccountDisabled
		case u.Role != id.Role || u.DisplayName != display || u.Email != email:
			before := u
			u.Role, u.DisplayName, u.Email, u.UpdatedAt = id.Role, display, email, now.UTC().Truncate(time.Millisecond)
			if _, err := tx.ExecContext(ctx, `UPDATE users SET role = $2, display_name = $3, email = $4, updated_at = $5 WHERE id = $1`,
				u.ID, u.Role, u.DisplayName, u.Email, store.Millis(now)); err != nil {
				return fmt.Errorf("auth: update sso user: %w", err)
			}
			if err := audit.Record(ctx, tx, now, actor, audit.Update, "user", u.Name, before, u); err != nil {
				return err
			}
		}
		if sid, p, err = s.startSession(ctx, tx, u, id.IDToken); err != nil {
			return err
		}
		return audit.Record(ctx, tx, now, actor, "sign-in", "user", u.Name, nil, map[string]string{"role": string(u.Role)})
	})
	if err != nil {
		return "", Principal{}, false, err
	}
	return sid, p, created, nil
}

// freeSSOName returns the name a new SSO account gets: the provider's user
// name made into a Sextant name, suffixed when that name is taken.
func freeSSOName(ctx context.Context, tx *sql.Tx, id SSOIdentity) (string, error) {
	base := ssoBaseName(id.Username)
	sum := sha256.Sum256([]byte(id.Issuer + "\x00" + id.Subject))
	suffix := "-" + hex.EncodeToString(sum[:3])
	suffixed := strings.TrimRight(truncate(base, 64-len(suffix)), "-_") + suffix
	for _, name := range []string{base, suffixed} {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE name = $1`, name).Scan(&n); err != nil {
			return "", fmt.Errorf("auth: sso user name: %w", err)
		}
		if n == 0 {
			return name, nil
		}
	}
	return "", apperr.Conflict("user names %q and %q are both taken; rename one of those accounts", base, suffixed)
}

// ssoBaseName turns a provider's user name or e-mail into a Sextant name:
// the part before any "@", lower case, other characters as '-'.
func ssoBaseName(username string) string {
	if at := strings.IndexByte(username, '@'); at >= 0 {
		username = username[:at]
	}
	var b strings.Builder
	for _, r := range strings.ToLower(username) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	name := strings.Trim(truncate(b.String(), 64), "-_")
	if !catalog.ValidName(name) {
		return "sso-user"
	}
	return name
}

// truncate cuts s to at most n bytes without splitting a character.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8Start(s[n]) {
		n--
	}
	return s[:n]
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

// EndSSOSessions ends every session of the SSO identity (issuer, subject),
// for a user the provider still knows but Sextant now refuses (no role, or
// no longer allowed): the sessions they had stop at once.
func (s *Service) EndSSOSessions(ctx context.Context, issuer, subject string) error {
	_, err := s.db.Writer().ExecContext(ctx, `DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE sso_issuer = $1 AND sso_subject = $2)`, issuer, subject)
	if err != nil {
		return fmt.Errorf("auth: end sso sessions: %w", err)
	}
	return nil
}

// SessionIDToken returns the ID token a session began with; "" for a local
// login or an unknown session.
func (s *Service) SessionIDToken(ctx context.Context, sessionID string) (string, error) {
	var tok string
	err := s.db.Reader().QueryRowContext(ctx, `SELECT id_token FROM sessions WHERE id_hash = $1`, digest(sessionID)).Scan(&tok)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("auth: session id token: %w", err)
	}
	return tok, nil
}

// SSOState is what a sign-in at the provider must come back with: the
// nonce its ID token carries, the PKCE verifier of its code, and the page
// to return to.
type SSOState struct {
	Nonce    string
	Verifier string
	Next     string
}

// SaveSSOState keeps the state of a sign-in begun from the address ip
// under its state value (stored as a digest) for SSOStateLifetime, and
// forgets expired ones. It answers ErrRateLimited when ip has begun too
// many, and ErrBusy when MaxSSOStates are under way.
func (s *Service) SaveSSOState(ctx context.Context, ip, state string, st SSOState) error {
	now := s.now()
	if !s.limiter("sso:"+ip, ssoBurst, ssoEvery).AllowN(now, 1) {
		return ErrRateLimited
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sso_states WHERE expires_at <= $1`, store.Millis(now)); err != nil {
			return fmt.Errorf("auth: forget sso states: %w", err)
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM sso_states`).Scan(&n); err != nil {
			return fmt.Errorf("auth: count sso states: %w", err)
		}
		if n >= MaxSSOStates {
			return ErrBusy
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO sso_states (state_hash, nonce, verifier, next, expires_at) VALUES ($1, $2, $3, $4, $5)`,
			digest(state), st.Nonce, st.Verifier, st.Next, store.Millis(now.Add(SSOStateLifetime))); err != nil {
			return fmt.Errorf("auth: save sso state: %w", err)
		}
		return nil
	})
}

// TakeSSOState returns and forgets the state of a sign-in, so that each
// callback is honoured once; ErrSSOState when it is unknown or expired.
func (s *Service) TakeSSOState(ctx context.Context, state string) (SSOState, error) {
	if state == "" {
		return SSOState{}, ErrSSOState
	}
	var st SSOState
	var expires int64
	err := s.db.Writer().QueryRowContext(ctx, `DELETE FROM sso_states WHERE state_hash = $1 RETURNING nonce, verifier, next, expires_at`, digest(state)).
		Scan(&st.Nonce, &st.Verifier, &st.Next, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return SSOState{}, ErrSSOState
	}
	if err != nil {
		return SSOState{}, fmt.Errorf("auth: take sso state: %w", err)
	}
	if !s.now().Before(store.FromMillis(expires)) {
		return SSOState{}, ErrSSOState
	}
	return st, nil
}
