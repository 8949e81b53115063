package monitor

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"maps"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/duration"
	"github.com/sextant-ops/sextant/internal/probe"
	"github.com/sextant-ops/sextant/internal/recovery"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/timeline"
)

// Options configure a Monitor.
type Options struct {
	DB       *store.DB
	Checks   *Store
	Timeline *timeline.Store
	Log      *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// RawRetention is how long raw results are kept (default 7 days, at
	// least 2); older ones survive only as hourly and daily rollups.
	RawRetention time.Duration
	// Limit bounds the checks run at once from this server (default 1000).
	Limit int
	// Registry receives the monitor's metrics; nil for none.
	Registry prometheus.Registerer
	// OnChange, when set, is called inside the transaction that records
	// checks' state changes, so that what depends on them (incidents) is
	// committed with them.
	OnChange func(ctx context.Context, tx *sql.Tx, changes []Change) error
	// Committed, when set, is called after state changes are committed and
	// the monitor's own view of them is updated, so that what it tells
	// (the pages' live updates) is what a reader then finds. It must not
	// block.
	Committed func(changes []Change)
	// Outbound, when set, gives the outbound policy for checks; it is asked
	// at every run, so a reloaded policy holds from the next run on. nil
	// means the default policy.
	Outbound func() *probe.Policy
	// Covered, when set, says which of the given failing checks have an
	// open incident. The monitor asks when it loads and at each
	// housekeeping, so that what it knows survives a restart: a failing
	// check without an open incident gets one at its next failing result.
	Covered func(ctx context.Context, failing []CheckRef) (map[CheckRef]bool, error)
	// Shared, when set, says the checks are shared with other servers on
	// the same PostgreSQL database (see Sharing); nil means this server
	// runs every check alone.
	Shared Sharing
	// ChecksChanged, when set, is called after Load found the checks
	// changed since the previous Load (another server should read them
	// too). It must not block.
	ChecksChanged func()
	// Refresh is how often, with Shared set, the check list is read again
	// as a safety net for a change made through another server that was
	// not announced (default 30 s).
	Refresh time.Duration
}

// Sharing is how a monitor shares its checks with the other servers of one
// database. With it, each local run is taken through Take, so a check runs
// on one server per due instant; the state of a batch's checks is read
// from the database (rows locked) before their results move it, so a check
// that moved here continues its fail_after streak and quorum from what the
// previous server stored; each sweep reads every check's state afresh (what
// the pages show agrees across servers to the second) and judges only the
// checks this server owns; housekeeping runs once across servers.
type Sharing interface {
	// Owns says whether this server runs check (in the live set as last
	// read).
	Owns(check string) bool
	// Take says whether this server runs check's instant due: it owns the
	// check and no server took the instant yet.
	Take(ctx context.Context, check string, due time.Time) bool
	// Once says whether this server does job now, once per period across
	// the servers.
	Once(ctx context.Context, job string, period time.Duration) bool
}

// CheckRef names a check with the service it speaks for.
type CheckRef struct {
	Check, Service string
}

// Change is a check's change of state.
type Change struct {
	Check      string
	Service    string
	Escalation string
	From, To   availability.State
	Reason     string
	At         time.Time
	// Again marks a failing result of a check that was already failing
	// and has no open incident, because a person resolved it while the
	// check still failed: From and To are the same, and what depends on
	// the check (incidents) should open anew, as a paging service
	// re-triggers.
	Again bool
	// RPO marks a backup job's change of standing against its RPO (To is
	// down for a breach, up when back within): its own incident, apart
	// from the heartbeat's up and down.
	RPO bool
}

// Monitor runs the local checks, takes results from agents, keeps each
// check's state, and writes state changes to the service timelines.
type Monitor struct {
	o     Options
	log   *slog.Logger
	now   func() time.Time
	sched *Scheduler
	local chan Result

	mu     sync.Mutex // guards the maps below and serialises Record
	checks map[string]*Compiled
	meta   map[string]StoredCheck
	locs   map[string]map[string]LocationState
	states map[string]*checkState
	// reopen holds the failing checks whose incident was resolved while
	// they still failed (or that have none), with the time that became so:
	// their next failing result opens a new incident. It is a shortcut, so
	// that results of checks with an open incident cost no query; it is
	// rebuilt from stored incidents at Load and at each housekeeping.
	reopen map[string]time.Time
	// certs is check_certificates as stored: each TLS or HTTPS check's
	// last seen certificate expiry.
	certs map[string]Certificate

	lag     prometheus.Histogram
	results *prometheus.CounterVec

	housekeeping sync.Mutex
	lastHour     time.Time
}

// checkState is a check's combined state and its heartbeat pings.
type checkState struct {
	State    availability.State
	Since    time.Time
	Reason   string
	LastPing time.Time
	Started  time.Time
	// A backup job's latest data point and whether it is beyond its RPO.
	BackupPoint time.Time
	RPOBreached bool
	stored      bool
}

