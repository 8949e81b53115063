package cmdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/audit"
	"github.com/sextant-ops/sextant/internal/store"
)

// LicenceConfig is the `cmdb.licences` section of the config file.
type LicenceConfig struct {
	// WarnDays is how many days ahead an expiry is warned of (default 30).
	WarnDays int `json:"warn_days,omitempty" yaml:"warn_days"`
	// Channels are the notification channels expiry warnings go to; none
	// sends no warning (the licence pages still show the expiry).
	Channels []string `json:"channels,omitempty" yaml:"channels"`
}

// Days is the warning period in days.
func (c LicenceConfig) Days() int {
	if c.WarnDays <= 0 {
		return DefaultWarnDays
	}
	return c.WarnDays
}

// Validate reports the section's problems, paths relative to it.
func (c LicenceConfig) Validate() []apperr.Field {
	var inv apperr.Invalid
	if c.WarnDays < 0 {
		inv.Add("warn_days", "must be 1 or more, or left out for %d", DefaultWarnDays)
	}
	for i, ch := range c.Channels {
		if strings.TrimSpace(ch) == "" {
			inv.Add(fmt.Sprintf("channels[%d]", i), "is empty; name a channel of the config")
		}
	}
	return inv.Fields
}

// The kinds of a licence warning, as the outbox's kind spells them before
// the warning's id ("licence_expiring:7").
const (
	NoticeLicenceExpiring = "licence_expiring"
	NoticeLicenceExpired  = "licence_expired"
)

// Licences answers the licence reports and keeps licences' assignments to
// people and their expiry warnings. Installs are read from the CMDB's
// relations.
type Licences struct {
	CMDB *Store
	// Person says whether name is someone in the people directory; an
	// assignment to anyone else is refused.
	Person func(ctx context.Context, name string) bool
	// Config returns the running licence settings; nil uses the defaults.
	Config func() LicenceConfig
	// Currency returns the config's currency code ("" for none).
	Currency func() string
	// Location is the zone whose calendar days count to an expiry; nil
	// means UTC.
	Location *time.Location
	// Now is the clock; nil uses the CMDB's.
	Now func() time.Time
	// OnEnqueue wakes the outbox after warnings were enqueued.
	OnEnqueue func()
	Log       *slog.Logger

	kickOnce sync.Once
	kick     chan struct{}
}

// Kick makes RunWarnings look for due warnings now (after a config
// reload, which may name new channels or licences).
func (l *Licences) Kick() {
	select {
	case l.kickChan() <- struct{}{}:
	default:
	}
}

func (l *Licences) kickChan() chan struct{} {
	l.kickOnce.Do(func() { l.kick = make(chan struct{}, 1) })
	return l.kick
}

func (l *Licences) config() LicenceConfig {
	if l.Config == nil {
		return LicenceConfig{}
	}
	return l.Config()
}

func (l *Licences) now() time.Time {
	if l.Now == nil {
		return l.CMDB.now()
	}
	return l.Now()
}

func (l *Licences) loc() *time.Location {
	if l.Location == nil {
		return time.UTC
	}
	return l.Location
}

func (l *Licences) currency() string {
	if l.Currency == nil {
		return ""
	}
	return l.Currency()
}

// assignments reads every assignment (licence "" for all) by licence.
func assignments(ctx context.Context, q store.Querier, licence string) (map[string][]Seat, error) {
	rows, err := q.QueryContext(ctx, `SELECT licence, person FROM licence_assignments WHERE $1 = '' OR licence = $1 ORDER BY licence, person`, licence)
	if err != nil {
		return nil, fmt.Errorf("cmdb: read licence assignments: %w", err)
	}
	defer rows.Close()
	out := map[string][]Seat{}
	for rows.Next() {
		var lic, person string
		if err := rows.Scan(&lic, &person); err != nil {
			return nil, fmt.Errorf("cmdb: read licence assignments: %w", err)
		}
		out[lic] = append(out[lic], Seat{Kind: SeatAssignment, Person: person})
	}
	return out, rows.Err()
}

