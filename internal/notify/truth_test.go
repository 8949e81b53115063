package notify

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// setStatus moves an incident on as the incident engine does.
func setStatus(t *testing.T, db *store.DB, incident int64, status string, at time.Time) {
	t.Helper()
	q := `UPDATE incidents SET status = 'acknowledged', acknowledged_at = $2, acknowledged_by = 'alice' WHERE id = $1`
	if status == "resolved" {
		q = `UPDATE incidents SET status = 'resolved', resolved_at = $2, resolved_by = 'alice', open_key = NULL WHERE id = $1`
	}
	if _, err := db.Writer().ExecContext(context.Background(), q, incident, store.Millis(at)); err != nil {
		t.Fatal(err)
	}
}

// settled says whether no row of the incident is pending any more.
func settled(t *testing.T, o *Outbox, incident int64) bool {
	for _, d := range deliveries(t, o, incident) {
		if d.Status == StatusPending {
			return false
		}
	}
	return true
}

// summary lists an incident's deliveries as "kind status note".
func summary(ds []Delivery) string {
	var out []string
	for _, d := range ds {
		out = append(out, strings.TrimSpace(d.Kind+" "+d.Status+" "+d.Note))
	}
	return strings.Join(out, "; ")
}

func TestOutboxSendsWhatIsTrueNow(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		t.Run("receiver down while the incident resolves gets one quiet resolved message", func(t *testing.T) {
			var up atomic.Bool
			answer := func(int, request) (int, string) {
				if !up.Load() {
					return http.StatusServiceUnavailable, "down"
				}
				return http.StatusOK, ""
			}
			hook, push := newReceiver(t, answer), newReceiver(t, answer)
			clk := &clock{t: start}
			o := newOutbox(db, clk, map[string]Channel{
				"ops-hook": webhookTo(t, hook.URL),
				"ops-ntfy": mustNew(t, Config{Name: "ops-ntfy", Type: TypeNtfy, URL: push.URL, Topic: "ops"}),
			})
			inc := newIncident(t, db, "checkout down")
			enqueue(t, db, inc, "ops-hook", KindTriggered, start)
			enqueue(t, db, inc, "ops-ntfy", KindTriggered, start)
			runOutbox(t, o)
			eventually(t, "the triggers failed once", func() bool {
				ds := deliveries(t, o, inc)
				return ds[0].Attempts == 1 && ds[1].Attempts == 1
			})
			// The incident resolves while the receivers are down, within
			// the triggers' backoff: the engine enqueues the resolved rows
			// in the same transaction. (It opened three minutes ago.)
			clk.Add(3 * time.Second)
			err := db.Tx(context.Background(), func(tx *sql.Tx) error {
				if _, err := tx.Exec(`UPDATE incidents SET status = 'resolved', resolved_at = $2, resolved_by = 'alice', open_key = NULL, created_at = $3 WHERE id = $1`,
					inc, store.Millis(clk.Now()), store.Millis(start.Add(-3*time.Minute))); err != nil {
					return err
				}
				for _, ch := range []string{"ops-hook", "ops-ntfy"} {
					if _, err := tx.Exec(`INSERT INTO outbox (incident_id, channel, kind, status, attempts, next_attempt, claimed_until, last_error, created_at)
						VALUES ($1, $2, 'resolved', 'pending', 0, $3, 0, '', $3)`, inc, ch, store.Millis(clk.Now())); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			o.Kick()
			eventually(t, "the resolutions failed once", func() bool {
				ds := deliveries(t, o, inc)
				return ds[2].Attempts == 1 && ds[3].Attempts == 1
			})
			beforeHook, beforePush := len(hook.requests()), len(push.requests())
			up.Store(true)
			clk.Add(15 * time.Second) // past every backoff
			o.Kick()
			eventually(t, "settled", func() bool { return settled(t, o, inc) })

			if got, want := summary(deliveries(t, o, inc)),
				"triggered superseded superseded by resolved; triggered superseded superseded by resolved; resolved sent; resolved sent"; got != want {
				t.Fatalf("deliveries: %s\nwant: %s", got, want)
			}
			time.Sleep(100 * time.Millisecond) // nothing else may follow
			hooks, pushes := hook.requests()[beforeHook:], push.requests()[beforePush:]
			if len(hooks) != 1 || len(pushes) != 1 {
				t.Fatalf("after the receivers returned: %d webhook and %d ntfy requests, want 1 each", len(hooks), len(pushes))
			}
			var p WebhookPayload
			if err := json.Unmarshal(hooks[0].Body, &p); err != nil {
				t.Fatal(err)
			}
			if p.Event != KindResolved || p.Incident.Status != "resolved" || !p.Incident.ResolvedAt.Equal(start.Add(3*time.Second)) || !p.Incident.CreatedAt.Equal(start.Add(-3*time.Minute)) {
				t.Fatalf("webhook payload %+v", p)
			}
			h := pushes[0].Header
			if h.Get("Title") != "[RESOLVED] shop: checkout down (opened 09:57, resolved 10:00 UTC)" || h.Get("Priority") != "3" || strings.Contains(h.Get("Actions"), "Acknowledge") {
				t.Fatalf("ntfy: title %q, priority %q, actions %q", h.Get("Title"), h.Get("Priority"), h.Get("Actions"))
			}
			log := strings.Join(timeline(t, db, inc), "\n")
			for _, want := range []string{
				"channel:ops-hook: triggered to ops-hook not sent: superseded by resolved",
				"channel:ops-ntfy: triggered to ops-ntfy not sent: superseded by resolved",
				"channel:ops-hook: sent resolved to ops-hook",
			} {
				if !strings.Contains(log, want) {
					t.Errorf("timeline lacks %q:\n%s", want, log)
				}
			}
		})

		cases := []struct {
			name string
			// rows are the kinds enqueued for one channel, in order.
			rows   []string
			status string // what the incident is when the outbox looks
			// want is the deliveries afterwards; sent the events the
			// receiver got; line a timeline entry.
			want, sent, line string
		}{
			{
				name: "a page for an incident resolved before it could be sent goes out as resolved",
				rows: []string{KindEscalated}, status: "resolved",
				want: "escalated sent sent as resolved", sent: "resolved",
				line: "sent resolved to user:alice/webhook in place of escalated: the incident was resolved before it could be sent",
			},
			{
				name: "a page for an incident acknowledged meanwhile is not sent",
				rows: []string{KindTriggered}, status: "acknowledged",
				want: "triggered superseded superseded: acknowledged by alice", sent: "",
				line: "triggered to user:alice/webhook not sent: superseded: acknowledged by alice",
			},
			{
				name: "a pending trigger gives way to the acknowledgement",
				rows: []string{KindTriggered, KindAcknowledged}, status: "acknowledged",
				want: "triggered superseded superseded by acknowledged; acknowledged sent", sent: "acknowledged",
				line: "triggered to user:alice/webhook not sent: superseded by acknowledged",
			},
			{
				name: "an open incident's pages are sent as they are",
				rows: []string{KindTriggered}, status: "triggered",
				want: "triggered sent", sent: "triggered",
				line: "sent triggered to user:alice/webhook",
			},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				rc := newReceiver(t, nil)
				clk := &clock{t: start}
				const ch = "user:alice/webhook"
				o := newOutbox(db, clk, map[string]Channel{ch: mustNew(t, Config{Name: ch, Type: TypeWebhook, URL: rc.URL})})
				inc := newIncident(t, db, tc.name)
				for _, k := range tc.rows {
					enqueue(t, db, inc, ch, k, start)
				}
				if tc.status != "triggered" {
					setStatus(t, db, inc, tc.status, start.Add(time.Minute))
				}
				clk.Add(2 * time.Minute)
				runOutbox(t, o)
				eventually(t, "settled", func() bool { return settled(t, o, inc) })
				time.Sleep(100 * time.Millisecond) // nothing else may follow
				if got := summary(deliveries(t, o, inc)); got != tc.want {
					t.Errorf("deliveries: %s\nwant: %s", got, tc.want)
				}
				var events []string
				for _, r := range rc.requests() {
					var p WebhookPayload
					json.Unmarshal(r.Body, &p)
					events = append(events, p.Event)
				}
				if got := strings.Join(events, ","); got != tc.sent {
					t.Errorf("receiver got %q, want %q", got, tc.sent)
				}
				if log := strings.Join(timeline(t, db, inc), "\n"); !strings.Contains(log, "channel:"+ch+": "+tc.line) {
					t.Errorf("timeline lacks %q:\n%s", tc.line, log)
				}
			})
		}
	})
}

