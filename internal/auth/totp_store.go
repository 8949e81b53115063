package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/audit"
	"github.com/sextant-ops/sextant/internal/store"
)

// Errors of the second factor a caller tells apart.
var (
	// ErrSecondFactor is a right password for an account with a second
	// factor: the sign-in goes on with LoginSecondFactor.
	ErrSecondFactor = errors.New("the password was right; a second factor is needed")
	// ErrBadCode is a wrong (or already used) code.
	ErrBadCode = errors.New("wrong code")
	// ErrLoginExpired is a pending sign-in that is over: too old, too many
	// wrong codes, or never started. The password is needed again.
	ErrLoginExpired = errors.New("this sign-in has expired or had too many wrong codes; sign in again with your password")
)

// PendingLoginLifetime is how long the second step of a sign-in waits for
// its code, and PendingLoginAttempts how many codes it checks before it
// dies; the password must then be entered again.
const (
	PendingLoginLifetime = 5 * time.Minute
	PendingLoginAttempts = 5
)

// PendingLogin is a sign-in whose password was right and whose second
// factor is still to come. It is returned as an error by Login, so that a
// caller that knows nothing of second factors does not start a session.
type PendingLogin struct {
	// Token binds the second step to this sign-in; it is kept server-side
	// as a digest and is not a session.
	Token string
	User  string
}

// Error says what is still needed.
func (p *PendingLogin) Error() string { return ErrSecondFactor.Error() }

// Is makes errors.Is(err, ErrSecondFactor) hold.
func (p *PendingLogin) Is(target error) bool { return target == ErrSecondFactor }

// UseKey sets the key that seals TOTP secrets (see LoadKey); without one
// they are stored in the clear. It is called once, before serving.
func (s *Service) UseKey(key []byte) { s.key = key }

// RequireSecondFactor sets the roles whose users must have a second
// factor; the running config's list replaces the last one whole.
func (s *Service) RequireSecondFactor(roles []Role) {
	r := slices.Clone(roles)
	s.required.Store(&r)
}

// SecondFactorRequired says whether users of role must have a second
// factor.
func (s *Service) SecondFactorRequired(role Role) bool {
	r := s.required.Load()
	return r != nil && slices.Contains(*r, role)
}

// TOTPState is where a user's second factor stands.
type TOTPState struct {
	Enabled bool
	// Pending is an enrolment started and not yet confirmed.
	Pending      bool
	EnabledAt    time.Time
	RecoveryLeft int
}

// Enrolment is a secret being set up, shown only until it is confirmed.
type Enrolment struct {
	Secret string
	URI    string
}

func (s *Service) hasSecondFactor(ctx context.Context, q store.Querier, userID int64) (bool, error) {
	var n int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM user_totp WHERE user_id = $1 AND enabled_at IS NOT NULL`, userID).Scan(&n); err != nil {
		return false, fmt.Errorf("auth: second factor: %w", err)
	}
	return n > 0, nil
}

// TOTPStatus returns where a user's second factor stands.
func (s *Service) TOTPStatus(ctx context.Context, userID int64) (TOTPState, error) {
	var st TOTPState
	var enabled sql.NullInt64
	err := s.db.Reader().QueryRowContext(ctx, `SELECT enabled_at FROM user_totp WHERE user_id = $1`, userID).Scan(&enabled)
	if errors.Is(err, sql.ErrNoRows) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("auth: second factor: %w", err)
	}
	st.Enabled, st.Pending, st.EnabledAt = enabled.Valid, !enabled.Valid, store.FromNullMillis(enabled)
	err = s.db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM totp_recovery_codes WHERE user_id = $1 AND used_at IS NULL`, userID).Scan(&st.RecoveryLeft)
	if err != nil {
		return st, fmt.Errorf("auth: recovery codes: %w", err)
	}
	return st, nil
}

