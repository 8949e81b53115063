package incident

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/sextant-ops/sextant/internal/store"
)

// Ingester commits events durably with group commit: concurrent requests
// are gathered into one transaction, so each caller still waits for a real
// commit (on SQLite with synchronous=FULL, an fsync) before it answers, but
// a thousand callers share one fsync instead of paying for a thousand.
type Ingester struct {
	DB     *store.DB
	Engine *Engine
	// MaxBatch caps the events in one transaction (default 512).
	MaxBatch int

	reqs chan *request
}

type request struct {
	events []Event
	group  *GroupChunk // instead of events: one chunk of an Alertmanager group
	done   chan result
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
	in.reqs = make(chan *request, 4096)
	go in.loop(ctx)
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
	case in.reqs <- r:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	// Once taken, the request is committed or failed as a whole; waiting
	// for the answer even if the caller gives up keeps nothing in doubt.
	res := <-r.done
	return res.outcomes, res.err
}

func (in *Ingester) loop(ctx context.Context) {
	for {
		var first *request
		select {
		case first = <-in.reqs:
		case <-ctx.Done():
			in.drain()
			return
		}
		batch := []*request{first}
		n := first.size()
	gather:
		for n < in.MaxBatch {
			select {
			case r := <-in.reqs:
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
func (in *Ingester) drain() {
	for {
		select {
		case r := <-in.reqs:
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
	enqueued := false
	err := in.DB.Tx(ctx, func(tx *sql.Tx) error {
		outs, enqueued = nil, false
		st := newStmts(tx, prepareFor(in.DB))
		defer st.close()
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
		return nil
	})
	if err != nil && len(batch) > 1 {
		for _, r := range batch {
			in.commit([]*request{r})
		}
		return
	}
	if err == nil && enqueued && in.Engine.OnEnqueue != nil {
		in.Engine.OnEnqueue()
	}
	for i, r := range batch {
		if err != nil {
			r.done <- result{err: err}
			continue
		}
		r.done <- result{outcomes: outs[i]}
	}
}
