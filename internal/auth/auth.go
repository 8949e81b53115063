package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"golang.org/x/time/rate"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/audit"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/store"
)

// SessionLifetime is how long a UI session lasts after login.
const SessionLifetime = 12 * time.Hour

// TokenPrefix starts every API token, so that secret scanners and people can
// recognise one.
const TokenPrefix = "sxt_"

// Errors a caller tells apart.
var (
	ErrBadCredentials = errors.New("wrong user name or password")
	ErrRateLimited    = errors.New("too many failed logins; wait a minute and try again")
	// ErrBusy is a login refused because too many are being checked at
	// once; the client should retry in a second.
	ErrBusy            = errors.New("too many sign-ins at once; try again in a moment")
	ErrUnauthenticated = errors.New("not signed in, or the session or token has expired")
)

// ErrSecondFactorRequired is a session whose user must set up a second
// factor before doing anything else (the config requires one for their
// role). It is an ErrUnauthenticated, so the API and every page that does
// not know about enrolment refuse such a session.
var ErrSecondFactorRequired = fmt.Errorf("%w: this account must set up two-factor sign-in first", ErrUnauthenticated)

// Principal is who is making a request.
type Principal struct {
	Kind   string // "user" or "token"
	Name   string
	Role   Role
	UserID int64
	// Location is the check location an agent token is bound to; empty
	// for everyone else (and for agent tokens made before tokens had
	// locations, which the agent endpoints refuse).
	Location string
	// CSRF is the session's anti-forgery token; empty for API tokens, which
	// browsers never send on their own.
	CSRF string
	// SecondFactor says whether the user has two-factor sign-in on.
	SecondFactor bool
	// SSO says the account is managed by the single sign-on provider.
	SSO bool
	// Timezone is the user's own time zone (an IANA name) from their
	// profile; empty when they have not chosen one.
	Timezone string
}

// Actor names the principal in the audit log: "user:alice", "token:ci".
func (p Principal) Actor() string { return p.Kind + ":" + p.Name }

