package postmortem

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
	"github.com/sextant-ops/sextant/internal/timeline"
)

func TestTransitions(t *testing.T) {
	for _, c := range []struct {
		from, to string
		ok       bool
	}{
		{Draft, Draft, true}, {Draft, InReview, true}, {Draft, Published, false},
		{InReview, Draft, true}, {InReview, Published, true}, {InReview, InReview, true},
		{Published, Draft, false}, {Published, InReview, false}, {Published, Published, true},
	} {
		if got := Transition(c.from, c.to); got != c.ok {
			t.Errorf("%s → %s = %v, want %v", c.from, c.to, got, c.ok)
		}
	}
	_, err := Edit{Status: ptr(Published)}.apply(Postmortem{Status: Draft})
	if err == nil || !strings.Contains(err.Error(), "status: cannot go from draft to published") {
		t.Fatalf("draft → published: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{0: "0s", 30 * time.Minute: "30m", time.Hour + 5*time.Minute + 3*time.Second: "1h 5m 3s",
		1499 * time.Millisecond: "1s", 26 * time.Hour: "26h"} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%s) = %q, want %q", d, got, want)
		}
	}
}

func TestMarkdownEscapesTableCells(t *testing.T) {
	p := Postmortem{ID: 1, IncidentID: 7, Service: "shop", Title: "Shop\ndown", Status: Draft,
		Impact:      Impact{Service: "shop", Affected: []Affected{{Service: "shop", Effect: EffectDown}}},
		Timeline:    []Entry{{Kind: "note", Actor: "user:a", Message: "a | b\nc"}},
		ActionItems: []Item{{ID: 3, Title: "x|y", State: WontDo}}}
	md := Markdown(p, "https://sextant.example/")
	for _, part := range []string{"# Shop down\n", "[#7](https://sextant.example/incidents/7)", `| a \| b c |`, `| 3 | x\|y | — | — | Won't do |`,
		"## Summary\n\n_Not written yet._", "## Action items"} {
		if !strings.Contains(md, part) {
			t.Errorf("markdown lacks %q:\n%s", part, md)
		}
	}
}

// TestImpactFollowsDerive checks the effects spread as the availability
// engine derives states: a degraded service takes nobody down through a
// hard dependency, but degrades through a soft one; the worst path wins.
func TestImpactFollowsDerive(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		cat := catalog.NewStore(db, nil)
		for _, s := range []catalog.Service{
			{Name: "db"},
			{Name: "hard", DependsOn: []catalog.Dependency{{Service: "db", Kind: catalog.Hard}}},
			{Name: "soft", DependsOn: []catalog.Dependency{{Service: "db", Kind: catalog.Soft}}},
			{Name: "both", DependsOn: []catalog.Dependency{{Service: "soft", Kind: catalog.Hard}, {Service: "hard", Kind: catalog.Hard}}},
		} {
			if _, err := cat.PutService(ctx, "test", s, catalog.MustCreate); err != nil {
				t.Fatal(err)
			}
		}
		from := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
		tl := timeline.NewStore(db, nil)
		if err := tl.Append(ctx, db.Writer(), timeline.Transition{Service: "db", Input: "incident:1", At: from, State: availability.Degraded, Source: "t"},
			timeline.Transition{Service: "db", Input: "incident:1", At: from.Add(time.Hour), State: availability.Up, Source: "t"}); err != nil {
			t.Fatal(err)
		}
		snap, err := timeline.NewReporter(cat, tl, func() time.Time { return from.Add(24 * time.Hour) }).Snapshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		imp, err := ComputeImpact(snap, "db", EffectDegraded, from, from.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, a := range imp.Affected {
			got = append(got, a.Service+":"+a.Effect+":"+strings.Join(a.Via, ">"))
		}
		if strings.Join(got, " ") != "db:degraded: soft:degraded:db" {
			t.Fatalf("degraded db reaches %v", got)
		}
		imp, err = ComputeImpact(snap, "db", EffectDown, from, from.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		got = nil
		for _, a := range imp.Affected {
			got = append(got, a.Service+":"+a.Effect+":"+strings.Join(a.Via, ">"))
		}
		if strings.Join(got, " ") != "db:down: both:down:hard>db hard:down:db soft:degraded:db" {
			t.Fatalf("down db reaches %v", got)
		}
	})
}
