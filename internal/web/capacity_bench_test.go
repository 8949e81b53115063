package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/capacity"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/httpapi"
	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/monitor"
	"github.com/sextant-ops/sextant/internal/notify"
	"github.com/sextant-ops/sextant/internal/store/storetest"
	"github.com/sextant-ops/sextant/internal/timeline"
)

// benchPlanner builds 200 people in 10 teams over SQLite, each with a
// working week, one day off in the range, two allocations (one tentative)
// to 20 projects, an on-call week in four and an incident a week; it
// returns the store, its sources and the planner's handler with a viewer.
func benchPlanner(b *testing.B) (*capacity.Store, capacity.Sources, http.Handler, *http.Cookie, capacity.Day) {
	b.Helper()
	ctx := context.Background()
	db := storetest.Open(b, storetest.Engine{Name: "sqlite", DSN: func(t testing.TB) (string, string) { return "", t.TempDir() }})
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	s := &capacity.Store{DB: db, Now: func() time.Time { return now }}
	from := capacity.WeekOf(capacity.DayOf(now, time.UTC)).Monday
	to := from.AddDays(26*7 - 1)
	k := capacity.Known{}
	for p := range 20 {
		if _, _, err := s.PutProject(ctx, "bench", capacity.ProjectInput{Name: fmt.Sprintf("p-%02d", p), Status: capacity.Confirmed, Start: from, End: to,
			Skills: []capacity.SkillNeed{{Name: fmt.Sprintf("skill-%d", p%5), Level: 3, HoursPerWeek: 40}}}, k); err != nil {
			b.Fatal(err)
		}
	}
	people := make([]string, 200)
	oncall := map[string][]capacity.Span{}
	incidents := map[string][]capacity.Span{}
	for i := range people {
		n := fmt.Sprintf("person-%03d", i)
		people[i] = n
		if _, err := s.PutProfile(ctx, "bench", capacity.Profile{Person: n, Team: fmt.Sprintf("team-%d", i%10), Zone: "Europe/Berlin", Hours: capacity.StandardWeek,
			Skills: []capacity.Skill{{Name: fmt.Sprintf("skill-%d", i%5), Level: 1 + i%5}}}, k); err != nil {
			b.Fatal(err)
		}
		if _, err := s.AddTimeOff(ctx, "bench", n, capacity.TimeOffInput{From: from.AddDays(i % 150), To: from.AddDays(i % 150), Approved: true}, k); err != nil {
			b.Fatal(err)
		}
		for j, share := range []float64{0.5, 0.3} {
			if _, err := s.AddAllocation(ctx, "bench", capacity.AllocationInput{Project: fmt.Sprintf("p-%02d", (i+j)%20), Person: n, From: from, To: to, Share: share, Tentative: j == 1}, k); err != nil {
				b.Fatal(err)
			}
		}
		for w := 0; w < 26; w++ {
			start := from.AddDays(7 * w).Start(time.UTC)
			if (i+w)%4 == 0 {
				oncall[n] = append(oncall[n], capacity.Span{Start: start, End: start.Add(168 * time.Hour)})
			}
			incidents[n] = append(incidents[n], capacity.Span{Start: start.Add(30 * time.Hour), End: start.Add(31 * time.Hour)})
		}
	}
	src := capacity.Sources{People: func() []string { return people },
		OnCall:    func(time.Time, time.Time) map[string][]capacity.Span { return oncall },
		Incidents: func(context.Context, time.Time, time.Time) (map[string][]capacity.Span, error) { return incidents, nil }}
	authSvc := auth.NewService(db, nil)
	if _, err := authSvc.CreateUser(ctx, "bench", auth.NewUser{Name: "victor", Password: testPassword, Role: auth.Viewer}); err != nil {
		b.Fatal(err)
	}
	id, _, err := authSvc.Login(ctx, "victor", testPassword, "192.0.2.1")
	if err != nil {
		b.Fatal(err)
	}
	cat, outages := catalog.NewStore(db, nil), timeline.NewStore(db, nil)
	engine := &incident.Engine{Timeline: outages, Now: time.Now}
	engine.Configure(incident.Setup{})
	checks := monitor.NewStore(db, nil)
	signer, err := incident.LoadSigner(ctx, db)
	if err != nil {
		b.Fatal(err)
	}
	ui, err := New(Deps{Auth: authSvc, Now: func() time.Time { return now }, Version: "bench",
		Catalog: cat, Outages: outages, Reports: timeline.NewReporter(cat, outages, nil), Monitor: monitor.New(monitor.Options{DB: db, Checks: checks, Timeline: outages}), Checks: checks,
		Incidents: &incident.Store{DB: db, Engine: engine}, Signer: signer, Deliveries: (&notify.Outbox{DB: db}).Deliveries,
		Capacity: &capacity.Deps{Store: s, Sources: func() capacity.Sources { return src }, Known: func(context.Context) capacity.Known { return k }}})
	if err != nil {
		b.Fatal(err)
	}
	mux := http.NewServeMux()
	ui.Register(mux)
	return s, src, mux, &http.Cookie{Name: httpapi.SessionCookie, Value: id}, from
}

// BenchmarkPlanner is the planner's page for 200 people × 26 weeks: the
// figures, the heat map and the page (goal: under 100 ms). Its baseline,
// BenchmarkPlannerFigures, is the report alone from the same rows.
func BenchmarkPlanner(b *testing.B) {
	_, _, h, cookie, from := benchPlanner(b)
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("GET", "/capacity?weeks=26&from="+from.String(), nil)
		req.AddCookie(cookie)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("status %d", rec.Code)
		}
	}
}

func BenchmarkPlannerFigures(b *testing.B) {
	s, src, _, _, from := benchPlanner(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Report(context.Background(), from, from.AddDays(26*7-1), "", src); err != nil {
			b.Fatal(err)
		}
	}
}
