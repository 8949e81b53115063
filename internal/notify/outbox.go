package notify

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
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
	// digestMax is the most notifications one digest carries; a larger
	// backlog goes out as several.
	digestMax = 200
	// supersedeBatch is how many superseded rows one poll retires.
	supersedeBatch = 500
)

// The statuses of an outbox row. A superseded row was not sent because
// what it reported was no longer true: a later notification for the same
// incident and channel replaced it, or the incident was acknowledged
// before a page could be sent.
const (
	StatusPending    = "pending"
	StatusSent       = "sent"
	StatusFailed     = "failed"
	StatusSuperseded = "superseded"
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
// What is sent is what is true when it is sent, decided from the database
// at each poll (so it holds across restarts and replicas):
//
//   - a pending row is superseded, not sent, when a later row exists for
//     the same incident and channel (a triggered notification still
//     pending when the acknowledged or resolved one arrives);
//   - a triggered or escalated page is superseded when the incident has
//     been acknowledged meanwhile: somebody already works on it;
//   - any row of an incident that is resolved by now is sent as one quiet
//     resolved message, with the times it opened and resolved — never as
//     an urgent page;
//
// and each superseded row says so in the incident's timeline.
//
// A channel's Pacing limits how fast it is sent to (a sliding window per
// server; rows beyond it wait, pending), and a receiver answering 429 or
// 503 with Retry-After pauses the channel until then without counting a
// failed attempt (a 429 without it holds the channel for the backoff). When more than the channel's DigestAfter rows are due at
// once, they go out as one Digest.
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
	// Metrics receives the worker's measurements; nil hooks are skipped.
	Metrics Metrics
	// Describe, when set, writes the Message of a row about no incident
	// from its kind (a ticket's SLA warning, "ticket-sla:…"; a licence
	// expiry warning), just before it is sent; ok false leaves the row's
	// Message as it is (for channels that read their kind themselves, like
	// a subscriber's).
	Describe func(ctx context.Context, kind string) (m Message, ok bool, err error)

	kickOnce sync.Once
	kick     chan struct{}

	mu      sync.Mutex
	busy    map[string]int       // sends under way per channel
	windows map[string]*window   // recent sends per rate-limited channel
	paused  map[string]time.Time // channels a receiver asked to wait, until when
	// held and toHold are, per rate-limited channel, the instant its
	// waiting rows were last shown to wait for, and the later one still to
	// be written.
	held, toHold map[string]time.Time
	wg           sync.WaitGroup
	polls        atomic.Int64 // finished polls, which tests wait on
}

// Metrics are the outbox's hooks into the server's metrics, so that this
// package needs no metrics library. Both are called with the channel's
// name.
type Metrics struct {
	// Delivered is called for each notification a receiver accepted, with
	// the time from its enqueueing to its delivery.
	Delivered func(channel string, latency time.Duration)
	// Failed is called for each failed send (a digest is one send); a
	// receiver asking to wait with Retry-After is not a failure.
	Failed func(channel string)
}

// Delivery is one outbox row as the UI and API show it; the JSON names
// are the API's.
type Delivery struct {
	ID       int64  `json:"id"`
	Channel  string `json:"channel"`
	Kind     string `json:"kind"`
	Status   string `json:"status"` // pending, sent, failed, superseded
	Attempts int    `json:"attempts"`
	// Note says what became of it besides its status: "superseded by
	// resolved", "sent as resolved", "sent in a digest of 40".
	Note string `json:"note"`
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
		o.polls.Add(1)
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		case <-kick:
		}
	}
}

// outboxRow is a due row joined with its incident; incident is 0 for a
// row about no incident (a maintenance notice to a subscriber).
type outboxRow struct {
	id, incident  int64
	channel, kind string
	attempts      int
	// enqueued is when the row was written; dueCount how many rows of its
	// channel were due with it.
	enqueued time.Time
	dueCount int
	// msg is what is sent: its Kind is resolved, in place of the row's
	// own kind, when the incident is resolved by now.
	msg Message
}

// replaced reports whether the row is sent as something other than its
// own kind (a resolved message for an incident resolved meanwhile); a row
// about no incident is described from its kind, never replaced.
func (r outboxRow) replaced() bool { return r.incident != 0 && r.msg.Kind != r.kind }