// New builds a Monitor; call Load, then Run.
func New(o Options) *Monitor {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.RawRetention == 0 {
		o.RawRetention = 7 * duration.Day
	}
	o.RawRetention = max(o.RawRetention, 2*duration.Day)
	m := &Monitor{o: o, log: o.Log, now: o.Now, local: make(chan Result, 10000),
		checks: map[string]*Compiled{}, meta: map[string]StoredCheck{}, locs: map[string]map[string]LocationState{}, states: map[string]*checkState{},
		reopen: map[string]time.Time{}}
	m.lag = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "sextant_check_schedule_lag_seconds",
		Help:    "Delay between a check's due time and the start of its run on this server.",
		Buckets: []float64{.001, .005, .01, .05, .1, .25, .5, 1, 2.5, 5, 10}})
	m.results = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sextant_check_results_total",
		Help: "Check results recorded, by location and outcome."}, []string{"location", "outcome"})
	m.sched = &Scheduler{Limit: o.Limit, ObserveLag: func(d time.Duration) { m.lag.Observe(d.Seconds()) },
		Run:  func(ctx context.Context, c *Compiled) Result { return RunWith(ctx, c, LocationLocal, m.outbound()) },
		Sink: func(r Result) { m.local <- r }}
	if o.Shared != nil {
		m.sched.Take = func(ctx context.Context, c *Compiled, due time.Time) bool { return o.Shared.Take(ctx, c.Name, due) }
	}
	if o.Registry != nil {
		o.Registry.MustRegister(m.lag, m.results,
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "sextant_checks_in_flight", Help: "Check runs under way on this server."},
				func() float64 { return float64(m.sched.InFlight()) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "sextant_check_runs_skipped_total", Help: "Runs not started because the check's previous run was still going."},
				func() float64 { return float64(m.sched.Skipped()) }),
			&stateCollector{m: m})
	}
	return m
}

// outbound is the policy for the next check run.
func (m *Monitor) outbound() *probe.Policy {
	if m.o.Outbound == nil {
		return nil
	}
	return m.o.Outbound()
}

// Load reads every check and its stored state, and schedules the checks
// that run from this server. Call it again after checks change.
func (m *Monitor) Load(ctx context.Context) error {
	stored, err := m.o.Checks.List(ctx)
	if err != nil {
		return err
	}
	checks := map[string]*Compiled{}
	meta := map[string]StoredCheck{}
	for _, sc := range stored {
		c, problems := Compile(sc.Check, nil)
		if len(problems) > 0 {
			m.log.Error("stored check does not compile; not run", "check", sc.Name, "problems", (&apperr.Invalid{Fields: problems}).Error())
			continue
		}
		meta[sc.Name] = sc
		// A paused check is shown but neither run nor judged.
		if sc.PausedAt.IsZero() {
			checks[sc.Name] = c
		}
	}
	locs, states, err := m.loadState(ctx)
	if err != nil {
		return err
	}
	certs, err := readCertificates(ctx, m.o.DB.Reader())
	if err != nil {
		return err
	}
	m.mu.Lock()
	removed := []string{}
	for name := range m.meta {
		if _, ok := meta[name]; !ok {
			removed = append(removed, name)
		}
	}
	old := m.meta
	m.checks, m.meta, m.locs, m.states, m.certs = checks, meta, locs, states, certs
	m.mu.Unlock()
	if m.o.ChecksChanged != nil && !reflect.DeepEqual(old, meta) {
		m.o.ChecksChanged()
	}
	// A removed check, or one moved to another service, stops speaking for
	// its old service: its input ends in a neutral up.
	for _, name := range removed {
		m.endInput(ctx, old[name].Service, name)
	}
	for name, sc := range meta {
		if o, ok := old[name]; ok && o.Service != sc.Service {
			m.endInput(ctx, o.Service, name)
		}
	}
	var local []*Compiled
	for _, c := range checks {
		if c.Type != TypeHeartbeat && containsLoc(c.Locations, LocationLocal) {
			local = append(local, c)
		}
	}
	m.sched.Sync(local)
	// The checks are loaded whatever the answer: a failed question is
	// asked again at the next housekeeping.
	if err := m.refreshReopen(ctx); err != nil {
		m.log.Error("find failing checks without an incident", "err", err)
	}
	return nil
}

// failing says whether a state is one that opens an incident.
func failing(s availability.State) bool {
	return s == availability.Down || s == availability.Degraded
}

