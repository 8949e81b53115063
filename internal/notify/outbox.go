package notify

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/sextant-ops/sextant/internal/store"
)

// Outbox tuning. claimFor is how long a worker owns a row it is sending;
// it is longer than any send may take (MaxTimeout, and sendLimit for
// channels from elsewhere), so that another replica takes a row over only
// from a worker that died.
const (
	claimFor        = 2 * time.Minute
	sendLimit       = 90 * time.Second
	perChannel      = 4
	pollEvery       = time.Second
	pollBatch       = 200
	maxErrorLen     = 500
	defaultAttempts = 12
)

// The statuses of an outbox row.
const (
	StatusPending = "pending"
	StatusSent    = "sent"
	StatusFailed  = "failed"
)

// Outbox sends the notifications others enqueue in the outbox table, at
// least once each, and records every attempt in the incident's timeline.
//
// Rows are enqueued in the same transaction as the decision to notify:
//
//	INSERT INTO outbox (incident_id, channel, kind, status, attempts, next_attempt, claimed_until, last_error, created_at)
//	VALUES ($1, $2, $3, 'pending', 0, $4, 0, '', $4)
//
// then Kick wakes the worker. Because the row is durable first, a
// notification decided before a crash or restart is sent after it.
//
// Several replicas may run an Outbox on one database: a worker claims a
// row with a conditional UPDATE (its own short transaction) before sending
// it, so each row is sent by one of them; a claim held by a replica that
// died expires after two minutes and the row is sent again by another.
// Sends run concurrently, at most four at a time per channel, and a
// channel that has four sends under way is not even read from the table,
// so a slow or failing channel never delays the others.
//
// An Outbox must not be copied after first use.
type Outbox struct {
	DB *store.DB
	// Channels returns the current channels by name (config reloads swap
	// them); a row whose channel is missing fails with that reason. A nil
	// map means no config is loaded yet, and every row waits.
	Channels func() map[string]Channel
	// Links returns the incident's page and its signed acknowledge and
	// resolve links; nil leaves them empty.
	Links func(incidentID int64) (view, ack, resolve string)
	// Log receives one line per attempt; nil discards.
	Log *slog.Logger
	// Now is the clock, time.Now when nil.
	Now func() time.Time
	// MaxAttempts is how many attempts a row gets before it is marked
	// failed (default 12, about six hours of retries with Backoff).
	MaxAttempts int
	// SoleWorker says no other process sends from this database (always
	// true on SQLite, which one process owns): claims left by a process
	// that died are released at start instead of waiting for them to
	// expire, so pending notifications go out right after a restart.
	SoleWorker bool

	kickOnce sync.Once
	kick     chan struct{}

	mu   sync.Mutex
	busy map[string]int // sends under way per channel
	wg   sync.WaitGroup
}

// Delivery is one outbox row as the UI and API show it; the JSON names
// are the API's.
type Delivery struct {
	ID       int64  `json:"id"`
	Channel  string `json:"channel"`
	Kind     string `json:"kind"`
	Status   string `json:"status"` // pending, sent, failed
	Attempts int    `json:"attempts"`
	// LastError is the last failure, without secrets, at most 500 bytes.
	LastError string    `json:"last_error"`
	CreatedAt time.Time `json:"created_at"`
	// SentAt is zero (and left out of JSON) until the row is sent.
	SentAt time.Time `json:"sent_at,omitzero"`
	// NextAttempt is when a pending row is tried next.
	NextAttempt time.Time `json:"next_attempt"`
}

// Backoff is the wait after the n-th failed attempt (n from 1): 10s, 30s,
// 1m, 5m, 15m, then 1h each time.
func Backoff(n int) time.Duration {
	steps := [...]time.Duration{10 * time.Second, 30 * time.Second, time.Minute, 5 * time.Minute, 15 * time.Minute, time.Hour}
	switch {
	case n < 1:
		return steps[0]
	case n > len(steps):
		return time.Hour
	default:
		return steps[n-1]
	}
}

