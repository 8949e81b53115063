package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/change"
	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/monitor"
	"github.com/sextant-ops/sextant/internal/recovery"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/timeline"
)

// servicePageSize is how many services one page of the list shows.
const servicePageSize = 50

// serviceListPage is the data of the service list.
type serviceListPage struct {
	Services []serviceRow
	// Filter state, as the user chose it.
	Tier, Owner string
	Owners      []string
	Filtered    bool
	NextURL     string
	FirstURL    string // set when this is not the first page
	Deleted     string // the name of a service just deleted
}

// serviceRow is one line of the service list.
type serviceRow struct {
	catalog.StoredService
	ObjectiveSummary string
}

func (u *UI) listServices(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	pg := store.Page{Limit: servicePageSize, Cursor: q.Get("cursor")}
	if n, err := strconv.Atoi(q.Get("limit")); err == nil && n > 0 {
		pg.Limit = n
	}
	items, next, err := u.deps.Catalog.ListServices(r.Context(), pg)
	if err != nil {
		return err
	}
	all, err := u.deps.Catalog.Load(r.Context())
	if err != nil {
		return err
	}
	lp := serviceListPage{Tier: q.Get("tier"), Owner: q.Get("owner"), Deleted: q.Get("deleted")}
	lp.Filtered = lp.Tier != "" || lp.Owner != ""
	for _, s := range all.Services {
		if s.Owner != "" && !slices.Contains(lp.Owners, s.Owner) {
			lp.Owners = append(lp.Owners, s.Owner)
		}
	}
	slices.Sort(lp.Owners)
	for _, s := range items {
		if lp.Tier != "" && strconv.Itoa(s.Tier) != lp.Tier && !(lp.Tier == "none" && s.Tier == 0) {
			continue
		}
		if lp.Owner != "" && s.Owner != lp.Owner {
			continue
		}
		lp.Services = append(lp.Services, serviceRow{StoredService: s, ObjectiveSummary: objectiveSummary(s.Objective)})
	}
	link := func(cursor string) string {
		v := url.Values{}
		if lp.Tier != "" {
			v.Set("tier", lp.Tier)
		}
		if lp.Owner != "" {
			v.Set("owner", lp.Owner)
		}
		if cursor != "" {
			v.Set("cursor", cursor)
		}
		if pg.Limit != servicePageSize {
			v.Set("limit", strconv.Itoa(pg.Limit))
		}
		if len(v) == 0 {
			return "/services"
		}
		return "/services?" + v.Encode()
	}
	if next != "" {
		lp.NextURL = link(next)
	}
	if pg.Cursor != "" {
		lp.FirstURL = link("")
	}
	u.render(w, r, http.StatusOK, "services.html", "Services", lp)
	return nil
}

// objectiveSummary is a service's objective in one line: "99.5% · office ·
// month".
func objectiveSummary(o *catalog.Objective) string {
	if o == nil {
		return ""
	}
	hours, period := o.Hours, o.Period
	if hours == "" {
		hours = catalog.AlwaysOn
	}
	if period == "" {
		period = "month"
	}
	parts := []string{}
	if o.Availability != "" {
		parts = append(parts, string(o.Availability))
	}
	return strings.Join(append(parts, hours, period), " · ")
}

// serviceDetailPage is the data of a service's page.
type serviceDetailPage struct {
	catalog.StoredService
	Dependents []string
	Saved      string
	Standing   *standing
	Outages    []timeline.Outage
	OutageForm outageForm
	Checks     []monitor.Status
	// OpenIncidents are the service's open incidents, newest first;
	// MoreIncidents says there are more than the page lists.
	OpenIncidents []incident.Incident
	MoreIncidents bool
	// LastVerified is the latest verified restore of the service's backup
	// jobs; nil when none.
	LastVerified *recovery.RestoreTest
	// Feedback is what users say of the service over the availability
	// figures' period; nil on a server without feedback.
	Feedback *serviceFeedback
	// Changes are the latest change requests on the service; HasChanges
	// says change management is available.
	Changes    []change.Request
	HasChanges bool
}

func (u *UI) showService(w http.ResponseWriter, r *http.Request) error {
	dp, err := u.servicePage(r, r.PathValue("name"))
	if err != nil {
		return err
	}
	u.render(w, r, http.StatusOK, "service.html", serviceTitle(dp.Service), dp)
	return nil
}

// servicePage gathers a service's page: the catalog entry, who depends on
// it, its standing in the current period, its recorded outages, its checks
// and its open incidents.
func (u *UI) servicePage(r *http.Request, name string) (*serviceDetailPage, error) {
	s, err := u.deps.Catalog.GetService(r.Context(), name)
	if err != nil {
		return nil, err
	}
	snap, err := u.deps.Reports.Snapshot(r.Context())
	if err != nil {
		return nil, err
	}
	dp := &serviceDetailPage{StoredService: s, Saved: r.URL.Query().Get("saved"), OutageForm: outageForm{State: "down"}}
	if cs := u.deps.Changes; cs != nil && cs.Rules != nil {
		dp.HasChanges = true
		if dp.Changes, _, err = cs.Query(r.Context(), change.Filter{Service: name}, store.Page{Limit: 10}); err != nil {
			return nil, err
		}
	}
	for _, x := range snap.Services {
		for _, d := range x.DependsOn {
			if d.Service == s.Name {
				dp.Dependents = append(dp.Dependents, x.Name)
			}
		}
	}
	slices.Sort(dp.Dependents)
	if dp.Standing, err = buildStanding(snap, name); err != nil {
		return nil, err
	}
	if dp.Outages, err = u.deps.Outages.List(r.Context(), name); err != nil {
		return nil, err
	}
	slices.Reverse(dp.Outages)
	dp.Checks = u.checksOf(r, name)
	if dp.OpenIncidents, dp.MoreIncidents, err = u.openIncidentsOf(r, name); err != nil {
		return nil, err
	}
	if dp.LastVerified, err = u.lastVerifiedOf(r.Context(), name); err != nil {
		return nil, err
	}
	if dp.Standing != nil {
		if dp.Feedback, err = u.serviceFeedbackOf(r, name, dp.Standing.Report.From, dp.Standing.Report.To); err != nil {
			return nil, err
		}
	}
	return dp, nil
}

func serviceTitle(s catalog.Service) string {
	if s.Title != "" {
		return s.Title
	}
	return s.Name
}

func (u *UI) confirmDeleteService(w http.ResponseWriter, r *http.Request) error {
	s, err := u.deps.Catalog.GetService(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	u.render(w, r, http.StatusOK, "service_delete.html", "Delete "+serviceTitle(s.Service), s)
	return nil
}

func (u *UI) deleteService(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	if err := u.deps.Catalog.DeleteService(r.Context(), principal(r).Actor(), name); err != nil {
		return err
	}
	http.Redirect(w, r, "/services?deleted="+url.QueryEscape(name), http.StatusSeeOther)
	return nil
}