// User is an account, without its password hash.
type User struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	DisplayName string `json:"display_name,omitempty"`
	Email       string `json:"email,omitempty"`
	Role        Role   `json:"role"`
	Disabled    bool   `json:"disabled"`
	// Organisation groups requesters: a ticket one of them shares is
	// visible to the others of the same organisation.
	Organisation string `json:"organisation,omitempty"`
	// SSOIssuer is the OpenID Connect provider an SSO-managed account
	// signs in through; empty for a local account with a password.
	SSOIssuer string    `json:"sso_issuer,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Token is an API token's record; the secret itself is shown once, at
// creation, and never stored.
type Token struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Prefix string `json:"prefix"`
	Role   Role   `json:"role"`
	// Location is the check location an agent token is bound to.
	Location   string    `json:"location,omitempty"`
	CreatedBy  string    `json:"created_by"`
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
	RevokedAt  time.Time `json:"revoked_at,omitzero"`
}

// Service manages accounts, sessions and tokens.
type Service struct {
	db  *store.DB
	now func() time.Time

	mu       sync.Mutex
	limiters map[string]*rate.Limiter
	// sharedLimits keeps the failed-login buckets in the database too
	// (ShareLimits), for replicas.
	sharedLimits bool

	hashing chan struct{} // a slot per password hash computed at once
	waiters atomic.Int64  // logins waiting for a slot
	hashes  atomic.Int64  // password hashes computed by logins

	// key seals TOTP secrets in the database; nil keeps them in the clear.
	key []byte
	// required are the roles that must have a second factor, swapped
	// whole when the config is reloaded.
	required atomic.Pointer[[]Role]
}

// NewService returns the auth service on db; now nil means time.Now.
func NewService(db *store.DB, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{db: db, now: now, limiters: map[string]*rate.Limiter{}, hashing: make(chan struct{}, MaxConcurrentHashes)}
}

// NewUser is what creating an account takes.
type NewUser struct {
	Name        string `json:"name"`
	Password    string `json:"password"`
	Role        Role   `json:"role"`
	DisplayName string `json:"display_name,omitempty"`
	Email       string `json:"email,omitempty"`
	// Organisation is a requester's company or department, for sharing
	// tickets within it.
	Organisation string `json:"organisation,omitempty"`
}

// Validate reports every problem with a new account, naming each field;
// CreateUser refuses an account that has any, and the API asks about a
// body that decoded only in part so that it can report every mistake.
func (u NewUser) Validate() error {
	var inv apperr.Invalid
	if !catalog.ValidName(u.Name) {
		inv.Add("name", "%q must be lower-case letters, digits, '-' or '_' (at most 64)", u.Name)
	}
	if len(u.Password) < MinPasswordLen {
		inv.Add("password", "must be at least %d characters", MinPasswordLen)
	}
	if len(u.Password) > 1024 {
		inv.Add("password", "must be at most 1024 characters")
	}
	if _, err := ParseRole(string(u.Role)); err != nil {
		inv.Add("role", "%v", err)
	}
	if len(u.DisplayName) > 200 {
		inv.Add("display_name", "is longer than 200 characters")
	}
	if u.Email != "" && (!strings.Contains(u.Email, "@") || len(u.Email) > 254) {
		inv.Add("email", "%q is not an e-mail address", u.Email)
	}
	if len(u.Organisation) > 200 || strings.ContainsFunc(u.Organisation, unicode.IsControl) {
		inv.Add("organisation", "must be at most 200 characters without control characters")
	}
	return inv.Err()
}

// CreateUser adds an account.
func (s *Service) CreateUser(ctx context.Context, actor string, nu NewUser) (User, error) {
	if err := nu.Validate(); err != nil {
		return User{}, err
	}
	hash, err := HashPassword(nu.Password)
	if err != nil {
		return User{}, err
	}
	now := s.now()
	u := User{Name: nu.Name, DisplayName: nu.DisplayName, Email: nu.Email, Role: nu.Role, Organisation: strings.TrimSpace(nu.Organisation), CreatedAt: now.UTC().Truncate(time.Millisecond), UpdatedAt: now.UTC().Truncate(time.Millisecond)}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO users (name, display_name, email, role, password_hash, disabled, organisation, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id`, u.Name, u.DisplayName, u.Email, u.Role, hash, false, u.Organisation, store.Millis(now)).Scan(&u.ID)
		if store.IsUniqueViolation(err) {
			return apperr.Conflict("user %q already exists", u.Name)
		}
		if err != nil {
			return fmt.Errorf("auth: create user: %w", err)
		}
		return audit.Record(ctx, tx, now, actor, audit.Create, "user", u.Name, nil, u)
	})
	return u, err
}

// SetPassword replaces a user's password and ends their sessions and the
// sign-ins waiting for a second factor.
func (s *Service) SetPassword(ctx context.Context, actor, name, password string) error {
	if len(password) < MinPasswordLen {
		return &apperr.Invalid{Fields: []apperr.Field{{Path: "password", Msg: fmt.Sprintf("must be at least %d characters", MinPasswordLen)}}}
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		u, err := getUser(ctx, tx, name)
		if err != nil {
			return err
		}
		if u.SSOIssuer != "" {
			return apperr.Conflict("user %q signs in through single sign-on and has no password", name)
		}
		now := s.now()
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1`, u.ID, hash, store.Millis(now)); err != nil {
			return fmt.Errorf("auth: set password: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1`, u.ID); err != nil {
			return fmt.Errorf("auth: end sessions: %w", err)
		}
		// A sign-in waiting for its code was started with the old password.
		if _, err := tx.ExecContext(ctx, `DELETE FROM pending_logins WHERE user_id = $1`, u.ID); err != nil {
			return fmt.Errorf("auth: end pending sign-ins: %w", err)
		}
		return audit.Record(ctx, tx, now, actor, audit.Update, "user", name, map[string]string{"password": "[redacted]"}, map[string]string{"password": "[changed]"})
	})
}

