package desk

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/notify"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

func TestSLAWarnings(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		start := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
		var clock atomic.Int64
		clock.Store(start.UnixMilli())
		now := func() time.Time { return time.UnixMilli(clock.Load()).UTC() }
		s := NewStore(db, catalog.NewStore(db, nil), now)
		cfg, problems := Config{Queues: []Queue{{Name: "q", Escalation: "desk-duty"}},
			SLAPolicies: []Policy{{Name: "std", FirstResponse: "1h", Resolution: "4h"}}}.Compile(Refs{Escalations: map[string]bool{"desk-duty": true}})
		if problems != nil {
			t.Fatal(problems)
		}
		s.Configure(cfg)
		var mu sync.Mutex
		var got []Warning
		newWarner := func() *Warner {
			return &Warner{Store: s, Notify: func(_ context.Context, _ store.Querier, w Warning) error {
				mu.Lock()
				defer mu.Unlock()
				got = append(got, w)
				return nil
			}}
		}
		tk, err := s.Create(ctx, "user:ann", Input{Type: TypeRequest, Title: "Printer"})
		if err != nil {
			t.Fatal(err)
		}
		step := func(w *Warner, at time.Duration) int {
			t.Helper()
			clock.Store(start.Add(at).UnixMilli())
			n, err := w.step(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		w := newWarner()
		if n := step(w, 44*time.Minute); n != 0 {
			t.Fatalf("warned before 75 %%: %d", n)
		}
		if n := step(w, 45*time.Minute); n != 1 || got[0].Clock != "first_response" || got[0].Level != 75 || got[0].Escalation != "desk-duty" || got[0].Ticket.ID != tk.ID {
			t.Fatalf("at 45 min: %d %+v", n, got)
		}
		// A restart: a new worker goes on from the stored state, and does
		// not send the 75 % warning again.
		w = newWarner()
		if n := step(w, 50*time.Minute); n != 0 {
			t.Fatalf("after the restart: %d", n)
		}
		if n := step(w, 60*time.Minute); n != 1 || got[1].Level != 100 {
			t.Fatalf("at 60 min: %d %+v", n, got)
		}
		// At 5 h the resolution clock is past its target too: each clock
		// has its own levels, and its breach is sent (its 75 %, passed
		// meanwhile, is not sent late).
		if n := step(w, 5*time.Hour); n != 1 || got[2].Clock != ClockResolution || got[2].Level != 100 {
			t.Fatalf("at 5 h: %d %+v", n, got)
		}
		if n := step(w, 5*time.Hour+time.Minute); n != 0 {
			t.Fatalf("after every level was sent: %d", n)
		}
		// Two workers at once: each warning is sent once.
		tk2, err := s.Create(ctx, "user:ann", Input{Type: TypeRequest, Title: "Screen"})
		if err != nil {
			t.Fatal(err)
		}
		clock.Store(start.Add(5*time.Hour + 50*time.Minute).UnixMilli())
		var wg sync.WaitGroup
		var total atomic.Int64
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, err := newWarner().step(ctx)
				if err != nil {
					t.Error(err)
				}
				total.Add(int64(n))
			}()
		}
		wg.Wait()
		if total.Load() != 1 || got[len(got)-1].Ticket.ID != tk2.ID {
			t.Fatalf("two workers sent %d: %+v", total.Load(), got)
		}
		d, _ := s.Get(ctx, tk.ID)
		var warnings []string
		for _, c := range d.History {
			if c.Field == "sla_warning" {
				warnings = append(warnings, c.After)
			}
		}
		if len(warnings) != 3 || warnings[0] != "first_response 75%" || warnings[1] != "first_response 100%" || warnings[2] != "resolution 100%" {
			t.Fatalf("history %v", warnings)
		}
	})
}

// TestSLAWarningsThroughEscalation sends warnings through the queue's
// escalation policy and the real outbox to httptest webhooks: the 75 %
// warning reaches the first level's channel, the breach the first two
// levels', each exactly once although two warners step at once and both
// the warners and the outbox worker are restarted between the warnings.
func TestSLAWarningsThroughEscalation(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		start := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
		var clock atomic.Int64
		clock.Store(start.UnixMilli())
		now := func() time.Time { return time.UnixMilli(clock.Load()).UTC() }
		s := NewStore(db, catalog.NewStore(db, nil), now)
		cfg, problems := Config{Queues: []Queue{{Name: "q", Escalation: "desk-duty"}},
			SLAPolicies: []Policy{{Name: "std", FirstResponse: "1h"}}}.Compile(Refs{Escalations: map[string]bool{"desk-duty": true}})
		if problems != nil {
			t.Fatal(problems)
		}
		s.Configure(cfg)
		type delivery struct {
			Event  string
			Ticket notify.Ticket
		}
		var mu sync.Mutex
		got := map[string][]delivery{}
		receiver := func(name string) notify.Channel {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				var d delivery
				if err := json.NewDecoder(r.Body).Decode(&d); err != nil {
					t.Errorf("%s: %v", name, err)
				}
				mu.Lock()
				got[name] = append(got[name], d)
				mu.Unlock()
			}))
			t.Cleanup(srv.Close)
			ch, err := notify.New(notify.Config{Name: name, Type: notify.TypeWebhook, URL: srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			return ch
		}
		channels := map[string]notify.Channel{"hook": receiver("hook"), "lead": receiver("lead")}
		esc := &Escalator{
			Policies: func(name string) (incident.EscalationPolicy, bool) {
				return incident.EscalationPolicy{Name: name, Levels: []incident.Level{{Notify: []string{"channel:hook"}}, {Delay: "10m", Notify: []string{"channel:lead", "channel:hook"}}}}, name == "desk-duty"
			},
			Resolve: func(target string, _ time.Time) ([]string, []string) {
				return []string{strings.TrimPrefix(target, "channel:")}, nil
			},
		}
		runOutbox := func() (stop func()) {
			o := &notify.Outbox{DB: db, Now: now, SoleWorker: true, Channels: func() map[string]notify.Channel { return channels },
				Describe: func(ctx context.Context, kind string) (notify.Message, bool, error) {
					return s.DescribeWarning(ctx, kind, "https://sextant.example")
				}}
			ctx, cancel := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() { defer close(done); _ = o.Run(ctx) }()
			return func() { cancel(); <-done }
		}
		stepTwice := func(at time.Duration) {
			t.Helper()
			clock.Store(start.Add(at).UnixMilli())
			var wg sync.WaitGroup
			for range 2 {
				wg.Go(func() {
					if err := (&Warner{Store: s, Notify: esc.Notify}).Step(ctx); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
		}
		waitFor := func(want map[string]int) {
			t.Helper()
			deadline := time.Now().Add(10 * time.Second)
			for {
				mu.Lock()
				ok := len(got["hook"]) >= want["hook"] && len(got["lead"]) >= want["lead"]
				mu.Unlock()
				if ok || time.Now().After(deadline) {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			time.Sleep(1500 * time.Millisecond) // a second poll, which would send a double
			mu.Lock()
			defer mu.Unlock()
			if len(got["hook"]) != want["hook"] || len(got["lead"]) != want["lead"] {
				t.Fatalf("deliveries %+v, want %v", got, want)
			}
		}
		tk, err := s.Create(ctx, "user:ann", Input{Type: TypeRequest, Title: "Printer"})
		if err != nil {
			t.Fatal(err)
		}
		stop := runOutbox()
		stepTwice(45 * time.Minute)
		waitFor(map[string]int{"hook": 1})
		stop()
		// Restarted: new warners and a new outbox worker.
		stop = runOutbox()
		stepTwice(50 * time.Minute)
		stepTwice(60 * time.Minute)
		waitFor(map[string]int{"hook": 2, "lead": 1})
		stop()
		// A warning whose ticket is answered before the outbox sends it
		// is not sent: it is no longer true.
		tk3, err := s.Create(ctx, "user:ann", Input{Type: TypeRequest, Title: "Keyboard"})
		if err != nil {
			t.Fatal(err)
		}
		stepTwice(105 * time.Minute)
		if _, _, err := s.AddComment(ctx, "user:olivia", tk3.ID, CommentInput{Body: "On my way.", Public: true}); err != nil {
			t.Fatal(err)
		}
		stop = runOutbox()
		defer func() { stop() }()
		waitFor(map[string]int{"hook": 2, "lead": 1})
		var status, note string
		if err := db.Reader().QueryRowContext(ctx, `SELECT status, note FROM outbox WHERE kind = $1`, WarningKind(tk3.ID, ClockFirstResponse, 75)).Scan(&status, &note); err != nil ||
			status != notify.StatusSuperseded || !strings.Contains(note, "stopped within its target") {
			t.Fatalf("the answered ticket's warning: %q %q %v", status, note, err)
		}
		w75, w100 := got["hook"][0], got["hook"][1]
		if w75.Event != notify.KindSLAWarning || w75.Ticket.ID != tk.ID || w75.Ticket.Clock != ClockFirstResponse || w75.Ticket.Level != 75 ||
			w75.Ticket.URL != "https://sextant.example/desk/tickets/"+strconv.FormatInt(tk.ID, 10) {
			t.Errorf("75 %% warning %+v", w75)
		}
		if w100.Event != notify.KindSLABreach || w100.Ticket.Level != 100 || got["lead"][0].Event != notify.KindSLABreach {
			t.Errorf("breach %+v, to the lead %+v", w100, got["lead"])
		}
		d, err := s.Get(ctx, tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		var notified []string
		for _, c := range d.History {
			if c.Field == "sla_notified" {
				notified = append(notified, c.After)
			}
		}
		if len(notified) != 2 || notified[0] != "desk-duty: hook" || notified[1] != "desk-duty: hook, lead" {
			t.Errorf("history of whom was notified: %q", notified)
		}
	})
}
