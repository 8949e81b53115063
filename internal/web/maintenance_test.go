package web

import (
	"context"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

func TestBuildWindow(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	tests := []struct {
		name     string
		in       maintenanceInput
		want     catalog.MaintenanceWindow
		problems []apperr.Field
	}{
		// 22:00 in Berlin on 5 December is CET, UTC+1.
		{"one-off in the default zone", maintenanceInput{Title: " Upgrade ", Kind: "once", Start: "2026-12-05T22:00", End: "2026-12-06T01:30"},
			catalog.MaintenanceWindow{Title: "Upgrade", Start: "2026-12-05T22:00:00+01:00", End: "2026-12-06T01:30:00+01:00"}, nil},
		// 02:00 in New York on 5 July is EDT, UTC−4; seconds are kept.
		{"one-off in a chosen zone", maintenanceInput{Kind: "once", Start: "2026-07-05T02:00:30", End: "2026-07-05T04:00", Zone: "America/New_York"},
			catalog.MaintenanceWindow{Start: "2026-07-05T02:00:30-04:00", End: "2026-07-05T04:00:00-04:00"}, nil},
		{"one-off mistakes", maintenanceInput{Kind: "once", Start: "", End: "tomorrow", Zone: "Mars/Olympus"}, catalog.MaintenanceWindow{}, []apperr.Field{
			{Path: "timezone", Msg: `unknown time zone "Mars/Olympus" (use an IANA name such as Europe/Berlin)`},
			{Path: "start", Msg: "is required: a date and time such as 2026-12-05T22:00"},
			{Path: "end", Msg: `expected a date and time such as 2026-12-05T22:00, not "tomorrow"`}}},
		{"an end before the start", maintenanceInput{Kind: "once", Start: "2026-12-05T22:00", End: "2026-12-05T21:00"}, catalog.MaintenanceWindow{Start: "2026-12-05T22:00:00+01:00", End: "2026-12-05T21:00:00+01:00"},
			[]apperr.Field{{Path: "end", Msg: "must be after the start (2026-12-05T22:00)"}}},
		{"weekly on two days", maintenanceInput{Kind: "recurring", Freq: "weekly", Days: []string{"SU", "SA"}, Time: "02:30", Duration: "2h"},
			catalog.MaintenanceWindow{RRule: "FREQ=WEEKLY;BYDAY=SA,SU;BYHOUR=2;BYMINUTE=30", Duration: "2h"}, nil},
		{"daily in a zone", maintenanceInput{Kind: "recurring", Freq: "daily", Time: "23:00", Duration: "90m", Zone: "UTC"},
			catalog.MaintenanceWindow{RRule: "FREQ=DAILY;BYHOUR=23;BYMINUTE=0", Duration: "90m", Timezone: "UTC"}, nil},
		{"monthly on the 1st", maintenanceInput{Kind: "recurring", Freq: "monthly", MonthDay: "1", Time: "04:00", Duration: "1h"},
			catalog.MaintenanceWindow{RRule: "FREQ=MONTHLY;BYMONTHDAY=1;BYHOUR=4;BYMINUTE=0", Duration: "1h"}, nil},
		{"recurring mistakes", maintenanceInput{Kind: "recurring", Freq: "weekly", Time: "25:00", Duration: "soon"}, catalog.MaintenanceWindow{RRule: "FREQ=WEEKLY"}, []apperr.Field{
			{Path: "days", Msg: "choose at least one day for a weekly window"},
			{Path: "time", Msg: `must be a time of day from 00:00 to 23:59, not "25:00"`},
			{Path: "duration", Msg: `"soon": expected a number before "soon"`}}},
		{"monthly without its day", maintenanceInput{Kind: "recurring", Freq: "monthly", Days: []string{"MO", "XX"}, Time: "04:00", Duration: "0s"}, catalog.MaintenanceWindow{RRule: "FREQ=MONTHLY;BYDAY=MO;BYHOUR=4;BYMINUTE=0"}, []apperr.Field{
			{Path: "days", Msg: `"XX" is not a day`},
			{Path: "days", Msg: "a monthly window repeats on a day of the month; leave the weekdays empty"},
			{Path: "monthday", Msg: "is required for a monthly window: a day from 1 to 31"},
			{Path: "duration", Msg: "must be longer than zero"}}},
		{"no kind", maintenanceInput{}, catalog.MaintenanceWindow{}, []apperr.Field{{Path: "kind", Msg: "choose a one-off or a recurring window"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, problems := buildWindow(tt.in, berlin)
			if !reflect.DeepEqual(problems, tt.problems) {
				t.Errorf("problems =\n%v\nwant\n%v", problems, tt.problems)
			}
			if len(tt.problems) == 0 && got != tt.want {
				t.Errorf("window = %+v; want %+v", got, tt.want)
			}
		})
	}
}

// scheduleForm is a valid "Schedule maintenance" form for a weekly window.
func scheduleForm(action string, services ...string) url.Values {
	return url.Values{"services": services, "title": {"Patching"}, "kind": {"recurring"}, "start": {""}, "end": {""}, "timezone": {""},
		"freq": {"weekly"}, "days": {"SU"}, "monthday": {""}, "time": {"02:00"}, "duration": {"2h"}, "action": {action}}
}

func TestMaintenanceUI(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		if _, err := e.catalog.PutCalendar(ctx, "test", catalog.Calendar{Name: "office", CalendarSpec: catalog.CalendarSpec{Timezone: "Europe/Berlin",
			Weekly: []catalog.WeeklyWindow{{Days: "mon-fri", From: "09:00", To: "17:00"}}}}, catalog.MustCreate); err != nil {
			t.Fatal(err)
		}
		e.putService(catalog.Service{Name: "payroll", Title: "Payroll", Objective: &catalog.Objective{Hours: "office", Availability: "99%"}})
		e.putService(catalog.Service{Name: "shop", Title: "Web shop"})
		if _, err := e.catalog.ApplyFile(ctx, "config", catalog.Catalog{Services: []catalog.Service{{Name: "ledger"}}}); err != nil {
			t.Fatal(err)
		}
		operator, viewer := e.login("olivia"), e.login("victor")

		t.Run("a viewer may look but not schedule", func(t *testing.T) {
			res, body := e.get("/maintenance", &viewer)
			wantStatus(t, res, http.StatusOK)
			wantContains(t, body, "No maintenance under way or in the next 30 days.")
			wantNotContains(t, body, `href="/maintenance/new"`)
			res, _ = e.get("/maintenance/new", &viewer)
			wantStatus(t, res, http.StatusForbidden)
			res, _ = e.post("/maintenance/new", scheduleForm("save", "shop"), &viewer)
			wantStatus(t, res, http.StatusForbidden)
		})
		t.Run("the form offers the services, file ones read-only", func(t *testing.T) {
			res, body := e.get("/maintenance/new?service=payroll", &operator)
			wantStatus(t, res, http.StatusOK)
			wantContains(t, body, `value="payroll" checked>`, `(Europe/Berlin)`, `value="shop">`, `value="ledger" disabled>`,
				"declared in the config file, read-only here", `type="datetime-local"`)
		})
		t.Run("preview shows the rule and the next five occurrences", func(t *testing.T) {
			res, body := e.post("/maintenance/new", scheduleForm("preview", "payroll"), &operator)
			wantStatus(t, res, http.StatusOK)
			wantContains(t, body, `<code class="rrule">FREQ=WEEKLY;BYDAY=SU;BYHOUR=2;BYMINUTE=0</code>`, "The next 5 occurrences (Europe/Berlin)",
				"02:00–04:00 Europe/Berlin")
			if n := strings.Count(body, "02:00–04:00 Europe/Berlin"); n != 5 {
				t.Errorf("%d occurrences previewed; want 5", n)
			}
			if s, _ := e.catalog.GetService(ctx, "payroll"); len(s.Maintenance) != 0 {
				t.Error("a preview saved the window")
			}
		})
		invalid := []struct {
			name string
			form url.Values
			want []string
		}{
			{"no service and no day", func() url.Values {
				f := scheduleForm("save")
				f.Del("days")
				return f
			}(), []string{"2 problems to fix", `<a href="#f-services">Services</a>: choose at least one service`, `<a href="#f-days">Days</a>: choose at least one day for a weekly window`}},
			{"a file service", scheduleForm("save", "shop", "ledger"), []string{`Services</a>: service &#34;ledger&#34; is declared in the config file and is read-only here`}},
			{"one-off times", url.Values{"services": {"shop"}, "kind": {"once"}, "start": {"2026-12-05T22:00"}, "end": {"soon"}, "action": {"save"}},
				[]string{`<a href="#f-end">End</a>: expected a date and time such as 2026-12-05T22:00, not &#34;soon&#34;`, `value="2026-12-05T22:00"`}},
		}
		for _, tt := range invalid {
			t.Run(tt.name, func(t *testing.T) {
				res, body := e.post("/maintenance/new", tt.form, &operator)
				wantStatus(t, res, http.StatusUnprocessableEntity)
				wantContains(t, body, tt.want...)
				for _, n := range []string{"payroll", "shop"} {
					if s, _ := e.catalog.GetService(ctx, n); len(s.Maintenance) != 0 {
						t.Errorf("%s got a window from a refused form", n)
					}
				}
			})
		}
		t.Run("scheduled on two services and listed", func(t *testing.T) {
			res, _ := e.post("/maintenance/new", scheduleForm("save", "payroll", "shop"), &operator)
			wantStatus(t, res, http.StatusSeeOther)
			if loc := res.Header.Get("Location"); loc != "/maintenance?scheduled=2" {
				t.Fatalf("Location = %q", loc)
			}
			now := time.Now()
			start := now.Add(time.Hour).UTC().Format("2006-01-02T15:04")
			end := now.Add(3 * time.Hour).UTC().Format("2006-01-02T15:04")
			res, _ = e.post("/maintenance/new", url.Values{"services": {"shop"}, "title": {"Database upgrade"}, "kind": {"once"}, "start": {start}, "end": {end}, "timezone": {"UTC"}, "action": {"save"}}, &operator)
			wantStatus(t, res, http.StatusSeeOther)
			_, body := e.get("/maintenance?scheduled=2", &viewer)
			wantContains(t, body, "Scheduled on 2 services.", "Database upgrade", "Patching", "recurring", "one-off",
				"02:00–04:00 Europe/Berlin", "02:00–04:00 UTC", `<code class="rrule">FREQ=WEEKLY;BYDAY=SU;BYHOUR=2;BYMINUTE=0</code>`)
			// Four or five Sundays in 30 days, for each of the two services,
			// and the one-off window.
			if n := strings.Count(body, "<td>recurring</td>"); n < 8 || n > 10 {
				t.Errorf("%d recurring occurrences listed; want 8 to 10", n)
			}
			_, body = e.get("/services/payroll", &operator)
			wantContains(t, body, `href="/maintenance/new?service=payroll"`, "FREQ=WEEKLY;BYDAY=SU;BYHOUR=2;BYMINUTE=0")
		})
		t.Run("removed", func(t *testing.T) {
			s, _ := e.catalog.GetService(ctx, "shop")
			ref := catalog.WindowRef(s.Maintenance[0])
			res, _ := e.post("/maintenance/shop/"+ref+"/delete", url.Values{}, &viewer)
			wantStatus(t, res, http.StatusForbidden)
			res, _ = e.post("/maintenance/shop/"+ref+"/delete", url.Values{}, &operator)
			wantStatus(t, res, http.StatusSeeOther)
			if s, _ := e.catalog.GetService(ctx, "shop"); len(s.Maintenance) != 1 {
				t.Errorf("shop has %d windows; want 1", len(s.Maintenance))
			}
			res, _ = e.post("/maintenance/shop/"+ref+"/delete", url.Values{}, &operator)
			wantStatus(t, res, http.StatusNotFound)
		})
	})
}
