package httpapi_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/monitor"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
	"github.com/sextant-ops/sextant/internal/timeline"
)

// TestCMDBImpactSeesEveryWrite runs two servers on one database, as
// replicas do (two connection pools; on SQLite two handles on one file),
// each keeping its built graph between writes. Every kind of write that
// changes an answer — a relation removed and added, a check put on an
// item (through the check store: this server runs no monitor), an item retired, a service's dependencies changed — is made
// through one server and must show in the very next impact question on
// the other, with no wait and no message between them.
func TestCMDBImpactSeesEveryWrite(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			dsn, dir := e.DSN(t)
			open := func() *store.DB {
				db, err := store.Open(context.Background(), dsn, dir, nil)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				if _, err := db.Migrate(context.Background()); err != nil {
					t.Fatal(err)
				}
				return db
			}
			now := func() time.Time { return testNow }
			a := newCIServer(t, open(), "a", now)
			b := newCIServer(t, open(), "b", now)
			impacts := func(s *ciServer, item, query string) string {
				t.Helper()
				var ans impactAnswer
				if err := json.Unmarshal(s.call(t, auth.Viewer, "GET", "/api/v1/cis/"+item+"/impact"+query, "", 200), &ans); err != nil {
					t.Fatal(err)
				}
				var out []string
				for _, it := range ans.Items {
					out = append(out, it.Service+":"+it.Effect)
				}
				return ans.State + " " + strings.Join(out, ",")
			}
			for _, it := range []string{`{"name":"srv-a","class":"server"}`, `{"name":"vm-1","class":"vm"}`} {
				a.call(t, auth.Operator, "POST", "/api/v1/cis", it, 201)
			}
			var rel struct{ ID int64 }
			if err := json.Unmarshal(a.call(t, auth.Operator, "POST", "/api/v1/ci-relations", `{"from":"vm-1","type":"runs_on","to":"srv-a"}`, 201), &rel); err != nil {
				t.Fatal(err)
			}
			a.call(t, auth.Operator, "POST", "/api/v1/services", `{"name":"infra"}`, 201)
			a.call(t, auth.Operator, "POST", "/api/v1/services", `{"name":"shop","depends_on":[{"ci":"vm-1"}]}`, 201)
			// Both servers have built their graphs.
			for _, s := range []*ciServer{a, b} {
				if got := impacts(s, "srv-a", "?what_if=down"); got != "down shop:down" {
					t.Fatalf("before any change: %q", got)
				}
			}

			a.call(t, auth.Operator, "DELETE", "/api/v1/ci-relations/"+strconv.FormatInt(rel.ID, 10), "", 204)
			if got := impacts(b, "srv-a", "?what_if=down"); got != "down " {
				t.Fatalf("relation removed through a, asked on b: %q", got)
			}
			b.call(t, auth.Operator, "POST", "/api/v1/ci-relations", `{"from":"vm-1","type":"depends_on","to":"srv-a"}`, 201)
			if got := impacts(a, "srv-a", "?what_if=down"); got != "down shop:down" {
				t.Fatalf("relation added through b, asked on a: %q", got)
			}

			// A check watching srv-a, put through b, down since an hour ago:
			// srv-a is down now, not only if asked "what if".
			if _, err := b.checks.Put(context.Background(), "test", monitor.Check{Name: "srv-a-ping", Service: "infra", CI: "srv-a", Type: "tcp", Host: "127.0.0.1", Port: 1}, catalog.MustCreate); err != nil {
				t.Fatal(err)
			}
			if err := b.outages.Append(context.Background(), nil, timeline.Transition{Service: "infra", Input: "check:srv-a-ping",
				At: testNow.Add(-time.Hour), State: availability.Down, Source: "check:srv-a-ping: refused"}); err != nil {
				t.Fatal(err)
			}
			if got := impacts(a, "srv-a", ""); got != "down shop:down" {
				t.Fatalf("check put through b, asked on a: %q", got)
			}

			// Retiring vm-1 through a: it rests on nothing any more, and
			// the shop's timeline and the impact agree on it.
			a.call(t, auth.Operator, "PUT", "/api/v1/cis/vm-1", `{"class":"vm","lifecycle":"retired"}`, 200)
			if got := impacts(b, "srv-a", ""); got != "down " {
				t.Fatalf("vm-1 retired through a, asked on b: %q", got)
			}
			var rep reportAnswer
			if err := json.Unmarshal(b.call(t, auth.Viewer, "GET", "/api/v1/services/shop/report", "", 200), &rep); err != nil {
				t.Fatal(err)
			}
			if rep.Downtime != 0 {
				t.Fatalf("the shop on a retired item: downtime %v, want 0", rep.Downtime)
			}
			a.call(t, auth.Operator, "PUT", "/api/v1/cis/vm-1", `{"class":"vm"}`, 200)
			if got := impacts(b, "srv-a", ""); got != "down shop:down" {
				t.Fatalf("vm-1 live again through a, asked on b: %q", got)
			}

			// The catalog: the shop no longer depends on vm-1 but on srv-a,
			// hard.
			b.call(t, auth.Operator, "PUT", "/api/v1/services/shop", `{"name":"shop","depends_on":[{"ci":"srv-a"}]}`, 200)
			if got := impacts(a, "srv-a", ""); got != "down shop:down" {
				t.Fatalf("dependency changed through b, asked on a: %q", got)
			}
			if got := impacts(a, "vm-1", "?what_if=down"); got != "down " {
				t.Fatalf("vm-1 after the shop left it, asked on a: %q", got)
			}
		})
	}
}
