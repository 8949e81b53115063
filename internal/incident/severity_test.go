package incident_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
	"github.com/sextant-ops/sextant/internal/timeline"
)

// TestChangeSeverity lowers a critical incident to a warning after 10
// minutes: the 10 minutes down stay as they were, and from then on the
// service is only degraded; the timeline says so. Bad severities, resolved
// incidents and Alertmanager group incidents are refused.
func TestChangeSeverity(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		out, err := f.ingest.Submit(ctx, []incident.Event{ev("trigger", "sev")})
		if err != nil {
			t.Fatal(err)
		}
		id := out[0].IncidentID

		for _, c := range []struct {
			name, severity string
			err            error
		}{
			{"unknown severity", "urgent", &apperr.Invalid{}},
			{"empty severity", "", &apperr.Invalid{}},
		} {
			t.Run(c.name, func(t *testing.T) {
				var inv *apperr.Invalid
				if _, err := f.store.ChangeSeverity(ctx, id, c.severity, "user:olivia"); !errors.As(err, &inv) || !strings.Contains(err.Error(), "severity: must be one of critical, error, warning, info") {
					t.Fatalf("err = %v", err)
				}
			})
		}

		f.now = t0.Add(10 * time.Minute)
		i, err := f.store.ChangeSeverity(ctx, id, "warning", "user:olivia")
		if err != nil || i.Severity != "warning" || i.ServiceState != "degraded" {
			t.Fatalf("ChangeSeverity = %+v, %v", i, err)
		}
		_, log, _ := f.store.Get(ctx, id)
		if last := log[len(log)-1]; last.Actor != "user:olivia" || last.Message != "severity changed from critical to warning; from now on the service is degraded by it (was down)" {
			t.Errorf("timeline ends with %+v", last)
		}
		f.now = t0.Add(30 * time.Minute)
		if _, err := f.store.Resolve(ctx, id, "user:olivia"); err != nil {
			t.Fatal(err)
		}
		rep, err := timeline.NewReporter(f.cat, f.tl, func() time.Time { return t0.Add(time.Hour) }).Report(ctx, "payroll", timeline.Range{From: t0, To: t0.Add(time.Hour)})
		if err != nil || rep.Downtime.Duration() != 10*time.Minute {
			t.Fatalf("downtime %v (%v), want the 10 minutes before the change", rep.Downtime.Duration(), err)
		}
		if _, err := f.store.ChangeSeverity(ctx, id, "critical", "user:olivia"); !errors.Is(err, apperr.ErrConflict) {
			t.Errorf("changing a resolved incident: %v", err)
		}

		t.Run("group incident", func(t *testing.T) {
			f.amSetup(false)
			f.post(t, "am", webhook("{}:{alertname=\"DiskFull\"}", 0, many(2, 0, "firing", "payroll", "critical")...))
			var group int64
			for _, o := range f.open(t) {
				if o.Integration == "am" {
					group = o.ID
				}
			}
			_, err := f.store.ChangeSeverity(ctx, group, "info", "user:olivia")
			if !errors.Is(err, apperr.ErrConflict) || !strings.Contains(err.Error(), "its severity is its worst firing alert's") {
				t.Fatalf("changing a group incident: %v", err)
			}
		})
	})
}
