package replica_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/replica"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

func TestOwnerIsOneOfTheLiveAndStable(t *testing.T) {
	live := []string{"a", "b", "c"}
	if got := replica.Owner("check-1", nil); got != "" {
		t.Fatalf("owner in an empty set = %q, want none", got)
	}
	if got := replica.Owner("check-1", []string{"solo"}); got != "solo" {
		t.Fatalf("owner in a set of one = %q, want solo", got)
	}
	// The answer does not depend on the order the set is read in.
	for i := range 100 {
		key := fmt.Sprintf("check-%d", i)
		if x, y := replica.Owner(key, live), replica.Owner(key, []string{"c", "a", "b"}); x != y {
			t.Fatalf("%s: owner %q in one order, %q in another", key, x, y)
		}
	}
}

// When a replica leaves, only its keys move, and they spread over the
// survivors; the others stay where they were.
func TestOwnerMovesOnlyTheLeaversKeys(t *testing.T) {
	three, two := []string{"r1", "r2", "r3"}, []string{"r1", "r3"}
	per := map[string]int{}
	moved := map[string]int{}
	const n = 3000
	for i := range n {
		key := fmt.Sprintf("check-%04d", i)
		before, after := replica.Owner(key, three), replica.Owner(key, two)
		per[before]++
		if before != "r2" && before != after {
			t.Fatalf("%s moved from %s to %s though %s is still live", key, before, after, before)
		}
		if before == "r2" {
			moved[after]++
		}
	}
	for _, id := range three {
		// Each of three owns about a third: 1000 ± 15%.
		if per[id] < 850 || per[id] > 1150 {
			t.Errorf("%s owns %d of %d keys, want about a third (%v)", id, per[id], n, per)
		}
	}
	if moved["r1"] < moved["r3"]/2 || moved["r3"] < moved["r1"]/2 {
		t.Errorf("r2's keys went %v to the survivors, want them spread", moved)
	}
}

// seedCheck makes the rows a claim refers to.
func seedCheck(t *testing.T, db *store.DB, name string) {
	t.Helper()
	ctx := context.Background()
	if _, err := db.Writer().ExecContext(ctx, `INSERT INTO services (name, spec, source, created_at, updated_at) VALUES ('svc', '{}', 'api', 0, 0) ON CONFLICT DO NOTHING`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Writer().ExecContext(ctx, `INSERT INTO checks (name, service, spec, source, created_at, updated_at) VALUES ($1, 'svc', '{}', 'api', 0, 0)`, name); err != nil {
		t.Fatal(err)
	}
}

func TestClaimTakesEachInstantOnce(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedCheck(t, db, "web")
		t0 := time.UnixMilli(1_700_000_000_000)
		steps := []struct {
			name    string
			replica string
			due     time.Time
			want    bool
		}{
			{"first claim of an instant", "a", t0, true},
			{"the same instant by another replica", "b", t0, false},
			{"the same instant by the same replica", "a", t0, false},
			{"an earlier instant (a replica running late)", "b", t0.Add(-30 * time.Second), false},
			{"the next instant by the other replica", "b", t0.Add(30 * time.Second), true},
			{"that instant again", "a", t0.Add(30 * time.Second), false},
		}
		for _, s := range steps {
			got, err := replica.Claim(ctx, db.Writer(), "web", s.replica, s.due)
			if err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
			if got != s.want {
				t.Fatalf("%s: claimed = %v, want %v", s.name, got, s.want)
			}
		}
		if got, err := replica.Claim(ctx, db.Writer(), "gone", "a", t0); err != nil || got {
			t.Fatalf("claim of a removed check = %v, %v; want false, nil", got, err)
		}
	})
}