// Reports returns every licence's report in name order.
func (l *Licences) Reports(ctx context.Context) ([]LicenceReport, error) {
	return l.reports(ctx, "")
}

func (l *Licences) reports(ctx context.Context, only string) ([]LicenceReport, error) {
	q := l.CMDB.db.Reader()
	ld, err := l.CMDB.load(ctx, q)
	if err != nil {
		return nil, err
	}
	as, err := assignments(ctx, q, only)
	if err != nil {
		return nil, err
	}
	installs := LicenceInstalls(ld.set)
	now, cfg, cur := l.now(), l.config(), l.currency()
	out := []LicenceReport{}
	for _, it := range ld.set.Items {
		if it.Class != LicenceClass || (only != "" && it.Name != only) {
			continue
		}
		terms, _ := ParseLicence(it)
		r := Licence(it.Name, terms, installs[it.Name], as[it.Name], now, l.loc(), cfg.Days(), cur)
		r.Retired = it.Lifecycle == Retired
		out = append(out, r)
	}
	return out, nil
}

// Report returns one licence's report.
func (l *Licences) Report(ctx context.Context, name string) (LicenceReport, error) {
	it, err := l.CMDB.GetItem(ctx, name)
	if err != nil {
		return LicenceReport{}, err
	}
	if it.Class != LicenceClass {
		return LicenceReport{}, apperr.NotFound("licence %q (the item is a %s)", name, it.Class)
	}
	rs, err := l.reports(ctx, name)
	if err != nil {
		return LicenceReport{}, err
	}
	if len(rs) == 0 {
		return LicenceReport{}, apperr.NotFound("licence %q", name)
	}
	rs[0].Warnings, err = l.warnings(ctx, name)
	return rs[0], err
}

// warnings lists a licence's expiry warnings, newest first, with their
// deliveries from the outbox.
func (l *Licences) warnings(ctx context.Context, licence string) ([]WarningSent, error) {
	rows, err := l.CMDB.db.Reader().QueryContext(ctx, `SELECT w.id, w.expires, w.summary, w.created_at, COALESCE(o.channel, ''), COALESCE(o.status, ''), COALESCE(o.last_error, '')
		FROM licence_warnings w LEFT JOIN outbox o ON o.incident_id IS NULL AND o.kind IN (CAST($2 AS TEXT) || ':' || CAST(w.id AS TEXT), CAST($3 AS TEXT) || ':' || CAST(w.id AS TEXT))
		WHERE w.licence = $1 ORDER BY w.id DESC, o.id`, licence, NoticeLicenceExpiring, NoticeLicenceExpired)
	if err != nil {
		return nil, fmt.Errorf("cmdb: read licence warnings: %w", err)
	}
	defer rows.Close()
	var out []WarningSent
	last := int64(-1)
	for rows.Next() {
		var id, at int64
		var w WarningSent
		var d Delivery
		if err := rows.Scan(&id, &w.Expires, &w.Summary, &at, &d.Channel, &d.Status, &d.LastError); err != nil {
			return nil, fmt.Errorf("cmdb: read licence warnings: %w", err)
		}
		if id != last {
			w.At, w.Deliveries = store.FromMillis(at), []Delivery{}
			out = append(out, w)
			last = id
		}
		if d.Channel != "" {
			out[len(out)-1].Deliveries = append(out[len(out)-1].Deliveries, d)
		}
	}
	return out, rows.Err()
}

// assignmentAudit is what an item's history shows of its assignments.
type assignmentAudit struct {
	Assignments []string `json:"assignments"`
}

