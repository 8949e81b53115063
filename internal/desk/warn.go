package desk

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/escalation"
	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/notify"
	"github.com/sextant-ops/sextant/internal/store"
)

// Warning is an SLA warning: a ticket's clock has used 75 % or 100 % of
// its target.
type Warning struct {
	Ticket Ticket
	// Clock is "first_response" or "resolution"; Level is 75 or 100.
	Clock string
	Level int
	// Escalation is the escalation policy of the ticket's queue ("" for
	// none).
	Escalation string
	// At is when the warning was taken.
	At time.Time
}

// Warner sends SLA warnings when they fall due. The next warning instant
// of each ticket is stored with it (warn_at, recomputed at every change),
// so warnings survive restarts; each is taken by compare-and-set on that
// instant and the level already sent, in the transaction that records it,
// so a restart neither loses nor doubles one and two servers never send
// the same warning.
type Warner struct {
	Store *Store
	Log   *slog.Logger
	// Notify hands a warning on (to the queue's escalation policy) inside
	// the transaction that records it; nil only records it in the ticket's
	// history.
	Notify func(ctx context.Context, q store.Querier, w Warning) error
}

// errWarnTaken means another worker, or a change, moved the ticket's
// warning first.
var errWarnTaken = errors.New("desk: warning already taken")

