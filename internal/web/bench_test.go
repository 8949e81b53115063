package web

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/httpapi"
	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/monitor"
	"github.com/sextant-ops/sextant/internal/notify"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
	"github.com/sextant-ops/sextant/internal/timeline"
)

// benchServices is the size of the catalog the page benchmarks draw.
const benchServices = 1000

// benchUI builds the UI over SQLite with a catalog of 1,000 services
// written in one transaction (ApplyFile): one in ten in office hours, one
// in five depending on another (every third of those softly), each with a
// monthly objective; 300 recorded outages in the last 30 days and 20 open
// incidents. It returns the handler and a signed-in viewer's cookie.
func benchUI(b *testing.B) (http.Handler, *http.Cookie) {
	b.Helper()
	ctx := context.Background()
	db := storetest.Open(b, storetest.Engine{Name: "sqlite", DSN: func(t testing.TB) (string, string) { return "", t.TempDir() }})
	cat, authSvc, outages := catalog.NewStore(db, nil), auth.NewService(db, nil), timeline.NewStore(db, nil)
	file := catalog.Catalog{Calendars: []catalog.Calendar{{Name: "office", CalendarSpec: catalog.CalendarSpec{
		Timezone: "Europe/Berlin", Weekly: []catalog.WeeklyWindow{{Days: "mon-fri", From: "09:00", To: "17:00"}}, Holidays: []string{"2026-12-25"}}}}}
	cost := 120.0
	for i := range benchServices {
		s := catalog.Service{Name: fmt.Sprintf("svc-%04d", i), Title: fmt.Sprintf("Service %d", i), Owner: fmt.Sprintf("team-%d", i%12), Tier: 1 + i%5,
			Objective: &catalog.Objective{Availability: "99.9%", MaxOutage: "30m", DowntimeCost: &cost}}
		if i%10 == 0 {
			s.Objective.Hours = "office"
		}
		if i%5 == 1 {
			kind := catalog.Hard
			if i%3 == 0 {
				kind = catalog.Soft
			}
			s.DependsOn = []catalog.Dependency{{Service: fmt.Sprintf("svc-%04d", i/5), Kind: kind}}
		}
		file.Services = append(file.Services, s)
	}
	if _, err := cat.ApplyFile(ctx, "bench", file); err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	for i := range 300 {
		start := now.Add(-time.Duration(1+i%700) * time.Hour).Add(-time.Duration(i) * time.Minute)
		s, e, state := start.Format(time.RFC3339), start.Add(time.Duration(5+i%50)*time.Minute).Format(time.RFC3339), "down"
		if i%4 == 0 {
			state = "degraded"
		}
		if _, err := outages.Record(ctx, "bench", fmt.Sprintf("svc-%04d", (i*37)%benchServices), timeline.NewOutage{Start: &s, End: &e, State: &state}); err != nil {
			b.Fatal(err)
		}
	}
	engine := &incident.Engine{Timeline: outages, Now: time.Now}
	engine.Configure(incident.Setup{})
	for i := range 20 {
		err := db.Tx(ctx, func(tx *sql.Tx) error {
			_, _, err := engine.Apply(ctx, tx, []incident.Event{{Integration: "x", Action: incident.ActionTrigger, DedupKey: fmt.Sprintf("k%d", i),
				Service: fmt.Sprintf("svc-%04d", i*41), Summary: "Something is wrong", Source: "s", Severity: "critical", Body: []byte("{}")}})
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	if _, err := authSvc.CreateUser(ctx, "bench", auth.NewUser{Name: "victor", Password: testPassword, Role: auth.Viewer}); err != nil {
		b.Fatal(err)
	}
	id, _, err := authSvc.Login(ctx, "victor", testPassword, "192.0.2.1")
	if err != nil {
		b.Fatal(err)
	}
	return benchHandler(b, db, Deps{Auth: authSvc, Catalog: cat, Outages: outages}, engine), &http.Cookie{Name: httpapi.SessionCookie, Value: id}
}

// benchHandler completes d (Auth, Catalog and Outages given) with the
// monitor, incident and outbox parts every UI needs, over db, and returns
// the UI's handler.
func benchHandler(b *testing.B, db *store.DB, d Deps, engine *incident.Engine) http.Handler {
	b.Helper()
	d.Checks = monitor.NewStore(db, nil)
	d.Monitor = monitor.New(monitor.Options{DB: db, Checks: d.Checks, Timeline: d.Outages})
	d.Reports = timeline.NewReporter(d.Catalog, d.Outages, nil)
	signer, err := incident.LoadSigner(context.Background(), db)
	if err != nil {
		b.Fatal(err)
	}
	d.Incidents, d.Signer, d.Deliveries = &incident.Store{DB: db, Engine: engine}, signer, (&notify.Outbox{DB: db}).Deliveries
	ui, err := New(d)
	if err != nil {
		b.Fatal(err)
	}
	mux := http.NewServeMux()
	ui.Register(mux)
	return mux
}

// benchPage measures one page through the whole handler: session lookup,
// reads, report, template.
func benchPage(b *testing.B, path string) {
	h, cookie := benchUI(b)
	get := func() *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.AddCookie(cookie)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	if rec := get(); rec.Code != http.StatusOK {
		b.Fatalf("GET %s: %d\n%s", path, rec.Code, rec.Body)
	}
	b.ReportAllocs()
	for b.Loop() {
		get()
	}
}

func BenchmarkDashboard1000(b *testing.B) { benchPage(b, "/") }

func BenchmarkDashboardFragment1000(b *testing.B) { benchPage(b, "/dashboard/fragment") }

func BenchmarkServices1000(b *testing.B) { benchPage(b, "/services") }

func BenchmarkServicePage(b *testing.B) { benchPage(b, "/services/svc-0006") }
