package notify

import (
	"context"
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

// clock is a fake time source the test moves by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var start = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// newIncident inserts the shop service (once) and an incident.
func newIncident(t *testing.T, db *store.DB, summary string) int64 {
	t.Helper()
	ctx := context.Background()
	if _, err := db.Writer().ExecContext(ctx, `INSERT INTO services (name, spec, source, created_at, updated_at) VALUES ('shop','{}','api',0,0)`); err != nil && !store.IsUniqueViolation(err) {
		t.Fatal(err)
	}
	var id int64
	err := db.Writer().QueryRowContext(ctx, `INSERT INTO incidents (service, dedup_key, status, severity, summary, source, details, integration, escalation,
		in_maintenance, service_state, created_at, last_event_at, event_count)
		VALUES ('shop', $1, 'triggered', 'critical', $2, 'check:checkout', '{}', '', '', $3, 'down', $4, $4, 1) RETURNING id`,
		summary, summary, false, store.Millis(start)).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// enqueue writes an outbox row exactly as the incident package does.
func enqueue(t *testing.T, db *store.DB, incident int64, channel, kind string, at time.Time) {
	t.Helper()
	_, err := db.Writer().ExecContext(context.Background(), `INSERT INTO outbox (incident_id, channel, kind, status, attempts, next_attempt, claimed_until, last_error, created_at)
		VALUES ($1,$2,$3,'pending',0,$4,0,'',$4)`, incident, channel, kind, store.Millis(at))
	if err != nil {
		t.Fatal(err)
	}
}

// webhookTo builds a webhook channel posting to url.
func webhookTo(t *testing.T, url string) Channel {
	return mustNew(t, Config{Name: "hook", Type: TypeWebhook, URL: url, Timeout: "5s"})
}

// runOutbox starts o until the test ends (or until the returned stop).
func runOutbox(t *testing.T, o *Outbox) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- o.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(15 * time.Second):
				t.Error("Run did not return after cancel")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func newOutbox(db *store.DB, clk *clock, channels map[string]Channel) *Outbox {
	return &Outbox{
		DB:       db,
		Channels: func() map[string]Channel { return channels },
		Links: func(id int64) (string, string, string) {
			base := fmt.Sprintf("https://sextant.example/incidents/%d", id)
			return base, base + "/ack?sig=a", base + "/resolve?sig=r"
		},
		Now: clk.Now,
	}
}

// eventually waits up to 10 s for cond.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func deliveries(t *testing.T, o *Outbox, incident int64) []Delivery {
	t.Helper()
	d, err := o.Deliveries(context.Background(), incident)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// timeline returns the incident's notification log lines.
func timeline(t *testing.T, db *store.DB, incident int64) []string {
	t.Helper()
	rows, err := db.Reader().QueryContext(context.Background(), `SELECT actor, message FROM incident_log WHERE incident_id = $1 AND kind = 'notification' ORDER BY id`, incident)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var actor, msg string
		if err := rows.Scan(&actor, &msg); err != nil {
			t.Fatal(err)
		}
		out = append(out, actor+": "+msg)
	}
	return out
}

func TestOutboxSends(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		rc := newReceiver(t, nil)
		clk := &clock{t: start}
		o := newOutbox(db, clk, map[string]Channel{"ops-hook": webhookTo(t, rc.URL)})
		inc := newIncident(t, db, "checkout down")
		enqueue(t, db, inc, "ops-hook", KindTriggered, start)
		runOutbox(t, o)
		o.Kick()
		eventually(t, "sent", func() bool { return deliveries(t, o, inc)[0].Status == StatusSent })

		d := deliveries(t, o, inc)[0]
		if d.Channel != "ops-hook" || d.Kind != KindTriggered || d.Attempts != 1 || d.LastError != "" || !d.SentAt.Equal(start) || !d.CreatedAt.Equal(start) {
			t.Fatalf("delivery %+v", d)
		}
		if b, _ := json.Marshal(d); !strings.Contains(string(b), `"sent_at":"2026-03-01T10:00:00Z"`) || !strings.Contains(string(b), `"last_error":""`) {
			t.Errorf("delivery JSON %s", b)
		}
		var p WebhookPayload
		if err := json.Unmarshal(rc.only(t).Body, &p); err != nil {
			t.Fatal(err)
		}
		want := WebhookIncident{ID: inc, Service: "shop", Summary: "checkout down", Severity: "critical", Status: "triggered",
			Source: "check:checkout", CreatedAt: start, URL: fmt.Sprintf("https://sextant.example/incidents/%d", inc),
			AckURL: fmt.Sprintf("https://sextant.example/incidents/%d/ack?sig=a", inc), ResolveURL: fmt.Sprintf("https://sextant.example/incidents/%d/resolve?sig=r", inc)}
		if p.Event != KindTriggered || p.Incident != want {
			t.Fatalf("payload %+v\nwant %+v", p, want)
		}
		if got := timeline(t, db, inc); strings.Join(got, "|") != "channel:ops-hook: sent triggered to ops-hook" {
			t.Fatalf("timeline %q", got)
		}
	})
}

