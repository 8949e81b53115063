package catalog_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/audit"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

func TestOccurrences(t *testing.T) {
	berlin := catalog.Calendar{Name: "office", CalendarSpec: catalog.CalendarSpec{Timezone: "Europe/Berlin", Weekly: []catalog.WeeklyWindow{{Days: "mon-fri", From: "09:00", To: "17:00"}}}}
	payroll := catalog.Service{Name: "payroll", Objective: &catalog.Objective{Hours: "office", Availability: "99%"}}
	shop := catalog.Service{Name: "shop"}
	// Wednesday 2 December 2026, 12:00 UTC (13:00 in Berlin).
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	sunday := catalog.MaintenanceWindow{Title: "Patching", RRule: "FREQ=WEEKLY;BYDAY=SU;BYHOUR=2;BYMINUTE=0", Duration: "2h"}
	tests := []struct {
		name     string
		services []catalog.Service
		from, to time.Time
		want     []catalog.Occurrence
	}{
		{"no windows", []catalog.Service{payroll, shop}, now, now.Add(30 * 24 * time.Hour), nil},
		// Sundays 02:00 Berlin (CET, UTC+1) are 01:00 UTC: 6 and 13 December.
		{"a weekly window in the service's zone", []catalog.Service{withWindows(payroll, sunday)}, now, now.Add(14 * 24 * time.Hour), []catalog.Occurrence{
			{Service: "payroll", Window: catalog.WindowRef(sunday), Title: "Patching", Start: utc(2026, 12, 6, 1, 0), End: utc(2026, 12, 6, 3, 0), Recurring: true, Timezone: "Europe/Berlin"},
			{Service: "payroll", Window: catalog.WindowRef(sunday), Title: "Patching", Start: utc(2026, 12, 13, 1, 0), End: utc(2026, 12, 13, 3, 0), Recurring: true, Timezone: "Europe/Berlin"},
		}},
		// The same rule on a 24x7 service is read in UTC.
		{"a 24x7 service reads it in UTC", []catalog.Service{withWindows(shop, sunday)}, now, now.Add(7 * 24 * time.Hour), []catalog.Occurrence{
			{Service: "shop", Window: catalog.WindowRef(sunday), Title: "Patching", Start: utc(2026, 12, 6, 2, 0), End: utc(2026, 12, 6, 4, 0), Recurring: true, Timezone: "UTC"},
		}},
		// A one-off window under way since 11:00 is listed whole and in
		// progress; one that ended at 11:30 is not listed.
		{"in progress and ended", []catalog.Service{withWindows(shop,
			catalog.MaintenanceWindow{Start: "2026-12-02T11:00:00Z", End: "2026-12-02T13:00:00Z"},
			catalog.MaintenanceWindow{Start: "2026-12-02T10:00:00Z", End: "2026-12-02T11:30:00Z"})}, now, now.Add(24 * time.Hour), []catalog.Occurrence{
			{Service: "shop", Window: catalog.WindowRef(catalog.MaintenanceWindow{Start: "2026-12-02T11:00:00Z", End: "2026-12-02T13:00:00Z"}),
				Start: utc(2026, 12, 2, 11, 0), End: utc(2026, 12, 2, 13, 0), Timezone: "UTC", InProgress: true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cat := catalog.Catalog{Calendars: []catalog.Calendar{berlin}, Services: tt.services}
			if got := cat.Occurrences(tt.from, tt.to, now); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Occurrences =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func withWindows(s catalog.Service, ws ...catalog.MaintenanceWindow) catalog.Service {
	s.Maintenance = ws
	return s
}

func utc(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, time.UTC)
}

func TestAddAndRemoveMaintenance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		cs := catalog.NewStore(db, nil)
		if _, err := cs.ApplyFile(ctx, "config", catalog.Catalog{Services: []catalog.Service{svc("database")}}); err != nil {
			t.Fatal(err)
		}
		for _, n := range []string{"payroll", "shop"} {
			if _, err := cs.PutService(ctx, "user:alice", svc(n), catalog.MustCreate); err != nil {
				t.Fatal(err)
			}
		}
		w := catalog.MaintenanceWindow{Title: "Upgrade", Start: "2026-12-05T22:00:00+01:00", End: "2026-12-06T01:00:00+01:00"}
		invalid := []struct {
			name     string
			services []string
			w        catalog.MaintenanceWindow
			want     []apperr.Field
		}{
			{"no service", nil, w, []apperr.Field{{Path: "services", Msg: "choose at least one service"}}},
			{"an unknown and a file service", []string{"payroll", "nope", "database"}, w, []apperr.Field{
				{Path: "services[1]", Msg: `unknown service "nope"`},
				{Path: "services[2]", Msg: `service "database" is declared in the config file and is read-only here: add the window to the file`}}},
			{"a service twice", []string{"shop", "shop"}, w, []apperr.Field{{Path: "services[1]", Msg: `service "shop" is chosen twice`}}},
			{"a bad window, named once for two services", []string{"payroll", "shop"}, catalog.MaintenanceWindow{RRule: "FREQ=HOURLY", Duration: "0s"}, []apperr.Field{
				{Path: "duration", Msg: "must be longer than zero"}}},
		}
		for _, tt := range invalid {
			t.Run(tt.name, func(t *testing.T) {
				err := cs.AddMaintenance(ctx, "user:olivia", tt.services, tt.w)
				var inv *apperr.Invalid
				if !errors.As(err, &inv) || !reflect.DeepEqual(inv.Fields, tt.want) {
					t.Fatalf("err = %v; want %v", err, tt.want)
				}
				for _, n := range []string{"payroll", "shop"} {
					if s, _ := cs.GetService(ctx, n); len(s.Maintenance) != 0 {
						t.Errorf("%s has %v; a refused request changes nothing", n, s.Maintenance)
					}
				}
			})
		}
		t.Run("added to each service, audited", func(t *testing.T) {
			if err := cs.AddMaintenance(ctx, "user:olivia", []string{"payroll", "shop"}, w); err != nil {
				t.Fatal(err)
			}
			for _, n := range []string{"payroll", "shop"} {
				s, err := cs.GetService(ctx, n)
				if err != nil || !reflect.DeepEqual(s.Maintenance, []catalog.MaintenanceWindow{w}) {
					t.Errorf("%s: %v, %v", n, s.Maintenance, err)
				}
			}
			entries, _, err := audit.List(ctx, db, audit.Filter{Actor: "user:olivia"}, store.Page{Limit: 10})
			if err != nil || len(entries) != 2 {
				t.Fatalf("audit: %d entries, %v; want 2", len(entries), err)
			}
			if err := cs.AddMaintenance(ctx, "user:olivia", []string{"shop"}, w); err == nil {
				t.Error("the same window twice was accepted")
			}
		})
		t.Run("removed by its ref", func(t *testing.T) {
			if err := cs.RemoveMaintenance(ctx, "user:olivia", "shop", "000000000000"); !errors.Is(err, apperr.ErrNotFound) {
				t.Errorf("unknown ref: %v; want not found", err)
			}
			if err := cs.RemoveMaintenance(ctx, "user:olivia", "shop", catalog.WindowRef(w)); err != nil {
				t.Fatal(err)
			}
			if s, _ := cs.GetService(ctx, "shop"); len(s.Maintenance) != 0 {
				t.Errorf("shop still has %v", s.Maintenance)
			}
			if s, _ := cs.GetService(ctx, "payroll"); len(s.Maintenance) != 1 {
				t.Errorf("payroll lost its window: %v", s.Maintenance)
			}
		})
	})
}
