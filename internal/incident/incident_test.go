package incident_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/monitor"
	"github.com/sextant-ops/sextant/internal/secret"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
	"github.com/sextant-ops/sextant/internal/timeline"
)

var t0 = time.Date(2026, 10, 5, 10, 0, 0, 0, time.UTC)

type fixture struct {
	db     *store.DB
	engine *incident.Engine
	ingest *incident.Ingester
	store  *incident.Store
	tl     *timeline.Store
	cat    *catalog.Store
	now    time.Time
	maint  bool
	kicks  int
}

func newFixture(t testing.TB, db *store.DB) *fixture {
	ctx := context.Background()
	f := &fixture{db: db, now: t0}
	clock := func() time.Time { return f.now }
	f.cat = catalog.NewStore(db, clock)
	for _, s := range []string{"payroll", "shop"} {
		if _, err := f.cat.PutService(ctx, "test", catalog.Service{Name: s, Objective: &catalog.Objective{Availability: "99%"}}, catalog.MustCreate); err != nil {
			t.Fatal(err)
		}
	}
	f.tl = timeline.NewStore(db, clock)
	f.engine = &incident.Engine{Timeline: f.tl, Now: clock, InMaintenance: func(string, time.Time) bool { return f.maint }, OnEnqueue: func() { f.kicks++ }}
	f.engine.Configure(incident.Setup{
		Integrations: []incident.Integration{{Name: "prom", Kind: incident.KindEvents, Key: secret.New("0123456789abcdef0123"), Service: "payroll", Escalation: "default"}},
		Policies:     []incident.EscalationPolicy{{Name: "default", Levels: []incident.Level{{Notify: []string{"channel:ops-hook", "channel:ops-mail"}}}}},
	})
	f.ingest = &incident.Ingester{DB: db, Engine: f.engine}
	ctx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)
	f.ingest.Start(ctx)
	f.store = &incident.Store{DB: db, Engine: f.engine}
	return f
}

func ev(action, dedup string) incident.Event {
	return incident.Event{Integration: "prom", Action: action, DedupKey: dedup, Service: "payroll", Summary: "disk full", Source: "db1", Severity: "critical", Body: []byte(`{}`)}
}

func (f *fixture) outbox(t *testing.T) []string {
	rows, err := f.db.Reader().QueryContext(context.Background(), `SELECT channel || ':' || kind FROM outbox ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		_ = rows.Scan(&s)
		out = append(out, s)
	}
	return out
}

func TestLifecycleAndDedup(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		out, err := f.ingest.Submit(ctx, []incident.Event{ev("trigger", "disk-1")})
		if err != nil || !out[0].Created || out[0].IncidentID == 0 {
			t.Fatalf("trigger: %+v %v", out, err)
		}
		id := out[0].IncidentID
		// The same trigger again is deduplicated into the open incident.
		f.now = t0.Add(time.Minute)
		out, _ = f.ingest.Submit(ctx, []incident.Event{ev("trigger", "disk-1")})
		if out[0].Created || out[0].IncidentID != id {
			t.Fatalf("repeated trigger made a new incident: %+v", out)
		}
		i, log, err := f.store.Get(ctx, id)
		if err != nil || i.Status != incident.Triggered || i.EventCount != 2 || len(log) != 2 {
			t.Fatalf("after two triggers: %+v, %d log lines, %v", i, len(log), err)
		}
		if got := strings.Join(f.outbox(t), ","); got != "ops-hook:triggered,ops-mail:triggered" {
			t.Fatalf("outbox = %s", got)
		}
		f.now = t0.Add(2 * time.Minute)
		f.ingest.Submit(ctx, []incident.Event{ev("acknowledge", "disk-1")})
		f.now = t0.Add(32 * time.Minute)
		f.ingest.Submit(ctx, []incident.Event{ev("resolve", "disk-1")})
		i, _, _ = f.store.Get(ctx, id)
		if i.Status != incident.Resolved || i.AcknowledgedAt == nil || !i.AcknowledgedAt.Equal(t0.Add(2*time.Minute)) || i.ResolvedAt == nil {
			t.Fatalf("after ack and resolve: %+v", i)
		}
		// The incident marked its service down for its 32 minutes.
		rep, err := timeline.NewReporter(f.cat, f.tl, func() time.Time { return t0.Add(time.Hour) }).Report(ctx, "payroll", timeline.Range{From: t0, To: t0.Add(time.Hour)})
		if err != nil || rep.Downtime.Duration() != 32*time.Minute || !strings.HasPrefix(rep.OutageList[0].Source, "incident:") {
			t.Fatalf("report: %v %+v %v", rep.Downtime.Duration(), rep.OutageList, err)
		}
		// After resolution, the same dedup key opens a new incident.
		out, _ = f.ingest.Submit(ctx, []incident.Event{ev("trigger", "disk-1")})
		if !out[0].Created || out[0].IncidentID == id {
			t.Fatalf("trigger after resolve: %+v", out)
		}
		// An acknowledge for nothing open is recorded and does nothing.
		out, err = f.ingest.Submit(ctx, []incident.Event{ev("acknowledge", "never-seen")})
		if err != nil || out[0].IncidentID != 0 {
			t.Fatalf("ack of nothing: %+v %v", out, err)
		}
		var events int
		db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM events`).Scan(&events)
		if events != 6 {
			t.Fatalf("%d events stored, want 6", events)
		}
	})
}

