package search_test

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/cmdb"
	"github.com/sextant-ops/sextant/internal/escalation"
	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/monitor"
	"github.com/sextant-ops/sextant/internal/search"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
	"github.com/sextant-ops/sextant/internal/timeline"
)

func names(g search.Group) string {
	var out []string
	for _, h := range g.Hits {
		out = append(out, h.Name)
	}
	return strings.Join(out, ",")
}

// TestSearch finds each kind by each of its fields, ignoring case, takes
// "%" and "_" in a query literally, limits each kind, and refuses bad
// queries by field.
func TestSearch(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		cat := catalog.NewStore(db, nil)
		for _, s := range []catalog.Service{
			{Name: "payroll", Title: "Payroll run", Owner: "finance-team"},
			{Name: "shop", Title: "Web shop", Owner: "Retail"},
			{Name: "ledger"},
		} {
			if _, err := cat.PutService(ctx, "test", s, catalog.MustCreate); err != nil {
				t.Fatal(err)
			}
		}
		checks := monitor.NewStore(db, nil)
		for _, c := range []monitor.Check{
			{Name: "shop-home", Service: "shop", Type: "http", URL: "https://shop.example.com/?token=s3cret", Interval: "1m"},
			{Name: "ledger-db", Service: "ledger", Type: "tcp", Host: "db.internal", Port: 5432, Interval: "1m"},
		} {
			if _, err := checks.Put(ctx, "test", c, catalog.MustCreate); err != nil {
				t.Fatal(err)
			}
		}
		engine := &incident.Engine{Timeline: timeline.NewStore(db, nil), Now: time.Now}
		engine.Configure(incident.Setup{})
		var ids []int64
		for _, e := range []struct{ key, summary string }{
			{"disk-full-db1", "Disk 100% full on db1"},
			{"cpu_high", "CPU high on web2"},
			{"latency", "Checkout slow"},
		} {
			err := db.Tx(ctx, func(tx *sql.Tx) error {
				out, _, err := engine.Apply(ctx, tx, []incident.Event{{Integration: "x", Action: incident.ActionTrigger, DedupKey: e.key,
					Service: "shop", Summary: e.summary, Source: "s", Severity: "critical", Body: []byte("{}")}})
				if err == nil {
					ids = append(ids, out[0].IncidentID)
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		items := cmdb.NewStore(db, cat, checks, nil, nil)
		for _, it := range []cmdb.Item{
			{Name: "srv-paris-1", Class: "server", Location: "Paris DC", Attributes: map[string]cmdb.Value{"ip": "10.1.2.3"}},
			{Name: "orders-db", Class: "database", Owner: "dba"},
		} {
			if _, err := items.PutItem(ctx, "test", it, catalog.MustCreate); err != nil {
				t.Fatal(err)
			}
		}
		s := &search.Searcher{DB: db, Catalog: cat, Checks: checks, Items: items, People: func() []escalation.Person {
			return []escalation.Person{{Name: "alice", DisplayName: "Alice Liddell", Email: "alice@example.com"}, {Name: "bob", Email: "bob@ops.example"}}
		}}
		for _, c := range []struct {
			name, q, kind string
			want          map[string]string // kind: hit names
		}{
			{"service by name", "PAYROLL", "", map[string]string{"services": "payroll"}},
			{"service by title", "web sh", "", map[string]string{"services": "shop"}},
			{"service by owner", "retail", "", map[string]string{"services": "shop"}},
			{"check by name", "ledger-", "", map[string]string{"checks": "ledger-db"}},
			{"check by target", "shop.example.com", "", map[string]string{"checks": "shop-home"}},
			{"no secret in a check's target", "s3cret", "", map[string]string{}},
			{"incident by id", "#" + itoa(ids[2]), "incidents", map[string]string{"incidents": "#" + itoa(ids[2]) + " Checkout slow"}},
			{"incident by summary", "checkout", "", map[string]string{"incidents": "#" + itoa(ids[2]) + " Checkout slow"}},
			{"incident by dedup key", "DISK-FULL", "", map[string]string{"incidents": "#" + itoa(ids[0]) + " Disk 100% full on db1"}},
			{"percent is literal", "100%", "", map[string]string{"incidents": "#" + itoa(ids[0]) + " Disk 100% full on db1"}},
			{"a lone percent matches only a percent", "%", "", map[string]string{"incidents": "#" + itoa(ids[0]) + " Disk 100% full on db1"}},
			{"underscore is literal", "cpu_", "", map[string]string{"incidents": "#" + itoa(ids[1]) + " CPU high on web2"}},
			{"underscore matches no other letter", "disk_full", "", map[string]string{}},
			{"backslash is literal", `\`, "", map[string]string{}},
			{"person by name", "alice", "", map[string]string{"people": "Alice Liddell (alice)"}},
			{"person by e-mail", "ops.EXAMPLE", "", map[string]string{"people": "bob"}},
			{"one kind only", "shop", "checks", map[string]string{"checks": "shop-home"}},
			{"item by name", "ORDERS", "", map[string]string{"items": "orders-db"}},
			{"item by location", "paris dc", "", map[string]string{"items": "srv-paris-1"}},
			{"item by attribute", "10.1.2", "", map[string]string{"items": "srv-paris-1"}},
		} {
			t.Run(c.name, func(t *testing.T) {
				res, err := s.Search(ctx, search.Query{Text: c.q, Kind: c.kind})
				if err != nil {
					t.Fatal(err)
				}
				if c.kind != "" && (len(res.Groups) != 1 || res.Groups[0].Kind != c.kind) {
					t.Fatalf("groups %+v, want only %s", res.Groups, c.kind)
				}
				if c.kind == "" && len(res.Groups) != len(search.Kinds) {
					t.Fatalf("groups %+v, want every kind", res.Groups)
				}
				for _, g := range res.Groups {
					if got := names(g); got != c.want[g.Kind] {
						t.Errorf("%s: %q, want %q", g.Kind, got, c.want[g.Kind])
					}
				}
			})
		}

		t.Run("limited per kind", func(t *testing.T) {
			res, err := s.Search(ctx, search.Query{Text: "o", Kind: search.KindIncidents, Limit: 2})
			if err != nil {
				t.Fatal(err)
			}
			g := res.Groups[0]
			if len(g.Hits) != 2 || !g.More || g.Hits[0].URL != "/incidents/"+itoa(ids[2]) {
				t.Fatalf("limited group: %+v", g)
			}
		})

		t.Run("bad queries", func(t *testing.T) {
			for _, c := range []struct {
				name string
				q    search.Query
				want string
			}{
				{"empty", search.Query{Text: "  "}, "q: type what to look for"},
				{"too long", search.Query{Text: strings.Repeat("x", search.MaxQuery+1)}, "q: is longer than 200 characters"},
				{"unknown kind", search.Query{Text: "x", Kind: "tickets"}, `kind: must be one of services, checks, incidents, people, items, not "tickets"`},
				{"limit too high", search.Query{Text: "x", Limit: search.MaxLimit + 1}, "limit: must be between 1 and 50"},
			} {
				t.Run(c.name, func(t *testing.T) {
					_, err := s.Search(ctx, c.q)
					var inv *apperr.Invalid
					if !errors.As(err, &inv) || !strings.Contains(err.Error(), c.want) {
						t.Fatalf("err = %v, want %q", err, c.want)
					}
				})
			}
		})
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
