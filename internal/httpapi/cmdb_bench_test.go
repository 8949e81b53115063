package httpapi_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/cmdb"
	"github.com/sextant-ops/sextant/internal/cmdb/cmdbtest"
	"github.com/sextant-ops/sextant/internal/httpapi"
	"github.com/sextant-ops/sextant/internal/monitor"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
	"github.com/sextant-ops/sextant/internal/timeline"
)

// ciServer is one Sextant server's API over db with only what the CMDB
// needs, so that a test can run two servers on one database, as replicas
// do. Its tokens are named after it.
type ciServer struct {
	url      string
	tokens   map[auth.Role]string
	catalog  *catalog.Store
	cmdb     *cmdb.Store
	checks   *monitor.Store
	outages  *timeline.Store
	reporter *timeline.Reporter
}

func newCIServer(tb testing.TB, db *store.DB, name string, now func() time.Time) *ciServer {
	tb.Helper()
	ctx := context.Background()
	s := &ciServer{tokens: map[auth.Role]string{}, catalog: catalog.NewStore(db, nil), outages: timeline.NewStore(db, nil), checks: monitor.NewStore(db, nil)}
	a := auth.NewService(db, nil)
	for _, r := range []auth.Role{auth.Viewer, auth.Operator} {
		secret, _, err := a.IssueToken(ctx, "test", auth.NewToken{Name: name + "-" + string(r), Role: r})
		if err != nil {
			tb.Fatal(err)
		}
		s.tokens[r] = secret
	}
	s.reporter = timeline.NewReporter(s.catalog, s.outages, now)
	s.cmdb = cmdb.NewStore(db, s.catalog, s.checks, s.reporter, nil)
	s.reporter.SetItems(s.cmdb)
	api := httpapi.New(httpapi.Deps{Auth: a, Catalog: s.catalog, DB: db, Outages: s.outages, Reporter: s.reporter, Checks: s.checks, CMDB: s.cmdb, Version: "test"})
	mux := http.NewServeMux()
	api.Register(mux)
	srv := httptest.NewServer(mux)
	tb.Cleanup(srv.Close)
	s.url = srv.URL
	return s
}

// call sends a request as role and fails unless it answers want.
func (s *ciServer) call(tb testing.TB, role auth.Role, method, path, body string, want int) []byte {
	tb.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.url+path, rd)
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.tokens[role])
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		tb.Fatalf("%s %s = %d, want %d: %s", method, path, resp.StatusCode, want, b)
	}
	return b
}

// fillLarge writes cmdbtest.Large (10,000 items, 50,000 links, 200
// services) through the config file's path, with a check on one item in
// twenty and ten top-layer items down by their checks for the last hour.
func fillLarge(tb testing.TB, s *ciServer) {
	tb.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	set, services := cmdbtest.Large()
	if _, err := s.catalog.ApplyFile(ctx, "bench", catalog.Catalog{Services: append(services, catalog.Service{Name: "infra"})}, s.cmdb.FileHook("bench", set)); err != nil {
		tb.Fatal(err)
	}
	var ts []timeline.Transition
	for l := range cmdbtest.Layers {
		for i := 3; i < cmdbtest.Width; i += 20 {
			name := cmdbtest.Name(l, i)
			if _, err := s.checks.Put(ctx, "bench", monitor.Check{Name: name + "-ping", Service: "infra", CI: name, Type: "tcp", Host: "127.0.0.1", Port: 1}, catalog.MustCreate); err != nil {
				tb.Fatal(err)
			}
			st := availability.Up
			if l == cmdbtest.Layers-1 && i%100 == 3 {
				st = availability.Down
			}
			ts = append(ts, timeline.Transition{Service: "infra", Input: "check:" + name + "-ping", At: now.Add(-time.Hour), State: st, Source: "check:" + name + "-ping"})
		}
	}
	if err := s.outages.Append(ctx, nil, ts...); err != nil {
		tb.Fatal(err)
	}
}

// reportCPU adds the process's CPU time per operation (user and system,
// every goroutine: server, client, collector) to a benchmark's figures:
// on a shared, loaded machine it moves far less than the wall clock.
func reportCPU(b *testing.B) func() {
	cpu := func() time.Duration {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			b.Fatal(err)
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	start := cpu()
	return func() {
		b.ReportMetric(float64(cpu()-start)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
	}
}

// BenchmarkCMDBImpactAPI asks GET /api/v1/cis/ci-0-500/impact?what_if=down
// over HTTP, end to end: authentication, the version check, the snapshot
// of the services' states and reports, the walk, the JSON. The bottom-layer
// item's failure reaches most of the graph and most services. Beside it in
// the same run: "bare", the same server's cheapest authenticated answer
// (GET /api/v1/ci-classes: no database read beyond the token), the floor
// of any request; and "after-write", an impact question after every write
// to the CMDB (a relation added and removed), so the cache is rebuilt each
// time.
func BenchmarkCMDBImpactAPI(b *testing.B) {
	for _, e := range storetest.Engines(b) {
		b.Run(e.Name, func(b *testing.B) {
			s := newCIServer(b, storetest.Open(b, e), "bench", nil)
			fillLarge(b, s)
			c := s.cmdb
			const impact = "/api/v1/cis/ci-0-500/impact?what_if=down"
			s.call(b, auth.Viewer, "GET", impact, "", 200)
			b.Run("impact", func(b *testing.B) {
				defer reportCPU(b)()
				for b.Loop() {
					s.call(b, auth.Viewer, "GET", impact, "", 200)
				}
			})
			b.Run("bare", func(b *testing.B) {
				defer reportCPU(b)()
				for b.Loop() {
					s.call(b, auth.Viewer, "GET", "/api/v1/ci-classes", "", 200)
				}
			})
			b.Run("after-write", func(b *testing.B) {
				ctx := context.Background()
				for b.Loop() {
					b.StopTimer()
					r, err := c.AddRelation(ctx, "bench", cmdb.Relation{From: cmdbtest.Name(1, 1), Type: cmdb.ConnectsTo, To: cmdbtest.Name(0, 1)})
					if err != nil {
						b.Fatal(err)
					}
					if err := c.DeleteRelation(ctx, "bench", r.ID); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
					s.call(b, auth.Viewer, "GET", impact, "", 200)
				}
			})
		})
	}
}
