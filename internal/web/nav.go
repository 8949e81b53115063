package web

import (
	"strings"

	"github.com/sextant-ops/sextant/internal/auth"
)

// navItem is one entry of the main navigation.
type navItem struct {
	Label string
	Path  string
	// Area is what the layout compares with the page's area to mark the
	// entry as current: the first path segment ("incidents"), or
	// "dashboard" for the home page.
	Area string
	// Role is the least role that sees the entry.
	Role auth.Role
}

// navGroup is one menu of the main navigation.
type navGroup struct {
	Name  string
	Items []navItem
}

// navigation is the main navigation, grouped by area so that it stays one
// short line as pages arrive. A new page is one line in its group; a group
// with no entry the user may see shows no menu.
var navigation = []navGroup{
	{Name: "Operate", Items: []navItem{
		{"Dashboard", "/", "dashboard", auth.Viewer},
		{"Incidents", "/incidents", "incidents", auth.Viewer},
		{"On-call", "/oncall", "oncall", auth.Viewer},
		{"Services", "/services", "services", auth.Viewer},
		{"Checks", "/checks", "checks", auth.Viewer},
		{"Maintenance", "/maintenance", "maintenance", auth.Viewer},
		{"Changes", "/changes", "changes", auth.Viewer},
		{"Post-mortems", "/postmortems", "postmortems", auth.Viewer},
		{"Known errors", "/known-errors", "known-errors", auth.Viewer},
		{"Recovery", "/recovery", "recovery", auth.Viewer},
	}},
	{Name: "Service desk", Items: []navItem{
		{"Ticket queue", "/desk", "desk", auth.Viewer},
		{"Queues and SLA policies", "/desk/setup", "desk", auth.Viewer},
		{"Satisfaction", "/desk/satisfaction", "desk", auth.Viewer},
		{"Approvals", "/desk/approvals", "desk", auth.Viewer},
		{"Knowledge base", "/desk/kb", "desk", auth.Viewer},
	}},
	{Name: "Configuration", Items: []navItem{
		{"Configuration items", "/cis", "cis", auth.Viewer},
		{"Licences", "/licences", "licences", auth.Viewer},
		{"Calendars", "/calendars", "calendars", auth.Viewer},
		{"Channels", "/channels", "channels", auth.Viewer},
		{"Escalation policies", "/escalation-policies", "escalation-policies", auth.Viewer},
		{"Integrations", "/integrations", "integrations", auth.Admin},
		{"Status pages", "/status-pages", "status-pages", auth.Viewer},
	}},
	{Name: "Team", Items: []navItem{
		{"People", "/people", "people", auth.Viewer},
		{"Schedules", "/schedules", "schedules", auth.Viewer},
		{"Capacity", "/capacity", "capacity", auth.Viewer},
		{"Projects", "/projects", "projects", auth.Viewer},
		{"Your profile", "/profile", "profile", auth.Viewer},
	}},
	{Name: "Reports", Items: []navItem{
		{"Monthly report and KPIs", "/reports/monthly", "reports", auth.Viewer},
	}},
	{Name: "Admin", Items: []navItem{
		{"Users, tokens and audit", "/admin", "admin", auth.Admin},
	}},
}

// navMenu is a group as one user sees it.
type navMenu struct {
	Name    string
	Items   []navItem
	Current bool // the page belongs to this group
}

// menus returns the navigation as role sees it on a page of area.
func menus(role auth.Role, area string) []navMenu {
	var out []navMenu
	for _, g := range navigation {
		m := navMenu{Name: g.Name}
		for _, it := range g.Items {
			if role.Allows(it.Role) {
				m.Items = append(m.Items, it)
				m.Current = m.Current || it.Area == area
			}
		}
		if len(m.Items) > 0 {
			out = append(out, m)
		}
	}
	return out
}

// area names the navigation entry a path belongs to: its first segment
// when an entry has it, "dashboard" for the home page.
func area(p string) string {
	if p == "/" {
		return "dashboard"
	}
	first, _, _ := strings.Cut(strings.TrimPrefix(p, "/"), "/")
	for _, g := range navigation {
		for _, it := range g.Items {
			if it.Area == first {
				return first
			}
		}
	}
	return ""
}
