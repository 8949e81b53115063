package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/audit"
	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/cmdb"
	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/store"
)

const ciPageSize = 100

// ciListPage is the data of the configuration items list.
type ciListPage struct {
	Items    []cmdb.StoredItem
	Classes  []cmdb.Class
	Class    string
	NextURL  string
	FirstURL string
	// CSV is the class's export link and import form, with the outcome
	// of the last import; nil on the list of all classes.
	CSV *ciCSV
}

func (u *UI) listCIs(w http.ResponseWriter, r *http.Request) error {
	lp, err := u.ciList(r, r.URL.Query().Get("class"))
	if err != nil {
		return err
	}
	lp.CSV.done(r)
	u.render(w, r, http.StatusOK, "cis.html", "Configuration items", lp)
	return nil
}

// ciList gathers the list of items, of one class when class is not empty.
func (u *UI) ciList(r *http.Request, class string) (ciListPage, error) {
	if u.deps.CMDB == nil {
		return ciListPage{}, errPageNotFound
	}
	pg := store.Page{Limit: ciPageSize, Cursor: r.URL.Query().Get("cursor")}
	items, next, err := u.deps.CMDB.ListItems(r.Context(), class, pg)
	if err != nil {
		return ciListPage{}, err
	}
	lp := ciListPage{Items: items, Classes: u.deps.CMDB.Classes(), Class: class}
	for _, c := range lp.Classes {
		if c.Name == class {
			lp.CSV = &ciCSV{Class: class, Header: strings.Join(cmdb.CSVHeader(c), ",")}
		}
	}
	q := url.Values{}
	if class != "" {
		q.Set("class", class)
	}
	if pg.Cursor != "" {
		lp.FirstURL = "/cis?" + q.Encode()
	}
	if next != "" {
		q.Set("cursor", next)
		lp.NextURL = "/cis?" + q.Encode()
	}
	return lp, nil
}

// ciPage is the data of an item's page.
type ciPage struct {
	cmdb.View
	Attributes []ciAttribute
	Graph      *ciGraph
	History    []audit.Entry
	NowRows    []ciImpactRow
	WhatIfRows []ciImpactRow
	// Licence is a licence's seats and expiry, nil for other classes.
	Licence *ciLicence
}

// ciAttribute is one attribute as the page shows it: Discovered when the
// item's agent wrote it, Found the value the agent found when a person
// set another one.
type ciAttribute struct {
	Name, Value string
	Discovered  bool
	Found       string
}

// ciImpactRow is one impaired service as the page shows it, the figures
// formatted as on the service's own page.
type ciImpactRow struct {
	Service, Effect, Path, Cost, Budget string
}

func (u *UI) impactRows(items []cmdb.ImpactedService) []ciImpactRow {
	out := make([]ciImpactRow, 0, len(items))
	for _, it := range items {
		out = append(out, ciImpactRow{Service: it.Service, Effect: it.Effect, Path: strings.Join(it.Path, " → "),
			Cost: u.money(it.DowntimeCostPerHour), Budget: availability.FormatSeconds(it.ErrorBudgetRemaining)})
	}
	return out
}

func (u *UI) showCI(w http.ResponseWriter, r *http.Request) error {
	p, err := u.ciPageOf(r, r.PathValue("name"))
	if err != nil {
		return err
	}
	if p.Licence != nil {
		p.Licence.Done = r.URL.Query().Get("done")
	}
	u.render(w, r, http.StatusOK, "ci.html", p.Item.Name, p)
	return nil
}

// ciPageOf gathers an item's page.
func (u *UI) ciPageOf(r *http.Request, name string) (ciPage, error) {
	if u.deps.CMDB == nil {
		return ciPage{}, errPageNotFound
	}
	v, err := u.deps.CMDB.View(r.Context(), name)
	if err != nil {
		return ciPage{}, err
	}
	hist, _, err := u.deps.CMDB.History(r.Context(), name, store.Page{Limit: 50})
	if err != nil {
		return ciPage{}, err
	}
	p := ciPage{View: v, Graph: newCIGraph(v), History: hist, NowRows: u.impactRows(v.Now.Items), WhatIfRows: u.impactRows(v.WhatIf.Items)}
	for _, k := range sortedAttrNames(v.Item.Attributes) {
		a := ciAttribute{Name: k, Value: string(v.Item.Attributes[k])}
		if d := v.Discovery; d != nil {
			a.Found = d.Overridden[k]
			a.Discovered = a.Found == "" && slices.Contains(d.Attributes(), k)
		}
		p.Attributes = append(p.Attributes, a)
	}
	if v.Item.Class == cmdb.LicenceClass && u.deps.Licences != nil {
		rep, err := u.deps.Licences.Report(r.Context(), name)
		if err != nil {
			return ciPage{}, err
		}
		p.Licence = u.licenceRow(rep)
	}
	return p, nil
}

