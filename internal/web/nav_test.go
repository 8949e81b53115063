package web

import (
	"strings"
	"testing"

	"github.com/sextant-ops/sextant/internal/auth"
)

func TestMenus(t *testing.T) {
	names := func(ms []navMenu) string {
		var s []string
		for _, m := range ms {
			n := m.Name
			if m.Current {
				n += "*"
			}
			s = append(s, n)
		}
		return strings.Join(s, ",")
	}
	for _, tc := range []struct {
		name string
		role auth.Role
		area string
		want string
	}{
		{"a viewer sees no empty group and no admin menu", auth.Viewer, "dashboard", "Operate*,Service desk,Configuration,Team,Reports"},
		{"an admin sees the admin menu last", auth.Admin, "admin", "Operate,Service desk,Configuration,Team,Reports,Admin*"},
		{"the group of the page is current", auth.Operator, "calendars", "Operate,Service desk,Configuration*,Team,Reports"},
		{"the desk's pages mark the service desk", auth.Viewer, "desk", "Operate,Service desk*,Configuration,Team,Reports"},
		{"a page outside the navigation marks none", auth.Viewer, "", "Operate,Service desk,Configuration,Team,Reports"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := names(menus(tc.role, tc.area)); got != tc.want {
				t.Errorf("menus = %s, want %s", got, tc.want)
			}
		})
	}
	t.Run("every entry's area is found from its path", func(t *testing.T) {
		for _, g := range navigation {
			for _, it := range g.Items {
				if got := area(it.Path); got != it.Area {
					t.Errorf("area(%q) = %q, want %q", it.Path, got, it.Area)
				}
				if got := area(it.Path + "/x/edit"); it.Path != "/" && got != it.Area {
					t.Errorf("area(%q) = %q, want %q", it.Path+"/x/edit", got, it.Area)
				}
			}
		}
	})
}
