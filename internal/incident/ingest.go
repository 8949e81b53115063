package incident

import (
	"context"
	"database/sql"
	"errors"
	"hash/fnv"
	"time"

	"github.com/sextant-ops/sextant/internal/store"
)

// Ingester commits events durably with group commit: concurrent requests
// are gathered into one transaction, so each caller still waits for a real
// commit (on SQLite with synchronous=FULL, an fsync) before it answers, but
// a thousand callers share one fsync instead of paying for a thousand.
//
// On PostgreSQL, which takes concurrent writers, several commit loops run
// side by side, each with its own connection: a request goes to the loop its
// incident's open key hashes to, so one key's events are still applied in
// the order they arrived, while events of different keys no longer wait for
// each other's round trips. SQLite has one writer and always one loop.
type Ingester struct {
	DB     *store.DB
	Engine *Engine
	// MaxBatch caps the events in one transaction (default 512).
	MaxBatch int
	// Loops is the number of commit loops on PostgreSQL (default
	// DefaultPostgresLoops); SQLite always runs one.
	Loops int

	loops []chan *request
	// kept holds the statements prepared once on SQLite's write
	// connection (see keep); only the one commit loop touches it.
	kept map[string]*sql.Stmt
}

// maxKept bounds the statements kept prepared. The ingester's statement
// texts are a fixed set (multi-row INSERTs and lookups come in
// power-of-two sizes), well under it.
const maxKept = 256

// DefaultPostgresLoops is how many commit loops run on PostgreSQL unless
// Ingester.Loops says otherwise. One: since a batch's rows are sent as
// multi-row statements, a loop's cost is mostly per batch, and more loops
// split the same load into smaller batches; on the 2-core development
// machine, with PostgreSQL on it too, one loop took the most events (see
// docs/PERFORMANCE.md for one, two and four measured). A database on its
// own host, with round trips that cost more, may gain from more.
const DefaultPostgresLoops = 1

// MaxLoops bounds Ingester.Loops: each loop holds a connection of the pool
// while it commits, and the pool must keep room for readers.
const MaxLoops = 8

type request struct {
	events []Event
	group  *GroupChunk // instead of events: one chunk of an Alertmanager group
	done   chan result
	// raced is set once the request was retried after losing a race for
	// an open key (see commit).
	raced bool
}

func (r *request) size() int {
	if r.group != nil {
		return len(r.group.Alerts)
	}
	return len(r.events)
}

type result struct {
	outcomes []Outcome
	err      error
}

// ErrStopped is returned for events submitted while the ingester stops.
var ErrStopped = errors.New("incident: ingest is stopping")

// Start begins the commit loop; it ends when ctx does, after committing
// what it had taken.
func (in *Ingester) Start(ctx context.Context) {
	if in.MaxBatch <= 0 {
		in.MaxBatch = 512
	}
	n := 1
	if in.DB != nil && in.DB.Engine() != store.Postgres {
		in.kept = map[string]*sql.Stmt{}
	}
	if in.DB != nil && in.DB.Engine() == store.Postgres {
		n = in.Loops
		if n <= 0 {
			n = DefaultPostgresLoops
		}
		n = min(n, MaxLoops)
	}
	in.loops = make([]chan *request, n)
	for i := range in.loops {
		in.loops[i] = make(chan *request, 4096/n)
		go in.loop(ctx, in.loops[i])
	}
}

// shard picks the commit loop for a request: the one its first event's
// open key hashes to. Events of one request that belong to other keys are
// still applied in order within it; should another loop touch one of
// those keys at the same moment, the conflict fails one transaction, whose
// requests are then retried alone (see commit).
func (in *Ingester) shard(r *request) chan *request {
	if len(in.loops) == 1 {
		return in.loops[0]
	}
	var key string
	switch {
	case r.group != nil:
		key = openKey(r.group.Service, GroupDedupKey(r.group.Integration, r.group.GroupKey))
	case len(r.events) > 0:
		key = openKey(r.events[0].Service, r.events[0].DedupKey)
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(key))
	return in.loops[h.Sum32()%uint32(len(in.loops))]
}

// Submit commits events and returns what each did. It returns only after
// the transaction holding them has committed (or failed).
func (in *Ingester) Submit(ctx context.Context, events []Event) ([]Outcome, error) {
	return in.submit(ctx, &request{events: events, done: make(chan result, 1)})
}

// SubmitGroup commits an Alertmanager group chunk by chunk (see
// AMGroup.Chunks), each in a transaction of its own shared with whatever
// else is arriving, so a storm of thousands of alerts neither holds the
// write lock for seconds nor makes other senders wait behind it. It
// returns after every chunk has committed: the sender hears 202 only then.
// If the server dies between two chunks the sender hears nothing and
// sends the group again; alerts are stored by fingerprint within their
// incident, so the retry completes the group without doubling anything.
func (in *Ingester) SubmitGroup(ctx context.Context, chunks []GroupChunk) ([]Outcome, error) {
	outs := make([]Outcome, 0, len(chunks))
	opened := map[string]bool{}
	joined := map[string][]string{}
	for i := range chunks {
		c := chunks[i]
		c.opened, c.joined = opened[c.Service], joined[c.Service]
		o, err := in.submit(ctx, &request{group: &c, done: make(chan result, 1)})
		if err != nil {
			return outs, err
		}
		for _, x := range o {
			opened[c.Service] = opened[c.Service] || x.Created
			joined[c.Service] = append(joined[c.Service], x.Joined...)
		}
		outs = append(outs, o...)
	}
	return outs, nil
}