// SetTimezone sets the time zone the UI shows name's times in: an IANA
// name such as Europe/Berlin, or "" for the browser's own.
func (s *Service) SetTimezone(ctx context.Context, actor, name, zone string) error {
	if zone != "" {
		if _, err := time.LoadLocation(zone); err != nil || zone == "Local" {
			return &apperr.Invalid{Fields: []apperr.Field{{Path: "timezone", Msg: fmt.Sprintf("unknown time zone %q: expected an IANA name such as Europe/Berlin", zone)}}}
		}
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		u, err := getUser(ctx, tx, name)
		if err != nil {
			return err
		}
		var old string
		if err := tx.QueryRowContext(ctx, `SELECT timezone FROM users WHERE id = $1`, u.ID).Scan(&old); err != nil {
			return fmt.Errorf("auth: read time zone: %w", err)
		}
		now := s.now()
		if _, err := tx.ExecContext(ctx, `UPDATE users SET timezone = $2, updated_at = $3 WHERE id = $1`, u.ID, zone, store.Millis(now)); err != nil {
			return fmt.Errorf("auth: set time zone: %w", err)
		}
		return audit.Record(ctx, tx, now, actor, audit.Update, "user", name, map[string]string{"timezone": old}, map[string]string{"timezone": zone})
	})
}

const userColumns = `id, name, display_name, email, role, disabled, COALESCE(sso_issuer, ''), organisation, created_at, updated_at`

func scanUser(sc interface{ Scan(...any) error }, extra ...any) (User, error) {
	var u User
	var c, up int64
	err := sc.Scan(append([]any{&u.ID, &u.Name, &u.DisplayName, &u.Email, &u.Role, &u.Disabled, &u.SSOIssuer, &u.Organisation, &c, &up}, extra...)...)
	u.CreatedAt, u.UpdatedAt = store.FromMillis(c), store.FromMillis(up)
	return u, err
}