func TestPeopleActAndMaintenance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		f.maint = true
		out, _ := f.ingest.Submit(ctx, []incident.Event{ev("trigger", "x")})
		id := out[0].IncidentID
		i, log, _ := f.store.Get(ctx, id)
		if !i.InMaintenance || len(f.outbox(t)) != 0 || !strings.Contains(log[0].Message, "maintenance") {
			t.Fatalf("in maintenance: %+v, outbox %v, log %+v", i, f.outbox(t), log)
		}
		if _, err := f.store.Note(ctx, id, "user:alice", "looking at it"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.store.Note(ctx, id, "user:alice", ""); err == nil {
			t.Fatal("an empty note was accepted")
		}
		if _, err := f.store.Acknowledge(ctx, id, "user:alice"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.store.Acknowledge(ctx, id, "user:alice"); !errors.Is(err, apperr.ErrConflict) {
			t.Fatalf("acknowledging twice: %v", err)
		}
		if _, err := f.store.Resolve(ctx, id, "user:bob"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.store.Resolve(ctx, 999, "user:bob"); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("resolving a missing incident: %v", err)
		}
		i, log, _ = f.store.Get(ctx, id)
		if i.AcknowledgedBy != "user:alice" || i.ResolvedBy != "user:bob" || len(log) != 4 || log[1].Kind != "note" {
			t.Fatalf("after people acted: %+v %+v", i, log)
		}
		list, _, err := f.store.List(ctx, incident.Filter{Status: "open"}, store.Page{})
		if err != nil || len(list) != 0 {
			t.Fatalf("open incidents: %+v %v", list, err)
		}
		list, _, _ = f.store.List(ctx, incident.Filter{Service: "payroll", DedupKey: "x"}, store.Page{})
		if len(list) != 1 {
			t.Fatalf("filtered list: %+v", list)
		}
	})
}

// TestGroupCommit: many concurrent submitters, all committed, one incident
// per dedup key.
func TestGroupCommit(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		var wg sync.WaitGroup
		errs := make(chan error, 400)
		for i := 0; i < 400; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				_, err := f.ingest.Submit(ctx, []incident.Event{ev("trigger", "k"+string(rune('a'+i%20)))})
				errs <- err
			}(i)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		var events, incidents int
		db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM events`).Scan(&events)
		db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM incidents`).Scan(&incidents)
		if events != 400 || incidents != 20 {
			t.Fatalf("%d events, %d incidents; want 400 and 20", events, incidents)
		}
	})
}