func TestOutboxPacesAChannel(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		clk := &clock{t: start}
		var mu sync.Mutex
		var at []time.Time // the receiver's clock at each request
		var accepted atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			now := clk.Now()
			mu.Lock()
			at = append(at, now)
			mu.Unlock()
			if now.Before(start.Add(2 * time.Second)) {
				w.Header().Set("Retry-After", "2")
				w.WriteHeader(http.StatusTooManyRequests)
				return
			}
			accepted.Add(1)
		}))
		t.Cleanup(srv.Close)
		requests := func() int {
			mu.Lock()
			defer mu.Unlock()
			return len(at)
		}
		// 3 in any 10 s; the backlog stays under the digest threshold.
		ch := mustNew(t, Config{Name: "ops-hook", Type: TypeWebhook, URL: srv.URL, RateLimit: "3/10s", DigestAfter: 50})
		o := newOutbox(db, clk, map[string]Channel{"ops-hook": ch})
		var failures atomic.Int32
		var delivered atomic.Int32
		o.Metrics = Metrics{Failed: func(string) { failures.Add(1) }, Delivered: func(string, time.Duration) { delivered.Add(1) }}
		const backlog = 10
		var ids []int64
		for i := range backlog {
			id := newIncident(t, db, fmt.Sprintf("paced %d", i))
			ids = append(ids, id)
			enqueue(t, db, id, "ops-hook", KindTriggered, start)
		}
		runOutbox(t, o)
		// idle waits until the worker has acted on the current instant: a
		// poll after the kick has finished and no send is under way.
		idle := func() {
			// Two rounds: the first poll to finish may have begun before
			// the clock moved; the second began after it.
			for range 2 {
				n := o.polls.Load()
				o.Kick()
				eventually(t, "idle", func() bool {
					o.mu.Lock()
					busy := len(o.busy)
					o.mu.Unlock()
					return o.polls.Load() > n && busy == 0
				})
			}
		}
		idle()
		first := requests()
		if first == 0 || first > 3 {
			t.Fatalf("%d requests at the start, want 1 to 3 (the rate limit)", first)
		}
		clk.Add(time.Second)
		idle()
		if n := requests(); n != first {
			t.Fatalf("%d requests before Retry-After ended", n-first)
		}
		for range 60 {
			if accepted.Load() == backlog {
				break
			}
			clk.Add(time.Second)
			idle()
			if clk.Now().Equal(start.Add(2 * time.Second)) {
				// The rows the rate holds back show when they will go.
				mu.Lock()
				free := at[len(at)-3].Add(10 * time.Second)
				mu.Unlock()
				// A poll that began as the clock moved may still be writing
				// the rows it held back, so this is waited for. A held row
				// goes when the window frees: not before now (a row due now
				// is taken at the next poll), at most one window (10 s) after
				// the oldest send in it.
				now := clk.Now()
				var wrong string
				deadline := time.Now().Add(10 * time.Second)
				for {
					wrong = ""
					for _, id := range ids {
						d := deliveries(t, o, id)[0]
						if d.Status == StatusPending && (d.NextAttempt.Before(now) || d.NextAttempt.After(free)) {
							wrong = fmt.Sprintf("a paced row waits until %s, want from %s to %s", d.NextAttempt.Sub(start), now.Sub(start), free.Sub(start))
						}
					}
					if wrong == "" || time.Now().After(deadline) {
						break
					}
					time.Sleep(20 * time.Millisecond)
				}
				if wrong != "" {
					t.Fatal(wrong)
				}
			}
		}
		if accepted.Load() != backlog {
			t.Fatalf("%d of %d delivered", accepted.Load(), backlog)
		}
		mu.Lock()
		defer mu.Unlock()
		for i := range at {
			if i+3 < len(at) && at[i+3].Sub(at[i]) < 10*time.Second {
				t.Fatalf("requests %d and %d were %s apart: more than 3 in 10 s (%v)", i+1, i+4, at[i+3].Sub(at[i]), at)
			}
			if at[i].Before(start.Add(2*time.Second)) && i >= first {
				t.Fatalf("request %d at %s, before Retry-After ended", i+1, at[i].Sub(start))
			}
		}
		for _, id := range ids {
			d := deliveries(t, o, id)[0]
			if d.Status != StatusSent || d.Attempts != 1 {
				t.Fatalf("incident %d: %+v (a deferral is not a failed attempt)", id, d)
			}
		}
		if failures.Load() != 0 || delivered.Load() != backlog {
			t.Errorf("metrics: %d failures, %d delivered", failures.Load(), delivered.Load())
		}
		deferred := 0
		for _, id := range ids {
			log := strings.Join(timeline(t, db, id), "\n")
			if strings.Contains(log, "ops-hook asked to wait (429 Too Many Requests, Retry-After 2): next attempt at 10:00:02 UTC, not counted as a failed attempt") {
				deferred++
			}
		}
		if deferred != first {
			t.Errorf("%d timelines record the receiver's Retry-After, want %d", deferred, first)
		}
	})
}