// TwoFactorUsers returns the names of the users with a second factor on,
// for the admin's user list.
func (s *Service) TwoFactorUsers(ctx context.Context) (map[string]bool, error) {
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT u.name FROM user_totp t JOIN users u ON u.id = t.user_id WHERE t.enabled_at IS NOT NULL`)
	if err != nil {
		return nil, fmt.Errorf("auth: second factors: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out[n] = true
	}
	return out, rows.Err()
}

// codeDigest is how a recovery code is stored: an HMAC under the server's
// key (a plain SHA-256 without one), of the user's id and the code, so
// that a copy of the database alone is no list of codes to try offline.
func (s *Service) codeDigest(userID int64, code string) string {
	msg := strconv.FormatInt(userID, 10) + ":" + code
	if s.key == nil {
		return digest(msg)
	}
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(msg))
	return hex.EncodeToString(m.Sum(nil))
}

// auditFactor records a step of a user's second factor; the secret and
// the codes never go into the log.
func (s *Service) auditFactor(ctx context.Context, tx *sql.Tx, now time.Time, actor, user, before, after string) error {
	var b, a any
	if before != "" {
		b = map[string]string{"second_factor": before}
	}
	if after != "" {
		a = map[string]string{"second_factor": after}
	}
	return audit.Record(ctx, tx, now, actor, audit.Update, "user", user, b, a)
}

// BeginTOTP starts (or starts again) setting up p's second factor with a
// new secret. It is a conflict while a second factor is on: it must be
// turned off first, with a code.
func (s *Service) BeginTOTP(ctx context.Context, p Principal) (Enrolment, error) {
	secret := newTOTPSecret()
	sealed, err := seal(s.key, p.UserID, secret)
	if err != nil {
		return Enrolment{}, err
	}
	now := s.now()
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if on, err := s.hasSecondFactor(ctx, tx, p.UserID); err != nil {
			return err
		} else if on {
			return apperr.Conflict("two-factor sign-in is already on for %q", p.Name)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM user_totp WHERE user_id = $1`, p.UserID); err != nil {
			return fmt.Errorf("auth: begin totp: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO user_totp (user_id, secret, last_step, created_at) VALUES ($1, $2, 0, $3)`, p.UserID, sealed, store.Millis(now)); err != nil {
			return fmt.Errorf("auth: begin totp: %w", err)
		}
		return s.auditFactor(ctx, tx, now, p.Actor(), p.Name, "off", "enrolling")
	})
	if err != nil {
		return Enrolment{}, err
	}
	return Enrolment{Secret: secret, URI: TOTPURI(p.Name, secret)}, nil
}

// PendingTOTP returns the secret of p's unconfirmed enrolment, so the set-up
// page can show it again until a code confirms it; after that it is never
// shown. It is not found when no enrolment is under way.
func (s *Service) PendingTOTP(ctx context.Context, p Principal) (Enrolment, error) {
	var sealed string
	err := s.db.Reader().QueryRowContext(ctx, `SELECT secret FROM user_totp WHERE user_id = $1 AND enabled_at IS NULL`, p.UserID).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return Enrolment{}, apperr.NotFound("a two-factor set-up under way for %q", p.Name)
	}
	if err != nil {
		return Enrolment{}, fmt.Errorf("auth: pending totp: %w", err)
	}
	secret, err := unseal(s.key, p.UserID, sealed)
	if err != nil {
		return Enrolment{}, err
	}
	return Enrolment{Secret: secret, URI: TOTPURI(p.Name, secret)}, nil
}