// Run sends due warnings every interval until ctx ends.
func (w *Warner) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := w.Step(ctx); err != nil && ctx.Err() == nil && w.Log != nil {
			w.Log.Error("desk: SLA warnings", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Step sends every warning due now, each in its own transaction, and
// returns how many it sent.
func (w *Warner) Step(ctx context.Context) error {
	_, err := w.step(ctx)
	return err
}

func (w *Warner) step(ctx context.Context) (int, error) {
	s := w.Store
	now := s.now()
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT id, warn_at, warned FROM tickets WHERE warn_at IS NOT NULL AND warn_at <= $1 ORDER BY warn_at LIMIT 500`, store.Millis(now))
	if err != nil {
		return 0, fmt.Errorf("desk: due warnings: %w", err)
	}
	type due struct {
		id, at int64
		warned int
	}
	var list []due
	for rows.Next() {
		var d due
		if err := rows.Scan(&d.id, &d.at, &d.warned); err != nil {
			rows.Close()
			return 0, err
		}
		list = append(list, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	sent := 0
	var errs []error
	for _, d := range list {
		ok, err := w.take(ctx, d.id, d.at, d.warned, now)
		switch {
		case errors.Is(err, errWarnTaken):
		case err != nil:
			errs = append(errs, fmt.Errorf("ticket %d: %w", d.id, err))
		case ok:
			sent++
		}
	}
	return sent, errors.Join(errs...)
}

// take judges one ticket whose warning fell due: it records, for each
// clock, the highest level it reached above the one already sent (and
// notifies), or, when none did (the ticket waited meanwhile), only moves
// the warning instant.
func (w *Warner) take(ctx context.Context, id, at int64, warned int, now time.Time) (bool, error) {
	s := w.Store
	cfg := s.Config()
	wd, err := s.world(ctx)
	if err != nil {
		return false, err
	}
	sent := false
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		t, _, err := readTicket(ctx, tx, id)
		if err != nil {
			return err
		}
		ps, err := pausesOf(ctx, tx, id)
		if err != nil {
			return err
		}
		cl := wd.clocks(cfg, &t, ps[id])
		cl.key(&t, now, warned)
		before := unpackWarned(warned)
		after := before
		type reached struct {
			clock       string
			from, level int
		}
		var due []reached
		for _, c := range []struct {
			name string
			f    *Figures
			sent *int
		}{{ClockFirstResponse, t.SLA.FirstResponse, &after.first}, {ClockResolution, t.SLA.Resolution, &after.res}} {
			if c.f == nil || c.f.StoppedAt != nil {
				continue
			}
			for _, l := range []int{100, 75} {
				if l > *c.sent && c.f.ElapsedSeconds*100 >= int64(l)*c.f.TargetSeconds {
					due = append(due, reached{c.name, *c.sent, l})
					*c.sent = l
					break
				}
			}
		}
		k := cl.key(&t, now, after.pack())
		res, err := tx.ExecContext(ctx, `UPDATE tickets SET warned = $2, warn_at = $3 WHERE id = $1 AND warn_at = $4 AND warned = $5`,
			id, after.pack(), k.warn, at, warned)
		if err != nil {
			return fmt.Errorf("desk: move warning: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errWarnTaken
		}
		q, _ := cfg.Queue(t.Queue)
		for _, r := range due {
			if err := history(ctx, tx, id, now, "sla", "sla_warning", r.clock+" "+strconv.Itoa(r.from)+"%", r.clock+" "+strconv.Itoa(r.level)+"%"); err != nil {
				return err
			}
			sent = true
			if w.Notify == nil {
				continue
			}
			if err := w.Notify(ctx, tx, Warning{Ticket: t, Clock: r.clock, Level: r.level, Escalation: q.Escalation, At: now}); err != nil {
				return err
			}
		}
		return nil
	})
	return sent, err
}

// The names of a ticket's two clocks.
const (
	ClockFirstResponse = "first_response"
	ClockResolution    = "resolution"
)

// warnKindPrefix begins the outbox kind of an SLA warning:
// "ticket-sla:<ticket>:<clock>:<level>".
const warnKindPrefix = "ticket-sla:"

// WarningKind is the outbox kind of a warning.
func WarningKind(ticket int64, clock string, level int) string {
	return warnKindPrefix + strconv.FormatInt(ticket, 10) + ":" + clock + ":" + strconv.Itoa(level)
}

// Escalator hands SLA warnings to the escalation policy of the ticket's
// queue, inside the warning's transaction: the 75 % warning notifies the
// targets of the policy's first level, the 100 % one (the breach) those of
// its first two levels, each outbox channel once, resolved as incidents'
// targets are (channels, people, whoever is on call then). The rows carry
// WarningKind and no incident; the outbox describes them with
// Store.DescribeWarning when it sends them. Whom it notified, and any
// target it could not reach, is written in the ticket's history.
type Escalator struct {
	Policies func(name string) (incident.EscalationPolicy, bool)
	Resolve  escalation.Resolver
	// Kick wakes the outbox worker; nil leaves it to its next poll.
	Kick func()
}

// Notify is a Warner's Notify.
func (e *Escalator) Notify(ctx context.Context, q store.Querier, w Warning) error {
	if w.Escalation == "" {
		return nil
	}
	p, ok := e.Policies(w.Escalation)
	if !ok {
		return history(ctx, q, w.Ticket.ID, w.At, "sla", "sla_notified", "", "nobody: escalation policy "+w.Escalation+" is not configured")
	}
	n := 1
	if w.Level >= 100 {
		n = 2
	}
	var channels, notes []string
	seen := map[string]bool{}
	for _, l := range p.Levels[:min(n, len(p.Levels))] {
		for _, target := range l.Notify {
			chs, more := e.Resolve(target, w.At)
			notes = append(notes, more...)
			for _, ch := range chs {
				if !seen[ch] {
					seen[ch] = true
					channels = append(channels, ch)
				}
			}
		}
	}
	kind := WarningKind(w.Ticket.ID, w.Clock, w.Level)
	for _, ch := range channels {
		if _, err := q.ExecContext(ctx, `INSERT INTO outbox (incident_id, channel, kind, status, attempts, next_attempt, claimed_until, last_error, created_at)
			VALUES (NULL, $1, $2, 'pending', 0, $3, 0, '', $3)`, ch, kind, store.Millis(w.At)); err != nil {
			return fmt.Errorf("desk: enqueue SLA warning: %w", err)
		}
	}
	who := strings.Join(channels, ", ")
	if who == "" {
		who = "nobody"
	}
	if len(notes) > 0 {
		who += " (" + strings.Join(notes, "; ") + ")"
	}
	if err := history(ctx, q, w.Ticket.ID, w.At, "sla", "sla_notified", "", w.Escalation+": "+who); err != nil {
		return err
	}
	if len(channels) > 0 && e.Kick != nil {
		e.Kick()
	}
	return nil
}

// DescribeWarning writes the message of an SLA warning's outbox row from
// its kind and the ticket as it is now (an outbox Describe); ok is false
// for a kind that is not a warning's. base is the server's URL, for the
// ticket's link.
func (s *Store) DescribeWarning(ctx context.Context, kind, base string) (notify.Message, bool, error) {
	rest, ok := strings.CutPrefix(kind, warnKindPrefix)
	if !ok {
		return notify.Message{}, false, nil
	}
	parts := strings.Split(rest, ":")
	var id int64
	var level int
	var err error
	if len(parts) == 3 {
		id, err = strconv.ParseInt(parts[0], 10, 64)
		if err == nil {
			level, err = strconv.Atoi(parts[2])
		}
	}
	if len(parts) != 3 || err != nil {
		return notify.Message{}, true, notify.Permanent(fmt.Errorf("not an SLA warning: %q", kind))
	}
	d, err := s.Get(ctx, id)
	if err != nil {
		if errors.Is(err, apperr.ErrNotFound) {
			return notify.Message{}, true, notify.Permanent(fmt.Errorf("ticket %d is gone", id))
		}
		return notify.Message{}, true, err
	}
	t := d.Ticket
	clock := parts[1]
	f := t.SLA.Resolution
	if clock == ClockFirstResponse {
		f = t.SLA.FirstResponse
	}
	url := strings.TrimSuffix(base, "/") + "/desk/tickets/" + strconv.FormatInt(id, 10)
	m := notify.Message{Kind: notify.KindSLAWarning, Service: t.Service, Severity: "warning", Status: t.Status, Source: "desk", CreatedAt: t.OpenedAt, URL: url,
		Ticket: &notify.Ticket{ID: id, Title: t.Title, Queue: t.Queue, Priority: t.Priority, Status: t.Status, Clock: clock, Level: level, URL: url}}
	if level >= 100 {
		m.Kind, m.Severity = notify.KindSLABreach, "critical"
	}
	what := strings.ReplaceAll(clock, "_", " ")
	m.Summary = fmt.Sprintf("%s: %s at %d%% of its target", t.Title, what, level)
	if f != nil {
		m.Summary = fmt.Sprintf("%s: %s at %d%% of its %s target", t.Title, what, level, availability.FormatSeconds(availability.Seconds(time.Duration(f.TargetSeconds)*time.Second)))
		if f.Due != nil {
			m.Ticket.Due = *f.Due
			m.Summary += ", due " + f.Due.UTC().Format("2006-01-02 15:04 MST")
		}
	}
	if m.Service == "" {
		m.Service = "queue " + t.Queue
	}
	if f != nil && f.StoppedAt != nil && !f.Breached {
		// Answered or resolved in time after all: the warning is no
		// longer true. A breach stays true, and is sent.
		return m, true, notify.Superseded(fmt.Sprintf("the %s clock of ticket %d stopped within its target", what, id))
	}
	return m, true, nil
}