// TestCheckChangesOpenAndResolve: the monitor's hook opens an incident for a
// check going down and resolves it when the check recovers.
func TestCheckChangesOpenAndResolve(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		change := func(to availability.State) {
			err := db.Tx(ctx, func(tx *sql.Tx) error {
				return f.engine.OnCheckChange(ctx, tx, []monitor.Change{{Check: "web", Service: "shop", From: availability.Up, To: to, Reason: "[STATUS] (503) == 200", At: f.now}})
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		change(availability.Down)
		list, _, _ := f.store.List(ctx, incident.Filter{DedupKey: "check:web"}, store.Page{})
		if len(list) != 1 || list[0].Status != incident.Triggered || list[0].Severity != "critical" || list[0].ServiceState != "none" ||
			!strings.Contains(list[0].Summary, "web is down: [STATUS] (503) == 200") {
			t.Fatalf("after down: %+v", list)
		}
		if len(f.outbox(t)) != 2 {
			t.Fatalf("outbox after down: %v", f.outbox(t))
		}
		change(availability.Up)
		list, _, _ = f.store.List(ctx, incident.Filter{DedupKey: "check:web"}, store.Page{})
		if list[0].Status != incident.Resolved {
			t.Fatalf("after up: %+v", list[0])
		}
	})
}

func TestSignedLinks(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s, err := incident.LoadSigner(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		again, _ := incident.LoadSigner(context.Background(), db)
		exp := t0.Add(time.Hour)
		sig := s.Sign(7, "acknowledge", exp)
		if !again.Verify(7, "acknowledge", exp, sig, t0) {
			t.Fatal("a reloaded signer does not accept its own signature")
		}
		for name, ok := range map[string]bool{
			"other incident": s.Verify(8, "acknowledge", exp, sig, t0),
			"other action":   s.Verify(7, "resolve", exp, sig, t0),
			"expired":        s.Verify(7, "acknowledge", exp, sig, exp),
			"other expiry":   s.Verify(7, "acknowledge", exp.Add(time.Second), sig, t0),
		} {
			if ok {
				t.Errorf("%s: accepted", name)
			}
		}
	})
}

func TestValidateSetup(t *testing.T) {
	s := incident.Setup{
		Integrations: []incident.Integration{
			{Name: "a", Kind: "events", Key: secret.New("short"), Service: "ghost", Escalation: "nope", RateLimit: "fast"},
			{Name: "b", Kind: "smoke", Key: secret.New("0123456789abcdef"), ServiceLabel: "svc"},
			{Name: "c", Kind: "alertmanager", Key: secret.New("0123456789abcdefgh"), Service: "shop", IncidentPer: "storm"},
			{Name: "d", Kind: "events", Key: secret.New("0123456789abcdefghij"), Service: "shop", IncidentPer: "alert"},
		},
		Policies: []incident.EscalationPolicy{{Name: "p", Levels: []incident.Level{{Delay: "soon", Notify: []string{"user:x", "channel:nope"}}}}},
	}
	got := map[string]bool{}
	for _, f := range s.Validate(map[string]bool{"shop": true}, incident.Targets{Channels: map[string]bool{"hook": true}}) {
		got[f.Path] = true
	}
	for _, want := range []string{"integrations[0].key", "integrations[0].service", "integrations[0].escalation", "integrations[0].rate_limit",
		"integrations[1].kind", "integrations[1].service_label", "integrations[2].incident_per", "integrations[3].incident_per", "escalation_policies[0].levels[0].delay",
		"escalation_policies[0].levels[0].notify[0]", "escalation_policies[0].levels[0].notify[1]"} {
		if !got[want] {
			t.Errorf("no problem at %s; got %v", want, got)
		}
	}
}