func TestOutboxRetriesWithBackoff(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		rc := newReceiver(t, func(n int, _ request) (int, string) {
			if n <= 2 {
				return http.StatusServiceUnavailable, ""
			}
			return http.StatusOK, ""
		})
		clk := &clock{t: start}
		o := newOutbox(db, clk, map[string]Channel{"ops-hook": webhookTo(t, rc.URL)})
		inc := newIncident(t, db, "checkout down")
		enqueue(t, db, inc, "ops-hook", KindTriggered, start)
		runOutbox(t, o)

		eventually(t, "first failure", func() bool { return deliveries(t, o, inc)[0].Attempts == 1 })
		d := deliveries(t, o, inc)[0]
		if d.Status != StatusPending || d.LastError != "503 Service Unavailable" || !d.NextAttempt.Equal(start.Add(10*time.Second)) {
			t.Fatalf("after attempt 1: %+v", d)
		}
		// Not due yet: a poll before the backoff ends sends nothing.
		clk.Add(9 * time.Second)
		o.Kick()
		time.Sleep(300 * time.Millisecond)
		if n := len(rc.requests()); n != 1 {
			t.Fatalf("%d requests before the backoff ended", n)
		}

		clk.Add(time.Second)
		o.Kick()
		eventually(t, "second failure", func() bool { return deliveries(t, o, inc)[0].Attempts == 2 })
		if d := deliveries(t, o, inc)[0]; !d.NextAttempt.Equal(start.Add(40 * time.Second)) {
			t.Fatalf("after attempt 2: next %s", d.NextAttempt)
		}

		clk.Add(30 * time.Second)
		o.Kick()
		eventually(t, "sent", func() bool { return deliveries(t, o, inc)[0].Status == StatusSent })
		if d := deliveries(t, o, inc)[0]; d.Attempts != 3 || d.LastError != "" {
			t.Fatalf("final %+v", d)
		}
		want := []string{
			"channel:ops-hook: ops-hook failed (attempt 1, retry in 10s): 503 Service Unavailable",
			"channel:ops-hook: ops-hook failed (attempt 2, retry in 30s): 503 Service Unavailable",
			"channel:ops-hook: sent triggered to ops-hook",
		}
		if got := timeline(t, db, inc); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("timeline:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})
}

func TestOutboxGivesUp(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		t.Run("permanent failure on 400", func(t *testing.T) {
			rc := newReceiver(t, func(int, request) (int, string) { return http.StatusBadRequest, "invalid_payload" })
			clk := &clock{t: start}
			o := newOutbox(db, clk, map[string]Channel{"ops-hook": webhookTo(t, rc.URL)})
			inc := newIncident(t, db, "bad request")
			enqueue(t, db, inc, "ops-hook", KindTriggered, start)
			runOutbox(t, o)
			eventually(t, "failed", func() bool { return deliveries(t, o, inc)[0].Status == StatusFailed })
			clk.Add(2 * time.Hour)
			o.Kick()
			time.Sleep(300 * time.Millisecond)
			if d := deliveries(t, o, inc)[0]; d.Attempts != 1 || d.LastError != "400 Bad Request: invalid_payload" || len(rc.requests()) != 1 {
				t.Fatalf("%+v after %d requests", d, len(rc.requests()))
			}
			if got := timeline(t, db, inc); len(got) != 1 || got[0] != "channel:ops-hook: ops-hook failed (attempt 1, not retried): 400 Bad Request: invalid_payload" {
				t.Fatalf("timeline %q", got)
			}
		})
		t.Run("after MaxAttempts", func(t *testing.T) {
			rc := newReceiver(t, func(int, request) (int, string) { return http.StatusBadGateway, "" })
			clk := &clock{t: start}
			o := newOutbox(db, clk, map[string]Channel{"ops-hook": webhookTo(t, rc.URL)})
			o.MaxAttempts = 2
			inc := newIncident(t, db, "bad gateway")
			enqueue(t, db, inc, "ops-hook", KindTriggered, start)
			runOutbox(t, o)
			eventually(t, "attempt 1", func() bool { return deliveries(t, o, inc)[0].Attempts == 1 })
			clk.Add(10 * time.Second)
			o.Kick()
			eventually(t, "failed", func() bool { return deliveries(t, o, inc)[0].Status == StatusFailed })
			got := timeline(t, db, inc)
			if len(got) != 2 || got[1] != "channel:ops-hook: ops-hook failed (attempt 2, giving up): 502 Bad Gateway" {
				t.Fatalf("timeline %q", got)
			}
		})
		t.Run("rows wait while no config is loaded", func(t *testing.T) {
			clk := &clock{t: start}
			o := newOutbox(db, clk, nil)
			inc := newIncident(t, db, "early")
			enqueue(t, db, inc, "ops-hook", KindTriggered, start)
			runOutbox(t, o)
			o.Kick()
			time.Sleep(300 * time.Millisecond)
			if d := deliveries(t, o, inc)[0]; d.Status != StatusPending || d.Attempts != 0 {
				t.Fatalf("%+v", d)
			}
		})
		t.Run("channel removed from the config", func(t *testing.T) {
			clk := &clock{t: start}
			o := newOutbox(db, clk, map[string]Channel{})
			inc := newIncident(t, db, "orphan")
			enqueue(t, db, inc, "gone", KindTriggered, start)
			runOutbox(t, o)
			eventually(t, "failed", func() bool { return deliveries(t, o, inc)[0].Status == StatusFailed })
			d := deliveries(t, o, inc)[0]
			if !strings.Contains(d.LastError, "not configured") || d.Attempts != 0 {
				t.Fatalf("%+v", d)
			}
			if got := timeline(t, db, inc); len(got) != 1 || !strings.HasPrefix(got[0], "channel:gone: gone failed: channel is not configured") {
				t.Fatalf("timeline %q", got)
			}
		})
	})
}

