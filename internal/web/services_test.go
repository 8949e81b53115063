package web

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/duration"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
	"github.com/sextant-ops/sextant/internal/timeline"
)

// TestServicePageCountsEveryInterval checks that the service page lists
// every interval that counted towards its downtime — degraded time from a
// soft dependency at its weight as well as the service's own down time —
// and that the rows add up to the counted-downtime figure.
func TestServicePageCountsEveryInterval(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		e.putService(catalog.Service{Name: "database", Objective: &catalog.Objective{Availability: "99.9%"}})
		e.putService(catalog.Service{Name: "intranet", DependsOn: []catalog.Dependency{{Service: "database", Kind: catalog.Soft}},
			Objective: &catalog.Objective{Availability: "99%", Degraded: "0.5"}})
		// Inside the current month, all before now: the database down 1 h
		// (the intranet degraded, counting 30 min at 0.5), then the intranet
		// itself down 10 min and twice 20.4 s. Counted downtime: 40 min
		// 40.8 s, shown as 40m41s; the rows, in whole seconds, must add up
		// to that too (30m + 10m + 21s + 20s).
		now := time.Now().UTC().Truncate(time.Second)
		start := now.Add(-3 * time.Hour)
		if ms := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC); start.Before(ms) {
			start = ms
		}
		record := func(svc string, from, to time.Time) {
			f, tt, st := from.Format(time.RFC3339Nano), to.Format(time.RFC3339Nano), "down"
			if _, err := e.outages.Record(context.Background(), "test", svc, timeline.NewOutage{Start: &f, End: &tt, State: &st}); err != nil {
				t.Fatal(err)
			}
		}
		record("database", start, start.Add(time.Hour))
		record("intranet", start.Add(90*time.Minute), start.Add(100*time.Minute))
		record("intranet", start.Add(110*time.Minute), start.Add(110*time.Minute+20400*time.Millisecond))
		record("intranet", start.Add(115*time.Minute), start.Add(115*time.Minute+20400*time.Millisecond))
		if now.Before(start.Add(116 * time.Minute)) {
			t.Skip("too close to the start of the month for the whole case to have happened")
		}

		viewer := e.login("victor")
		_, body := e.get("/services/intranet", &viewer)
		wantContains(t, body, `id="counted"`, "through database", "dependency:database", "recorded outage", "× 0.5", "× 1")
		figure := regexp.MustCompile(`id="fig-downtime">([^<]*)<`).FindStringSubmatch(body)
		if figure == nil {
			t.Fatalf("no counted-downtime figure:\n%s", body)
		}
		if figure[1] != "40m41s" {
			t.Errorf("counted downtime = %q, want 40m41s", figure[1])
		}
		var sum time.Duration
		cells := regexp.MustCompile(`class="num counted-seconds">([^<]*)<`).FindAllStringSubmatch(body, -1)
		for _, c := range cells {
			d, err := duration.Parse(c[1])
			if err != nil {
				t.Fatalf("counted cell %q: %v", c[1], err)
			}
			sum += d
		}
		if len(cells) != 4 || duration.Format(sum) != figure[1] {
			t.Errorf("%d counted rows add up to %v, the page's figure is %s:\n%s", len(cells), sum, figure[1], body)
		}
		wantContains(t, body, `id="counted-total">40m41s<`)
	})
}
