// Package subscribe keeps the e-mail subscribers of the public status
// pages: double opt-in (a pending address gets a signed confirmation link
// and receives nothing else until it is followed), a signed one-click
// unsubscribe link in every message, and one outbox row per confirmed
// subscriber for each public update ("Public: …" note) of an incident on a
// service the page lists, so that the outbox sends, retries and paces them
// like every other notification.
package subscribe

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/audit"
	"github.com/sextant-ops/sextant/internal/secret"
	"github.com/sextant-ops/sextant/internal/store"
)

// ErrNotFound is wrapped by the error for a subscription that does not
// exist or whose link's signature is wrong: the two are answered alike, so
// that links cannot be probed.
var ErrNotFound = apperr.ErrNotFound

// The kinds of subscriber.
const (
	KindEmail   = "email"
	KindWebhook = "webhook"
)

// Subscriber is one address subscribed (or waiting to be) to one page: an
// e-mail address, or a webhook URL with the secret that signs deliveries
// (write-only: never shown back).
type Subscriber struct {
	ID          int64         `json:"id"`
	Page        string        `json:"page"`
	Kind        string        `json:"kind"`
	Address     string        `json:"url"`
	Secret      secret.Secret `json:"-"`
	CreatedAt   time.Time     `json:"created_at"`
	ConfirmedAt time.Time     `json:"-"` // zero while pending
}

// Confirmed says the address followed its confirmation link.
func (s Subscriber) Confirmed() bool { return !s.ConfirmedAt.IsZero() }

// Limits of the public form: per address, so that nobody can flood an
// inbox with confirmation requests through Sextant, and per IP address of
// the sender, so that nobody can fill the table with pending addresses.
const (
	// PerAddress is how many confirmation mails one address may be sent
	// per Window.
	PerAddress = 3
	// PerIP is how many subscribe requests one IP address may send per
	// Window.
	PerIP = 10
	// Window is the span PerAddress and PerIP count over.
	Window = time.Hour
	// PendingFor is how long a subscription may wait for its confirmation
	// before housekeeping removes it.
	PendingFor = 48 * time.Hour
)

// Store reads and writes subscribers and signs their links.
type Store struct {
	DB  *store.DB
	Now func() time.Time
	// OnChange, when set, is called after a subscription is confirmed or
	// removed, so the outbox's channel table can follow.
	OnChange func(ctx context.Context)
	key      []byte

	perAddress window // confirmation mails per address, for PerAddress
	perIP      window // subscribe requests per IP address, for PerIP
}

// window counts what happened per key over the last Window and allows up
// to limit of it.
type window struct {
	mu    sync.Mutex
	limit int
	seen  map[string][]time.Time
}

// allow takes one from key's allowance at now, when any is left.
func (w *window) allow(key string, now time.Time) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.seen == nil {
		w.seen = map[string][]time.Time{}
	}
	var recent []time.Time
	for _, t := range w.seen[key] {
		if now.Sub(t) < Window {
			recent = append(recent, t)
		}
	}
	if len(recent) >= w.limit {
		w.seen[key] = recent
		return false
	}
	w.seen[key] = append(recent, now)
	// Forget keys that have gone quiet, so the map stays small.
	if len(w.seen) > 10000 {
		for k, ts := range w.seen {
			if len(ts) == 0 || now.Sub(ts[len(ts)-1]) >= Window {
				delete(w.seen, k)
			}
		}
	}
	return true
}

// Open returns a store with the server's link key, created on first use.
func Open(ctx context.Context, db *store.DB, now func() time.Time) (*Store, error) {
	if now == nil {
		now = time.Now
	}
	var v string
	err := db.Reader().QueryRowContext(ctx, `SELECT value FROM secrets WHERE name = 'subscription-link-key'`).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return nil, err
		}
		if _, err := db.Writer().ExecContext(ctx, `INSERT INTO secrets (name, value) VALUES ('subscription-link-key', $1) ON CONFLICT (name) DO NOTHING`, hex.EncodeToString(b)); err != nil {
			return nil, fmt.Errorf("subscribe: save link key: %w", err)
		}
		err = db.Reader().QueryRowContext(ctx, `SELECT value FROM secrets WHERE name = 'subscription-link-key'`).Scan(&v)
	}
	if err != nil {
		return nil, fmt.Errorf("subscribe: read link key: %w", err)
	}
	key, err := hex.DecodeString(v)
	if err != nil {
		return nil, fmt.Errorf("subscribe: link key: %w", err)
	}
	return &Store{DB: db, Now: now, key: key, perAddress: window{limit: PerAddress}, perIP: window{limit: PerIP}}, nil
}