func TestOutboxKeepsSecretsOutOfTheRecord(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		const token = "SlackSecretToken0123456789abc"
		rc := newReceiver(t, func(_ int, r request) (int, string) { return http.StatusInternalServerError, "boom at " + r.Path })
		ch := mustNew(t, Config{Name: "chat", Type: TypeSlack, URL: rc.URL + "/services/T1/B1/" + token})
		clk := &clock{t: start}
		o := newOutbox(db, clk, map[string]Channel{"chat": ch})
		inc := newIncident(t, db, "secret test")
		enqueue(t, db, inc, "chat", KindTriggered, start)
		runOutbox(t, o)
		eventually(t, "failure", func() bool { return deliveries(t, o, inc)[0].Attempts == 1 })
		d := deliveries(t, o, inc)[0]
		log := strings.Join(timeline(t, db, inc), "\n")
		if strings.Contains(d.LastError, token) || strings.Contains(log, token) {
			t.Fatalf("secret recorded: %q / %q", d.LastError, log)
		}
		if d.LastError != "500 Internal Server Error: boom at [redacted]" {
			t.Fatalf("last error %q", d.LastError)
		}
	})
}

func TestOutboxHangingChannelDoesNotDelayOthers(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		release := make(chan struct{})
		var slowHits atomic.Int32
		slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			slowHits.Add(1)
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}))
		t.Cleanup(slow.Close)
		t.Cleanup(func() { close(release) })
		fast := newReceiver(t, nil)
		clk := &clock{t: start}
		o := newOutbox(db, clk, map[string]Channel{
			"slow": mustNew(t, Config{Name: "slow", Type: TypeWebhook, URL: slow.URL, Timeout: "30s"}),
			"fast": webhookTo(t, fast.URL),
		})
		inc := newIncident(t, db, "hanging")
		// More slow rows than the slow channel may send at once, queued
		// ahead of the fast one (one incident each: a later row for the
		// same incident would supersede an earlier one).
		var slowIncidents []int64
		for i := range 10 {
			id := newIncident(t, db, fmt.Sprintf("hanging %d", i))
			slowIncidents = append(slowIncidents, id)
			enqueue(t, db, id, "slow", KindTriggered, start.Add(-time.Minute))
		}
		stop := runOutbox(t, o)
		eventually(t, "slow sends under way", func() bool { return slowHits.Load() == perChannel })
		enqueue(t, db, inc, "fast", KindTriggered, start)
		o.Kick()
		began := time.Now()
		eventually(t, "fast delivery", func() bool { return len(fast.requests()) == 1 })
		if waited := time.Since(began); waited > 2*time.Second {
			t.Fatalf("fast channel waited %s behind the hanging one", waited)
		}
		if n := slowHits.Load(); n != perChannel {
			t.Fatalf("%d concurrent sends to the slow channel, limit %d", n, perChannel)
		}

		// Shutting down cancels the hanging sends and gives their rows
		// back untouched, to be sent after the restart.
		stop()
		for _, id := range slowIncidents {
			for _, d := range deliveries(t, o, id) {
				if d.Status != StatusPending || d.Attempts != 0 {
					t.Fatalf("after shutdown: %+v", d)
				}
			}
		}
	})
}

