package web

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/cmdb"
	"github.com/sextant-ops/sextant/internal/monitor"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
	"github.com/sextant-ops/sextant/internal/timeline"
)

// TestCIPages: the list, and an item's page with its impact figures, its
// neighbourhood drawn with a link per node, its relations and history, and
// for an item an agent reports, when it was last seen and which attributes
// it found.
func TestCIPages(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		var c *cmdb.Store
		e := newEnv(t, db, func(d *Deps) {
			c = cmdb.NewStore(db, d.Catalog, d.Checks, d.Reports, nil)
			d.Reports.SetItems(c)
			d.CMDB = c
		})
		ctx := context.Background()
		for _, it := range []cmdb.Item{{Name: "srv-a", Class: "server", Owner: "infra", Attributes: map[string]cmdb.Value{"cpus": "16"}},
			{Name: "db-01", Class: "database"}} {
			if _, err := c.PutItem(ctx, "test", it, catalog.MustCreate); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := c.AddRelation(ctx, "test", cmdb.Relation{From: "db-01", Type: cmdb.RunsOn, To: "srv-a"}); err != nil {
			t.Fatal(err)
		}
		e.putService(catalog.Service{Name: "shop", DependsOn: []catalog.Dependency{{CI: "db-01"}},
			Objective: &catalog.Objective{Availability: "99.9%", DowntimeCost: ptr(1200.0)}})
		s := e.login("victor")
		res, body := e.get("/cis", &s)
		wantStatus(t, res, 200)
		wantContains(t, body, `href="/cis/srv-a"`, `href="/cis/db-01"`, `href="/cis?class=licence"`)
		res, body = e.get("/cis/srv-a", &s)
		wantStatus(t, res, 200)
		wantContains(t, body, "Were it down", `href="/services/shop"`, "ci:srv-a → ci:db-01 → service:shop", "1,200",
			`<svg class="chart ci-graph"`, `<a href="/cis/db-01"><rect`, `<a href="/services/shop"><rect`, "cpus", "16",
			"db-01</a> runs_on <a href=\"/cis/srv-a\">srv-a</a>", "<td>create</td>")
		res, _ = e.get("/cis/nothing", &s)
		wantStatus(t, res, 404)
		// An agent reports web-01; a person then sets its OS by hand.
		if _, err := c.ReportFacts(ctx, "token:agent-dc1", "web-01", cmdb.Facts{Hostname: "web-01", OS: "Debian GNU/Linux 12 (bookworm)", CPUs: 4}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.PutItem(ctx, "test", cmdb.Item{Name: "web-01", Class: "server", Attributes: map[string]cmdb.Value{"hostname": "web-01", "os": "Golden 7", "cpus": "4"}}, catalog.MustExist); err != nil {
			t.Fatal(err)
		}
		res, body = e.get("/cis/web-01", &s)
		wantStatus(t, res, 200)
		wantContains(t, body, "Reported by its agent (token:agent-dc1): last seen", "From the agent.",
			"<dt>cpus</dt><dd>4 <span class=\"muted\">(discovered)</span>",
			"<dt>os</dt><dd>Golden 7 <span class=\"muted\">(set by a person; the agent found Debian GNU/Linux 12 (bookworm))</span>")
		res, body = e.get("/services/shop", &s)
		wantStatus(t, res, 200)
		wantContains(t, body, `configuration item <a href="/cis/db-01">db-01</a>`)
		// Editing the service in its form keeps its dependency on the item.
		op := e.login("olivia")
		res, _ = e.post("/services/shop/edit", validServiceForm("shop"), &op)
		wantStatus(t, res, 303)
		svc, err := e.catalog.GetService(ctx, "shop")
		if err != nil || len(svc.DependsOn) != 1 || svc.DependsOn[0].CI != "db-01" {
			t.Fatalf("after the form: %+v %v", svc.DependsOn, err)
		}
	})
}

// TestCIGraphLayout: the drawing is the same on every load, each layer in
// name order wrapped into rows, and 200 neighbours stay within a readable
// width.
func TestCIGraphLayout(t *testing.T) {
	set := cmdb.Set{Items: []cmdb.Item{{Name: "core", Class: "network_device"}}}
	for i := range 200 {
		name := fmt.Sprintf("vm-%03d", i)
		set.Items = append(set.Items, cmdb.Item{Name: name, Class: "vm"})
		set.Relations = append(set.Relations, cmdb.Relation{From: name, Type: cmdb.DependsOn, To: "core"})
	}
	nodes, links := cmdb.NewGraph(set, nil).Neighbourhood("core", 2, 400)
	g := newCIGraph(cmdb.View{Nodes: nodes, Links: links})
	if len(g.Nodes) != 201 || len(g.Links) != 200 {
		t.Fatalf("%d nodes, %d links", len(g.Nodes), len(g.Links))
	}
	if g.W > 1700 {
		t.Errorf("width %d: a layer of 200 must wrap into rows", g.W)
	}
	if g.Nodes[0].Label != "vm-000" || g.Nodes[1].Label != "vm-001" || g.Nodes[200].Label != "core" || !g.Nodes[200].Current {
		t.Errorf("order: %+v … %+v", g.Nodes[0], g.Nodes[200])
	}
	if g.Nodes[10].Y <= g.Nodes[9].Y || g.Nodes[10].X != g.Nodes[0].X {
		t.Errorf("the eleventh node starts a new row: %+v after %+v", g.Nodes[10], g.Nodes[9])
	}
	again := newCIGraph(cmdb.View{Nodes: nodes, Links: links})
	if fmt.Sprint(again) != fmt.Sprint(g) {
		t.Error("the layout differs between two draws")
	}
}

// TestIncidentShowsItemImpact: an incident of a check watching an item
// says which item, and what it takes down now.
func TestIncidentShowsItemImpact(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		var c *cmdb.Store
		e := newEnv(t, db, func(d *Deps) {
			c = cmdb.NewStore(db, d.Catalog, d.Checks, d.Reports, nil)
			d.Reports.SetItems(c)
			d.CMDB = c
		})
		ctx := context.Background()
		if _, err := c.PutItem(ctx, "test", cmdb.Item{Name: "db-01", Class: "database"}, catalog.MustCreate); err != nil {
			t.Fatal(err)
		}
		e.putService(catalog.Service{Name: "infra"})
		e.putService(catalog.Service{Name: "shop", DependsOn: []catalog.Dependency{{CI: "db-01"}},
			Objective: &catalog.Objective{Availability: "99.9%", DowntimeCost: ptr(1200.0)}})
		e.putCheck(monitor.Check{Name: "db-ping", Service: "infra", CI: "db-01", Type: "tcp", Host: "127.0.0.1", Port: 1, Interval: "30s"})
		if err := e.outages.Append(ctx, nil, timeline.Transition{Service: "infra", Input: "check:db-ping", At: time.Now().Add(-time.Hour), State: availability.Down}); err != nil {
			t.Fatal(err)
		}
		id := e.trigger("infra", "check:db-ping", "db-ping is down: connection refused")
		s := e.login("victor")
		res, body := e.get(fmt.Sprintf("/incidents/%d", id), &s)
		wantStatus(t, res, 200)
		wantContains(t, body, `The check watches <a href="/cis/db-01">db-01</a>`, `href="/services/shop"`, "ci:db-01 → service:shop", "1,200")
	})
}