func sortedAttrNames(m map[string]cmdb.Value) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// ciGraph is an item's neighbourhood drawn as SVG: layers from what rests
// on the item (top) through the item to what it rests on (bottom), each
// layer in name order and wrapped into rows of ciPerRow, so that a layout
// is the same on every load and 200 items stay readable.
type ciGraph struct {
	W, H  int
	Nodes []ciGraphNode
	Links []ciGraphLink
}

type ciGraphNode struct {
	X, Y, W, H int
	TX, TY     int
	Label      string
	Href       string
	State      string
	Current    bool
}

type ciGraphLink struct {
	X1, Y1, X2, Y2 int
	Soft, Member   bool
}

const (
	ciNodeW, ciNodeH = 150, 28
	ciGapX, ciGapY   = 16, 44
	ciPerRow         = 10
	ciMargin         = 12
)

func newCIGraph(v cmdb.View) *ciGraph {
	if len(v.Nodes) == 0 {
		return nil
	}
	g := &ciGraph{}
	pos := map[string]ciGraphNode{}
	y := ciMargin
	maxRow := 1
	for i := 0; i < len(v.Nodes); {
		j := i
		for j < len(v.Nodes) && v.Nodes[j].Layer == v.Nodes[i].Layer {
			j++
		}
		layer := v.Nodes[i:j]
		for k := 0; k < len(layer); k += ciPerRow {
			row := layer[k:min(k+ciPerRow, len(layer))]
			maxRow = max(maxRow, len(row))
			for c, n := range row {
				kind, name, _ := strings.Cut(n.Node, ":")
				href := "/cis/" + url.PathEscape(name)
				if kind == "service" {
					href = "/services/" + url.PathEscape(name)
				}
				label := name
				if len(label) > 20 {
					label = label[:19] + "…"
				}
				node := ciGraphNode{X: ciMargin + c*(ciNodeW+ciGapX), Y: y, W: ciNodeW, H: ciNodeH, Label: label, Href: href,
					State: v.States[n.Node].String(), Current: n.Layer == 0}
				if kind == "service" {
					node.Label = "◆ " + label
				}
				node.TX, node.TY = node.X+8, node.Y+18
				pos[n.Node] = node
				g.Nodes = append(g.Nodes, node)
			}
			y += ciNodeH + ciGapY
		}
		i = j
	}
	g.W = 2*ciMargin + maxRow*(ciNodeW+ciGapX) - ciGapX
	g.H = y - ciGapY + ciMargin
	for _, l := range v.Links {
		a, b := pos[l.From], pos[l.To]
		g.Links = append(g.Links, ciGraphLink{X1: a.X + a.W/2, Y1: a.Y + a.H, X2: b.X + b.W/2, Y2: b.Y, Soft: l.Soft, Member: l.Member})
	}
	return g
}

// incidentItemImpact is the item an incident's check watches and what it
// takes down now.
type incidentItemImpact struct {
	Item  string
	State string
	Rows  []ciImpactRow
}

// incidentItemImpact answers for an incident opened by a check (its
// dedup key "check:NAME") that names an item; nil otherwise, or when the
// check or the item is gone.
func (u *UI) incidentItemImpact(ctx context.Context, i incident.Incident) (*incidentItemImpact, error) {
	name, ok := strings.CutPrefix(i.DedupKey, "check:")
	if !ok || u.deps.CMDB == nil || u.deps.Checks == nil {
		return nil, nil
	}
	c, err := u.deps.Checks.Get(ctx, name)
	if err != nil || c.CI == "" {
		return nil, nil
	}
	imp, err := u.deps.CMDB.Impact(ctx, c.CI, false)
	if err != nil {
		if errors.Is(err, apperr.ErrNotFound) {
			return nil, nil
		}
		return nil, err
	}
	return &incidentItemImpact{Item: c.CI, State: imp.State.String(), Rows: u.impactRows(imp.Items)}, nil
}