// TestCommitLoopsKeepEachKeysOrder: with several commit loops (PostgreSQL;
// SQLite runs one whatever is asked), every key's events are applied in the
// order they were submitted while many keys arrive at once: each key's
// trigger, repeat, acknowledge, resolve and new trigger leave one resolved
// incident that counted two triggers and one open incident.
func TestCommitLoopsKeepEachKeysOrder(t *testing.T) {
	for _, loops := range []int{1, 2, 4} {
		t.Run(fmt.Sprintf("%d loops", loops), func(t *testing.T) {
			storetest.Run(t, func(t *testing.T, db *store.DB) {
				ctx := context.Background()
				f := newFixture(t, db)
				in := &incident.Ingester{DB: db, Engine: f.engine, Loops: loops}
				cctx, cancel := context.WithCancel(ctx)
				t.Cleanup(cancel)
				in.Start(cctx)
				const keys = 40
				var wg sync.WaitGroup
				errs := make(chan error, keys)
				for i := range keys {
					wg.Go(func() {
						key := fmt.Sprintf("order-%02d", i)
						for _, action := range []string{"trigger", "trigger", "acknowledge", "resolve", "trigger"} {
							if _, err := in.Submit(ctx, []incident.Event{ev(action, key)}); err != nil {
								errs <- fmt.Errorf("%s %s: %w", action, key, err)
								return
							}
						}
					})
				}
				wg.Wait()
				close(errs)
				for err := range errs {
					t.Fatal(err)
				}
				rows, err := db.Reader().QueryContext(ctx, `SELECT dedup_key, status, event_count FROM incidents ORDER BY dedup_key, id`)
				if err != nil {
					t.Fatal(err)
				}
				defer rows.Close()
				got := map[string][]string{}
				for rows.Next() {
					var key, status string
					var n int
					if err := rows.Scan(&key, &status, &n); err != nil {
						t.Fatal(err)
					}
					got[key] = append(got[key], fmt.Sprintf("%s/%d", status, n))
				}
				if len(got) != keys {
					t.Fatalf("%d keys have incidents, want %d", len(got), keys)
				}
				for key, list := range got {
					if strings.Join(list, " ") != "resolved/2 triggered/1" {
						t.Errorf("%s: %v, want [resolved/2 triggered/1]", key, list)
					}
				}
				if n := f.count(t, `SELECT COUNT(*) FROM events`); n != 5*keys {
					t.Errorf("%d events, want %d", n, 5*keys)
				}
			})
		})
	}
}

// TestOneBatchChangesItsOwnIncidents: the ingester looks a batch's open
// incidents up at once, so events later in a batch must see what earlier
// ones did: a key opened, repeated, acknowledged, resolved and opened
// again in one request ends as when the events come one by one.
func TestOneBatchChangesItsOwnIncidents(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		if _, err := f.ingest.Submit(ctx, []incident.Event{ev("trigger", "before")}); err != nil {
			t.Fatal(err)
		}
		out, err := f.ingest.Submit(ctx, []incident.Event{
			ev("trigger", "k"), ev("trigger", "k"), ev("acknowledge", "k"), ev("acknowledge", "k"), ev("resolve", "k"), ev("trigger", "k"),
			ev("resolve", "nothing-open"), ev("trigger", "before"), ev("resolve", "before"),
		})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, o := range out {
			got = append(got, fmt.Sprintf("%s/%t", o.Status, o.Created))
		}
		want := "triggered/true triggered/false acknowledged/false acknowledged/false resolved/false triggered/true /false triggered/false resolved/false"
		if strings.Join(got, " ") != want {
			t.Fatalf("outcomes %v, want %s", got, want)
		}
		if out[0].IncidentID != out[4].IncidentID || out[5].IncidentID == out[0].IncidentID {
			t.Errorf("incidents %+v: the first five events share one, the sixth opens another", out)
		}
		if n := f.count(t, `SELECT COUNT(*) FROM incidents WHERE open_key IS NOT NULL`); n != 1 {
			t.Errorf("%d open incidents, want 1 (the second k)", n)
		}
		if n := f.count(t, `SELECT event_count FROM incidents WHERE dedup_key = 'before'`); n != 2 {
			t.Errorf("'before' counted %d triggers, want 2", n)
		}
	})
}
