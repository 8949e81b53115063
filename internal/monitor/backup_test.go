package monitor_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/monitor"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

func TestCompileBackupKind(t *testing.T) {
	services := map[string]bool{"shop": true}
	for _, c := range []struct {
		name  string
		check monitor.Check
		field string
	}{
		{"a backup job needs an rpo", monitor.Check{Name: "b", Service: "shop", Type: "heartbeat", Period: "24h", Kind: "backup"}, "rpo"},
		{"an rpo must parse", monitor.Check{Name: "b", Service: "shop", Type: "heartbeat", Period: "24h", Kind: "backup", RPO: "a day"}, "rpo"},
		{"an rpo of seconds is too short", monitor.Check{Name: "b", Service: "shop", Type: "heartbeat", Period: "24h", Kind: "backup", RPO: "30s"}, "rpo"},
		{"only a heartbeat is a backup job", monitor.Check{Name: "b", Service: "shop", Type: "http", URL: "https://x.example", Kind: "backup", RPO: "26h"}, "kind"},
		{"backup is the only kind", monitor.Check{Name: "b", Service: "shop", Type: "heartbeat", Period: "24h", Kind: "batch"}, "kind"},
		{"an rpo needs kind backup", monitor.Check{Name: "b", Service: "shop", Type: "heartbeat", Period: "24h", RPO: "26h"}, "rpo"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, fs := monitor.Compile(c.check, services)
			if len(fs) != 1 || fs[0].Path != c.field {
				t.Errorf("problems %v, want one at %s", fs, c.field)
			}
		})
	}
	got, fs := monitor.Compile(monitor.Check{Name: "b", Service: "shop", Type: "heartbeat", Period: "24h", Kind: "backup", RPO: "26h"}, services)
	if len(fs) > 0 || !got.IsBackup() || got.RPO != 26*time.Hour {
		t.Errorf("a good backup job: %+v %v", got, fs)
	}
}

// A backup job's RPO breach is its own change, dated at the instant the
// RPO passed, leaves the heartbeat's state alone, survives a restart
// without being reported twice, and ends at the next good backup.
func TestBackupRPOBreach(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		f := newFixture(t, db, start, "shop")
		var got []monitor.Change
		restart := func() {
			f.mon = monitor.New(monitor.Options{DB: db, Checks: f.checks, Timeline: f.tl, Now: f.clock.now,
				OnChange: func(_ context.Context, _ *sql.Tx, cs []monitor.Change) error { got = append(got, cs...); return nil }})
			if err := f.mon.Load(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		sc := f.addCheck(monitor.Check{Name: "shop-db", Service: "shop", Type: "heartbeat", Kind: "backup", Period: "24h", Grace: "3h", RPO: "26h"})
		restart()
		ctx := context.Background()
		f.clock.set(start.Add(150 * time.Minute))
		if _, err := f.mon.PingWith(ctx, sc.HeartbeatToken, monitor.PingSuccess, monitor.BackupReport{DataPoint: start.Add(2 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
		sweep := func(at time.Time) {
			t.Helper()
			f.clock.set(at)
			if err := f.mon.Sweep(ctx); err != nil {
				t.Fatal(err)
			}
		}
		sweep(start.Add(28 * time.Hour))
		if len(rpoChanges(got)) != 0 {
			t.Fatalf("at the RPO exactly: %+v", got)
		}
		sweep(start.Add(28*time.Hour + 10*time.Second))
		rc := rpoChanges(got)
		if len(rc) != 1 || rc[0].To != availability.Down || !rc[0].At.Equal(start.Add(28*time.Hour)) || !strings.Contains(rc[0].Reason, "beyond its RPO 1d2h") {
			t.Fatalf("breach: %+v", rc)
		}
		if st := f.state("shop-db"); st != availability.Up {
			t.Errorf("the heartbeat's own state moved with the RPO: %v", st)
		}
		restart()
		sweep(start.Add(29 * time.Hour))
		if rc := rpoChanges(got); len(rc) != 1 {
			t.Fatalf("the breach was reported again after a restart: %+v", rc)
		}
		f.clock.set(start.Add(50 * time.Hour))
		if _, err := f.mon.PingWith(ctx, sc.HeartbeatToken, monitor.PingSuccess, monitor.BackupReport{DataPoint: start.Add(20 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if rc := rpoChanges(got); len(rc) != 1 {
			t.Fatalf("a success whose data is already too old ended the breach: %+v", rc)
		}
		f.clock.set(start.Add(51 * time.Hour))
		if _, err := f.mon.PingWith(ctx, sc.HeartbeatToken, monitor.PingSuccess, monitor.BackupReport{}); err != nil {
			t.Fatal(err)
		}
		if rc := rpoChanges(got); len(rc) != 2 || rc[1].To != availability.Up || !rc[1].At.Equal(start.Add(51*time.Hour)) {
			t.Fatalf("recovery: %+v", rc)
		}
		for _, bad := range []monitor.BackupReport{{DataPoint: start.Add(60 * time.Hour)}, {Bytes: new(int64(-1))}} {
			if _, err := f.mon.PingWith(ctx, sc.HeartbeatToken, monitor.PingSuccess, bad); err == nil {
				t.Errorf("%+v accepted", bad)
			}
		}
		if _, err := f.mon.PingWith(ctx, sc.HeartbeatToken, monitor.PingFail, monitor.BackupReport{DataPoint: start}); err == nil || !strings.Contains(err.Error(), "data_point") {
			t.Errorf("a data point on /fail: %v", err)
		}
	})
}

func rpoChanges(cs []monitor.Change) []monitor.Change {
	var out []monitor.Change
	for _, c := range cs {
		if c.RPO {
			out = append(out, c)
		}
	}
	return out
}