// ConfirmTOTP turns p's second factor on when code is a current code of
// the enrolment's secret, and returns the recovery codes, which are stored
// as digests and never shown again.
func (s *Service) ConfirmTOTP(ctx context.Context, p Principal, code string) ([]string, error) {
	code = normaliseCode(code)
	if !isTOTPCode(code) {
		return nil, &apperr.Invalid{Fields: []apperr.Field{{Path: "code", Msg: fmt.Sprintf("must be the %d digits your app shows", TOTPDigits)}}}
	}
	now := s.now()
	codes := make([]string, RecoveryCodes)
	for i := range codes {
		codes[i] = newRecoveryCode()
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var sealed string
		var last int64
		err := tx.QueryRowContext(ctx, `SELECT secret, last_step FROM user_totp WHERE user_id = $1 AND enabled_at IS NULL`, p.UserID).Scan(&sealed, &last)
		if errors.Is(err, sql.ErrNoRows) {
			return apperr.NotFound("a two-factor set-up under way for %q", p.Name)
		}
		if err != nil {
			return fmt.Errorf("auth: confirm totp: %w", err)
		}
		secret, err := unseal(s.key, p.UserID, sealed)
		if err != nil {
			return err
		}
		key, err := decodeTOTPSecret(secret)
		if err != nil {
			return err
		}
		step, ok := matchTOTP(key, code, now, last)
		if !ok {
			return ErrBadCode
		}
		if _, err := tx.ExecContext(ctx, `UPDATE user_totp SET enabled_at = $2, last_step = $3 WHERE user_id = $1`, p.UserID, store.Millis(now), step); err != nil {
			return fmt.Errorf("auth: confirm totp: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM totp_recovery_codes WHERE user_id = $1`, p.UserID); err != nil {
			return fmt.Errorf("auth: recovery codes: %w", err)
		}
		for _, c := range codes {
			if _, err := tx.ExecContext(ctx, `INSERT INTO totp_recovery_codes (user_id, code_hash) VALUES ($1, $2)`, p.UserID, s.codeDigest(p.UserID, normaliseCode(c))); err != nil {
				return fmt.Errorf("auth: recovery codes: %w", err)
			}
		}
		return s.auditFactor(ctx, tx, now, p.Actor(), p.Name, "enrolling", "on")
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

// checkFactor checks code — a TOTP code or a recovery code — for a user
// inside tx and uses it up: a TOTP code's time step is recorded, so the
// same code (or an older one) is refused afterwards, and a recovery code is
// marked used. It returns "totp" or "recovery code", or ErrBadCode.
func (s *Service) checkFactor(ctx context.Context, tx *sql.Tx, userID int64, code string, now time.Time) (string, error) {
	code = normaliseCode(code)
	if code == "" {
		return "", ErrBadCode
	}
	var sealed string
	var last int64
	err := tx.QueryRowContext(ctx, `SELECT secret, last_step FROM user_totp WHERE user_id = $1 AND enabled_at IS NOT NULL`, userID).Scan(&sealed, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrBadCode
	}
	if err != nil {
		return "", fmt.Errorf("auth: second factor: %w", err)
	}
	if !isTOTPCode(code) {
		res, err := tx.ExecContext(ctx, `UPDATE totp_recovery_codes SET used_at = $3 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL`,
			userID, s.codeDigest(userID, code), store.Millis(now))
		if err != nil {
			return "", fmt.Errorf("auth: recovery code: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return "", ErrBadCode
		}
		return "recovery code", nil
	}
	secret, err := unseal(s.key, userID, sealed)
	if err != nil {
		return "", err
	}
	key, err := decodeTOTPSecret(secret)
	if err != nil {
		return "", err
	}
	step, ok := matchTOTP(key, code, now, last)
	if !ok {
		return "", ErrBadCode
	}
	// Compare-and-set, so that two requests with one code cannot both
	// pass on PostgreSQL either.
	res, err := tx.ExecContext(ctx, `UPDATE user_totp SET last_step = $2 WHERE user_id = $1 AND last_step < $2`, userID, step)
	if err != nil {
		return "", fmt.Errorf("auth: second factor: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return "", ErrBadCode
	}
	return "totp", nil
}

// DisableTOTP turns p's second factor off, given a current code or an
// unused recovery code, and forgets the secret and recovery codes.
func (s *Service) DisableTOTP(ctx context.Context, p Principal, code string) error {
	now := s.now()
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		how, err := s.checkFactor(ctx, tx, p.UserID, code, now)
		if err != nil {
			return err
		}
		if err := removeFactor(ctx, tx, p.UserID); err != nil {
			return err
		}
		return s.auditFactor(ctx, tx, now, p.Actor(), p.Name, "on", "off (confirmed with a "+how+")")
	})
}

// ResetTOTP turns off another user's second factor, for an admin helping
// someone who lost their phone and codes (and for `sextant user
// reset-2fa`). It is not found when the user has none, on or pending.
func (s *Service) ResetTOTP(ctx context.Context, actor, name string) error {
	now := s.now()
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		u, err := getUser(ctx, tx, name)
		if err != nil {
			return err
		}
		var enabled sql.NullInt64
		err = tx.QueryRowContext(ctx, `SELECT enabled_at FROM user_totp WHERE user_id = $1`, u.ID).Scan(&enabled)
		if errors.Is(err, sql.ErrNoRows) {
			return apperr.NotFound("two-factor sign-in for user %q", name)
		}
		if err != nil {
			return fmt.Errorf("auth: reset totp: %w", err)
		}
		if err := removeFactor(ctx, tx, u.ID); err != nil {
			return err
		}
		before := "on"
		if !enabled.Valid {
			before = "enrolling"
		}
		return s.auditFactor(ctx, tx, now, actor, name, before, "off (reset)")
	})
}

// removeFactor forgets a user's secret, recovery codes and pending
// sign-ins.
func removeFactor(ctx context.Context, tx *sql.Tx, userID int64) error {
	for _, q := range []string{`DELETE FROM user_totp WHERE user_id = $1`, `DELETE FROM totp_recovery_codes WHERE user_id = $1`, `DELETE FROM pending_logins WHERE user_id = $1`} {
		if _, err := tx.ExecContext(ctx, q, userID); err != nil {
			return fmt.Errorf("auth: remove second factor: %w", err)
		}
	}
	return nil
}

// startPendingLogin records a sign-in waiting for its second factor and
// returns its token. Old pending sign-ins are swept on the way.
func (s *Service) startPendingLogin(ctx context.Context, userID int64, ip string, now time.Time) (string, error) {
	token := randomToken(32)
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM pending_logins WHERE expires_at <= $1`, store.Millis(now)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO pending_logins (id_hash, user_id, ip, failures, created_at, expires_at) VALUES ($1, $2, $3, 0, $4, $5)`,
			digest(token), userID, ip, store.Millis(now), store.Millis(now.Add(PendingLoginLifetime)))
		return err
	})
	if err != nil {
		return "", fmt.Errorf("auth: pending login: %w", err)
	}
	return token, nil
}

