package web

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/monitor"
	"github.com/sextant-ops/sextant/internal/recovery"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// The recovery pages: the backup job's RPO box and chart on its check
// page, the last verified restore on the service page, the Recovery
// overview with its warnings and the plan page with its runbook as text.
// recoveryEnv is a UI with a service, a backup job pinged an hour ago, a
// verified restore, a plan whose rto exceeds the service's max_outage and a
// drill of it.
func recoveryEnv(t *testing.T, db *store.DB) *env {
	t.Helper()
	rs := &recovery.Store{DB: db}
	e := newEnv(t, db, func(d *Deps) { d.Recovery = rs })
	rs.Facts = func(ctx context.Context) (recovery.Facts, error) {
		return recovery.Facts{Services: map[string]time.Duration{"shop": 30 * time.Minute}, BackupRPOs: map[string]time.Duration{"shop-db": 26 * time.Hour}}, nil
	}
	bg := context.Background()
	e.putService(catalog.Service{Name: "shop", Objective: &catalog.Objective{Availability: "99.9%", MaxOutage: "30m"}})
	sc := e.putCheck(monitor.Check{Name: "shop-db", Service: "shop", Type: "heartbeat", Kind: "backup", Period: "24h", RPO: "26h"})
	if _, err := e.monitor.PingWith(bg, sc.HeartbeatToken, monitor.PingSuccess, monitor.BackupReport{DataPoint: time.Now().Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := rs.RecordRestoreTest(bg, "olivia", recovery.RestoreTest{Check: "shop-db", At: time.Now().Add(-2 * time.Hour), What: "orders to staging", Verified: true, Duration: 45 * time.Minute}); err != nil {
		t.Fatal(err)
	}
	if _, err := rs.PutPlan(bg, "olivia", recovery.Plan{Name: "shop-restore", Service: "shop", RTO: "4h", RPO: "26h", Backups: []string{"shop-db"},
		Runbook: "# Restore\n<script>alert(1)</script>"}, true); err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(-3 * time.Hour).Truncate(time.Second)
	if _, err := rs.RecordDrill(bg, "olivia", recovery.Drill{Plan: "shop-restore", Kind: "drill", StartedAt: start, RestoredAt: start.Add(90 * time.Minute),
		DataPoint: start.Add(-8 * time.Hour), Steps: []recovery.Step{{At: start.Add(time.Minute), Text: "dump fetched"}}}); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestRecoveryPages(t *testing.T) {
	for _, eng := range storetest.Engines(t) {
		t.Run(eng.Name, func(t *testing.T) {
			db := storetest.Open(t, eng)
			e := recoveryEnv(t, db)
			victor := e.login("victor")

			res, body := e.get("/checks/shop-db", &victor)
			wantStatus(t, res, 200)
			wantContains(t, body, "Backup: achieved RPO", `id="rpo-achieved" class="up"`, "<polyline", `class="target"`, "orders to staging", "success")

			res, body = e.get("/services/shop", &victor)
			wantStatus(t, res, 200)
			wantContains(t, body, `id="last-verified"`, "orders to staging")

			res, body = e.get("/recovery", &victor)
			wantStatus(t, res, 200)
			wantContains(t, body, `href="/recovery"`, "shop-restore", `data-kind="misaligned"`, "rto 4h exceeds service shop&#39;s max_outage 30m", "shop-db", "passed")

			res, body = e.get("/recovery/plans/shop-restore", &victor)
			wantStatus(t, res, 200)
			wantContains(t, body, "&lt;script&gt;alert(1)&lt;/script&gt;", "dump fetched", "1h30m")
			wantNotContains(t, body, "<script>alert(1)")

			res, _ = e.get("/recovery/plans/nope", &victor)
			wantStatus(t, res, 404)

			// The check form edits the RPO among the heartbeat's inputs.
			olivia := e.login("olivia")
			res, body = e.get("/checks/shop-db/edit", &olivia)
			wantStatus(t, res, 200)
			wantContains(t, body, `name="rpo"`, `value="26h"`)
			form := url.Values{"service": {"shop"}, "type": {"heartbeat"}, "period": {"24h"}, "rpo": {"a while"}}
			res, body = e.post("/checks/shop-db/edit", form, &olivia)
			wantStatus(t, res, 422)
			wantContains(t, body, "Backup RPO")
			form.Set("rpo", "2d")
			res, _ = e.post("/checks/shop-db/edit", form, &olivia)
			wantStatus(t, res, 303)
			if sc, err := e.checks.Get(context.Background(), "shop-db"); err != nil || sc.Kind != monitor.KindBackup || sc.RPO != "2d" {
				t.Errorf("after the edit: %+v %v", sc.Check, err)
			}
		})
	}
}
