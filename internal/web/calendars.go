package web

import (
	"net/http"
	"strconv"

	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/store"
)

// calendarListPage is the data of the calendar list.
type calendarListPage struct {
	Calendars []calendarRow
	NextURL   string
	FirstURL  string
	Deleted   string // the name of a calendar just deleted
}

type calendarRow struct {
	catalog.StoredCalendar
	UsedBy []string
}

// calendarPage is the data of a calendar's page.
type calendarPage struct {
	calendarRow
	Saved string
}

func (u *UI) listCalendars(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	pg := store.Page{Limit: servicePageSize, Cursor: q.Get("cursor")}
	if n, err := strconv.Atoi(q.Get("limit")); err == nil && n > 0 {
		pg.Limit = n
	}
	items, next, err := u.deps.Catalog.ListCalendars(r.Context(), pg)
	if err != nil {
		return err
	}
	cat, err := u.deps.Catalog.Load(r.Context())
	if err != nil {
		return err
	}
	lp := calendarListPage{Deleted: q.Get("deleted")}
	for _, c := range items {
		lp.Calendars = append(lp.Calendars, calendarRow{StoredCalendar: c, UsedBy: usersOf(cat, c.Name)})
	}
	if next != "" {
		lp.NextURL = "/calendars?cursor=" + next
		if pg.Limit != servicePageSize {
			lp.NextURL += "&limit=" + strconv.Itoa(pg.Limit)
		}
	}
	if pg.Cursor != "" {
		lp.FirstURL = "/calendars"
	}
	u.render(w, r, http.StatusOK, "calendars.html", "Calendars", lp)
	return nil
}

func (u *UI) showCalendar(w http.ResponseWriter, r *http.Request) error {
	c, err := u.deps.Catalog.GetCalendar(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	cat, err := u.deps.Catalog.Load(r.Context())
	if err != nil {
		return err
	}
	u.render(w, r, http.StatusOK, "calendar.html", "Calendar "+c.Name,
		calendarPage{calendarRow: calendarRow{StoredCalendar: c, UsedBy: usersOf(cat, c.Name)}, Saved: r.URL.Query().Get("saved")})
	return nil
}

// usersOf lists the services whose objective's hours are calendar name.
func usersOf(cat catalog.Catalog, name string) []string {
	var out []string
	for _, s := range cat.Services {
		if s.Objective != nil && s.Objective.Hours == name {
			out = append(out, s.Name)
		}
	}
	return out
}
