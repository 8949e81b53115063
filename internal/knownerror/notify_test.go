package knownerror_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/knownerror"
	"github.com/sextant-ops/sextant/internal/notify"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
	"github.com/sextant-ops/sextant/internal/timeline"
)

// TestWorkaroundInNotifications opens an incident that matches a known
// error and checks that the notifications the outbox sends carry the
// workaround: the webhook's JSON, Slack's blocks and ntfy's message.
func TestWorkaroundInNotifications(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var mu sync.Mutex
		bodies := map[string]string{}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			mu.Lock()
			bodies[r.URL.Path] = string(b)
			mu.Unlock()
		}))
		defer srv.Close()
		if _, err := db.Writer().ExecContext(ctx, `INSERT INTO services (name, spec, source, created_at, updated_at) VALUES ('shop','{}','api',0,0)`); err != nil {
			t.Fatal(err)
		}
		known := knownerror.NewStore(db, nil, nil)
		k, err := known.Create(ctx, "test", knownerror.Input{Title: "Checkout pool exhausted", Service: "shop", SummaryMatch: "connection pool",
			Workaround: "Restart the checkout pods: `kubectl rollout restart deploy/checkout`."})
		if err != nil {
			t.Fatal(err)
		}
		engine := &incident.Engine{Timeline: timeline.NewStore(db, nil), Now: time.Now, KnownError: known.Match}
		engine.Configure(incident.Setup{Policies: []incident.EscalationPolicy{{Name: "ops", Levels: []incident.Level{{Delay: "0m",
			Notify: []string{"channel:hook", "channel:chat", "channel:phone"}}}}}})
		var id int64
		err = db.Tx(ctx, func(tx *sql.Tx) error {
			out, _, err := engine.Apply(ctx, tx, []incident.Event{{Integration: "test", Action: incident.ActionTrigger, DedupKey: "k", Service: "shop",
				Summary: "Connection pool exhausted on checkout", Severity: "critical", Escalation: "ops", Body: []byte("{}")}})
			if err == nil {
				id = out[0].IncidentID
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		incidents := &incident.Store{DB: db, Engine: engine}
		_, log, err := incidents.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if !hasMessage(log, "matches known error #"+itoa(k.ID)+": Checkout pool exhausted") {
			t.Fatalf("timeline lacks the match: %+v", log)
		}

		channels := map[string]notify.Channel{}
		for _, c := range []notify.Config{
			{Name: "hook", Type: notify.TypeWebhook, URL: srv.URL + "/hook"},
			{Name: "chat", Type: notify.TypeSlack, URL: srv.URL + "/slack"},
			{Name: "phone", Type: notify.TypeNtfy, URL: srv.URL, Topic: "ops"},
		} {
			ch, err := notify.New(c)
			if err != nil {
				t.Fatal(err)
			}
			channels[c.Name] = ch
		}
		outbox := &notify.Outbox{DB: db, Channels: func() map[string]notify.Channel { return channels }}
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- outbox.Run(runCtx) }()
		defer func() { cancel(); <-done }()
		deadline := time.Now().Add(10 * time.Second)
		for {
			mu.Lock()
			n := len(bodies)
			mu.Unlock()
			if n == 3 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("only %d of 3 notifications arrived: %v", n, bodies)
			}
			time.Sleep(20 * time.Millisecond)
		}
		mu.Lock()
		defer mu.Unlock()
		var p notify.WebhookPayload
		if err := json.Unmarshal([]byte(bodies["/hook"]), &p); err != nil {
			t.Fatal(err)
		}
		if p.Incident.ID != id || p.Incident.Workaround != k.Workaround {
			t.Errorf("webhook incident = %+v, want the workaround", p.Incident)
		}
		if !strings.Contains(bodies["/slack"], "Known error, workaround") || !strings.Contains(bodies["/slack"], "kubectl rollout restart deploy/checkout") {
			t.Errorf("slack body lacks the workaround: %s", bodies["/slack"])
		}
		if !strings.Contains(bodies["/ops"], "Workaround: Restart the checkout pods") {
			t.Errorf("ntfy body lacks the workaround: %s", bodies["/ops"])
		}
	})
}

func hasMessage(log []incident.LogEntry, msg string) bool {
	for _, e := range log {
		if e.Message == msg {
			return true
		}
	}
	return false
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }
