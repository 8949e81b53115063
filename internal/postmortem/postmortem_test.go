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

// TestImpactFollowsDerive checks that the effect on the incident's service
// is what its timeline shows over the incident's span, and that it spreads
// as the availability engine derives states: a degraded service takes
// nobody down through a hard dependency, but degrades through a soft one;
// the worst path wins.
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
		// db's timeline: degraded 10-11 by an incident, down 12-13 by a
		// check (whose incident asked for no state of its own), up after.
		at := func(h int) time.Time { return time.Date(2026, 5, 1, h, 0, 0, 0, time.UTC) }
		tl := timeline.NewStore(db, nil)
		if err := tl.Append(ctx, db.Writer(),
			timeline.Transition{Service: "db", Input: "incident:1", At: at(10), State: availability.Degraded, Source: "t"},
			timeline.Transition{Service: "db", Input: "incident:1", At: at(11), State: availability.Up, Source: "t"},
			timeline.Transition{Service: "db", Input: "check:db-tcp", At: at(12), State: availability.Down, Source: "check:db-tcp"},
			timeline.Transition{Service: "db", Input: "check:db-tcp", At: at(13), State: availability.Up, Source: "check:db-tcp"}); err != nil {
			t.Fatal(err)
		}
		snap, err := timeline.NewReporter(cat, tl, func() time.Time { return at(24) }).Snapshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name     string
			from, to time.Time
			want     string
		}{
			{"degraded db degrades only through soft", at(10), at(11), "db:degraded: soft:degraded:db"},
			{"a check's downtime says down", at(12), at(13), "db:down: both:down:hard>db hard:down:db soft:degraded:db"},
			{"the worst state over the span wins", at(9), at(14), "db:down: both:down:hard>db hard:down:db soft:degraded:db"},
			{"nothing in the timeline says none", at(14), at(15), "db:none:"},
		} {
			t.Run(c.name, func(t *testing.T) {
				imp, err := ComputeImpact(snap, "db", c.from, c.to)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, a := range imp.Affected {
					got = append(got, a.Service+":"+a.Effect+":"+strings.Join(a.Via, ">"))
				}
				if strings.Join(got, " ") != c.want {
					t.Errorf("impact reaches %v, want %s", got, c.want)
				}
			})
		}
	})
}
