package web

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/cmdb"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// licenceEnv is a UI with the CMDB and its licences; people are the
// users. now is the licences' clock.
func licenceEnv(t *testing.T, db *store.DB, now time.Time) (*env, *cmdb.Store) {
	var c *cmdb.Store
	e := newEnv(t, db, func(d *Deps) {
		c = cmdb.NewStore(db, d.Catalog, d.Checks, d.Reports, nil)
		d.Reports.SetItems(c)
		d.CMDB = c
		d.Currency = func() string { return "EUR" }
		d.Licences = &cmdb.Licences{CMDB: c, Now: func() time.Time { return now }, Currency: d.Currency,
			Person: func(ctx context.Context, name string) bool { _, err := d.Auth.GetUser(ctx, name); return err == nil }}
	})
	return e, c
}

// TestLicencePages: the licences list flags the over-quota licence with
// its cost and the expiring one; a licence's page shows its seats, and an
// operator assigns it to a person there (an unknown one is refused by the
// field) and takes it back.
func TestLicencePages(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
		e, c := licenceEnv(t, db, now)
		ctx := context.Background()
		for _, it := range []cmdb.Item{
			{Name: "office", Class: "licence", Attributes: map[string]cmdb.Value{"product": "Office", "seats": "1", "cost_per_seat": "12.50", "expires": "2026-12-20"}},
			{Name: "pc-1", Class: "server"}, {Name: "pc-2", Class: "server"},
		} {
			if _, err := c.PutItem(ctx, "test", it, catalog.MustCreate); err != nil {
				t.Fatal(err)
			}
		}
		for _, pc := range []string{"pc-1", "pc-2"} {
			if _, err := c.AddRelation(ctx, "test", cmdb.Relation{From: "office", Type: cmdb.InstalledOn, To: pc}); err != nil {
				t.Fatal(err)
			}
		}
		v := e.login("victor")
		res, body := e.get("/licences", &v)
		wantStatus(t, res, 200)
		wantContains(t, body, `href="/cis/office#seats"`, "1 over · 12.50 EUR", "in 17 days", "1 licence(s) over quota")
		res, body = e.get("/cis/office", &v)
		wantStatus(t, res, 200)
		wantContains(t, body, "1 seat(s) over quota", "costing 12.50 EUR", `href="/cis/pc-2"`, "expires on 2026-12-20, in 17 days")
		if strings.Contains(body, `action="/cis/office/assignments"`) {
			t.Error("a viewer is offered the assignment form")
		}
		op := e.login("olivia")
		res, body = e.post("/cis/office/assignments", url.Values{"person": {"nobody"}}, &op)
		wantStatus(t, res, 422)
		wantContains(t, body, `unknown person &#34;nobody&#34;`, `value="nobody"`)
		res, _ = e.post("/cis/office/assignments", url.Values{"person": {"victor"}}, &op)
		wantStatus(t, res, 303)
		if loc := res.Header.Get("Location"); loc != "/cis/office?done=assigned#seats" {
			t.Fatalf("redirect to %s", loc)
		}
		res, body = e.get("/cis/office?done=assigned", &op)
		wantContains(t, body, "Assigned.", "2 seat(s) over quota", "costing 25.00 EUR", `action="/cis/office/assignments/victor/delete"`)
		res, _ = e.post("/cis/office/assignments", url.Values{"person": {"victor"}}, &v)
		wantStatus(t, res, 403)
		res, _ = e.post("/cis/office/assignments/victor/delete", nil, &op)
		wantStatus(t, res, 303)
		_, body = e.get("/cis/office", &op)
		wantContains(t, body, "1 seat(s) over quota")
	})
}

// TestCSVPages: a class's list has its export link and import form; a
// bad paste shows each problem with its line and column and writes
// nothing, a good one says what it did; the export guards a value a
// spreadsheet would run as a formula with a single quote.
func TestCSVPages(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		e, c := licenceEnv(t, db, time.Now())
		op := e.login("olivia")
		res, body := e.get("/cis?class=server", &op)
		wantStatus(t, res, 200)
		wantContains(t, body, `href="/cis/classes/server/csv"`, `action="/cis/classes/server/csv"`, "name,owner,location,lifecycle,hostname,os,kernel,cpus")
		res, body = e.post("/cis/classes/server/csv", url.Values{"csv": {"name,cpus,ip\nsrv-1,8,10.0.0.1\nsrv-2,many,10.0.0.300\n"}}, &op)
		wantStatus(t, res, 422)
		wantContains(t, body, "nothing was written", "<td>3</td><td>2</td><td><code>cpus</code></td><td>expected a whole number, got &#34;many&#34;</td>",
			"<td>3</td><td>3</td><td><code>ip</code></td>")
		if _, err := c.GetItem(context.Background(), "srv-1"); err == nil {
			t.Fatal("srv-1 was written from a refused file")
		}
		res, _ = e.post("/cis/classes/server/csv", url.Values{"csv": {"name,cpus,os\nsrv-1,8,=1+1\n"}}, &op)
		wantStatus(t, res, 303)
		_, body = e.get(res.Header.Get("Location"), &op)
		wantContains(t, body, "Imported: 1 created, 0 updated, 0 unchanged.", `href="/cis/srv-1"`)
		res, body = e.get("/cis/classes/server/csv", &op)
		wantStatus(t, res, 200)
		if !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") || !strings.Contains(body, "srv-1,,,,,'=1+1,,8,") {
			t.Fatalf("export: %s %q", res.Header.Get("Content-Type"), body)
		}
		v := e.login("victor")
		res, _ = e.post("/cis/classes/server/csv", url.Values{"csv": {"name\nsrv-9\n"}}, &v)
		wantStatus(t, res, 403)
	})
}
