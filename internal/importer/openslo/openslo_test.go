package openslo_test

import (
	"strings"
	"testing"

	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/config"
	"github.com/sextant-ops/sextant/internal/importer/openslo"
)

func service(t *testing.T, cfg *config.Config, name string) catalog.Service {
	t.Helper()
	for _, s := range cfg.Catalog.Services {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no service %q", name)
	return catalog.Service{}
}

func TestImport(t *testing.T) {
	res, err := openslo.ImportPath("testdata/slos.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out, err := res.Config.YAML("imported")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(out, nil)
	if err != nil {
		t.Fatalf("refused: %v\n%s", err, out)
	}
	co := service(t, cfg, "checkout")
	if co.Title != "Checkout" || co.Objective == nil || co.Objective.Availability != "99.9%" || co.Objective.Period != "month" {
		t.Errorf("checkout: %+v %+v", co, co.Objective)
	}
	se := service(t, cfg, "search")
	if se.Objective == nil || se.Objective.Availability != "99.5%" || se.Objective.Period != "30d" {
		t.Errorf("search: %+v", se.Objective)
	}
	pr := service(t, cfg, "payroll")
	if pr.Objective == nil || pr.Objective.Availability != "99.5%" || pr.Objective.Period != "week" || pr.Title != "payroll" {
		t.Errorf("payroll (v1alpha): %+v", pr.Objective)
	}
	report := res.Report()
	for _, want := range []string{
		`testdata/slos.yaml:30:1: SLO "checkout-availability" indicator → measured by check checkout-http`,
		`testdata/slos.yaml:30:1: SLO "checkout-availability" budgetingMethod: Occurrences counts events`,
		`testdata/slos.yaml:30:1: SLO "checkout-availability" objective "stretch"`,
		`SLO "checkout-availability" calendar timeZone: periods of a 24x7 objective run in UTC`,
		`testdata/slos.yaml:50:1: SLI "search-p99": a metric query Sextant does not run`,
		`SLO "search-latency" timeWindow: a rolling 28d window is not a Sextant period`,
		`testdata/slos.yaml:76:1: AlertPolicy "fast-burn"`,
		`testdata/slos.yaml:103:1: SLO "broken": service payroll already has an objective`,
		`testdata/slos.yaml:86:1: SLO "payroll-slo" indicator: it names none`,
	} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
}

// TestRoundTrip exports services and imports the result: the same targets,
// periods and outage limits come back.
func TestRoundTrip(t *testing.T) {
	three := 3
	in := []catalog.Service{
		{Name: "shop", Title: "Web shop", Description: "The shop.", Objective: &catalog.Objective{Availability: "99.9%", MaxOutage: "5m", MaxOutages: &three}},
		{Name: "payroll", Objective: &catalog.Objective{Availability: "99.5%", Period: "week", Hours: "office"}},
		{Name: "search", Objective: &catalog.Objective{Availability: "99%", Period: "30d"}},
		{Name: "reports", Objective: &catalog.Objective{Availability: "95%", Period: "quarter"}},
		{Name: "no-objective"},
	}
	doc, err := openslo.Export(in)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(string(doc), "kind: SLO") != 4 || strings.Count(string(doc), "kind: Service") != 4 {
		t.Fatalf("export:\n%s", doc)
	}
	res, err := openslo.Import("export.yaml", doc)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]*catalog.Objective{}
	for _, s := range res.Config.Services {
		got[s.Name] = s.Objective
	}
	for _, s := range in[:4] {
		g := got[s.Name]
		want := *s.Objective
		want.Hours = ""
		if want.Period == "" {
			want.Period = "month"
		}
		if g == nil || g.Availability != want.Availability || g.Period != want.Period || g.MaxOutage != want.MaxOutage || (want.MaxOutages != nil && (g.MaxOutages == nil || *g.MaxOutages != *want.MaxOutages)) {
			t.Errorf("%s: got %+v, want %+v", s.Name, g, want)
		}
	}
	if !strings.Contains(res.Report(), `sextant.io/hours: the calendar "office" is not in the file`) {
		t.Errorf("report:\n%s", res.Report())
	}
}

func FuzzImport(f *testing.F) {
	f.Add([]byte("apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: a}\nspec: {service: s, objectives: [{target: 0.99}], timeWindow: [{duration: 7d}]}\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		res, err := openslo.Import("f.yaml", src)
		if err != nil {
			return
		}
		out, err := res.Config.YAML("fuzz")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := config.Parse(out, nil); err != nil {
			t.Fatalf("output refused: %v\n%s", err, out)
		}
	})
}