// Assign assigns the licence to a person from the people directory,
// recorded in the licence's history. The same person twice is a conflict.
func (l *Licences) Assign(ctx context.Context, actor, licence, person string) error {
	person = strings.TrimSpace(person)
	if person == "" {
		return &apperr.Invalid{Fields: []apperr.Field{{Path: "person", Msg: "is required: name someone in the people directory"}}}
	}
	if l.Person == nil || !l.Person(ctx, person) {
		return &apperr.Invalid{Fields: []apperr.Field{{Path: "person", Msg: fmt.Sprintf("unknown person %q: name someone in the people directory (users: in the config, or accounts)", person)}}}
	}
	return l.changeAssignments(ctx, actor, licence, func(tx *sql.Tx, now time.Time, have []string) ([]string, error) {
		for _, p := range have {
			if p == person {
				return nil, apperr.Conflict("licence %q is already assigned to %q", licence, person)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO licence_assignments (licence, person, created_at) VALUES ($1, $2, $3)`, licence, person, store.Millis(now)); err != nil {
			return nil, fmt.Errorf("cmdb: assign licence: %w", err)
		}
		return append(have, person), nil
	})
}

// Unassign takes the licence back from a person.
func (l *Licences) Unassign(ctx context.Context, actor, licence, person string) error {
	return l.changeAssignments(ctx, actor, licence, func(tx *sql.Tx, _ time.Time, have []string) ([]string, error) {
		res, err := tx.ExecContext(ctx, `DELETE FROM licence_assignments WHERE licence = $1 AND person = $2`, licence, person)
		if err != nil {
			return nil, fmt.Errorf("cmdb: unassign licence: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil, apperr.NotFound("assignment of licence %q to %q", licence, person)
		}
		out := make([]string, 0, len(have))
		for _, p := range have {
			if p != person {
				out = append(out, p)
			}
		}
		return out, nil
	})
}

// changeAssignments runs change on a licence's assignments in one
// transaction serialised with the CMDB's writes, and audits the before
// and after on the licence item.
func (l *Licences) changeAssignments(ctx context.Context, actor, licence string, change func(tx *sql.Tx, now time.Time, have []string) ([]string, error)) error {
	s := l.CMDB
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.db.Serialize(ctx, tx, "cmdb"); err != nil {
			return err
		}
		var class string
		err := tx.QueryRowContext(ctx, `SELECT class FROM cmdb_items WHERE name = $1`, licence).Scan(&class)
		if errors.Is(err, sql.ErrNoRows) {
			return apperr.NotFound("licence %q", licence)
		}
		if err != nil {
			return fmt.Errorf("cmdb: read licence: %w", err)
		}
		if class != LicenceClass {
			return apperr.NotFound("licence %q (the item is a %s)", licence, class)
		}
		as, err := assignments(ctx, tx, licence)
		if err != nil {
			return err
		}
		var have []string
		for _, a := range as[licence] {
			have = append(have, a.Person)
		}
		now := l.now().UTC().Truncate(time.Millisecond)
		after, err := change(tx, now, append([]string(nil), have...))
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, now, actor, audit.Update, auditItem, licence,
			assignmentAudit{Assignments: orEmpty(have)}, assignmentAudit{Assignments: orEmpty(after)})
	})
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// LicenceNotice is a licence warning as the outbox sends it.
type LicenceNotice struct {
	// Kind is NoticeLicenceExpiring or NoticeLicenceExpired.
	Kind      string
	Licence   string
	Summary   string
	CreatedAt time.Time
}

// Warn enqueues, through the outbox, the expiry warnings due now: for
// each licence in use (not retired) that expires within the warning
// period (or has expired)
// and was not yet warned of for that expiry date, one warning is recorded
// and one outbox row per configured channel written, in one transaction.
// The record is the once-only marker: a restart, a second pass or another
// server finds it and sends nothing more, and a renewed licence (a new
// expiry date) is warned of again. It reports how many warnings it
// recorded.
func (l *Licences) Warn(ctx context.Context) (int, error) {
	cfg := l.config()
	if len(cfg.Channels) == 0 {
		return 0, nil
	}
	reports, err := l.Reports(ctx)
	if err != nil {
		return 0, err
	}
	now := l.now()
	sent := 0
	var errs []error
	for _, r := range reports {
		if r.Retired || (!r.Expiring && !r.Expired) {
			continue
		}
		kind, summary := LicenceWarning(r)
		err := l.CMDB.db.Tx(ctx, func(tx *sql.Tx) error {
			var id int64
			err := tx.QueryRowContext(ctx, `INSERT INTO licence_warnings (licence, expires, summary, created_at) VALUES ($1, $2, $3, $4)
				ON CONFLICT (licence, expires) DO NOTHING RETURNING id`, r.Name, r.Expires, summary, store.Millis(now)).Scan(&id)
			if errors.Is(err, sql.ErrNoRows) {
				return nil // warned already
			}
			if err != nil {
				return fmt.Errorf("record licence warning: %w", err)
			}
			for _, ch := range cfg.Channels {
				if _, err := tx.ExecContext(ctx, `INSERT INTO outbox (incident_id, channel, kind, status, attempts, next_attempt, claimed_until, last_error, created_at)
					VALUES (NULL, $1, $2, 'pending', 0, $3, 0, '', $3)`, ch, kind+":"+strconv.FormatInt(id, 10), store.Millis(now)); err != nil {
					return fmt.Errorf("enqueue licence warning: %w", err)
				}
			}
			sent++
			return nil
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("licence %q: %w", r.Name, err))
		}
	}
	if sent > 0 && l.OnEnqueue != nil {
		l.OnEnqueue()
	}
	return sent, errors.Join(errs...)
}

// LicenceWarning words the warning of a licence that is expiring or has
// expired: its kind and one line saying when, and what it covers.
func LicenceWarning(r LicenceReport) (kind, summary string) {
	what := "Licence " + r.Name
	if r.Product != "" {
		what += " (" + r.Product + ")"
	}
	days := 0
	if r.DaysToExpiry != nil {
		days = *r.DaysToExpiry
	}
	kind = NoticeLicenceExpiring
	switch {
	case days < 0:
		kind = NoticeLicenceExpired
		summary = fmt.Sprintf("%s expired on %s, %s ago", what, r.Expires, plural(-days, "day"))
	case days == 0:
		summary = fmt.Sprintf("%s expires today (%s)", what, r.Expires)
	default:
		summary = fmt.Sprintf("%s expires on %s, in %s", what, r.Expires, plural(days, "day"))
	}
	switch {
	case r.Unlimited:
		summary += fmt.Sprintf("; unlimited seats, %d in use", r.Used)
	default:
		summary += fmt.Sprintf("; %d of %d seats in use", r.Used, r.Seats)
		if r.Over > 0 {
			summary += fmt.Sprintf(", %d over quota", r.Over)
		}
	}
	return kind, summary
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}

// Notice reads the licence warning an outbox row of kind is about; ok is
// false for a kind that is not a licence warning's.
func (l *Licences) Notice(ctx context.Context, kind string) (LicenceNotice, bool, error) {
	k, idText, _ := strings.Cut(kind, ":")
	if k != NoticeLicenceExpiring && k != NoticeLicenceExpired {
		return LicenceNotice{}, false, nil
	}
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil {
		return LicenceNotice{}, false, nil
	}
	n := LicenceNotice{Kind: k}
	var at int64
	err = l.CMDB.db.Reader().QueryRowContext(ctx, `SELECT licence, summary, created_at FROM licence_warnings WHERE id = $1`, id).Scan(&n.Licence, &n.Summary, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return LicenceNotice{}, false, nil
	}
	if err != nil {
		return LicenceNotice{}, false, fmt.Errorf("cmdb: read licence warning %d: %w", id, err)
	}
	n.CreatedAt = store.FromMillis(at)
	return n, true, nil
}

// RunWarnings sends due expiry warnings every interval, and when kicked,
// until ctx ends.
func (l *Licences) RunWarnings(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := l.Warn(ctx); err != nil && ctx.Err() == nil && l.Log != nil {
			l.Log.Error("cmdb: licence warnings", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-l.kickChan():
		}
	}
}
