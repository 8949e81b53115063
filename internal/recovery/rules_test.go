package recovery_test

import (
	"strings"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/recovery"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// A daily backup at 02:00 (reported at 02:30) with rpo 26h whose run fails
// on the night of 2 March: it breaches when 1 March's data point plus 26h
// passes, 2 March 04:00, and is back within at the next success.
func nightlyRuns() []recovery.Run {
	return []recovery.Run{
		{Outcome: recovery.RunSuccess, At: at("2026-03-01T02:30:00Z"), DataPoint: at("2026-03-01T02:00:00Z")},
		{Outcome: recovery.RunStart, At: at("2026-03-02T02:00:00Z")},
		{Outcome: recovery.RunFail, At: at("2026-03-02T02:30:00Z")},
		{Outcome: recovery.RunSuccess, At: at("2026-03-03T02:30:00Z"), DataPoint: at("2026-03-03T02:00:00Z")},
	}
}

func TestSpansNightlyBackupThatFailsOneNight(t *testing.T) {
	since := at("2026-03-01T00:00:00Z")
	got := recovery.Spans(nightlyRuns(), 26*time.Hour, since, since, at("2026-03-04T00:00:00Z"))
	want := []recovery.Span{
		{From: since, To: at("2026-03-02T04:00:00Z")},
		{From: at("2026-03-02T04:00:00Z"), To: at("2026-03-03T02:30:00Z"), Breached: true},
		{From: at("2026-03-03T02:30:00Z"), To: at("2026-03-04T00:00:00Z")},
	}
	if len(got) != len(want) {
		t.Fatalf("spans = %+v, want %+v", got, want)
	}
	for i := range want {
		if !got[i].From.Equal(want[i].From) || !got[i].To.Equal(want[i].To) || got[i].Breached != want[i].Breached {
			t.Errorf("span %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	// 22h30m of 72h beyond the RPO.
	if c := recovery.Compliance(got); c != 49.5/72 {
		t.Errorf("compliance = %v, want %v", c, 49.5/72)
	}
	if n := recovery.Breaches(got); n != 1 {
		t.Errorf("breaches = %d, want 1", n)
	}
}

func TestAchievedRPO(t *testing.T) {
	since := at("2026-03-01T00:00:00Z")
	for _, c := range []struct {
		name string
		t    string
		want time.Duration
	}{
		{"before any success it counts from when the job was first watched", "2026-03-01T01:00:00Z", time.Hour},
		{"a success counts from its data point, not its ping", "2026-03-01T02:30:00Z", 30 * time.Minute},
		{"a failed run changes nothing", "2026-03-02T02:30:00Z", 24*time.Hour + 30*time.Minute},
		{"exactly at the RPO is within it", "2026-03-02T04:00:00Z", 26 * time.Hour},
		{"the next success brings it back", "2026-03-03T02:30:00Z", 30 * time.Minute},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := recovery.AchievedRPO(nightlyRuns(), since, at(c.t)); got != c.want {
				t.Errorf("AchievedRPO at %s = %s, want %s", c.t, got, c.want)
			}
		})
	}
	t.Run("a success without a data point counts from its ping", func(t *testing.T) {
		runs := []recovery.Run{{Outcome: recovery.RunSuccess, At: at("2026-03-01T05:00:00Z")}}
		if got := recovery.AchievedRPO(runs, since, at("2026-03-01T06:00:00Z")); got != time.Hour {
			t.Errorf("got %s, want 1h", got)
		}
	})
}

func TestSpansStaleBackupDoesNotRecover(t *testing.T) {
	// A success whose data point is already older than the RPO leaves the
	// job in breach.
	since := at("2026-03-01T00:00:00Z")
	runs := []recovery.Run{{Outcome: recovery.RunSuccess, At: at("2026-03-03T00:00:00Z"), DataPoint: at("2026-03-01T00:00:00Z")}}
	got := recovery.Spans(runs, 24*time.Hour, since, since, at("2026-03-03T12:00:00Z"))
	if len(got) != 2 || got[1].Breached != true || !got[1].From.Equal(at("2026-03-02T00:00:00Z")) || !got[1].To.Equal(at("2026-03-03T12:00:00Z")) {
		t.Errorf("spans = %+v, want within to 2 March, then breached to the end", got)
	}
}

func TestSeriesDrawsTheSawtooth(t *testing.T) {
	since := at("2026-03-01T00:00:00Z")
	got := recovery.Series(nightlyRuns(), since, since, at("2026-03-03T12:00:00Z"))
	want := []struct {
		at  string
		rpo time.Duration
	}{
		{"2026-03-01T00:00:00Z", 0},
		{"2026-03-01T02:30:00Z", 150 * time.Minute},
		{"2026-03-01T02:30:00Z", 30 * time.Minute},
		{"2026-03-03T02:30:00Z", 48*time.Hour + 30*time.Minute},
		{"2026-03-03T02:30:00Z", 30 * time.Minute},
		{"2026-03-03T12:00:00Z", 10 * time.Hour},
	}
	if len(got) != len(want) {
		t.Fatalf("series = %+v", got)
	}
	for i, w := range want {
		if !got[i].At.Equal(at(w.at)) || got[i].RPO != w.rpo || got[i].Seconds != int64(w.rpo/time.Second) {
			t.Errorf("sample %d = %+v, want %s at %s", i, got[i], w.rpo, w.at)
		}
	}
}

func TestJudgeDrill(t *testing.T) {
	d := recovery.Drill{Plan: "shop", Kind: recovery.KindDrill, StartedAt: at("2026-03-10T10:00:00Z"),
		RestoredAt: at("2026-03-10T11:30:00Z"), DataPoint: at("2026-03-10T02:00:00Z")}
	o := recovery.Judge(d, time.Hour, 24*time.Hour)
	if o.RTO != 90*time.Minute || o.RPO != 8*time.Hour || o.RTOSeconds != 5400 || o.RPOSeconds != 28800 {
		t.Errorf("RTO, RPO = %s, %s; want 1h30m, 8h", o.RTO, o.RPO)
	}
	if o.RTOMet || !o.RPOMet || o.Passed {
		t.Errorf("outcome = %+v, want the RTO missed, the RPO met, failed", o)
	}
	if o := recovery.Judge(d, 90*time.Minute, 8*time.Hour); !o.Passed {
		t.Errorf("exactly at the plan's RTO and RPO should pass: %+v", o)
	}
}

func TestDrillValidate(t *testing.T) {
	now := at("2026-03-11T00:00:00Z")
	bad := recovery.Drill{Kind: "exercise", StartedAt: at("2026-03-10T10:00:00Z"), RestoredAt: at("2026-03-10T09:00:00Z"),
		DataPoint: at("2026-03-10T11:00:00Z"), Steps: []recovery.Step{{Text: " "}}}
	got := map[string]bool{}
	for _, f := range bad.Validate(now) {
		got[f.Path] = true
	}
	for _, p := range []string{"plan", "kind", "restored_at", "data_point", "steps[0].at", "steps[0].text"} {
		if !got[p] {
			t.Errorf("no problem named %s in %v", p, got)
		}
	}
	future := recovery.Drill{Plan: "p", Kind: "real", StartedAt: at("2026-03-12T10:00:00Z"), RestoredAt: at("2026-03-12T11:00:00Z"), DataPoint: at("2026-03-10T00:00:00Z")}
	if fs := future.Validate(now); len(fs) != 2 || fs[0].Path != "started_at" {
		t.Errorf("future drill: %v", fs)
	}
}

func TestPlanWarnings(t *testing.T) {
	now := at("2026-03-11T00:00:00Z")
	facts := recovery.Facts{Services: map[string]time.Duration{"shop": 30 * time.Minute}, BackupRPOs: map[string]time.Duration{"shop-db": 26 * time.Hour}}
	p, errs := recovery.CompilePlan(recovery.Plan{Name: "shop", Service: "shop", RTO: "4h", RPO: "1h", Backups: []string{"shop-db"}, LastReviewed: "2025-01-10"}, &facts)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	ws := recovery.Warnings(p, facts, at("2025-06-01T00:00:00Z"), now)
	kinds := map[string]string{}
	for _, w := range ws {
		kinds[w.Kind] = w.Message
	}
	for kind, words := range map[string]string{
		recovery.WarnMisaligned:  "rto 4h exceeds service shop's max_outage 30m",
		recovery.WarnBackupRPO:   "rpo 1h is tighter than backup job shop-db can give (its rpo is 1d2h)",
		recovery.WarnNotReviewed: "not reviewed in 12 months (last on 2025-01-10)",
		recovery.WarnNotDrilled:  "not drilled in 6 months (last on 2025-06-01)",
	} {
		if !strings.Contains(kinds[kind], words) {
			t.Errorf("warning %s = %q, want it to say %q", kind, kinds[kind], words)
		}
	}
	good, _ := recovery.CompilePlan(recovery.Plan{Name: "shop", Service: "shop", RTO: "30m", RPO: "26h", Backups: []string{"shop-db"}, LastReviewed: "2026-01-10"}, &facts)
	if ws := recovery.Warnings(good, facts, at("2026-02-01T00:00:00Z"), now); len(ws) != 0 {
		t.Errorf("a plan within every bound warns: %v", ws)
	}
}

func TestCompilePlanNamesEveryField(t *testing.T) {
	facts := recovery.Facts{Services: map[string]time.Duration{"shop": 0}, BackupRPOs: map[string]time.Duration{}}
	_, errs := recovery.CompilePlan(recovery.Plan{Name: "Bad Name", Service: "nope", RTO: "soon", RPO: "", Items: []string{"db", "db"},
		Backups: []string{"web"}, LastReviewed: "last week"}, &facts)
	got := map[string]bool{}
	for _, f := range errs {
		got[f.Path] = true
	}
	for _, p := range []string{"name", "service", "rto", "rpo", "items[1]", "backups[0]", "last_reviewed"} {
		if !got[p] {
			t.Errorf("no problem named %s in %v", p, errs)
		}
	}
}