// Many claimers at once, as replicas racing for one instant: one wins.
func TestClaimRaceHasOneWinner(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		seedCheck(t, db, "web")
		due := time.UnixMilli(1_700_000_000_000)
		var wins atomic.Int32
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, err := replica.Claim(context.Background(), db.Writer(), "web", fmt.Sprintf("r%d", i), due)
				if err != nil {
					t.Error(err)
				}
				if ok {
					wins.Add(1)
				}
			}()
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("%d claimers won the same instant, want 1", wins.Load())
		}
	})
}

func TestOnceRunsAJobOncePerPeriod(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		t0 := time.UnixMilli(1_700_000_000_000)
		period := 9 * time.Minute
		steps := []struct {
			name    string
			replica string
			at      time.Time
			want    bool
		}{
			{"never done", "a", t0, true},
			{"another replica the same minute", "b", t0.Add(time.Minute), false},
			{"just before the period ends", "b", t0.Add(period - time.Millisecond), false},
			{"when the period has passed", "b", t0.Add(period), true},
			{"the first replica at its next tick", "a", t0.Add(10 * time.Minute), false},
		}
		for _, s := range steps {
			got, err := replica.Once(ctx, db.Writer(), "housekeeping", s.replica, s.at, period)
			if err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
			if got != s.want {
				t.Fatalf("%s: does the job = %v, want %v", s.name, got, s.want)
			}
		}
		// Jobs are independent.
		if got, _ := replica.Once(ctx, db.Writer(), "other", "a", t0.Add(time.Minute), period); !got {
			t.Fatal("a second job was held back by the first")
		}
	})
}

func TestRegistryRefusesSQLite(t *testing.T) {
	db := storetest.Open(t, storetest.Engines(t)[0])
	r := &replica.Registry{DB: db}
	if err := r.Register(context.Background()); err == nil {
		t.Fatal("registered on SQLite; want an error saying replicas need PostgreSQL")
	}
}

// Two registries on one schema see each other; when one stops beating it
// drops out of the other's live set after DeadAfter, and its keys move.
func TestRegistryLiveSetFollowsHeartbeats(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	dbA, dbB := storetest.OpenAt(t, dsn), storetest.OpenAt(t, dsn)
	every := 100 * time.Millisecond
	a := &replica.Registry{DB: dbA, ID: "a", Every: every}
	b := &replica.Registry{DB: dbB, ID: "b", Every: every}
	ctx := context.Background()
	if err := a.Register(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.Register(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.Beat(ctx); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(a.Live()); got != "[a b]" {
		t.Fatalf("a sees %s, want [a b]", got)
	}
	ownedA := 0
	for i := range 100 {
		if a.Owns(fmt.Sprintf("k%d", i)) {
			ownedA++
		}
		if a.Owns(fmt.Sprintf("k%d", i)) == b.Owns(fmt.Sprintf("k%d", i)) {
			t.Fatalf("k%d: both or neither replica own it", i)
		}
	}
	if ownedA == 0 || ownedA == 100 {
		t.Fatalf("a owns %d of 100 keys beside b, want a share", ownedA)
	}
	// b stops beating (it is never run); a keeps beating and, past
	// DeadAfter, owns everything.
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); a.Run(runCtx) }()
	deadline := time.Now().Add(10 * time.Second)
	for fmt.Sprint(a.Live()) != "[a]" {
		if time.Now().After(deadline) {
			t.Fatalf("b still live for a after 10 s (dead after %s): %v", a.DeadAfter(), a.Live())
		}
		time.Sleep(20 * time.Millisecond)
	}
	for i := range 100 {
		if !a.Owns(fmt.Sprintf("k%d", i)) {
			t.Fatalf("k%d not owned by the only live replica", i)
		}
	}
	// Stopping removes the registration at once.
	stop()
	<-done
	var n int
	if err := dbB.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM replicas WHERE id = 'a'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatal("a stopped but is still registered")
	}
	// A beat after the row is gone registers again.
	if err := a.Beat(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.Beat(ctx); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(b.Live()); got != "[a b]" {
		t.Fatalf("after a's beat, b sees %s, want [a b]", got)
	}
}