func TestOutboxRestart(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		t.Run("rows given back on shutdown are sent by the next worker", func(t *testing.T) {
			release := make(chan struct{})
			hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				select {
				case <-release:
				case <-r.Context().Done():
				}
			}))
			t.Cleanup(hang.Close)
			t.Cleanup(func() { close(release) })
			clk := &clock{t: start}
			inc := newIncident(t, db, "restart")
			enqueue(t, db, inc, "ops-hook", KindTriggered, start)

			first := newOutbox(db, clk, map[string]Channel{"ops-hook": webhookTo(t, hang.URL)})
			stop := runOutbox(t, first)
			eventually(t, "claimed", func() bool {
				var claimed int64
				db.Reader().QueryRowContext(context.Background(), `SELECT claimed_until FROM outbox WHERE incident_id = $1`, inc).Scan(&claimed)
				return claimed > 0
			})
			stop()

			rc := newReceiver(t, nil)
			second := newOutbox(db, clk, map[string]Channel{"ops-hook": webhookTo(t, rc.URL)})
			runOutbox(t, second)
			eventually(t, "sent after restart", func() bool { return deliveries(t, second, inc)[0].Status == StatusSent })
			if d := deliveries(t, second, inc)[0]; d.Attempts != 1 {
				t.Fatalf("%+v", d)
			}
		})
		t.Run("a dead worker's claim expires", func(t *testing.T) {
			clk := &clock{t: start}
			inc := newIncident(t, db, "crash")
			enqueue(t, db, inc, "ops-hook", KindTriggered, start)
			// A worker claimed the row and died without recording.
			if _, err := db.Writer().ExecContext(context.Background(), `UPDATE outbox SET claimed_until = $1 WHERE incident_id = $2`, store.Millis(start.Add(claimFor)), inc); err != nil {
				t.Fatal(err)
			}
			rc := newReceiver(t, nil)
			o := newOutbox(db, clk, map[string]Channel{"ops-hook": webhookTo(t, rc.URL)})
			runOutbox(t, o)
			o.Kick()
			time.Sleep(300 * time.Millisecond)
			if len(rc.requests()) != 0 {
				t.Fatal("sent while another worker's claim held")
			}
			clk.Add(claimFor + time.Second)
			o.Kick()
			eventually(t, "sent", func() bool { return deliveries(t, o, inc)[0].Status == StatusSent })
		})
	})
}