// LoginSecondFactor finishes a sign-in Login left pending: code is a TOTP
// code or a recovery code, from the same address. Each pending sign-in
// checks at most PendingLoginAttempts codes — the attempt is counted before
// the code is checked — and codes are also limited per (user, address)
// pair and per address like passwords. A wrong code is ErrBadCode; a
// sign-in that is over is ErrLoginExpired.
func (s *Service) LoginSecondFactor(ctx context.Context, token, code, ip string) (string, Principal, error) {
	if token == "" {
		return "", Principal{}, ErrLoginExpired
	}
	now := s.now()
	var u User
	var pendingIP string
	var failures int
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var userID int64
		err := tx.QueryRowContext(ctx, `UPDATE pending_logins SET failures = failures + 1 WHERE id_hash = $1 AND failures < $2 AND expires_at > $3
			RETURNING user_id, ip, failures`, digest(token), PendingLoginAttempts, store.Millis(now)).Scan(&userID, &pendingIP, &failures)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrLoginExpired
		}
		if err != nil {
			return err
		}
		u, err = scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, userID))
		return err
	})
	if err != nil {
		if errors.Is(err, ErrLoginExpired) {
			return "", Principal{}, err
		}
		return "", Principal{}, fmt.Errorf("auth: second factor: %w", err)
	}
	if pendingIP != ip || u.Disabled {
		return "", Principal{}, ErrLoginExpired
	}
	refund, ok := take(now, s.limiter("code-pair:"+ip+"\x00"+u.Name, pairBurst, pairEvery), s.limiter("code-ip:"+ip, addrBurst, addrEvery))
	if !ok {
		return "", Principal{}, ErrRateLimited
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		how, err := s.checkFactor(ctx, tx, u.ID, code, now)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM pending_logins WHERE id_hash = $1`, digest(token)); err != nil {
			return err
		}
		if how == "recovery code" {
			// Using a recovery code is worth a line in the audit log: it
			// may mean a lost phone, or a stolen code.
			return s.auditFactor(ctx, tx, now, "user:"+u.Name, u.Name, "", "signed in with a recovery code")
		}
		return nil
	})
	if errors.Is(err, ErrBadCode) {
		if failures >= PendingLoginAttempts {
			if _, err := s.db.Writer().ExecContext(ctx, `DELETE FROM pending_logins WHERE id_hash = $1`, digest(token)); err != nil {
				return "", Principal{}, fmt.Errorf("auth: second factor: %w", err)
			}
			return "", Principal{}, ErrLoginExpired
		}
		return "", Principal{}, ErrBadCode
	}
	if err != nil {
		return "", Principal{}, fmt.Errorf("auth: second factor: %w", err)
	}
	refund()
	id, p, err := s.startSession(ctx, s.db.Writer(), u, "")
	p.SecondFactor = true
	return id, p, err
}
