package setup_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/audit"
	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/oncall"
	"github.com/sextant-ops/sextant/internal/setup"
	"github.com/sextant-ops/sextant/internal/status"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

const slackURL = "https://hooks.slack.example/services/T0/B0/secret"

// TestPeopleSchedulesPages: people, schedules and status pages go through
// the same write path as channels: validated with the file's validators
// over the merged whole (a schedule may name the file's person and a
// stored one, a policy a stored schedule), refused removal naming the
// referrer, the file's objects read-only (403), secrets kept through
// [set] and never in the audit log.
func TestPeopleSchedulesPages(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		m := manager(db)
		bob := setup.Person{Name: "bob", DisplayName: "Bob", Timezone: "Europe/Berlin", Slack: slackURL}
		rota := oncall.Schedule{Name: "primary", Timezone: "Europe/Berlin",
			Layers: []oncall.Layer{{Rotation: "weekly", Handoff: "mon 09:00", Members: []string{"ann", "bob"}, Start: "2026-01-05"}}}
		page := status.Page{Name: "public", Title: "Example status", Groups: []status.Group{{Title: "Shop", Services: []string{"shop"}}}}
		steps := []struct {
			name string
			do   func() error
			want string
			kind error
		}{
			{"a person with a bad zone and e-mail", func() error {
				_, err := m.PutPerson(ctx, "admin", setup.Person{Name: "bob", Timezone: "Mars/Olympus", Email: "not-mail"}, setup.Create)
				return err
			}, `timezone: unknown time zone "Mars/Olympus"`, nil},
			{"a person", func() error { _, err := m.PutPerson(ctx, "admin", bob, setup.Create); return err }, "", nil},
			{"the file's person is read-only", func() error {
				_, err := m.PutPerson(ctx, "admin", setup.Person{Name: "ann"}, setup.Replace)
				return err
			}, "declared in sextant.yaml and read-only", apperr.ErrForbidden},
			{"nor can it be removed", func() error { return m.DeletePerson(ctx, "admin", "ann") }, "read-only", apperr.ErrForbidden},
			{"a schedule naming a stranger", func() error {
				s := rota
				s.Layers = []oncall.Layer{{Rotation: "weekly", Members: []string{"ann", "carol"}}}
				_, err := m.PutSchedule(ctx, "admin", s, setup.Create)
				return err
			}, `layers[0].members[1]: unknown user "carol"`, nil},
			{"a schedule with a bad rotation", func() error {
				s := rota
				s.Layers = []oncall.Layer{{Rotation: "fortnightly", Members: []string{"ann"}}}
				_, err := m.PutSchedule(ctx, "admin", s, setup.Create)
				return err
			}, "layers[0].rotation", nil},
			{"a schedule of the file's person and the stored one", func() error { _, err := m.PutSchedule(ctx, "admin", rota, setup.Create); return err }, "", nil},
			{"a policy paging the schedule", func() error {
				_, err := m.PutPolicy(ctx, "admin", incident.EscalationPolicy{Name: "day", Levels: []incident.Level{{Notify: []string{"schedule:primary", "user:bob"}}}}, setup.Create)
				return err
			}, "", nil},
			{"a person in a schedule and a policy", func() error { return m.DeletePerson(ctx, "admin", "bob") },
				`person "bob" is used by schedule "primary" and escalation policy "day"`, apperr.ErrConflict},
			{"a schedule in a policy", func() error { return m.DeleteSchedule(ctx, "admin", "primary") }, `schedule "primary" is used by escalation policy "day"`, apperr.ErrConflict},
			{"a page on an unknown service", func() error {
				p := page
				p.Groups = []status.Group{{Title: "Shop", Services: []string{"shop", "nope"}}}
				_, err := m.PutStatusPage(ctx, "admin", p, setup.Create)
				return err
			}, `groups[0].services[1]: unknown service "nope"`, nil},
			{"a page taking the file's name", func() error {
				p := page
				p.Name = "main"
				_, err := m.PutStatusPage(ctx, "admin", p, setup.Create)
				return err
			}, "declared in sextant.yaml", apperr.ErrConflict},
			{"a page", func() error { _, err := m.PutStatusPage(ctx, "admin", page, setup.Create); return err }, "", nil},
			{"keep the person's secret", func() error {
				p := bob
				p.Slack, p.Email = setup.SetMarker, "bob@example.com"
				_, err := m.PutPerson(ctx, "admin", p, setup.Replace)
				return err
			}, "", nil},
		}
		for _, st := range steps {
			t.Run(st.name, func(t *testing.T) {
				err := st.do()
				switch {
				case st.want == "" && err != nil:
					t.Fatalf("unexpected error: %v", err)
				case st.want != "" && (err == nil || !strings.Contains(err.Error(), st.want)):
					t.Fatalf("error = %v, want one saying %q", err, st.want)
				case st.kind != nil && !errors.Is(err, st.kind):
					t.Fatalf("error %v is not %v", err, st.kind)
				}
			})
		}
		stored, err := m.Store.Load(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(stored.People) != 1 || stored.People[0].Slack != slackURL || stored.People[0].Email != "bob@example.com" || len(stored.Schedules) != 1 || len(stored.Pages) != 1 {
			t.Fatalf("stored = %+v", stored)
		}
		people, err := m.People(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(people) != 2 || people[0].Name != "ann" || people[0].Source != setup.SourceFile || people[1].Slack != setup.SetMarker {
			t.Fatalf("people = %+v", people)
		}
		pages, err := m.StatusPages(ctx)
		if err != nil || len(pages) != 2 || pages[0].Name != "main" || !pages[0].ReadOnly() || pages[1].Name != "public" || pages[1].ReadOnly() {
			t.Fatalf("pages = %+v, %v", pages, err)
		}
		entries, _, err := audit.List(ctx, db, audit.Filter{}, store.Page{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 5 {
			t.Fatalf("audit has %d entries, want 5 (four creates, one update)", len(entries))
		}
		for _, e := range entries {
			if strings.Contains(string(e.Before)+string(e.After), slackURL) {
				t.Fatalf("audit shows the Slack URL: %s %s", e.Before, e.After)
			}
		}

		// Once the policy and the schedule are gone, the person may go.
		for _, del := range []func() error{
			func() error { return m.DeletePolicy(ctx, "admin", "day") },
			func() error { return m.DeleteSchedule(ctx, "admin", "primary") },
			func() error { return m.DeletePerson(ctx, "admin", "bob") },
			func() error { return m.DeleteStatusPage(ctx, "admin", "public") },
		} {
			if err := del(); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := m.GetPerson(ctx, "bob"); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("GetPerson after delete: %v", err)
		}
	})
}

// TestCheckFileSchedules: a reload that drops a person a stored schedule
// names is refused, naming the schedule.
func TestCheckFileSchedules(t *testing.T) {
	api := setup.Objects{Schedules: []oncall.Schedule{{Name: "primary", Layers: []oncall.Layer{{Rotation: "daily", Members: []string{"ann"}}}}}}
	keep := setup.Env{File: setup.Objects{People: []setup.Person{{Name: "ann"}}}}
	if err := setup.CheckFile(keep, api); err != nil {
		t.Fatalf("with ann: %v", err)
	}
	err := setup.CheckFile(setup.Env{}, api)
	if err == nil || !strings.Contains(err.Error(), `schedule "primary": layers[0].members[0]: unknown user "ann"`) || !errors.Is(err, apperr.ErrConflict) {
		t.Fatalf("without ann: %v", err)
	}
}