func getUser(ctx context.Context, q store.Querier, name string) (User, error) {
	u, err := scanUser(q.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE name = $1`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return u, apperr.NotFound("user %q", name)
	}
	if err != nil {
		return u, fmt.Errorf("auth: get user: %w", err)
	}
	return u, nil
}

// GetUser returns one account.
func (s *Service) GetUser(ctx context.Context, name string) (User, error) {
	return getUser(ctx, s.db.Reader(), name)
}

// ListUsers returns one page of accounts by name.
func (s *Service) ListUsers(ctx context.Context, page store.Page) ([]User, string, error) {
	after, err := page.After()
	if err != nil {
		return nil, "", err
	}
	limit := page.Size()
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT `+userColumns+` FROM users WHERE name > $1 ORDER BY name LIMIT $2`, after, limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("auth: list users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, "", fmt.Errorf("auth: list users: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = store.Cursor(out[limit-1].Name)
	}
	return out, next, nil
}

// UsersAllowed returns the enabled accounts whose role allows need, by
// name: the approvers of a request that a role approves.
func (s *Service) UsersAllowed(ctx context.Context, need Role) ([]User, error) {
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT `+userColumns+` FROM users WHERE disabled = $1 ORDER BY name`, false)
	if err != nil {
		return nil, fmt.Errorf("auth: users allowed: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("auth: users allowed: %w", err)
		}
		if u.Role.Allows(need) {
			out = append(out, u)
		}
	}
	return out, rows.Err()
}

// CountUsers says how many accounts exist; the server creates a first admin
// when there are none.
func (s *Service) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := s.db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n)
	return n, err
}

// DeleteUser removes an account and its sessions. The last admin cannot be
// removed, or nobody could manage the server any more.
func (s *Service) DeleteUser(ctx context.Context, actor, name string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		u, err := getUser(ctx, tx, name)
		if err != nil {
			return err
		}
		if u.Role == Admin {
			var admins int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE role = $1 AND disabled = $2`, Admin, false).Scan(&admins); err != nil {
				return err
			}
			if admins <= 1 {
				return apperr.Conflict("user %q is the last admin", name)
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM users WHERE id = $1`, u.ID); err != nil {
			return fmt.Errorf("auth: delete user: %w", err)
		}
		return audit.Record(ctx, tx, s.now(), actor, audit.Delete, "user", name, u, nil)
	})
}

// Failed-login limits. A (user name, address) pair gets five attempts at
// once, then one a minute, so a guessing address never locks the real user
// out from elsewhere; an address gets twenty across all names, then one
// every fifteen seconds, so one client cannot spray names either.
const (
	pairBurst  = 5
	pairEvery  = time.Minute
	addrBurst  = 20
	addrEvery  = 15 * time.Second
	maxLimiter = 10000
)

// MaxConcurrentHashes bounds the password hashes computed at once: each
// argon2id check takes 19 MiB, so unbounded concurrent logins would take
// the server's memory. A login beyond it waits briefly for a slot, and
// beyond MaxHashWaiters it is answered ErrBusy at once.
const (
	MaxConcurrentHashes = 4
	MaxHashWaiters      = 32
	hashWait            = 2 * time.Second
)

// limiter returns the failed-login limiter for key, made with the given
// burst and refill interval on first use.
func (s *Service) limiter(key string, burst int, every time.Duration) *rate.Limiter {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.limiters) > maxLimiter {
		// Forget full limiters rather than grow without bound under a
		// spray of names; a full one allows the same as a new one.
		now := s.now()
		for k, l := range s.limiters {
			if l.TokensAt(now) >= float64(l.Burst()) {
				delete(s.limiters, k)
			}
		}
	}
	l, ok := s.limiters[key]
	if !ok {
		l = rate.NewLimiter(rate.Every(every), burst)
		s.limiters[key] = l
	}
	return l
}

// take reserves one attempt from each limiter before any password is
// hashed, so concurrent guesses cannot all slip past a check made before
// the first failure is counted. It returns a function that gives the
// attempts back (for a successful login), or false when any limiter is
// empty.
func take(now time.Time, ls ...*rate.Limiter) (refund func(), ok bool) {
	var rs []*rate.Reservation
	cancel := func() {
		for _, r := range rs {
			r.CancelAt(now)
		}
	}
	for _, l := range ls {
		r := l.ReserveN(now, 1)
		if !r.OK() || r.DelayFrom(now) > 0 {
			r.CancelAt(now)
			cancel()
			return nil, false
		}
		rs = append(rs, r)
	}
	return cancel, true
}

// checkPassword hashes under the concurrency bound.
func (s *Service) checkPassword(ctx context.Context, hash, password string) (bool, error) {
	select {
	case s.hashing <- struct{}{}:
	default:
		if s.waiters.Add(1) > MaxHashWaiters {
			s.waiters.Add(-1)
			return false, ErrBusy
		}
		t := time.NewTimer(hashWait)
		select {
		case s.hashing <- struct{}{}:
			s.waiters.Add(-1)
			t.Stop()
		case <-t.C:
			s.waiters.Add(-1)
			return false, ErrBusy
		case <-ctx.Done():
			s.waiters.Add(-1)
			t.Stop()
			return false, ctx.Err()
		}
	}
	defer func() { <-s.hashing }()
	s.hashes.Add(1)
	return CheckPassword(hash, password)
}

// PasswordChecks reports how many password hashes logins have computed, so
// tests and metrics can see that limits hold before the expensive part.
func (s *Service) PasswordChecks() int64 { return s.hashes.Load() }

// Login checks a user name and password from the remote address ip and, if
// they are right, starts a session. It returns the session id for the
// cookie. An attempt is counted against the (name, address) pair and the
// address before the password is hashed, and given back if it succeeds.
// When the account has a second factor no session starts: the error is a
// *PendingLogin (errors.Is ErrSecondFactor) whose token LoginSecondFactor
// takes with the code, so a caller that knows nothing of second factors
// fails closed.
func (s *Service) Login(ctx context.Context, name, password, ip string) (string, Principal, error) {
	now := s.now()
	refund, ok := take(now, s.limiter("pair:"+ip+"\x00"+name, pairBurst, pairEvery), s.limiter("ip:"+ip, addrBurst, addrEvery))
	if !ok {
		return "", Principal{}, ErrRateLimited
	}
	if s.sharedLimits {
		local := refund
		shared, ok, err := s.takeShared(ctx, now, bucket{"pair:" + ip + "\x00" + name, pairBurst, pairEvery}, bucket{"ip:" + ip, addrBurst, addrEvery})
		if err != nil || !ok {
			local()
			if err != nil {
				return "", Principal{}, err
			}
			return "", Principal{}, ErrRateLimited
		}
		refund = func() { local(); shared() }
	}
	counted := false
	defer func() {
		if !counted {
			refund()
		}
	}()
	fail := func() (string, Principal, error) {
		counted = true
		return "", Principal{}, ErrBadCredentials
	}
	var hash string
	u, err := scanUser(s.db.Reader().QueryRowContext(ctx, `SELECT `+userColumns+`, password_hash FROM users WHERE name = $1`, name), &hash)
	if errors.Is(err, sql.ErrNoRows) {
		if _, err := s.checkPassword(ctx, dummyHash, password); err != nil {
			return "", Principal{}, err
		}
		return fail()
	}
	if err != nil {
		return "", Principal{}, fmt.Errorf("auth: login: %w", err)
	}
	if u.SSOIssuer != "" {
		// An SSO-managed account has no password: it is refused like an
		// unknown name, after the same work, so the answer reveals nothing.
		if _, err := s.checkPassword(ctx, dummyHash, password); err != nil {
			return "", Principal{}, err
		}
		return fail()
	}
	match, err := s.checkPassword(ctx, hash, password)
	if err != nil {
		return "", Principal{}, err
	}
	if !match || u.Disabled {
		return fail()
	}
	// Only now, with the password right, may the answer say that a
	// second factor is needed.
	if has, err := s.hasSecondFactor(ctx, s.db.Reader(), u.ID); err != nil {
		return "", Principal{}, err
	} else if has {
		token, err := s.startPendingLogin(ctx, u.ID, ip, now)
		if err != nil {
			return "", Principal{}, err
		}
		return "", Principal{}, &PendingLogin{Token: token, User: u.Name}
	}
	return s.startSession(ctx, s.db.Writer(), u, "")
}

// startSession creates a session for u and returns its id for the cookie;
// idToken is the ID token of a single sign-on, "" for a local login.
func (s *Service) startSession(ctx context.Context, q store.Querier, u User, idToken string) (string, Principal, error) {
	now := s.now()
	id, csrf := randomToken(32), randomToken(32)
	if _, err := q.ExecContext(ctx, `INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at, id_token) VALUES ($1, $2, $3, $4, $5, $6)`,
		digest(id), u.ID, csrf, store.Millis(now), store.Millis(now.Add(SessionLifetime)), idToken); err != nil {
		return "", Principal{}, fmt.Errorf("auth: start session: %w", err)
	}
	return id, Principal{Kind: "user", Name: u.Name, Role: u.Role, UserID: u.ID, CSRF: csrf}, nil
}

// Session returns the principal of a live session id. A user whose role
// must have a second factor and who has none gets ErrSecondFactorRequired
// (see EnrolmentSession).
func (s *Service) Session(ctx context.Context, id string) (Principal, error) {
	p, err := s.EnrolmentSession(ctx, id)
	if err != nil {
		return Principal{}, err
	}
	// A single sign-on session is vouched for by the provider, which is in
	// charge of how its users prove who they are (its own second factor);
	// the requirement is for local accounts, whose sign-in Sextant checks.
	if !p.SecondFactor && !p.SSO && s.SecondFactorRequired(p.Role) {
		return Principal{}, ErrSecondFactorRequired
	}
	return p, nil
}

// EnrolmentSession returns the principal of a live session id even when
// its user must still set up a second factor: only the pages that set one
// up use it.
func (s *Service) EnrolmentSession(ctx context.Context, id string) (Principal, error) {
	if id == "" {
		return Principal{}, ErrUnauthenticated
	}
	var p Principal
	var expires int64
	var disabled bool
	var factors int
	var issuer sql.NullString
	err := s.db.Reader().QueryRowContext(ctx, `SELECT u.id, u.name, u.role, u.disabled, u.timezone, s.csrf_token, s.expires_at,
		(SELECT COUNT(*) FROM user_totp t WHERE t.user_id = u.id AND t.enabled_at IS NOT NULL), u.sso_issuer
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1`, digest(id)).
		Scan(&p.UserID, &p.Name, &p.Role, &disabled, &p.Timezone, &p.CSRF, &expires, &factors, &issuer)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && (disabled || !s.now().Before(store.FromMillis(expires)))) {
		return Principal{}, ErrUnauthenticated
	}
	if err != nil {
		return Principal{}, fmt.Errorf("auth: session: %w", err)
	}
	p.Kind = "user"
	p.SecondFactor = factors > 0
	p.SSO = issuer.Valid && issuer.String != ""
	return p, nil
}

// Logout ends a session.
func (s *Service) Logout(ctx context.Context, id string) error {
	_, err := s.db.Writer().ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = $1 OR expires_at < $2`, digest(id), store.Millis(s.now()))
	return err
}