// poll retires superseded rows, then claims due rows and starts their
// sends: one digest for each channel with more due than its DigestAfter,
// one send per row for the others.
func (o *Outbox) poll(ctx context.Context) error {
	channels := o.Channels()
	if channels == nil {
		return nil // no config loaded yet: rows wait rather than fail
	}
	if err := o.supersede(ctx); err != nil {
		return err
	}
	rows, err := o.due(ctx, "", perChannel)
	if err != nil {
		return err
	}
	digests := map[string]bool{}
	for _, r := range rows {
		ch := channels[r.channel]
		if digests[r.channel] || ch == nil || r.dueCount <= pacingOf(ch).DigestAfter {
			continue
		}
		if _, ok := ch.(Digester); ok {
			// Whether or not the digest can start now, the channel's rows
			// wait for it rather than go out one by one.
			digests[r.channel] = true
			if err := o.startDigest(ctx, r.channel, ch); err != nil {
				return err
			}
		}
	}
	for _, r := range rows {
		if digests[r.channel] {
			continue
		}
		ch := channels[r.channel]
		if ch != nil && !o.reserve(r.channel, ch) {
			continue // this channel is at its limit, paced or paused; its rows wait
		}
		now := o.now()
		claim := store.Millis(now.Add(claimFor))
		ok, err := o.claim(ctx, r.id, claim, store.Millis(now))
		if err != nil || !ok {
			if ch != nil {
				o.unreserve(r.channel)
			}
			if err != nil {
				return err
			}
			continue // another worker was faster
		}
		if ch == nil {
			o.record(context.WithoutCancel(ctx), []outboxRow{r}, claim, errNoChannel)
			continue
		}
		o.wg.Add(1)
		go o.deliver(ctx, []outboxRow{r}, ch, claim)
	}
	return o.showPacing(ctx)
}

// showPacing writes on the waiting rows of each channel its rate limit
// held back when they will be sent, so that the delivery log tells the
// truth; the rows stay pending and nothing is lost.
func (o *Outbox) showPacing(ctx context.Context) error {
	o.mu.Lock()
	hold := o.toHold
	o.toHold = map[string]time.Time{}
	o.mu.Unlock()
	now := o.now()
	for channel, until := range hold {
		if err := holdChannel(ctx, o.DB.Writer(), channel, until, now); err != nil {
			return fmt.Errorf("pace notifications to %s: %w", channel, err)
		}
	}
	return nil
}

// holdChannel puts off a channel's waiting rows until an instant, leaving
// alone those already due later and those being sent.
func holdChannel(ctx context.Context, q store.Querier, channel string, until, now time.Time) error {
	_, err := q.ExecContext(ctx, `UPDATE outbox SET next_attempt = $1
		WHERE channel = $2 AND status = 'pending' AND next_attempt < $1 AND claimed_until < $3`,
		store.Millis(until), channel, store.Millis(now))
	return err
}

// startDigest claims the due rows of one channel and sends them as one
// digest, if the channel has a free slot and its rate allows a send.
func (o *Outbox) startDigest(ctx context.Context, channel string, ch Channel) error {
	if !o.reserve(channel, ch) {
		return nil
	}
	rows, err := o.due(ctx, channel, digestMax)
	if err != nil || len(rows) == 0 {
		o.unreserve(channel)
		return err
	}
	now := o.now()
	claim := store.Millis(now.Add(claimFor))
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.id
	}
	got, err := o.claimAll(ctx, ids, claim, store.Millis(now))
	if err != nil {
		o.unreserve(channel)
		return err
	}
	mine := rows[:0]
	for _, r := range rows {
		if got[r.id] {
			mine = append(mine, r)
		}
	}
	if len(mine) == 0 {
		o.unreserve(channel)
		return nil // another worker was faster
	}
	o.wg.Add(1)
	go o.deliver(ctx, mine, ch, claim)
	return nil
}

// supersededError is what a Describe returns for a row whose subject is
// over before it could be sent.
type supersededError struct{ reason string }

func (e *supersededError) Error() string { return "superseded: " + e.reason }