// Kick wakes the worker now, e.g. right after an enqueue has committed.
// It never blocks.
func (o *Outbox) Kick() {
	select {
	case o.kickChan() <- struct{}{}:
	default:
	}
}

func (o *Outbox) kickChan() chan struct{} {
	o.kickOnce.Do(func() { o.kick = make(chan struct{}, 1) })
	return o.kick
}

func (o *Outbox) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

func (o *Outbox) log() *slog.Logger {
	if o.Log != nil {
		return o.Log
	}
	return slog.New(slog.DiscardHandler)
}

func (o *Outbox) maxAttempts() int {
	if o.MaxAttempts > 0 {
		return o.MaxAttempts
	}
	return defaultAttempts
}

// Run sends due notifications until ctx ends: it polls every second and
// whenever Kick is called. On shutdown it cancels the sends under way,
// gives their rows back untouched (they are sent after the restart) and
// waits for them before returning.
func (o *Outbox) Run(ctx context.Context) error {
	if o.DB == nil || o.Channels == nil {
		return errors.New("notify: Outbox needs DB and Channels")
	}
	kick := o.kickChan()
	if o.SoleWorker {
		if _, err := o.DB.Writer().ExecContext(ctx, `UPDATE outbox SET claimed_until = 0 WHERE status = 'pending' AND claimed_until > 0`); err != nil {
			o.log().Error("notification outbox: release claims of the previous run", "err", err)
		}
	}
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	defer o.wg.Wait()
	for {
		if err := o.poll(ctx); err != nil && ctx.Err() == nil {
			o.log().Error("notification outbox", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		case <-kick:
		}
	}
}

// outboxRow is a due row joined with its incident.
type outboxRow struct {
	id, incident  int64
	channel, kind string
	attempts      int
	msg           Message
}

// poll claims due rows and starts their sends.
func (o *Outbox) poll(ctx context.Context) error {
	channels := o.Channels()
	if channels == nil {
		return nil // no config loaded yet: rows wait rather than fail
	}
	rows, err := o.due(ctx)
	if err != nil {
		return err
	}
	for _, r := range rows {
		ch := channels[r.channel]
		if ch != nil && !o.reserve(r.channel) {
			continue // this channel is at its limit; its rows wait
		}
		now := o.now()
		claim := store.Millis(now.Add(claimFor))
		ok, err := o.claim(ctx, r.id, claim, store.Millis(now))
		if err != nil || !ok {
			if ch != nil {
				o.release(r.channel)
			}
			if err != nil {
				return err
			}
			continue // another worker was faster
		}
		if ch == nil {
			o.record(context.WithoutCancel(ctx), r, claim, errNoChannel)
			continue
		}
		o.wg.Add(1)
		go o.deliver(ctx, r, ch, claim)
	}
	return nil
}

// errNoChannel fails a row whose channel is no longer configured.
var errNoChannel = errors.New("channel is not configured (removed from the config?)")

// due reads up to pollBatch due rows, at most perChannel of each channel,
// oldest first, leaving out channels that are at their limit.
func (o *Outbox) due(ctx context.Context) ([]outboxRow, error) {
	o.mu.Lock()
	var full []string
	for name, n := range o.busy {
		if n >= perChannel {
			full = append(full, name)
		}
	}
	o.mu.Unlock()
	now := store.Millis(o.now())
	args := []any{now, perChannel, pollBatch}
	skip := ""
	if len(full) > 0 {
		marks := make([]string, len(full))
		for i, name := range full {
			args = append(args, name)
			marks[i] = fmt.Sprintf("$%d", len(args))
		}
		skip = " AND o.channel NOT IN (" + strings.Join(marks, ", ") + ")"
	}
	q := `SELECT id, incident_id, channel, kind, attempts, service, status, severity, summary, source, created_at, in_maintenance, workaround
		FROM (
			SELECT o.id, o.incident_id, o.channel, o.kind, o.attempts, o.next_attempt,
			       i.service, i.status, i.severity, i.summary, i.source, i.created_at, i.in_maintenance,
			       COALESCE(k.workaround, '') AS workaround,
			       ROW_NUMBER() OVER (PARTITION BY o.channel ORDER BY o.next_attempt, o.id) AS n
			FROM outbox o JOIN incidents i ON i.id = o.incident_id
			LEFT JOIN known_errors k ON k.id = i.known_error_id
			WHERE o.status = 'pending' AND o.next_attempt <= $1 AND o.claimed_until < $1` + skip + `
		) due
		WHERE n <= $2
		ORDER BY next_attempt, id
		LIMIT $3`
	rs, err := o.DB.Reader().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read due notifications: %w", err)
	}
	defer rs.Close()
	var out []outboxRow
	for rs.Next() {
		var r outboxRow
		var created int64
		m := &r.msg
		if err := rs.Scan(&r.id, &r.incident, &r.channel, &r.kind, &r.attempts,
			&m.Service, &m.Status, &m.Severity, &m.Summary, &m.Source, &created, &m.InMaintenance, &m.Workaround); err != nil {
			return nil, fmt.Errorf("read due notifications: %w", err)
		}
		m.IncidentID, m.Kind, m.CreatedAt = r.incident, r.kind, store.FromMillis(created)
		out = append(out, r)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("read due notifications: %w", err)
	}
	return out, nil
}