func TestOutboxSendsABurstAsOneDigest(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		rc := newReceiver(t, nil)
		clk := &clock{t: start}
		o := newOutbox(db, clk, map[string]Channel{"ops-hook": webhookTo(t, rc.URL)})
		const burst = 40
		var ids []int64
		for i := range burst {
			id := newIncident(t, db, fmt.Sprintf("storm %d", i))
			ids = append(ids, id)
			enqueue(t, db, id, "ops-hook", KindTriggered, start.Add(-30*time.Second))
		}
		runOutbox(t, o)
		eventually(t, "all sent", func() bool {
			for _, id := range ids {
				if deliveries(t, o, id)[0].Status != StatusSent {
					return false
				}
			}
			return true
		})
		var p WebhookDigest
		if err := json.Unmarshal(rc.only(t).Body, &p); err != nil {
			t.Fatal(err)
		}
		if p.Event != KindDigest || p.Count != burst || len(p.Notifications) != burst || p.Title != "40 incidents opened on shop in the last minute" {
			t.Fatalf("digest %q: event %s, count %d, %d notifications", p.Title, p.Event, p.Count, len(p.Notifications))
		}
		if n := p.Notifications[0]; n.Event != KindTriggered || n.Incident.ID != ids[0] || n.Incident.URL == "" {
			t.Fatalf("first notification %+v", n)
		}
		for _, id := range ids {
			if d := deliveries(t, o, id)[0]; d.Note != "sent in a digest of 40" {
				t.Fatalf("delivery %+v", d)
			}
		}
		if got := timeline(t, db, ids[3]); len(got) != 1 || got[0] != "channel:ops-hook: sent triggered to ops-hook in a digest of 40 notifications" {
			t.Fatalf("timeline %q", got)
		}
	})
}

