// Package signed makes and checks the signed links Sextant puts in mail:
// acknowledge an incident, approve a request or a change, answer a
// survey. Whoever holds such a link may do the one thing it names, for
// the one subject it names, until it expires — without signing in.
//
// A signature is an HMAC-SHA256, under the server's link key, of the
// subject, the purpose and the expiry; one key serves every replica
// because it is kept in the database.
package signed

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/sextant-ops/sextant/internal/store"
)

// Signer signs and verifies links with one key.
type Signer struct{ key []byte }

// New returns a Signer over key (tests; the server uses Load).
func New(key []byte) *Signer { return &Signer{key: append([]byte(nil), key...)} }

// Load reads the server's link key from the database, creating it on
// first use; when two replicas race to create it, both use the stored one.
func Load(ctx context.Context, db *store.DB) (*Signer, error) {
	const name = "link-signing-key"
	var v string
	err := db.Reader().QueryRowContext(ctx, `SELECT value FROM secrets WHERE name = $1`, name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return nil, err
		}
		if _, err := db.Writer().ExecContext(ctx, `INSERT INTO secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, name, hex.EncodeToString(b)); err != nil {
			return nil, fmt.Errorf("signed: save link key: %w", err)
		}
		err = db.Reader().QueryRowContext(ctx, `SELECT value FROM secrets WHERE name = $1`, name).Scan(&v)
	}
	if err != nil {
		return nil, fmt.Errorf("signed: link key: %w", err)
	}
	key, err := hex.DecodeString(v)
	if err != nil {
		return nil, fmt.Errorf("signed: link key: %w", err)
	}
	return &Signer{key: key}, nil
}

// Sign returns the signature allowing purpose on subject until exp.
func (s *Signer) Sign(subject, purpose string, exp time.Time) string {
	m := hmac.New(sha256.New, s.key)
	fmt.Fprintf(m, "%s|%s|%d", subject, purpose, exp.Unix())
	return hex.EncodeToString(m.Sum(nil))
}

// Verify says whether sig allows purpose on subject at now: made with this
// key for exactly that subject and purpose, and not expired.
func (s *Signer) Verify(subject, purpose string, exp time.Time, sig string, now time.Time) bool {
	if !now.Before(exp) {
		return false
	}
	return hmac.Equal([]byte(s.Sign(subject, purpose, exp)), []byte(sig))
}

// Query returns the query string ("exp=…&sig=…") of a link allowing
// purpose on subject for lifetime from now.
func (s *Signer) Query(subject, purpose string, now time.Time, lifetime time.Duration) string {
	exp := now.Add(lifetime).Truncate(time.Second)
	return "exp=" + strconv.FormatInt(exp.Unix(), 10) + "&sig=" + s.Sign(subject, purpose, exp)
}

// ErrInvalid is returned for a link that is malformed, altered, made for
// another subject or purpose, or expired; the reasons are not told apart,
// so that a link cannot be probed.
var ErrInvalid = errors.New("this link is not valid or has expired")

// Check verifies the exp and sig parameters of a link's query against
// subject and purpose at now.
func (s *Signer) Check(q url.Values, subject, purpose string, now time.Time) error {
	unix, err := strconv.ParseInt(q.Get("exp"), 10, 64)
	if err != nil || !s.Verify(subject, purpose, time.Unix(unix, 0), q.Get("sig"), now) {
		return ErrInvalid
	}
	return nil
}