// Address checks and normalises an e-mail address as typed in the form.
func Address(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", &apperr.Invalid{Fields: []apperr.Field{{Path: "email", Msg: "is required: type the address to send updates to"}}}
	}
	a, err := mail.ParseAddress(raw)
	if err != nil || a.Name != "" || len(a.Address) > 254 {
		return "", &apperr.Invalid{Fields: []apperr.Field{{Path: "email", Msg: fmt.Sprintf("%q is not an e-mail address such as name@example.com", raw)}}}
	}
	return strings.ToLower(a.Address), nil
}

// Request records a subscription of address to page, pending until
// confirmed. send says a confirmation mail should go out: the address is
// still pending and has not had PerAddress mails in the last Window. An
// address already confirmed gets nothing, and the caller answers the same
// either way.
func (s *Store) Request(ctx context.Context, page, address string) (Subscriber, bool, error) {
	now := s.Now().UTC()
	if _, err := s.DB.Writer().ExecContext(ctx, `INSERT INTO status_subscribers (page, address, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (page, address) DO NOTHING`, page, address, store.Millis(now)); err != nil {
		return Subscriber{}, false, fmt.Errorf("subscribe: request: %w", err)
	}
	sub, err := scan(s.DB.Reader().QueryRowContext(ctx, `SELECT `+columns+` FROM status_subscribers WHERE page = $1 AND address = $2 AND kind = 'email'`, page, address))
	if err != nil {
		return Subscriber{}, false, fmt.Errorf("subscribe: request: %w", err)
	}
	if sub.Confirmed() {
		return sub, false, nil
	}
	return sub, s.allow(address, now), nil
}

// allow takes one confirmation mail from address's allowance.
func (s *Store) allow(address string, now time.Time) bool { return s.perAddress.allow(address, now) }

// AllowIP takes one subscribe request from ip's allowance (PerIP per
// Window), and says whether there was any left.
func (s *Store) AllowIP(ip string) bool { return s.perIP.allow(ip, s.Now().UTC()) }

