package cli

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/kpi"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
	"github.com/sextant-ops/sextant/internal/timeline"
)

// TestMonthlyReportCommand: `sextant report --monthly` prints the monthly
// report in every format from the database. October 2026 has 744 hours;
// shop is down 1 h (99.866 %, above its 99 %) in one outage longer than
// its max_outage of 30m, so its objective is breached.
func TestMonthlyReportCommand(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			dsn, dir := e.DSN(t)
			if dir == "" {
				dir = t.TempDir() // PostgreSQL: the server's key file still needs a home
			}
			env := map[string]string{"SEXTANT_DATA": dir, "SEXTANT_DATABASE": dsn}
			ctx := context.Background()
			db, err := store.Open(ctx, dsn, dir, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := catalog.NewStore(db, nil).PutService(ctx, "test", catalog.Service{Name: "shop", Objective: &catalog.Objective{Availability: "99%", MaxOutage: "30m"}}, catalog.MustCreate); err != nil {
				t.Fatal(err)
			}
			s, en, st := "2026-10-05T10:00:00Z", "2026-10-05T11:00:00Z", "down"
			if _, err := timeline.NewStore(db, nil).Record(ctx, "test", "shop", timeline.NewOutage{Start: &s, End: &en, State: &st}); err != nil {
				t.Fatal(err)
			}
			db.Close()

			code, out, errs := run(t, "", env, "report", "--monthly", "2026-10", "--format", "json")
			if code != 0 {
				t.Fatalf("json: %d %s", code, errs)
			}
			var rep kpi.Report
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatalf("json: %v\n%s", err, out)
			}
			if v, _ := rep.KPI("downtime"); rep.ObjectivesMet != 0 || rep.ObjectivesTotal != 1 || v.Display != "1h" || rep.Objectives[0].Breaches[0] != "max_outage" {
				t.Fatalf("report: met %d of %d, downtime %q, %+v", rep.ObjectivesMet, rep.ObjectivesTotal, v.Display, rep.Objectives)
			}
			code, out, _ = run(t, "", env, "report", "--monthly", "2026-10")
			for _, line := range []string{`objectives met\s+0 of 1`, `counted downtime\s+1h`, `Operational efficiency\s+Counted downtime\s+1h\s+1 service`} {
				if code != 0 || !regexp.MustCompile(`(?m)^`+line+`\s*$`).MatchString(out) {
					t.Errorf("table lacks %q:\n%s", line, out)
				}
			}
			code, out, _ = run(t, "", env, "report", "--monthly", "2026-10", "--format", "csv")
			if code != 0 || !strings.Contains(out, "kpi,operational_efficiency,downtime,,Counted downtime,3600,1h,") {
				t.Errorf("csv: %d\n%s", code, out)
			}
			code, out, _ = run(t, "", env, "report", "--monthly", "2026-10", "--service", "shop", "--format", "pdf")
			if code != 0 || !strings.HasPrefix(out, "%PDF-") {
				t.Errorf("pdf: %d %.40q", code, out)
			}
			if code, _, errs := run(t, "", env, "report", "--monthly", "2026-1", "--format", "pdf"); code != 2 || !strings.Contains(errs, "YYYY-MM") {
				t.Errorf("bad month: %d %s", code, errs)
			}
			if code, _, errs := run(t, "", env, "report", "--monthly", "2026-10", "--format", "docx"); code != 2 || !strings.Contains(errs, "pdf") {
				t.Errorf("bad format: %d %s", code, errs)
			}
		})
	}
}