func (in *Ingester) submit(ctx context.Context, r *request) ([]Outcome, error) {
	select {
	case in.shard(r) <- r:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	// Once taken, the request is committed or failed as a whole; waiting
	// for the answer even if the caller gives up keeps nothing in doubt.
	res := <-r.done
	return res.outcomes, res.err
}

func (in *Ingester) loop(ctx context.Context, reqs chan *request) {
	for {
		var first *request
		select {
		case first = <-reqs:
		case <-ctx.Done():
			drain(reqs)
			for _, st := range in.kept {
				st.Close()
			}
			return
		}
		batch := []*request{first}
		n := first.size()
	gather:
		for n < in.MaxBatch {
			select {
			case r := <-reqs:
				batch = append(batch, r)
				n += r.size()
			default:
				break gather
			}
		}
		in.commit(batch)
	}
}

// drain fails requests that arrive after stop.
func drain(reqs chan *request) {
	for {
		select {
		case r := <-reqs:
			r.done <- result{err: ErrStopped}
		case <-time.After(50 * time.Millisecond):
			return
		}
	}
}

// commit runs one transaction for a batch. If it fails, each request is
// retried alone, so one bad event cannot fail its neighbours.
func (in *Ingester) commit(batch []*request) {
	ctx := context.Background()
	var outs [][]Outcome
	var missed []string
	enqueued := false
	pg := in.DB.Engine() == store.Postgres
	body := func(tx txQuerier, pipe *store.Pipe) error {
		outs, enqueued = nil, false
		st := newStmts(tx, prepareFor(in.DB))
		st.kept, st.pipe = in.kept, pipe
		defer func() { missed = st.missed; st.close() }()
		st.batching(pg)
		// The open incidents of the batch's events are looked up at once;
		// a batch holding a group chunk looks its keys up one by one, as
		// the chunk changes incidents on its own.
		var events []Event
		for _, r := range batch {
			if r.group != nil {
				events = nil
				break
			}
			events = append(events, r.events...)
		}
		// On PostgreSQL a lone event is looked up the same way: the lookup
		// carries the BEGIN and reserves the id of an incident it opens.
		if len(events) > 1 || pg && len(events) == 1 {
			if err := st.prefetchOpen(ctx, events); err != nil {
				return err
			}
		}
		for _, r := range batch {
			var o []Outcome
			var q bool
			var err error
			if r.group != nil {
				var g Outcome
				g, q, err = in.Engine.applyGroup(ctx, st, *r.group, in.Engine.Now().UTC())
				o = []Outcome{g}
			} else {
				o, q, err = in.Engine.applyAll(ctx, st, r.events)
			}
			if err != nil {
				return err
			}
			outs = append(outs, o)
			enqueued = enqueued || q
		}
		// The rows kept for the batch are sent before it commits (on
		// PostgreSQL with the COMMIT); the ids of the events among them
		// reach outs then.
		if pipe != nil {
			return st.commitPG(ctx)
		}
		return st.flush(ctx)
	}
	var err error
	if pg {
		err = in.DB.Pipe(ctx, func(p *store.Pipe) error { return body(p, p) })
	} else {
		err = in.DB.Tx(ctx, func(tx *sql.Tx) error { return body(tx, nil) })
	}
	in.keep(ctx, missed)
	if err != nil && len(batch) > 1 {
		for _, r := range batch {
			in.commit([]*request{r})
		}
		return
	}
	// Another writer (a replica on the same PostgreSQL, or another commit
	// loop) opened an incident for the same key between this one's lookup
	// and its insert: retried once, the event finds that incident and joins
	// it, as it would have a moment later.
	if err != nil && store.IsUniqueViolation(err) && !batch[0].raced {
		batch[0].raced = true
		in.commit(batch)
		return
	}
	if err == nil && enqueued && in.Engine.OnEnqueue != nil {
		in.Engine.OnEnqueue()
	}
	if err == nil && in.Engine.Changed != nil {
		in.Engine.Changed()
	}
	for i, r := range batch {
		if err != nil {
			r.done <- result{err: err}
			continue
		}
		r.done <- result{outcomes: outs[i]}
	}
}

// keep prepares, once the transaction that needed them has ended, the
// statements it had to prepare itself, on the write pool: on SQLite, one
// connection, so every later transaction reuses them (tx.StmtContext)
// instead of compiling the same text again. Compiling the batch's
// statements anew in every transaction took about a quarter of the commit
// loop's CPU. PostgreSQL needs none of this: pgx keeps its statements
// prepared per connection.
func (in *Ingester) keep(ctx context.Context, queries []string) {
	for _, q := range queries {
		if in.kept == nil || len(in.kept) >= maxKept || in.kept[q] != nil {
			continue
		}
		st, err := in.DB.PrepareWrite(ctx, q)
		if err != nil {
			// The next transaction prepares it for itself, as this one did.
			continue
		}
		in.kept[q] = st
	}
}