// Superseded is returned by an Outbox's Describe when what the row would
// say is no longer true (a ticket answered before its SLA warning went
// out): the row is marked superseded with the reason, not sent, and no
// attempt is counted as failed.
func Superseded(reason string) error { return &supersededError{reason: reason} }

func isSuperseded(err error) bool {
	var s *supersededError
	return errors.As(err, &s)
}

// errNoChannel fails a row whose channel is no longer configured.
var errNoChannel = errors.New("channel is not configured (removed from the config?)")

// pacingOf is a channel's Pacing, or no limit and the default digest
// threshold for channels that do not say.
func pacingOf(ch Channel) Pacing {
	if p, ok := ch.(Paced); ok {
		pace := p.Pacing()
		if pace.DigestAfter <= 0 {
			pace.DigestAfter = DefaultDigestAfter
		}
		return pace
	}
	return Pacing{DigestAfter: DefaultDigestAfter}
}

// supersede retires pending rows that are no longer true: those with a
// later row for the same incident and channel, and pages for incidents
// acknowledged meanwhile. Each gets a line in its incident's timeline.
// Rows under a live claim are left to the worker sending them.
func (o *Outbox) supersede(ctx context.Context) error {
	now := o.now()
	rs, err := o.DB.Reader().QueryContext(ctx, `SELECT o.id, o.incident_id, o.channel, o.kind, i.acknowledged_by,
			(SELECT l.kind FROM outbox l WHERE l.incident_id = o.incident_id AND l.channel = o.channel AND l.id > o.id ORDER BY l.id DESC LIMIT 1)
		FROM outbox o JOIN incidents i ON i.id = o.incident_id
		WHERE o.status = 'pending' AND o.claimed_until < $1
		  AND (EXISTS (SELECT 1 FROM outbox l WHERE l.incident_id = o.incident_id AND l.channel = o.channel AND l.id > o.id)
		       OR (i.status = 'acknowledged' AND o.kind IN ('triggered', 'escalated')))
		ORDER BY o.id LIMIT $2`, store.Millis(now), supersedeBatch)
	if err != nil {
		return fmt.Errorf("find superseded notifications: %w", err)
	}
	type superseded struct {
		id, incident        int64
		channel, note, line string
	}
	var found []superseded
	for rs.Next() {
		var (
			s         superseded
			kind, by  string
			laterKind sql.NullString
		)
		if err := rs.Scan(&s.id, &s.incident, &s.channel, &kind, &by, &laterKind); err != nil {
			rs.Close()
			return fmt.Errorf("find superseded notifications: %w", err)
		}
		if laterKind.Valid {
			s.note = "superseded by " + laterKind.String
		} else {
			s.note = "superseded: acknowledged"
			if by != "" {
				s.note += " by " + by
			}
		}
		s.line = fmt.Sprintf("%s to %s not sent: %s", kind, s.channel, s.note)
		found = append(found, s)
	}
	rs.Close()
	if err := rs.Err(); err != nil {
		return fmt.Errorf("find superseded notifications: %w", err)
	}
	if len(found) == 0 {
		return nil
	}
	err = o.DB.Tx(ctx, func(tx *sql.Tx) error {
		for _, s := range found {
			res, err := tx.ExecContext(ctx, `UPDATE outbox SET status = $2, note = $3, claimed_until = 0
				WHERE id = $1 AND status = 'pending' AND claimed_until < $4`, s.id, StatusSuperseded, s.note, store.Millis(now))
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil || n == 0 {
				continue // claimed or changed meanwhile: its worker decides
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO incident_log (incident_id, at, kind, actor, message) VALUES ($1, $2, 'notification', $3, $4)`,
				s.incident, store.Millis(now), "channel:"+s.channel, s.line); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("retire superseded notifications: %w", err)
	}
	for _, s := range found {
		o.log().Info("notification superseded", "incident", s.incident, "channel", s.channel, "note", s.note)
	}
	return nil
}

// due reads up to pollBatch due rows, at most limit of each channel,
// oldest first. With channel set it reads that channel's only; without,
// it leaves out channels that are at their limit of sends under way.
func (o *Outbox) due(ctx context.Context, channel string, limit int) ([]outboxRow, error) {
	now := store.Millis(o.now())
	args := []any{now, limit, pollBatch}
	filter := ""
	if channel != "" {
		args = append(args, channel)
		filter = " AND o.channel = $4"
	} else {
		o.mu.Lock()
		var full []string
		for name, n := range o.busy {
			if n >= perChannel {
				full = append(full, name)
			}
		}
		o.mu.Unlock()
		if len(full) > 0 {
			marks := make([]string, len(full))
			for i, name := range full {
				args = append(args, name)
				marks[i] = fmt.Sprintf("$%d", len(args))
			}
			filter = " AND o.channel NOT IN (" + strings.Join(marks, ", ") + ")"
		}
	}
	q := `SELECT id, incident_id, channel, kind, attempts, enqueued, due_n,
			service, status, severity, summary, source, opened, resolved_at, in_maintenance, workaround
		FROM (
			SELECT o.id, COALESCE(o.incident_id, 0) AS incident_id, o.channel, o.kind, o.attempts, o.next_attempt, o.created_at AS enqueued,
			       COALESCE(i.service, '') AS service, COALESCE(i.status, '') AS status, COALESCE(i.severity, '') AS severity,
			       COALESCE(i.summary, '') AS summary, COALESCE(i.source, '') AS source, COALESCE(i.created_at, o.created_at) AS opened,
			       i.resolved_at, COALESCE(i.in_maintenance, FALSE) AS in_maintenance,
			       COALESCE(k.workaround, '') AS workaround,
			       ROW_NUMBER() OVER (PARTITION BY o.channel ORDER BY o.next_attempt, o.id) AS n,
			       COUNT(*) OVER (PARTITION BY o.channel) AS due_n
			FROM outbox o LEFT JOIN incidents i ON i.id = o.incident_id
			LEFT JOIN known_errors k ON k.id = i.known_error_id
			WHERE o.status = 'pending' AND o.next_attempt <= $1 AND o.claimed_until < $1` + filter + `
			  -- Read in the same snapshot as the incident's status: a row
			  -- with a later one (committed since supersede looked) waits
			  -- for the next poll to retire it, so a resolution is never
			  -- sent twice.
			  AND NOT EXISTS (SELECT 1 FROM outbox l WHERE l.incident_id = o.incident_id AND l.channel = o.channel AND l.id > o.id)
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
		var (
			r                outboxRow
			enqueued, opened int64
			resolved         sql.NullInt64
			m                = &r.msg
		)
		if err := rs.Scan(&r.id, &r.incident, &r.channel, &r.kind, &r.attempts, &enqueued, &r.dueCount,
			&m.Service, &m.Status, &m.Severity, &m.Summary, &m.Source, &opened, &resolved, &m.InMaintenance, &m.Workaround); err != nil {
			return nil, fmt.Errorf("read due notifications: %w", err)
		}
		m.IncidentID, m.Kind, m.CreatedAt, m.ResolvedAt = r.incident, r.kind, store.FromMillis(opened), store.FromNullMillis(resolved)
		r.enqueued = store.FromMillis(enqueued)
		if m.Status == incidentResolved {
			// Whatever the row was about, the truth now is that the
			// incident is over: one quiet resolved message.
			m.Kind = KindResolved
		}
		out = append(out, r)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("read due notifications: %w", err)
	}
	rs.Close()
	return out, nil
}

// incidentResolved is the incident status the outbox reads to send a
// resolved message in place of an outdated one.
const incidentResolved = "resolved"

// claim takes row id until claimUntil, unless another worker holds it, or
// has meanwhile sent it or recorded a failure that put it off; it reports
// whether this worker got it.
func (o *Outbox) claim(ctx context.Context, id, claimUntil, now int64) (bool, error) {
	got, err := o.claimAll(ctx, []int64{id}, claimUntil, now)
	return got[id], err
}

// claimAll is claim for many rows at once (a digest's); it returns those
// this worker got.
func (o *Outbox) claimAll(ctx context.Context, ids []int64, claimUntil, now int64) (map[int64]bool, error) {
	args := []any{claimUntil, now}
	marks := make([]string, len(ids))
	for i, id := range ids {
		args = append(args, id)
		marks[i] = fmt.Sprintf("$%d", len(args))
	}
	got := map[int64]bool{}
	err := o.DB.Tx(ctx, func(tx *sql.Tx) error {
		rs, err := tx.QueryContext(ctx, `UPDATE outbox SET claimed_until = $1
			WHERE id IN (`+strings.Join(marks, ", ")+`) AND claimed_until < $2 AND status = 'pending' AND next_attempt <= $2
			RETURNING id`, args...)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			var id int64
			if err := rs.Scan(&id); err != nil {
				return err
			}
			got[id] = true
		}
		return rs.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("claim notifications %v: %w", ids, err)
	}
	return got, nil
}

// reserve takes one of channel's send slots, if one is free, the channel
// is not paused by its receiver, and its rate limit allows a send now.
func (o *Outbox) reserve(channel string, ch Channel) bool {
	now := o.now()
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.busy == nil {
		o.busy, o.windows, o.paused = map[string]int{}, map[string]*window{}, map[string]time.Time{}
		o.held, o.toHold = map[string]time.Time{}, map[string]time.Time{}
	}
	if o.busy[channel] >= perChannel {
		return false
	}
	if until, ok := o.paused[channel]; ok {
		if now.Before(until) {
			return false
		}
		delete(o.paused, channel)
	}
	if rate := pacingOf(ch).Rate; rate.Events > 0 {
		w := o.windows[channel]
		if w == nil || w.rate != rate {
			w = &window{rate: rate} // new, or the config changed the limit
			o.windows[channel] = w
		}
		if !w.take(now) {
			if free := w.free(); free.After(o.held[channel]) {
				o.held[channel], o.toHold[channel] = free, free
			}
			return false
		}
	}
	o.busy[channel]++
	return true
}

// unreserve gives back a slot and the rate allowance reserve took, when
// the row went to another worker.
func (o *Outbox) unreserve(channel string) {
	o.mu.Lock()
	if w := o.windows[channel]; w != nil {
		w.giveBack()
	}
	o.mu.Unlock()
	o.release(channel)
}

// release gives a send slot back.
func (o *Outbox) release(channel string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.busy[channel]--; o.busy[channel] <= 0 {
		delete(o.busy, channel)
	}
}

// pause holds a channel until the instant its receiver asked for.
func (o *Outbox) pause(channel string, until time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.paused == nil {
		o.paused = map[string]time.Time{}
	}
	if until.After(o.paused[channel]) {
		o.paused[channel] = until
	}
}

// deliver sends claimed rows of one channel — one row alone, or several as
// a digest — and records the outcome.
func (o *Outbox) deliver(ctx context.Context, batch []outboxRow, ch Channel, claim int64) {
	defer o.wg.Done()
	defer o.Kick() // the freed slot may take the channel's next row now
	defer o.release(batch[0].channel)
	var err error
	live := make([]outboxRow, 0, len(batch))
	for i := range batch {
		m := &batch[i].msg
		switch {
		case o.Links != nil && batch[i].incident != 0:
			m.URL, m.AckURL, m.ResolveURL = o.Links(batch[i].incident)
		case o.Describe != nil && batch[i].incident == 0 && err == nil:
			about, ok, derr := o.Describe(ctx, batch[i].kind)
			switch {
			case isSuperseded(derr):
				// Over before it was sent: this row alone is retired.
				o.record(context.WithoutCancel(ctx), batch[i:i+1], claim, derr)
				continue
			case derr != nil:
				err = derr
			case ok:
				*m = about
			}
		}
		live = append(live, batch[i])
	}
	if len(live) == 0 {
		return
	}
	batch = live
	switch {
	case err != nil:
		// The row's subject could not be read: an attempt that failed.
	case len(batch) == 1:
		err = o.send(ctx, func(ctx context.Context) error { return ch.Send(ctx, batch[0].msg) })
	default:
		d := Digest{Since: batch[0].enqueued, Now: o.now()}
		for _, r := range batch {
			d.Items = append(d.Items, r.msg)
			if r.enqueued.Before(d.Since) {
				d.Since = r.enqueued
			}
		}
		err = o.send(ctx, func(ctx context.Context) error { return ch.(Digester).SendDigest(ctx, d) })
	}
	if err != nil && ctx.Err() != nil {
		// Shutting down: the attempt was cut short by us, not by the
		// receiver. Give the rows back without counting it.
		for _, r := range batch {
			o.unclaim(context.WithoutCancel(ctx), r, claim)
		}
		return
	}
	o.record(context.WithoutCancel(ctx), batch, claim, err)
}

// send calls the channel with a deadline of its own, turning a panic into
// an error so that one broken channel cannot take the worker down.
func (o *Outbox) send(ctx context.Context, call func(context.Context) error) (err error) {
	ctx, cancel := context.WithTimeout(ctx, sendLimit)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("channel panicked: %v", p)
		}
	}()
	return call(ctx)
}

// unclaim releases a claim without recording an attempt.
func (o *Outbox) unclaim(ctx context.Context, r outboxRow, claim int64) {
	if _, err := o.DB.Writer().ExecContext(ctx, `UPDATE outbox SET claimed_until = 0 WHERE id = $1 AND claimed_until = $2`, r.id, claim); err != nil {
		o.log().Warn("release notification on shutdown", "notification", r.id, "err", err)
	}
}

// outcome is what one attempt did to one row.
type outcome struct {
	status, lastErr, note, message string
	attempt                        int
	next                           int64
	sentAt                         sql.NullInt64
}

// record writes the outcome of one attempt (one send, of one row or of a
// digest) on its rows and in their incidents' timelines, in one
// transaction. A row is updated only while this worker's claim still
// holds; the timeline gets the attempt either way.
func (o *Outbox) record(ctx context.Context, batch []outboxRow, claim int64, sendErr error) {
	now := o.now()
	channel := batch[0].channel
	log := o.log().With("channel", channel)
	retryAt, refusal, wait := retryAfter(sendErr, now)
	switch {
	case sendErr == nil:
		if o.Metrics.Delivered != nil {
			for _, r := range batch {
				o.Metrics.Delivered(channel, now.Sub(r.enqueued))
			}
		}
	case wait, isSuperseded(sendErr):
	case !errors.Is(sendErr, errNoChannel) && o.Metrics.Failed != nil:
		o.Metrics.Failed(channel)
	}
	outcomes := make([]outcome, len(batch))
	for i, r := range batch {
		outcomes[i] = o.outcome(r, len(batch), now, sendErr, retryAt, refusal, wait)
		l := log.With("incident", r.incident, "kind", r.kind, "attempt", outcomes[i].attempt)
		switch {
		case sendErr == nil:
			l.Info("notification sent", "note", outcomes[i].note)
		case wait:
			l.Warn("notification deferred by the receiver", "until", retryAt, "err", outcomes[i].lastErr)
		case isSuperseded(sendErr):
			l.Info("notification superseded", "note", outcomes[i].note)
		default:
			l.Warn("notification failed", "status", outcomes[i].status, "err", outcomes[i].lastErr)
		}
	}
	// The receiver asked for a pause with Retry-After, or refused for too
	// many requests without saying how long (then the row's backoff
	// serves): the whole channel holds off, not just this row.
	var pauseUntil time.Time
	switch {
	case wait:
		pauseUntil = retryAt
	case refusal != nil && refusal.Code == http.StatusTooManyRequests && outcomes[0].status == StatusPending:
		pauseUntil = store.FromMillis(outcomes[0].next)
	}
	if !pauseUntil.IsZero() {
		o.pause(channel, pauseUntil)
	}
	err := o.DB.Tx(ctx, func(tx *sql.Tx) error {
		for i, r := range batch {
			out := outcomes[i]
			res, err := tx.ExecContext(ctx, `UPDATE outbox SET status = $1, attempts = $2, next_attempt = $3, last_error = $4, sent_at = $5, note = $6, claimed_until = 0
				WHERE id = $7 AND claimed_until = $8`, out.status, out.attempt, out.next, out.lastErr, out.sentAt, out.note, r.id, claim)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 0 {
				log.Warn("notification claim expired before the attempt was recorded; another worker may repeat it", "notification", r.id)
			}
			if r.incident == 0 {
				continue // about no incident: its row is its record
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO incident_log (incident_id, at, kind, actor, message) VALUES ($1, $2, 'notification', $3, $4)`,
				r.incident, store.Millis(now), "channel:"+r.channel, out.message); err != nil {
				return err
			}
		}
		if !pauseUntil.IsZero() {
			// The channel's other waiting rows hold off too, on every
			// replica; they keep their attempts.
			if err := holdChannel(ctx, tx, channel, pauseUntil, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		// The claim expires and the rows are tried again: at least once.
		log.Error("record notification attempt", "notifications", len(batch), "err", err)
	}
}

// outcome decides what an attempt did to row r, sent alone (of 1) or in a
// digest of n.
func (o *Outbox) outcome(r outboxRow, n int, now time.Time, sendErr error, retryAt time.Time, refusal *StatusError, wait bool) outcome {
	out := outcome{status: StatusSent, attempt: r.attempts + 1, next: store.Millis(now)}
	switch {
	case sendErr == nil:
		out.sentAt = store.NullMillis(now)
		switch {
		case n > 1:
			out.note = fmt.Sprintf("sent in a digest of %d", n)
			out.message = fmt.Sprintf("sent %s to %s in a digest of %d notifications", r.msg.Kind, r.channel, n)
		case r.replaced():
			out.note = "sent as " + r.msg.Kind
			out.message = fmt.Sprintf("sent %s to %s in place of %s: the incident was resolved before it could be sent", r.msg.Kind, r.channel, r.kind)
		default:
			out.message = fmt.Sprintf("sent %s to %s", r.kind, r.channel)
		}
		if n > 1 && r.replaced() {
			out.note += ", as " + r.msg.Kind
		}
	case isSuperseded(sendErr):
		out.status, out.attempt, out.note = StatusSuperseded, r.attempts, sendErr.Error()
		out.message = fmt.Sprintf("%s to %s not sent: %s", r.kind, r.channel, out.note)
	case errors.Is(sendErr, errNoChannel):
		out.status, out.attempt, out.lastErr = StatusFailed, r.attempts, sendErr.Error()
		out.message = fmt.Sprintf("%s failed: %s", r.channel, out.lastErr)
	case wait:
		// Not a failed attempt: the receiver is up and said when to come
		// back. The row keeps its attempts and waits until then.
		out.status, out.attempt, out.next = StatusPending, r.attempts, store.Millis(retryAt)
		out.lastErr = truncate(sendErr.Error(), maxErrorLen)
		out.message = fmt.Sprintf("%s asked to wait (%d %s, Retry-After %s): next attempt at %s, not counted as a failed attempt",
			r.channel, refusal.Code, http.StatusText(refusal.Code), refusal.RetryAfter, retryAt.UTC().Format("15:04:05 MST"))
	default:
		out.lastErr = truncate(sendErr.Error(), maxErrorLen)
		switch {
		case IsPermanent(sendErr):
			out.status = StatusFailed
			out.message = fmt.Sprintf("%s failed (attempt %d, not retried): %s", r.channel, out.attempt, out.lastErr)
		case out.attempt >= o.maxAttempts():
			out.status = StatusFailed
			out.message = fmt.Sprintf("%s failed (attempt %d, giving up): %s", r.channel, out.attempt, out.lastErr)
		default:
			out.status = StatusPending
			wait := Backoff(out.attempt)
			out.next = store.Millis(now.Add(wait))
			out.message = fmt.Sprintf("%s failed (attempt %d, retry in %s): %s", r.channel, out.attempt, shortDuration(wait), out.lastErr)
		}
	}
	return out
}

// Deliveries lists an incident's notifications, oldest first, for the
// delivery log in the UI and API.
func (o *Outbox) Deliveries(ctx context.Context, incidentID int64) ([]Delivery, error) {
	rs, err := o.DB.Reader().QueryContext(ctx, `SELECT id, channel, kind, status, attempts, note, last_error, created_at, sent_at, next_attempt
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
		if err := rs.Scan(&d.ID, &d.Channel, &d.Kind, &d.Status, &d.Attempts, &d.Note, &d.LastError, &created, &sent, &next); err != nil {
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