// NewToken is what creating an API token takes.
type NewToken struct {
	Name string `json:"name"`
	Role Role   `json:"role"`
	// Location binds an agent token to the one check location whose checks
	// it fetches, credentials included, and whose results it reports. It is
	// required for the agent role and refused for the others.
	Location string `json:"location,omitempty"`
}

func (nt NewToken) validate() error {
	var inv apperr.Invalid
	if !catalog.ValidName(nt.Name) {
		inv.Add("name", "%q must be lower-case letters, digits, '-' or '_' (at most 64)", nt.Name)
	}
	if _, err := ParseRole(string(nt.Role)); err != nil {
		inv.Add("role", "%v", err)
	} else if nt.Role == Requester {
		// A requester is a person on the portal, known by its account
		// (its name, mail address and organisation decide which tickets
		// it sees); a token has none of these.
		inv.Add("role", "requesters sign in to the portal; a token cannot have the requester role")
	}
	switch {
	case nt.Role == Agent && nt.Location == "":
		inv.Add("location", "is required for an agent token: the check location it runs (an agent gets only that location's checks)")
	case nt.Role == Agent && nt.Location == localLocation:
		inv.Add("location", "%q is the server's own location; an agent runs from another one", localLocation)
	case nt.Role == Agent && !catalog.ValidName(nt.Location):
		inv.Add("location", "%q must be lower-case letters, digits, '-' or '_'", nt.Location)
	case nt.Role != Agent && nt.Location != "":
		inv.Add("location", "only an agent token is bound to a location")
	}
	return inv.Err()
}