// PrunePending removes the subscriptions still unconfirmed PendingFor
// after they were asked for, and says how many it removed: an address
// that never confirmed is kept no longer than its link is worth waiting for.
func (s *Store) PrunePending(ctx context.Context) (int64, error) {
	cutoff := s.Now().UTC().Add(-PendingFor)
	res, err := s.DB.Writer().ExecContext(ctx, `DELETE FROM status_subscribers WHERE confirmed_at IS NULL AND kind = 'email' AND created_at <= $1`, store.Millis(cutoff))
	if err != nil {
		return 0, fmt.Errorf("subscribe: prune pending: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

const columns = `id, page, kind, address, secret, created_at, confirmed_at`

func scan(r interface{ Scan(...any) error }) (Subscriber, error) {
	var sub Subscriber
	var created int64
	var confirmed sql.NullInt64
	var key string
	if err := r.Scan(&sub.ID, &sub.Page, &sub.Kind, &sub.Address, &key, &created, &confirmed); err != nil {
		return Subscriber{}, err
	}
	sub.Secret = secret.New(key)
	sub.CreatedAt, sub.ConfirmedAt = store.FromMillis(created), store.FromNullMillis(confirmed)
	return sub, nil
}

// Sign returns the signature of a link that does action ("confirm",
// "unsubscribe") for sub: an HMAC over the action, the id, the page and
// the address, so a link made for one address opens nothing else.
func (s *Store) Sign(action string, sub Subscriber) string {
	m := hmac.New(sha256.New, s.key)
	fmt.Fprintf(m, "%s\x00%d\x00%s\x00%s", action, sub.ID, sub.Page, sub.Address)
	return hex.EncodeToString(m.Sum(nil))[:40]
}

// Link is the path of a signed link for sub: /status/PAGE/subscription/ID/ACTION?sig=….
func (s *Store) Link(action string, sub Subscriber) string {
	return "/status/" + sub.Page + "/subscription/" + strconv.FormatInt(sub.ID, 10) + "/" + action + "?sig=" + s.Sign(action, sub)
}

// get finds a subscriber of page by id and checks the link's signature.
func (s *Store) get(ctx context.Context, q store.Querier, action, page string, id int64, sig string) (Subscriber, error) {
	sub, err := scan(q.QueryRowContext(ctx, `SELECT `+columns+` FROM status_subscribers WHERE id = $1 AND page = $2 AND kind = 'email'`, id, page))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !hmac.Equal([]byte(sig), []byte(s.Sign(action, sub)))) {
		return Subscriber{}, fmt.Errorf("subscription: %w", ErrNotFound)
	}
	if err != nil {
		return Subscriber{}, fmt.Errorf("subscribe: %w", err)
	}
	return sub, nil
}

// Check finds the subscriber a signed link names, without changing it.
func (s *Store) Check(ctx context.Context, action, page string, id int64, sig string) (Subscriber, error) {
	return s.get(ctx, s.DB.Reader(), action, page, id, sig)
}

// Confirm marks the subscription confirmed (again is fine).
func (s *Store) Confirm(ctx context.Context, page string, id int64, sig string) (Subscriber, error) {
	sub, err := s.get(ctx, s.DB.Reader(), "confirm", page, id, sig)
	if err != nil {
		return Subscriber{}, err
	}
	if sub.Confirmed() {
		return sub, nil
	}
	now := s.Now().UTC()
	if _, err := s.DB.Writer().ExecContext(ctx, `UPDATE status_subscribers SET confirmed_at = $1 WHERE id = $2 AND confirmed_at IS NULL`, store.Millis(now), id); err != nil {
		return Subscriber{}, fmt.Errorf("subscribe: confirm: %w", err)
	}
	sub.ConfirmedAt = now
	s.changed(ctx)
	return sub, nil
}

// Unsubscribe removes the subscription; its channel leaves the outbox's
// table, so deliveries still pending fail rather than being sent.
func (s *Store) Unsubscribe(ctx context.Context, page string, id int64, sig string) error {
	if _, err := s.get(ctx, s.DB.Reader(), "unsubscribe", page, id, sig); err != nil {
		return err
	}
	if _, err := s.DB.Writer().ExecContext(ctx, `DELETE FROM status_subscribers WHERE id = $1`, id); err != nil {
		return fmt.Errorf("subscribe: unsubscribe: %w", err)
	}
	s.changed(ctx)
	return nil
}

func (s *Store) changed(ctx context.Context) {
	if s.OnChange != nil {
		s.OnChange(ctx)
	}
}

// Get returns one subscriber by id.
func (s *Store) Get(ctx context.Context, id int64) (Subscriber, error) {
	sub, err := scan(s.DB.Reader().QueryRowContext(ctx, `SELECT `+columns+` FROM status_subscribers WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Subscriber{}, fmt.Errorf("subscriber %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Subscriber{}, fmt.Errorf("subscribe: get: %w", err)
	}
	return sub, nil
}

// ConfirmedIDs lists every confirmed subscriber's id, for the outbox's
// channel table.
func (s *Store) ConfirmedIDs(ctx context.Context) ([]int64, error) {
	rows, err := s.DB.Reader().QueryContext(ctx, `SELECT id FROM status_subscribers WHERE confirmed_at IS NOT NULL ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("subscribe: list: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("subscribe: list: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// Channel is the outbox channel name of a subscriber: "subscriber:ID",
// which names nobody in the incident's timeline.
func Channel(id int64) string { return "subscriber:" + strconv.FormatInt(id, 10) }

// KindUpdate prefixes the outbox kind of a public update; the incident
// log entry's id follows ("public_update:123"), so each delivery sends
// the words of its own update.
const KindUpdate = "public_update:"

// Enqueue adds, through q (the transaction writing the note), one outbox
// row per confirmed subscriber of pages for the public update logID of
// incident. It reports how many rows it added.
func Enqueue(ctx context.Context, q store.Querier, pages []string, incident, logID int64, now time.Time) (int, error) {
	ids, err := confirmedOf(ctx, q, pages)
	if err != nil {
		return 0, fmt.Errorf("subscribe: enqueue: %w", err)
	}
	if err := insertRows(ctx, q, incident, ids, KindUpdate+strconv.FormatInt(logID, 10), now); err != nil {
		return 0, fmt.Errorf("subscribe: enqueue: %w", err)
	}
	return len(ids), nil
}

// insertRows writes one pending outbox row of kind per subscriber id,
// about incident (nil: about no incident).
func insertRows(ctx context.Context, q store.Querier, incident any, ids []int64, kind string, now time.Time) error {
	for _, id := range ids {
		if _, err := q.ExecContext(ctx, `INSERT INTO outbox (incident_id, channel, kind, status, attempts, next_attempt, claimed_until, last_error, created_at)
			VALUES ($1, $2, $3, 'pending', 0, $4, 0, '', $4)`, incident, Channel(id), kind, store.Millis(now)); err != nil {
			return err
		}
	}
	return nil
}

// confirmedOf lists the confirmed subscribers of pages, through q.
func confirmedOf(ctx context.Context, q store.Querier, pages []string) ([]int64, error) {
	if len(pages) == 0 {
		return nil, nil
	}
	args := []any{}
	marks := make([]string, len(pages))
	for i, p := range pages {
		args = append(args, p)
		marks[i] = "$" + strconv.Itoa(i+1)
	}
	rows, err := q.QueryContext(ctx, `SELECT id FROM status_subscribers WHERE confirmed_at IS NOT NULL AND page IN (`+strings.Join(marks, ", ")+`) ORDER BY id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// WebhookInput is a webhook subscriber as an operator adds one: the URL
// deliveries are posted to and the secret that signs them.
type WebhookInput struct {
	URL string `json:"url"`
	// Secret is write-only: answers and the audit log never show it.
	Secret string `json:"secret"`
}

// minSecret is the shortest signing secret accepted: shorter ones are
// guessable, and a receiver that checks signatures deserves a real one.
const minSecret = 16

// Validate names every problem with a webhook subscriber.
func (in WebhookInput) Validate() error {
	inv := &apperr.Invalid{}
	u, err := url.Parse(strings.TrimSpace(in.URL))
	switch {
	case strings.TrimSpace(in.URL) == "":
		inv.Add("url", "is required: the address deliveries are posted to")
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		inv.Add("url", "must be an http:// or https:// URL")
	}
	if n := len(in.Secret); n < minSecret {
		inv.Add("secret", "must be at least %d characters: it signs every delivery (X-Sextant-Signature)", minSecret)
	}
	return inv.Err()
}

// AddWebhook adds a webhook subscriber to page, confirmed at once (an
// operator added it), with its audit entry (the secret left out).
func (s *Store) AddWebhook(ctx context.Context, actor, page string, in WebhookInput) (Subscriber, error) {
	if err := in.Validate(); err != nil {
		return Subscriber{}, err
	}
	now := s.Now().UTC()
	sub := Subscriber{Page: page, Kind: KindWebhook, Address: strings.TrimSpace(in.URL), Secret: secret.New(in.Secret), CreatedAt: now, ConfirmedAt: now}
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO status_subscribers (page, kind, address, secret, created_at, confirmed_at) VALUES ($1, 'webhook', $2, $3, $4, $4) RETURNING id`,
			page, sub.Address, in.Secret, store.Millis(now)).Scan(&sub.ID)
		if store.IsUniqueViolation(err) {
			return apperr.Conflict("%s already subscribes to page %q", sub.Address, page)
		}
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, now, actor, audit.Create, "status_subscriber", fmt.Sprintf("%s/%d", page, sub.ID), nil, sub)
	})
	if err != nil {
		if errors.Is(err, apperr.ErrConflict) {
			return Subscriber{}, err
		}
		return Subscriber{}, fmt.Errorf("subscribe: add webhook: %w", err)
	}
	s.changed(ctx)
	return sub, nil
}

// Webhooks lists a page's webhook subscribers, oldest first.
func (s *Store) Webhooks(ctx context.Context, page string) ([]Subscriber, error) {
	rows, err := s.DB.Reader().QueryContext(ctx, `SELECT `+columns+` FROM status_subscribers WHERE page = $1 AND kind = 'webhook' ORDER BY id`, page)
	if err != nil {
		return nil, fmt.Errorf("subscribe: webhooks: %w", err)
	}
	defer rows.Close()
	out := []Subscriber{}
	for rows.Next() {
		sub, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("subscribe: webhooks: %w", err)
		}
		out = append(out, sub)
	}
	return out, rows.Err()
}

// RemoveWebhook removes a page's webhook subscriber, with its audit entry.
func (s *Store) RemoveWebhook(ctx context.Context, actor, page string, id int64) error {
	now := s.Now().UTC()
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		sub, err := scan(tx.QueryRowContext(ctx, `SELECT `+columns+` FROM status_subscribers WHERE id = $1 AND page = $2 AND kind = 'webhook'`, id, page))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("webhook subscriber %d of page %q: %w", id, page, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM status_subscribers WHERE id = $1`, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, now, actor, audit.Delete, "status_subscriber", fmt.Sprintf("%s/%d", page, id), sub, nil)
	})
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return err
		}
		return fmt.Errorf("subscribe: remove webhook: %w", err)
	}
	s.changed(ctx)
	return nil
}
