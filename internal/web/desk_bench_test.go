package web

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/desk"
	"github.com/sextant-ops/sextant/internal/httpapi"
	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
	"github.com/sextant-ops/sextant/internal/timeline"
)

// benchDesk builds the UI over SQLite with n tickets written directly in
// batches: nine in ten active, due instants spread over a week either side
// of now, one in five waiting (with its open pause), on a 24x7 policy of
// 8 h. It returns the handler and a signed-in operator's cookie.
func benchDesk(b *testing.B, n int) (http.Handler, *http.Cookie) {
	b.Helper()
	ctx := context.Background()
	db := storetest.Open(b, storetest.Engine{Name: "sqlite", DSN: func(t testing.TB) (string, string) { return "", t.TempDir() }})
	cat, authSvc := catalog.NewStore(db, nil), auth.NewService(db, nil)
	s := desk.NewStore(db, cat, nil)
	cfg, problems := desk.Config{SLAPolicies: []desk.Policy{{Name: "standard", FirstResponse: "2h", Resolution: "8h"}}}.Compile(desk.Refs{})
	if problems != nil {
		b.Fatal(problems)
	}
	s.Configure(cfg)
	now := time.Now()
	statuses := []string{"new", "open", "in_progress", "waiting", "open", "new", "in_progress", "open", "open", "resolved"}
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		const batch = 500
		for start := 0; start < n; start += batch {
			var rows []string
			var args []any
			for i := start; i < min(start+batch, n); i++ {
				st := statuses[i%len(statuses)]
				opened := now.Add(-time.Duration(i%(7*24*60)) * time.Minute)
				var due any = store.Millis(opened.Add(8 * time.Hour))
				if st == "waiting" || st == "resolved" {
					due = nil
				}
				k := len(args)
				rows = append(rows, fmt.Sprintf("($%d, $%d, 'request', '', '', 'ann@example.com', 'service-desk', '', 'medium', 'medium', 3, $%d, $%d, $%d, 'bench', $%d)", k+1, k+2, k+3, k+4, k+4, k+5))
				args = append(args, i+1, fmt.Sprintf("Ticket number %d", i+1), st, store.Millis(opened), due)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO tickets (id, title, type, description, service, requester, queue, assignee, impact, urgency, priority,
				status, opened_at, updated_at, created_by, due_at) VALUES `+strings.Join(rows, ", "), args...); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO ticket_pauses (ticket_id, reason, started_at) SELECT id, 'requester', opened_at + 60000 FROM tickets WHERE status = 'waiting'`)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	outages := timeline.NewStore(db, nil)
	engine := &incident.Engine{Timeline: outages, Now: time.Now}
	engine.Configure(incident.Setup{})
	mux := benchHandler(b, db, Deps{Auth: authSvc, Catalog: cat, Outages: outages, Desk: s, Version: "bench"}, engine)
	if _, err := authSvc.CreateUser(ctx, "bench", auth.NewUser{Name: "olivia", Password: testPassword, Role: auth.Operator}); err != nil {
		b.Fatal(err)
	}
	id, _, err := authSvc.Login(ctx, "olivia", testPassword, "192.0.2.1")
	if err != nil {
		b.Fatal(err)
	}
	return mux, &http.Cookie{Name: httpapi.SessionCookie, Value: id}
}

func benchQueue(b *testing.B, n int) {
	h, cookie := benchDesk(b, n)
	b.ResetTimer()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, "/desk", nil)
		req.AddCookie(cookie)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("queue page: %d %s", rec.Code, rec.Body)
		}
	}
}

// BenchmarkDeskQueue100k draws the agent's queue (its first 100 tickets,
// in due order, with their clocks) over 100,000 tickets.
func BenchmarkDeskQueue100k(b *testing.B) { benchQueue(b, 100_000) }

// BenchmarkDeskQueue100 is its baseline: the same page over 100 tickets,
// so the ratio is what the size of the table costs.
func BenchmarkDeskQueue100(b *testing.B) { benchQueue(b, 100) }