func TestOutboxA429WithoutRetryAfterHoldsTheChannel(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		rc := newReceiver(t, func(int, request) (int, string) { return http.StatusTooManyRequests, "slow down" })
		clk := &clock{t: start}
		o := newOutbox(db, clk, map[string]Channel{"ops-hook": webhookTo(t, rc.URL)})
		var ids []int64
		for i := range perChannel + 2 {
			id := newIncident(t, db, fmt.Sprintf("throttled %d", i))
			ids = append(ids, id)
			enqueue(t, db, id, "ops-hook", KindTriggered, start)
		}
		runOutbox(t, o)
		eventually(t, "a refusal", func() bool { return deliveries(t, o, ids[0])[0].Attempts == 1 })
		n := o.polls.Load()
		o.Kick()
		eventually(t, "idle after the refusals", func() bool {
			o.mu.Lock()
			busy := len(o.busy)
			o.mu.Unlock()
			return o.polls.Load() > n+1 && busy == 0
		})
		// At most the sends already under way met the 429; every other row
		// waits out the backoff too, without an attempt of its own.
		refused := 0
		for _, id := range ids {
			d := deliveries(t, o, id)[0]
			refused += d.Attempts
			if d.Status != StatusPending || d.Attempts > 1 || !d.NextAttempt.Equal(start.Add(Backoff(1))) {
				t.Fatalf("row after the 429: %+v", d)
			}
		}
		if got := len(rc.requests()); got != refused || got > perChannel {
			t.Fatalf("%d requests for %d refused rows, at most %d may be under way at once", got, refused, perChannel)
		}
	})
}
