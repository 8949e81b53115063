package desk

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

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

// take judges one ticket whose warning fell due: it records the highest
// level its clocks reached (and notifies), or, when none did (the ticket
// waited meanwhile), only moves the warning instant.
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
		level, clock := warned, ""
		for _, c := range []struct {
			name string
			f    *Figures
		}{{"first_response", t.SLA.FirstResponse}, {"resolution", t.SLA.Resolution}} {
			if c.f == nil || c.f.StoppedAt != nil {
				continue
			}
			for _, l := range []int{100, 75} {
				if l > level && c.f.ElapsedSeconds*100 >= int64(l)*c.f.TargetSeconds {
					level, clock = l, c.name
					break
				}
			}
		}
		k := cl.key(&t, now, level)
		res, err := tx.ExecContext(ctx, `UPDATE tickets SET warned = $2, warn_at = $3 WHERE id = $1 AND warn_at = $4 AND warned = $5`,
			id, level, k.warn, at, warned)
		if err != nil {
			return fmt.Errorf("desk: move warning: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errWarnTaken
		}
		if level == warned {
			return nil
		}
		if err := history(ctx, tx, id, now, "sla", "sla_warning", strconv.Itoa(warned)+"%", clock+" "+strconv.Itoa(level)+"%"); err != nil {
			return err
		}
		sent = true
		if w.Notify == nil {
			return nil
		}
		q, _ := cfg.Queue(t.Queue)
		return w.Notify(ctx, tx, Warning{Ticket: t, Clock: clock, Level: level, Escalation: q.Escalation})
	})
	return sent, err
}