// localLocation is the location of the server's own checks (the monitor's
// LocationLocal), which no agent may claim.
const localLocation = "local"

// IssueToken makes an API token and returns its secret, which is never
// shown again.
func (s *Service) IssueToken(ctx context.Context, actor string, nt NewToken) (string, Token, error) {
	if err := nt.validate(); err != nil {
		return "", Token{}, err
	}
	secret := TokenPrefix + randomToken(32)
	now := s.now()
	t := Token{Name: nt.Name, Prefix: secret[:len(TokenPrefix)+6], Role: nt.Role, Location: nt.Location, CreatedBy: actor, CreatedAt: now.UTC().Truncate(time.Millisecond)}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO api_tokens (name, token_hash, prefix, role, location, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			t.Name, digest(secret), t.Prefix, t.Role, t.Location, actor, store.Millis(now)).Scan(&t.ID)
		if store.IsUniqueViolation(err) {
			return apperr.Conflict("token %q already exists", t.Name)
		}
		if err != nil {
			return fmt.Errorf("auth: create token: %w", err)
		}
		return audit.Record(ctx, tx, now, actor, audit.Create, "token", t.Name, nil, t)
	})
	if err != nil {
		return "", Token{}, err
	}
	return secret, t, nil
}

// CreateToken makes a token bound to no location: IssueToken for the
// people roles. An agent token needs IssueToken with a location.
func (s *Service) CreateToken(ctx context.Context, actor, name string, role Role) (string, Token, error) {
	return s.IssueToken(ctx, actor, NewToken{Name: name, Role: role})
}