// claim takes row id until claimUntil, unless another worker holds it, or
// has meanwhile sent it or recorded a failure that put it off; it reports
// whether this worker got it.
func (o *Outbox) claim(ctx context.Context, id, claimUntil, now int64) (bool, error) {
	var n int64
	err := o.DB.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE outbox SET claimed_until = $1
			WHERE id = $2 AND claimed_until < $3 AND status = 'pending' AND next_attempt <= $3`, claimUntil, id, now)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return false, fmt.Errorf("claim notification %d: %w", id, err)
	}
	return n == 1, nil
}

// reserve takes one of channel's send slots, if one is free.
func (o *Outbox) reserve(channel string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.busy == nil {
		o.busy = map[string]int{}
	}
	if o.busy[channel] >= perChannel {
		return false
	}
	o.busy[channel]++
	return true
}

// release gives a send slot back.
func (o *Outbox) release(channel string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.busy[channel]--; o.busy[channel] <= 0 {
		delete(o.busy, channel)
	}
}

// deliver sends one claimed row and records the outcome.
func (o *Outbox) deliver(ctx context.Context, r outboxRow, ch Channel, claim int64) {
	defer o.wg.Done()
	defer o.Kick() // the freed slot may take the channel's next row now
	defer o.release(r.channel)
	if o.Links != nil {
		r.msg.URL, r.msg.AckURL, r.msg.ResolveURL = o.Links(r.incident)
	}
	err := o.send(ctx, ch, r.msg)
	if err != nil && ctx.Err() != nil {
		// Shutting down: the attempt was cut short by us, not by the
		// receiver. Give the row back without counting it.
		o.unclaim(context.WithoutCancel(ctx), r, claim)
		return
	}
	o.record(context.WithoutCancel(ctx), r, claim, err)
}

// send calls the channel with a deadline of its own, turning a panic into
// an error so that one broken channel cannot take the worker down.
func (o *Outbox) send(ctx context.Context, ch Channel, m Message) (err error) {
	ctx, cancel := context.WithTimeout(ctx, sendLimit)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("channel panicked: %v", p)
		}
	}()
	return ch.Send(ctx, m)
}

// unclaim releases a claim without recording an attempt.
func (o *Outbox) unclaim(ctx context.Context, r outboxRow, claim int64) {
	if _, err := o.DB.Writer().ExecContext(ctx, `UPDATE outbox SET claimed_until = 0 WHERE id = $1 AND claimed_until = $2`, r.id, claim); err != nil {
		o.log().Warn("release notification on shutdown", "notification", r.id, "err", err)
	}
}

// record writes the outcome of one attempt on the row and in the
// incident's timeline, in one transaction. The row is updated only while
// this worker's claim still holds; the timeline gets the attempt either way.
func (o *Outbox) record(ctx context.Context, r outboxRow, claim int64, sendErr error) {
	now := o.now()
	attempt := r.attempts + 1
	var (
		status  = StatusSent
		next    = store.Millis(now)
		lastErr string
		message string
		sentAt  sql.NullInt64
		log     = o.log().With("incident", r.incident, "channel", r.channel, "kind", r.kind, "attempt", attempt)
	)
	switch {
	case sendErr == nil:
		sentAt = store.NullMillis(now)
		message = fmt.Sprintf("sent %s to %s", r.kind, r.channel)
		log.Info("notification sent")
	case errors.Is(sendErr, errNoChannel):
		status, attempt, lastErr = StatusFailed, r.attempts, sendErr.Error()
		message = fmt.Sprintf("%s failed: %s", r.channel, lastErr)
		log.Warn("notification failed", "err", lastErr)
	default:
		lastErr = truncate(sendErr.Error(), maxErrorLen)
		switch {
		case IsPermanent(sendErr):
			status = StatusFailed
			message = fmt.Sprintf("%s failed (attempt %d, not retried): %s", r.channel, attempt, lastErr)
		case attempt >= o.maxAttempts():
			status = StatusFailed
			message = fmt.Sprintf("%s failed (attempt %d, giving up): %s", r.channel, attempt, lastErr)
		default:
			status = StatusPending
			wait := Backoff(attempt)
			next = store.Millis(now.Add(wait))
			message = fmt.Sprintf("%s failed (attempt %d, retry in %s): %s", r.channel, attempt, shortDuration(wait), lastErr)
		}
		log.Warn("notification failed", "status", status, "err", lastErr)
	}
	err := o.DB.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE outbox SET status = $1, attempts = $2, next_attempt = $3, last_error = $4, sent_at = $5, claimed_until = 0
			WHERE id = $6 AND claimed_until = $7`, status, attempt, next, lastErr, sentAt, r.id, claim)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			log.Warn("notification claim expired before the attempt was recorded; another worker may repeat it", "notification", r.id)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO incident_log (incident_id, at, kind, actor, message) VALUES ($1, $2, 'notification', $3, $4)`,
			r.incident, store.Millis(now), "channel:"+r.channel, message)
		return err
	})
	if err != nil {
		// The claim expires and the row is tried again: at least once.
		log.Error("record notification attempt", "notification", r.id, "err", err)
	}
}

// Deliveries lists an incident's notifications, oldest first, for the
// delivery log in the UI and API.
func (o *Outbox) Deliveries(ctx context.Context, incidentID int64) ([]Delivery, error) {
	rs, err := o.DB.Reader().QueryContext(ctx, `SELECT id, channel, kind, status, attempts, last_error, created_at, sent_at, next_attempt
		FROM outbox WHERE incident_id = $1 ORDER BY id`, incidentID)
	if err != nil {
		return nil, fmt.Errorf("deliveries of incident %d: %w", incidentID, err)
	}
	defer rs.Close()
	out := []Delivery{}
	for rs.Next() {
		var (
			d             Delivery
			created, next int64
			sent          sql.NullInt64
		)
		if err := rs.Scan(&d.ID, &d.Channel, &d.Kind, &d.Status, &d.Attempts, &d.LastError, &created, &sent, &next); err != nil {
			return nil, fmt.Errorf("deliveries of incident %d: %w", incidentID, err)
		}
		d.CreatedAt, d.SentAt, d.NextAttempt = store.FromMillis(created), store.FromNullMillis(sent), store.FromMillis(next)
		out = append(out, d)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("deliveries of incident %d: %w", incidentID, err)
	}
	return out, nil
}

// truncate keeps at most n bytes of s, on a rune boundary, on one line.
func truncate(s string, n int) string {
	return clip(oneLine(s), n)
}

// shortDuration writes the backoff steps as people say them: 30s, 5m, 1h.
func shortDuration(d time.Duration) string {
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d >= time.Minute && d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	default:
		return d.Round(time.Second).String()
	}
}
