package desk

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/store"
)

// Filter narrows a list of tickets; empty fields match every ticket.
type Filter struct {
	Queue, Status, Service, Assignee, Requester string
	Priority                                    int
	// Breached, when set, keeps only tickets with (true) or without
	// (false) a breached clock.
	Breached *bool
	// Active keeps only tickets that are not resolved or closed.
	Active bool
	// Unassigned keeps only tickets nobody has taken.
	Unassigned bool
	// IDs, when set, keeps only these tickets (the portal lists the
	// tickets a requester may see through it).
	IDs []int64
}

// Validate names a filter's bad values.
func (f Filter) Validate() error {
	var inv apperr.Invalid
	if f.Status != "" && !slices.Contains(Statuses, f.Status) {
		inv.Add("status", "must be one of %s, not %q", strings.Join(Statuses, ", "), f.Status)
	}
	if f.Priority < 0 || f.Priority > 5 {
		inv.Add("priority", "a priority is 1 to 5, not %d", f.Priority)
	}
	return inv.Err()
}

// where renders the filter as SQL conditions. A running clock breaches
// without a write when its due instant passes, so "breached" is the stored
// flag or a due instant before now.
func (f Filter) where(now time.Time) (string, []any) {
	var conds []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		conds = append(conds, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	for _, c := range []struct {
		col, v string
	}{{"queue", f.Queue}, {"status", f.Status}, {"service", f.Service}, {"assignee", f.Assignee}, {"requester", f.Requester}} {
		if c.v != "" {
			add(c.col+" = ?", c.v)
		}
	}
	if f.Priority > 0 {
		add("priority = ?", f.Priority)
	}
	if f.Breached != nil {
		cond := "(breached = TRUE OR (due_at IS NOT NULL AND due_at < ?))"
		if !*f.Breached {
			cond = "NOT " + cond
		}
		add(cond, store.Millis(now))
	}
	if f.Unassigned {
		conds = append(conds, "assignee = ''")
	}
	if f.IDs != nil {
		marks := []string{"0"}
		for _, id := range f.IDs {
			args = append(args, id)
			marks = append(marks, "$"+strconv.Itoa(len(args)))
		}
		conds = append(conds, "id IN ("+strings.Join(marks, ", ")+")")
	}
	if f.Active {
		conds = append(conds, "status NOT IN ('resolved', 'closed')")
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " AND " + strings.Join(conds, " AND "), args
}

// List returns one page of tickets, newest first, with their SLA figures.
func (s *Store) List(ctx context.Context, f Filter, page store.Page) ([]Ticket, string, error) {
	if err := f.Validate(); err != nil {
		return nil, "", err
	}
	before, err := page.BeforeID()
	if err != nil {
		return nil, "", err
	}
	where, args := f.where(s.now())
	args = append([]any{before}, args...)
	where = shift(where, 1)
	limit := page.Size()
	args = append(args, limit+1)
	ts, err := s.query(ctx, `SELECT `+ticketColumns+` FROM tickets WHERE id < $1`+where+` ORDER BY id DESC LIMIT $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(ts) > limit {
		ts = ts[:limit]
		next = store.IDCursor(ts[limit-1].ID)
	}
	return ts, next, nil
}

// QueueCountCap bounds the count Queue returns: beyond it the page says
// "more than", so that counting never reads the whole table.
const QueueCountCap = 10_000

// Queue returns the active tickets in the order an agent works them: by
// the earliest due instant of their running clocks, so breached tickets
// come first and those close to their target next; tickets whose clocks
// all stand still (waiting, or no policy) come last, oldest first. At most
// limit tickets are returned, with the number of active tickets matching
// (at most QueueCountCap+1). Both reads walk an index in order and stop at
// the limit.
func (s *Store) Queue(ctx context.Context, f Filter, limit int) ([]Ticket, int, error) {
	if err := f.Validate(); err != nil {
		return nil, 0, err
	}
	f.Active = true
	where, args := f.where(s.now())
	var total int
	countArgs := append(append([]any{}, args...), QueueCountCap+1)
	if err := s.db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM tickets WHERE 1 = 1`+where+` LIMIT $`+strconv.Itoa(len(countArgs))+`) AS capped`, countArgs...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("desk: count queue: %w", err)
	}
	if limit <= 0 {
		return []Ticket{}, total, nil
	}
	next := len(args) + 1
	running, err := s.query(ctx, `SELECT `+ticketColumns+` FROM tickets WHERE due_at IS NOT NULL`+where+` ORDER BY due_at, id LIMIT $`+strconv.Itoa(next), append(args, limit)...)
	if err != nil || len(running) == limit {
		return running, total, err
	}
	still, err := s.query(ctx, `SELECT `+ticketColumns+` FROM tickets WHERE due_at IS NULL`+where+` ORDER BY id LIMIT $`+strconv.Itoa(next), append(args, limit-len(running))...)
	return append(running, still...), total, err
}

// shift renumbers $N placeholders by n, so a filter's conditions follow
// arguments placed before them.
func shift(sql string, n int) string {
	var b strings.Builder
	for i := 0; i < len(sql); i++ {
		if sql[i] != '$' {
			b.WriteByte(sql[i])
			continue
		}
		j := i + 1
		for j < len(sql) && sql[j] >= '0' && sql[j] <= '9' {
			j++
		}
		v, _ := strconv.Atoi(sql[i+1 : j])
		b.WriteString("$" + strconv.Itoa(v+n))
		i = j - 1
	}
	return b.String()
}

// query reads tickets and their pauses and computes their figures now.
func (s *Store) query(ctx context.Context, q string, args ...any) ([]Ticket, error) {
	ts, err := s.load(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := make([]Ticket, len(ts))
	for i, l := range ts {
		out[i] = l.Ticket
		l.clocks.apply(&out[i], now, l.warned)
	}
	return out, nil
}

// loaded is a ticket read with what its clocks need.
type loaded struct {
	Ticket
	warned int
	clocks clocks
}

// load reads tickets and their pauses and builds their clocks.
func (s *Store) load(ctx context.Context, q string, args ...any) ([]loaded, error) {
	w, err := s.world(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.Reader().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("desk: list tickets: %w", err)
	}
	defer rows.Close()
	var out []loaded
	for rows.Next() {
		t, wd, err := scanTicket(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, loaded{Ticket: t, warned: wd})
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	ids := make([]int64, len(out))
	for i, t := range out {
		ids[i] = t.ID
	}
	ps, err := pausesOf(ctx, s.db.Reader(), ids...)
	if err != nil {
		return nil, err
	}
	cfg := s.Config()
	for i := range out {
		out[i].clocks = w.clocks(cfg, &out[i].Ticket, ps[out[i].ID])
	}
	return out, nil
}