func TestOutboxTwoWorkersSendEachRowOnce(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		var mu sync.Mutex
		hits := map[string]int{}
		rc := newReceiver(t, func(_ int, r request) (int, string) {
			var p WebhookPayload
			json.Unmarshal(r.Body, &p)
			mu.Lock()
			hits[fmt.Sprintf("%d/%s", p.Incident.ID, p.Event)]++
			mu.Unlock()
			time.Sleep(5 * time.Millisecond)
			return http.StatusOK, ""
		})
		clk := &clock{t: start}
		const incidents = 12
		// One channel per kind: a later row for the same incident and
		// channel would supersede an earlier one. Digests are off the
		// table here: each row must be one request.
		kinds := []string{KindTriggered, KindEscalated, KindAcknowledged}
		var ids []int64
		for i := range incidents {
			id := newIncident(t, db, fmt.Sprintf("incident %d", i))
			ids = append(ids, id)
			for _, k := range kinds {
				enqueue(t, db, id, "hook-"+k, k, start)
			}
		}
		channels := func() map[string]Channel {
			m := map[string]Channel{}
			for _, k := range kinds {
				m["hook-"+k] = mustNew(t, Config{Name: "hook-" + k, Type: TypeWebhook, URL: rc.URL, Timeout: "5s", DigestAfter: 100})
			}
			return m
		}
		a := newOutbox(db, clk, channels())
		b := newOutbox(db, clk, channels())
		runOutbox(t, a)
		runOutbox(t, b)
		for range 5 {
			a.Kick()
			b.Kick()
		}
		eventually(t, "all sent", func() bool {
			for _, id := range ids {
				for _, d := range deliveries(t, a, id) {
					if d.Status != StatusSent {
						return false
					}
				}
			}
			return true
		})
		mu.Lock()
		defer mu.Unlock()
		if len(hits) != incidents*len(kinds) {
			t.Fatalf("%d distinct deliveries, want %d", len(hits), incidents*len(kinds))
		}
		for k, n := range hits {
			if n != 1 {
				t.Errorf("%s sent %d times", k, n)
			}
		}
		if n := len(rc.requests()); n != incidents*len(kinds) {
			t.Fatalf("receiver got %d requests, want %d", n, incidents*len(kinds))
		}
	})
}

func TestBackoff(t *testing.T) {
	want := []string{"10s", "30s", "1m", "5m", "15m", "1h", "1h", "1h"}
	for i, w := range want {
		if got := shortDuration(Backoff(i + 1)); got != w {
			t.Errorf("Backoff(%d) = %s, want %s", i+1, got, w)
		}
	}
	var total time.Duration
	for n := 1; n < defaultAttempts; n++ {
		total += Backoff(n)
	}
	if total < 6*time.Hour || total > 7*time.Hour {
		t.Errorf("12 attempts span %s", total)
	}
}

func TestTruncate(t *testing.T) {
	long := strings.Repeat("é", 400) // 800 bytes
	got := truncate(long+"\nsecond line", maxErrorLen)
	if len(got) > maxErrorLen || !strings.HasSuffix(got, "…") || strings.Contains(got, "\n") {
		t.Fatalf("%d bytes: %q", len(got), got[len(got)-10:])
	}
}