// ListTokens returns every token record, newest first.
func (s *Service) ListTokens(ctx context.Context) ([]Token, error) {
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT id, name, prefix, role, location, created_by, created_at, last_used_at, revoked_at FROM api_tokens ORDER BY id DESC`)
	if err != nil {
		return nil, fmt.Errorf("auth: list tokens: %w", err)
	}
	defer rows.Close()
	var out []Token
	for rows.Next() {
		var t Token
		var c int64
		var used, revoked sql.NullInt64
		if err := rows.Scan(&t.ID, &t.Name, &t.Prefix, &t.Role, &t.Location, &t.CreatedBy, &c, &used, &revoked); err != nil {
			return nil, err
		}
		t.CreatedAt, t.LastUsedAt, t.RevokedAt = store.FromMillis(c), store.FromNullMillis(used), store.FromNullMillis(revoked)
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken stops a token from working.
func (s *Service) RevokeToken(ctx context.Context, actor, name string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		now := s.now()
		res, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = $2 WHERE name = $1 AND revoked_at IS NULL`, name, store.Millis(now))
		if err != nil {
			return fmt.Errorf("auth: revoke token: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.NotFound("active token %q", name)
		}
		return audit.Record(ctx, tx, now, actor, audit.Update, "token", name, map[string]string{"state": "active"}, map[string]string{"state": "revoked"})
	})
}

// Bearer returns the principal of an API token.
func (s *Service) Bearer(ctx context.Context, secret string) (Principal, error) {
	if !strings.HasPrefix(secret, TokenPrefix) {
		return Principal{}, ErrUnauthenticated
	}
	var p Principal
	var id int64
	err := s.db.Reader().QueryRowContext(ctx, `SELECT id, name, role, location FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL`, digest(secret)).
		Scan(&id, &p.Name, &p.Role, &p.Location)
	if errors.Is(err, sql.ErrNoRows) {
		return Principal{}, ErrUnauthenticated
	}
	if err != nil {
		return Principal{}, fmt.Errorf("auth: token: %w", err)
	}
	p.Kind = "token"
	// Last use is kept to the minute so that a busy token does not write on
	// every request.
	now := s.now()
	_, _ = s.db.Writer().ExecContext(ctx, `UPDATE api_tokens SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $3)`,
		id, store.Millis(now), store.Millis(now.Add(-time.Minute)))
	return p, nil
}

// FeedSecret creates (or replaces) the secret of a calendar feed, for
// calendar apps that cannot send a token; it is shown once and stored as a
// digest. feed names the feed, e.g. "schedule:primary".
func (s *Service) FeedSecret(ctx context.Context, actor, feed string) (string, error) {
	secret := randomToken(24)
	now := s.now()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM feed_secrets WHERE feed = $1`, feed); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO feed_secrets (feed, secret_hash, created_at) VALUES ($1, $2, $3)`, feed, digest(secret), store.Millis(now)); err != nil {
			return fmt.Errorf("auth: feed secret: %w", err)
		}
		return audit.Record(ctx, tx, now, actor, audit.Update, "feed", feed, nil, map[string]string{"secret": "[new]"})
	})
	if err != nil {
		return "", err
	}
	return secret, nil
}

// CheckFeedSecret reports whether secret opens feed.
func (s *Service) CheckFeedSecret(ctx context.Context, feed, secret string) bool {
	if secret == "" {
		return false
	}
	var n int
	err := s.db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM feed_secrets WHERE feed = $1 AND secret_hash = $2`, feed, digest(secret)).Scan(&n)
	return err == nil && n == 1
}

// RevokeFeedSecret stops a feed's secret from working.
func (s *Service) RevokeFeedSecret(ctx context.Context, actor, feed string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM feed_secrets WHERE feed = $1`, feed)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.NotFound("a secret for feed %q", feed)
		}
		return audit.Record(ctx, tx, s.now(), actor, audit.Delete, "feed", feed, map[string]string{"secret": "[revoked]"}, nil)
	})
}