// refreshReopen asks which failing checks have an open incident and marks
// the others, so that their next failing result opens one. It holds the
// lock across the question, as Record does across its transaction, so no
// incident opens between the answer and the marks.
func (m *Monitor) refreshReopen(ctx context.Context) error {
	if m.o.Covered == nil || m.o.OnChange == nil {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var bad []CheckRef
	for name, c := range m.checks {
		if cs, ok := m.states[name]; ok && failing(cs.State) {
			bad = append(bad, CheckRef{Check: name, Service: c.Service})
		}
	}
	if len(bad) == 0 {
		return nil
	}
	covered, err := m.o.Covered(ctx, bad)
	if err != nil {
		return fmt.Errorf("monitor: find failing checks' incidents: %w", err)
	}
	now := m.now().UTC()
	for _, ref := range bad {
		if _, ok := m.reopen[ref.Check]; !ok && !covered[ref] {
			m.reopen[ref.Check] = now
		}
	}
	return nil
}

// Resolved is told that a person resolved the incident of a check on
// service. When the check still fails, its next failing result opens a new
// incident, and Resolved says so (true).
func (m *Monitor) Resolved(check, service string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.failingOn(check, service) {
		return false
	}
	if _, ok := m.reopen[check]; !ok {
		m.reopen[check] = m.now().UTC()
	}
	return true
}

// Reopens says whether a check on service still fails with no open
// incident, so that its next failing result opens one.
func (m *Monitor) Reopens(check, service string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.reopen[check]
	return ok && m.failingOn(check, service)
}

// failingOn says whether a check still speaks for service and fails, with
// incidents to open for it.
func (m *Monitor) failingOn(check, service string) bool {
	c, ok := m.checks[check]
	cs, known := m.states[check]
	return ok && known && m.o.OnChange != nil && c.Service == service && failing(cs.State)
}

func containsLoc(locs []string, l string) bool {
	for _, x := range locs {
		if x == l {
			return true
		}
	}
	return false
}

func (m *Monitor) endInput(ctx context.Context, service, check string) {
	if service == "" {
		return
	}
	// Every server notices the removal; the check's owner ends its input.
	if m.o.Shared != nil && !m.o.Shared.Owns(check) {
		return
	}
	err := m.o.Timeline.Append(ctx, nil, timeline.Transition{Service: service, Input: "check:" + check, At: m.now().UTC(), State: availability.Up, Source: "check:" + check + " removed"})
	if err != nil && !store.IsForeignKeyViolation(err) {
		m.log.Error("end a removed check's input", "check", check, "err", err)
	}
}

func (m *Monitor) loadState(ctx context.Context) (map[string]map[string]LocationState, map[string]*checkState, error) {
	return readState(ctx, m.o.DB.Reader(), nil)
}

// readState reads the stored state of the checks named (every check when
// names is nil). Inside a transaction on PostgreSQL, the named checks'
// location rows are locked (in order, so two servers never deadlock on
// them), so that two servers recording results of one check take turns.
func readState(ctx context.Context, q store.Querier, names []string) (map[string]map[string]LocationState, map[string]*checkState, error) {
	where, lock := "", ""
	var args []any
	if names != nil {
		where, args = ` WHERE check_name = ANY($1)`, []any{names}
		if _, ok := q.(*sql.Tx); ok {
			lock = ` ORDER BY check_name, location FOR UPDATE`
		}
	}
	locs := map[string]map[string]LocationState{}
	rows, err := q.QueryContext(ctx, `SELECT check_name, location, state, failures, successes, last_result_at, last_outcome, last_reason, last_latency, streak_start FROM check_locations`+where+lock, args...)
	if err != nil {
		return nil, nil, fmt.Errorf("monitor: load state: %w", err)
	}
	for rows.Next() {
		var name, loc, state, outcome string
		var ls LocationState
		var at, lat, streak int64
		if err := rows.Scan(&name, &loc, &state, &ls.Failures, &ls.Successes, &at, &outcome, &ls.LastReason, &lat, &streak); err != nil {
			rows.Close()
			return nil, nil, err
		}
		ls.State, _ = availability.ParseState(state)
		ls.LastOutcome, _ = availability.ParseState(outcome)
		ls.LastResultAt, ls.LastLatency, ls.StreakStart = store.FromMillis(at), time.Duration(lat)*time.Microsecond, store.FromMillis(streak)
		if locs[name] == nil {
			locs[name] = map[string]LocationState{}
		}
		locs[name][loc] = ls
	}
	rows.Close()
	states := map[string]*checkState{}
	rows, err = q.QueryContext(ctx, `SELECT check_name, state, since, reason, last_ping_at, started_at, backup_point, rpo_breached FROM check_state`+where, args...)
	if err != nil {
		return nil, nil, fmt.Errorf("monitor: load state: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name, state string
		var since int64
		var ping, started, point sql.NullInt64
		var breached int
		cs := &checkState{stored: true}
		if err := rows.Scan(&name, &state, &since, &cs.Reason, &ping, &started, &point, &breached); err != nil {
			return nil, nil, err
		}
		cs.State, _ = availability.ParseState(state)
		cs.Since, cs.LastPing, cs.Started = store.FromMillis(since), store.FromNullMillis(ping), store.FromNullMillis(started)
		cs.BackupPoint, cs.RPOBreached = store.FromNullMillis(point), breached != 0
		states[name] = cs
	}
	return locs, states, rows.Err()
}

// Run runs the local scheduler, writes its results in batches, sweeps for
// late heartbeats and silent locations, and keeps rollups, until ctx ends.
func (m *Monitor) Run(ctx context.Context) error {
	// The scheduler stops first and is waited for; only then does the
	// writer stop, after draining every result the scheduler handed over.
	schedCtx, stopSched := context.WithCancel(ctx)
	schedDone := make(chan struct{})
	go func() { defer close(schedDone); m.sched.Start(schedCtx) }()
	writerCtx, stopWriter := context.WithCancel(context.WithoutCancel(ctx))
	writerDone := make(chan struct{})
	go func() { defer close(writerDone); m.writeLocal(writerCtx) }()
	// Housekeeping can take seconds on a large store; it runs beside the
	// sweep so that late heartbeats are still noticed on time.
	houseDone := make(chan struct{})
	go func() {
		defer close(houseDone)
		t := time.NewTicker(10 * time.Minute)
		defer t.Stop()
		for {
			// Across servers, one does the rollups and deletions per round.
			if m.o.Shared == nil || m.o.Shared.Once(ctx, "monitor-housekeeping", 9*time.Minute) {
				m.Housekeep(ctx)
			}
			// Incidents resolved elsewhere (another server on the same
			// database) are noticed here, at the latest.
			if err := m.refreshReopen(ctx); err != nil && ctx.Err() == nil {
				m.log.Error("find failing checks without an incident", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	sweep := time.NewTicker(time.Second)
	defer sweep.Stop()
	refresh := m.o.Refresh
	if refresh <= 0 {
		refresh = 30 * time.Second
	}
	reload := time.NewTicker(refresh)
	defer reload.Stop()
	if m.o.Shared == nil {
		reload.Stop()
	}
	for {
		select {
		case <-reload.C:
			if err := m.Load(ctx); err != nil && ctx.Err() == nil {
				m.log.Error("monitor: read the checks again", "err", err)
			}
		case <-ctx.Done():
			stopSched()
			<-schedDone
			stopWriter()
			<-writerDone
			<-houseDone
			return nil
		case <-sweep.C:
			if err := m.Sweep(ctx); err != nil && ctx.Err() == nil {
				m.log.Error("monitor sweep", "err", err)
			}
		}
	}
}

// writeLocal records local results in batches: one transaction for up to
// 500 results or 200 ms, so 10,000 checks do not cost 10,000 commits.
func (m *Monitor) writeLocal(ctx context.Context) {
	batch := make([]Result, 0, 500)
	flush := func() {
		if len(batch) == 0 {
			return
		}
		// A batch is written even while shutting down, so that results
		// already taken are not dropped.
		if err := m.Record(context.WithoutCancel(ctx), batch); err != nil {
			m.log.Error("record check results", "results", len(batch), "err", err)
		}
		batch = batch[:0]
	}
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case r := <-m.local:
			batch = append(batch, r)
			if len(batch) >= cap(batch) {
				flush()
			}
		case <-tick.C:
			flush()
		case <-ctx.Done():
			for {
				select {
				case r := <-m.local:
					batch = append(batch, r)
				default:
					flush()
					return
				}
			}
		}
	}
}

// Record stores results and moves each check's state: durably, in one
// transaction, before anything else sees the change. Results of unknown
// checks, or from locations a check is not assigned to, are refused.
func (m *Monitor) Record(ctx context.Context, results []Result) error {
	if len(results) == 0 {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	locs := map[string]map[string]LocationState{}
	states := map[string]*checkState{}
	var transitions []timeline.Transition
	var changes []Change
	// settled holds the checks whose incident this batch opens or
	// resolves, so they need no reopening.
	var settled map[string]bool
	// certs are the certificate expiries this batch changes.
	var certs map[string]Certificate
	err := m.o.DB.Tx(ctx, func(tx *sql.Tx) error {
		transitions, changes = nil, nil
		insResult, err := tx.PrepareContext(ctx, `INSERT INTO check_results (check_name, location, at, outcome, latency, reason) VALUES ($1, $2, $3, $4, $5, $6)`)
		if err != nil {
			return fmt.Errorf("monitor: prepare: %w", err)
		}
		defer insResult.Close()
		upsLoc, err := tx.PrepareContext(ctx, `INSERT INTO check_locations (check_name, location, state, failures, successes, last_result_at, last_outcome, last_reason, last_latency, streak_start)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
				ON CONFLICT (check_name, location) DO UPDATE SET state = excluded.state, failures = excluded.failures, successes = excluded.successes,
				last_result_at = excluded.last_result_at, last_outcome = excluded.last_outcome, last_reason = excluded.last_reason,
				last_latency = excluded.last_latency, streak_start = excluded.streak_start`)
		if err != nil {
			return fmt.Errorf("monitor: prepare: %w", err)
		}
		defer upsLoc.Close()
		dirty := map[string]bool{}
		settled = map[string]bool{}
		certs = nil
		if m.o.Shared != nil {
			// Another server may have moved these checks since this one
			// last looked: their streaks continue from the stored state.
			if err := m.freshState(ctx, tx, results, locs, states); err != nil {
				return err
			}
		}
		for _, r := range results {
			c, ok := m.checks[r.Check]
			if !ok {
				continue // deleted since it ran
			}
			if !containsLoc(c.Locations, r.Location) {
				return apperr.Conflict("check %q does not run from location %q", r.Check, r.Location)
			}
			if _, err := insResult.ExecContext(ctx, r.Check, r.Location, store.Millis(r.At), r.Outcome.String(), r.Latency.Microseconds(), clip(r.Reason, 500)); err != nil {
				return fmt.Errorf("monitor: record result: %w", err)
			}
			if locs[r.Check] == nil {
				locs[r.Check] = maps.Clone(m.locs[r.Check])
				if locs[r.Check] == nil {
					locs[r.Check] = map[string]LocationState{}
				}
			}
			ls := Step(locs[r.Check][r.Location], r.Outcome, r.Reason, r.At, r.Latency, c.FailAfter, c.RecoverAfter)
			locs[r.Check][r.Location] = ls
			if _, err := upsLoc.ExecContext(ctx, r.Check, r.Location, ls.State.String(), ls.Failures, ls.Successes, store.Millis(ls.LastResultAt), ls.LastOutcome.String(),
				clip(ls.LastReason, 500), ls.LastLatency.Microseconds(), store.Millis(ls.StreakStart)); err != nil {
				return fmt.Errorf("monitor: save location state: %w", err)
			}
			cs := states[r.Check]
			if cs == nil {
				cs = m.stateOf(r.Check)
			}
			next := Quorum(c, locs[r.Check], m.latest(r.At))
			if next != cs.State {
				at := ls.StreakStart
				if at.Before(cs.Since) {
					at = cs.Since
				}
				from := cs.State
				cs.State, cs.Since, cs.Reason = next, at, reasonFor(next, ls, c)
				transitions = append(transitions, timeline.Transition{Service: c.Service, Input: "check:" + c.Name, At: at, State: next, Source: sourceFor(c, cs)})
				changes = append(changes, Change{Check: c.Name, Service: c.Service, Escalation: c.Escalation, From: from, To: next, Reason: cs.Reason, At: at})
				dirty[r.Check], settled[r.Check] = true, true
			} else if next != availability.Up {
				if reason := reasonFor(next, ls, c); reason != cs.Reason {
					cs.Reason, dirty[r.Check] = reason, true
				}
				// A failing result of a check still failing with no open
				// incident opens one, once: a map lookup, so the results of
				// checks with an open incident cost nothing more.
				if _, ok := m.reopen[r.Check]; ok && failing(next) && failing(r.Outcome) && !settled[r.Check] {
					changes = append(changes, Change{Check: c.Name, Service: c.Service, Escalation: c.Escalation, From: next, To: next, Reason: cs.Reason, At: r.At, Again: true})
					settled[r.Check] = true
				}
			}
			if !cs.stored {
				dirty[r.Check] = true
			}
			states[r.Check] = cs
			m.results.WithLabelValues(r.Location, r.Outcome.String()).Inc()
			if !r.CertNotAfter.IsZero() {
				if seen, ok := m.certs[r.Check]; !ok || !seen.NotAfter.Equal(r.CertNotAfter) {
					if certs == nil {
						certs = map[string]Certificate{}
					}
					if _, ok := certs[r.Check]; !ok {
						certs[r.Check] = Certificate{Check: r.Check, NotAfter: r.CertNotAfter.UTC(), Location: r.Location, FirstSeen: r.At}
					}
				}
			}
		}
		for _, name := range slices.Sorted(maps.Keys(certs)) {
			if err := saveCertificate(ctx, tx, certs[name]); err != nil {
				return err
			}
		}
		// The combined state is written only when it changed: rewriting it
		// for every result cost a tenth of the monitor's CPU at 10,000 checks.
		for name := range dirty {
			if err := saveState(ctx, tx, name, states[name]); err != nil {
				return err
			}
		}
		if err := m.o.Timeline.Append(ctx, tx, transitions...); err != nil {
			return err
		}
		return m.changed(ctx, tx, changes)
	})
	if err != nil {
		return err
	}
	for name, l := range locs {
		m.locs[name] = l
	}
	for name, cs := range states {
		cs.stored = true
		m.states[name] = cs
	}
	for name := range settled {
		delete(m.reopen, name)
	}
	for name, c := range certs {
		if m.certs == nil {
			m.certs = map[string]Certificate{}
		}
		m.certs[name] = c
	}
	if len(changes) > 0 && m.o.Committed != nil {
		m.o.Committed(changes)
	}
	return nil
}

// freshState reads the stored state of the checks of results into locs and
// states, their location rows locked until the transaction ends.
func (m *Monitor) freshState(ctx context.Context, tx *sql.Tx, results []Result, locs map[string]map[string]LocationState, states map[string]*checkState) error {
	seen := map[string]bool{}
	var names []string
	for _, r := range results {
		if _, ok := m.checks[r.Check]; ok && !seen[r.Check] {
			seen[r.Check] = true
			names = append(names, r.Check)
		}
	}
	sort.Strings(names)
	l, st, err := readState(ctx, tx, names)
	if err != nil {
		return err
	}
	for _, name := range names {
		locs[name] = l[name]
		if locs[name] == nil {
			locs[name] = map[string]LocationState{}
		}
		if cs, ok := st[name]; ok {
			states[name] = cs
		}
	}
	return nil
}

// changed hands state changes to OnChange inside the transaction.
func (m *Monitor) changed(ctx context.Context, tx *sql.Tx, changes []Change) error {
	if len(changes) == 0 || m.o.OnChange == nil {
		return nil
	}
	return m.o.OnChange(ctx, tx, changes)
}

// latest is the instant a quorum is judged at: the result's time, but never
// before now minus a little, so that a late batch judges staleness fairly.
func (m *Monitor) latest(at time.Time) time.Time {
	if now := m.now(); now.After(at) {
		return now
	}
	return at
}

// stateOf returns a copy of a check's combined state (unknown since it was
// created, before any result).
func (m *Monitor) stateOf(name string) *checkState {
	if cs, ok := m.states[name]; ok {
		c := *cs
		return &c
	}
	return &checkState{State: availability.Unknown, Since: m.meta[name].CreatedAt, Reason: "no result yet"}
}

func saveState(ctx context.Context, tx *sql.Tx, name string, cs *checkState) error {
	breached := 0
	if cs.RPOBreached {
		breached = 1
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO check_state (check_name, state, since, reason, last_ping_at, started_at, backup_point, rpo_breached) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (check_name) DO UPDATE SET state = excluded.state, since = excluded.since, reason = excluded.reason,
		last_ping_at = excluded.last_ping_at, started_at = excluded.started_at, backup_point = excluded.backup_point, rpo_breached = excluded.rpo_breached`,
		name, cs.State.String(), store.Millis(cs.Since), clip(cs.Reason, 500), store.NullMillis(cs.LastPing), store.NullMillis(cs.Started),
		store.NullMillis(cs.BackupPoint), breached)
	if err != nil {
		return fmt.Errorf("monitor: save state of %q: %w", name, err)
	}
	return nil
}

func reasonFor(state availability.State, last LocationState, c *Compiled) string {
	switch {
	case state == availability.Unknown && len(c.Locations) > 1:
		return "not enough locations reporting to decide"
	case state == availability.Unknown:
		return "no recent result"
	}
	return last.LastReason
}

func sourceFor(c *Compiled, cs *checkState) string {
	if cs.State == availability.Up || cs.Reason == "" {
		return "check:" + c.Name
	}
	return "check:" + c.Name + ": " + cs.Reason
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// Sweep looks for what no result reports: heartbeats whose ping is late,
// and locations that went silent (their view turns unknown, never down).
func (m *Monitor) Sweep(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.o.Shared != nil {
		// What other servers recorded (results of the checks they run,
		// pings they took) is read back, so this server shows what they
		// know and judges its own checks on the stored state.
		locs, states, err := m.loadState(ctx)
		if err != nil {
			return err
		}
		m.locs, m.states = locs, states
	}
	now := m.now().UTC()
	if err := m.sweepRPO(ctx, now); err != nil {
		return err
	}
	changed := map[string]*checkState{}
	var transitions []timeline.Transition
	var changes, again []Change
	for name, c := range m.checks {
		if m.o.Shared != nil && !m.o.Shared.Owns(name) {
			continue
		}
		cs := m.stateOf(name)
		var next availability.State
		reason := cs.Reason
		if c.Type == TypeHeartbeat {
			last := cs.LastPing
			if last.IsZero() {
				last = m.meta[name].CreatedAt
			}
			due := heartbeatDeadline(c, last)
			if cs.State == availability.Down {
				// A late heartbeat whose incident was resolved while it was
				// late fails anew when the next deadline after that passes
				// without a ping.
				if since, ok := m.reopen[name]; ok {
					if due := heartbeatDeadline(c, laterOf(since, last)); now.After(due) {
						reason := fmt.Sprintf("still late: no ping since %s (due by %s)", last.UTC().Format(time.RFC3339), due.UTC().Format(time.RFC3339))
						if cs.LastPing.IsZero() {
							reason = fmt.Sprintf("still late: never pinged (due by %s)", due.UTC().Format(time.RFC3339))
						}
						again = append(again, Change{Check: name, Service: c.Service, Escalation: c.Escalation, From: cs.State, To: cs.State,
							Reason: reason, At: now, Again: true})
					}
				}
				continue
			}
			if !now.After(due) {
				continue
			}
			next = availability.Down
			reason = fmt.Sprintf("late: no ping since %s (due by %s)", last.UTC().Format(time.RFC3339), due.UTC().Format(time.RFC3339))
			if cs.LastPing.IsZero() {
				reason = fmt.Sprintf("late: never pinged (due by %s)", due.UTC().Format(time.RFC3339))
			}
		} else {
			if len(m.locs[name]) == 0 {
				continue
			}
			next = Quorum(c, m.locs[name], now)
			if next == cs.State {
				continue
			}
			reason = reasonFor(next, LocationState{LastReason: cs.Reason}, c)
		}
		from := cs.State
		cs.State, cs.Since, cs.Reason = next, now, reason
		changed[name] = cs
		transitions = append(transitions, timeline.Transition{Service: c.Service, Input: "check:" + name, At: now, State: next, Source: sourceFor(c, cs)})
		changes = append(changes, Change{Check: name, Service: c.Service, Escalation: c.Escalation, From: from, To: next, Reason: reason, At: now})
	}
	if len(changed) == 0 && len(again) == 0 {
		return nil
	}
	err := m.o.DB.Tx(ctx, func(tx *sql.Tx) error {
		for name, cs := range changed {
			if err := saveState(ctx, tx, name, cs); err != nil {
				return err
			}
		}
		if err := m.o.Timeline.Append(ctx, tx, transitions...); err != nil {
			return err
		}
		return m.changed(ctx, tx, append(changes, again...))
	})
	if err != nil {
		return err
	}
	for name, cs := range changed {
		m.states[name] = cs
		delete(m.reopen, name)
	}
	for _, c := range again {
		delete(m.reopen, c.Check)
	}
	return nil
}

func laterOf(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// The heartbeat signals.
const (
	PingSuccess = ""
	PingStart   = "start"
	PingFail    = "fail"
)

// Ping records a heartbeat from the job that owns token: a plain ping turns
// the check up, /start marks a run as begun, /fail turns it down at once.
func (m *Monitor) Ping(ctx context.Context, token, signal string) (string, error) {
	return m.PingWith(ctx, token, signal, BackupReport{})
}

// PingWith is Ping with what a backup job's success ping may carry. A
// backup job's every ping is kept as a run; a success moves its data point
// on and may bring it back within its RPO.
func (m *Monitor) PingWith(ctx context.Context, token, signal string, rep BackupReport) (string, error) {
	sc, err := m.o.Checks.ByToken(ctx, token)
	if err != nil {
		return "", err
	}
	if !sc.PausedAt.IsZero() {
		// The job's ping is acknowledged, so that it does not fail for a
		// pause it knows nothing of, but not recorded.
		return ReasonPaused, nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.checks[sc.Name]
	if !ok {
		return "", apperr.NotFound("heartbeat")
	}
	if m.o.Shared != nil {
		// The ping moves the state another server may have stored last.
		_, st, err := readState(ctx, m.o.DB.Reader(), []string{sc.Name})
		if err != nil {
			return "", err
		}
		if cs, ok := st[sc.Name]; ok {
			m.states[sc.Name] = cs
		}
	}
	now := m.now().UTC()
	cs := m.stateOf(sc.Name)
	var result *Result
	switch signal {
	case PingStart:
		cs.Started = now
	case PingSuccess:
		latency := time.Duration(0)
		if !cs.Started.IsZero() {
			latency = now.Sub(cs.Started)
		}
		cs.LastPing, cs.Started = now, time.Time{}
		result = &Result{Check: c.Name, Location: "heartbeat", At: now, Outcome: availability.Up, Latency: latency, Reason: "pinged"}
	case PingFail:
		cs.LastPing, cs.Started = now, time.Time{}
		result = &Result{Check: c.Name, Location: "heartbeat", At: now, Outcome: availability.Down, Reason: "the job reported a failure"}
	default:
		return "", apperr.NotFound("heartbeat signal %q (use /start or /fail)", signal)
	}
	run, err := backupRun(c, signal, rep, now)
	if err != nil {
		return "", err
	}
	var transitions []timeline.Transition
	var changes []Change
	if run != nil && run.Outcome == recovery.RunSuccess {
		if p := run.Point(); p.After(cs.BackupPoint) {
			cs.BackupPoint = p
		}
		if ch, ok := m.rpoChange(c, cs, now); ok {
			changes = append(changes, ch)
		}
	}
	heartbeatChanged := false
	if result != nil && result.Outcome != cs.State {
		heartbeatChanged = true
		from := cs.State
		cs.State, cs.Since, cs.Reason = result.Outcome, now, result.Reason
		transitions = append(transitions, timeline.Transition{Service: c.Service, Input: "check:" + c.Name, At: now, State: cs.State, Source: sourceFor(c, cs)})
		changes = append(changes, Change{Check: c.Name, Service: c.Service, Escalation: c.Escalation, From: from, To: cs.State, Reason: cs.Reason, At: now})
	} else if _, ok := m.reopen[c.Name]; ok && result != nil && failing(result.Outcome) {
		heartbeatChanged = true
		cs.Reason = result.Reason
		changes = append(changes, Change{Check: c.Name, Service: c.Service, Escalation: c.Escalation, From: cs.State, To: cs.State, Reason: cs.Reason, At: now, Again: true})
	}
	err = m.o.DB.Tx(ctx, func(tx *sql.Tx) error {
		if run != nil {
			if err := recovery.InsertRun(ctx, tx, *run); err != nil {
				return err
			}
		}
		if result != nil {
			if _, err := tx.ExecContext(ctx, `INSERT INTO check_results (check_name, location, at, outcome, latency, reason) VALUES ($1, $2, $3, $4, $5, $6)`,
				result.Check, result.Location, store.Millis(result.At), result.Outcome.String(), result.Latency.Microseconds(), result.Reason); err != nil {
				return err
			}
		}
		if err := saveState(ctx, tx, c.Name, cs); err != nil {
			return err
		}
		if err := m.o.Timeline.Append(ctx, tx, transitions...); err != nil {
			return err
		}
		return m.changed(ctx, tx, changes)
	})
	if err != nil {
		return "", err
	}
	m.states[c.Name] = cs
	if heartbeatChanged {
		delete(m.reopen, c.Name)
	}
	return cs.State.String(), nil
}

// Status is a check with its current state, as the API and UI show it.
type Status struct {
	StoredCheck
	State        availability.State       `json:"state"`
	Since        time.Time                `json:"since"`
	Reason       string                   `json:"reason"`
	LastResultAt time.Time                `json:"last_result_at,omitzero"`
	LatencyMS    *float64                 `json:"latency_ms"` // the latest result's; nil when it had none
	Locations    map[string]LocationState `json:"locations,omitempty"`
	// Heartbeat checks: where to ping, when last pinged, and by when the
	// next ping is due.
	PingURL  string    `json:"ping_url,omitempty"`
	LastPing time.Time `json:"last_ping_at,omitzero"`
	DueBy    time.Time `json:"due_by,omitzero"`
	// TLS and HTTPS checks: the earliest expiry of the certificate chain
	// last seen.
	CertificateNotAfter time.Time `json:"certificate_not_after,omitzero"`
}

// Statuses returns every check's status, by name; baseURL prefixes ping URLs.
func (m *Monitor) Statuses(baseURL string) []Status {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Status, 0, len(m.meta))
	for name := range m.meta {
		out = append(out, m.status(name, baseURL))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// StatusOf returns one check's status.
func (m *Monitor) StatusOf(name, baseURL string) (Status, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.meta[name]; !ok {
		return Status{}, apperr.NotFound("check %q", name)
	}
	return m.status(name, baseURL), nil
}

func (m *Monitor) status(name, baseURL string) Status {
	sc := m.meta[name]
	cs := m.stateOf(name)
	st := Status{StoredCheck: sc, State: cs.State, Since: cs.Since, Reason: cs.Reason, Locations: maps.Clone(m.locs[name])}
	if c, ok := m.certs[name]; ok && watchesCertificate(sc.Check) {
		st.CertificateNotAfter = c.NotAfter
	}
	for _, ls := range m.locs[name] {
		if ls.LastResultAt.After(st.LastResultAt) {
			st.LastResultAt, st.LatencyMS = ls.LastResultAt, nil
			// A result without a latency (a failed connection) shows none.
			if ls.LastLatency > 0 {
				ms := float64(ls.LastLatency) / float64(time.Millisecond)
				st.LatencyMS = &ms
			}
		}
	}
	if sc.Type == TypeHeartbeat {
		st.PingURL = strings.TrimSuffix(baseURL, "/") + HeartbeatPath(sc.HeartbeatToken)
		st.LastPing = cs.LastPing
		last := cs.LastPing
		if last.IsZero() {
			last = sc.CreatedAt
		}
		if c, ok := m.checks[name]; ok {
			st.DueBy = heartbeatDeadline(c, last)
		}
	}
	return st
}

// ChecksFor lists the checks a location runs, for its agent.
func (m *Monitor) ChecksFor(location string) []Check {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Check
	for _, c := range m.checks {
		if c.Type != TypeHeartbeat && containsLoc(c.Locations, location) {
			out = append(out, c.Check)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Results returns a check's raw results in [from, to), newest first, at
// most limit.
func (m *Monitor) Results(ctx context.Context, name string, from, to time.Time, limit int) ([]Result, error) {
	if _, err := m.o.Checks.Get(ctx, name); err != nil {
		return nil, err
	}
	rows, err := m.o.DB.Reader().QueryContext(ctx, `SELECT location, at, outcome, latency, reason FROM check_results
		WHERE check_name = $1 AND at >= $2 AND at < $3 ORDER BY at DESC, id DESC LIMIT $4`, name, store.Millis(from), store.Millis(to), limit)
	if err != nil {
		return nil, fmt.Errorf("monitor: results: %w", err)
	}
	defer rows.Close()
	out := []Result{}
	for rows.Next() {
		r := Result{Check: name}
		var at, lat int64
		var outcome string
		if err := rows.Scan(&r.Location, &at, &outcome, &lat, &r.Reason); err != nil {
			return nil, err
		}
		r.At, r.Latency = store.FromMillis(at), time.Duration(lat)*time.Microsecond
		r.Outcome, _ = availability.ParseState(outcome)
		out = append(out, r)
	}
	return out, rows.Err()
}

// stateCollector exports how many checks are in each state.
type stateCollector struct{ m *Monitor }

var descCheckStates = prometheus.NewDesc("sextant_checks", "Checks by current state.", []string{"state"}, nil)

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) { ch <- descCheckStates }

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	c.m.mu.Lock()
	counts := map[string]float64{"up": 0, "degraded": 0, "down": 0, "unknown": 0}
	for name := range c.m.meta {
		counts[c.m.stateOf(name).State.String()]++
	}
	c.m.mu.Unlock()
	for s, n := range counts {
		ch <- prometheus.MustNewConstMetric(descCheckStates, prometheus.GaugeValue, n, s)
	}
}
