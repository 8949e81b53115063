package app_test

import (
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/app"
	"github.com/sextant-ops/sextant/internal/httpapi"
	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/monitor"
	"github.com/sextant-ops/sextant/internal/recovery"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// testClock is a clock the test moves by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Set(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = mustTime(s)
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// rpoIncident waits for the RPO incident of check to reach status (the
// monitor sweeps every second); "" waits for none to be open.
func (s *server) rpoIncident(check, status string) incident.Incident {
	s.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		var l httpapi.List[incident.Incident]
		s.json("GET", "/api/v1/incidents?limit=100", "", &l)
		for _, i := range l.Items {
			if i.DedupKey == "check:"+check+incident.RPOKeySuffix && i.Status == status {
				return i
			}
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("no %s RPO incident of %s in %+v", status, check, l.Items)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *server) ping(url string) (int, string) {
	s.t.Helper()
	code, body := s.do("POST", strings.TrimPrefix(url, s.base), false)
	return code, body
}

// The hand-worked cases of backups and recovery, through the API: a daily
// backup with rpo 26h that fails one night breaches at the exact instant
// and recovers at the next success; a drill 10:00 → 11:30 with data point
// 02:00 has RTO 1h30m and RPO 8h and fails a plan of rto 1h; a plan with
// rto 4h on a service with max_outage 30m is flagged.
func TestBackupRPOAndDrillsThroughTheAPI(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			clock := &testClock{}
			clock.Set("2026-03-01T00:00:00Z")
			s := start(t, e, app.Options{Now: clock.Now})
			if code := s.json("POST", "/api/v1/services", `{"name":"shop","objective":{"availability":"99.9%","max_outage":"30m"}}`, nil); code != 201 {
				t.Fatalf("create service: %d", code)
			}
			var st monitor.Status
			if code := s.json("POST", "/api/v1/checks", `{"name":"shop-db","service":"shop","type":"heartbeat","kind":"backup","period":"24h","grace":"3h","rpo":"26h"}`, &st); code != 201 {
				t.Fatalf("create backup job: %d", code)
			}
			t.Run("a bad data point or size is refused by name", func(t *testing.T) {
				for q, param := range map[string]string{"?data_point=yesterday": "data_point", "?bytes=-5": "bytes", "?data_point=2026-03-05T00:00:00Z": "data_point"} {
					code, body := s.ping(st.PingURL + q)
					if code != 400 || !strings.Contains(body, `"parameter":"`+param+`"`) {
						t.Errorf("ping %s: %d %s, want 400 naming %s", q, code, body, param)
					}
				}
			})
			clock.Set("2026-03-01T02:30:00Z")
			if code, body := s.ping(st.PingURL + "?data_point=2026-03-01T02:00:00Z&bytes=1048576"); code != 200 {
				t.Fatalf("success ping: %d %s", code, body)
			}
			clock.Set("2026-03-02T02:00:00Z")
			s.ping(st.PingURL + "/start")
			clock.Set("2026-03-02T02:30:00Z")
			if code, _ := s.ping(st.PingURL + "/fail"); code != 200 {
				t.Fatalf("fail ping: %d", code)
			}
			clock.Set("2026-03-02T04:00:00Z")
			var rep httpapi.BackupReport
			s.json("GET", "/api/v1/checks/shop-db/backup", "", &rep)
			if rep.Breached || rep.AchievedRPOSeconds != 26*3600 {
				t.Fatalf("at 04:00 exactly: breached %v, achieved %ds; want within at 26h", rep.Breached, rep.AchievedRPOSeconds)
			}
			clock.Set("2026-03-02T04:00:01Z")
			opened := s.rpoIncident("shop-db", "triggered")
			if !strings.Contains(opened.Summary, "beyond its RPO 1d2h") || opened.Escalation != "default" {
				t.Errorf("RPO incident: %q (policy %q)", opened.Summary, opened.Escalation)
			}
			s.json("GET", "/api/v1/checks/shop-db/backup", "", &rep)
			if !rep.Breached || len(rep.Spans) != 2 || !rep.Spans[1].From.Equal(mustTime("2026-03-02T04:00:00Z")) {
				t.Fatalf("after the RPO passed: %+v", rep)
			}
			clock.Set("2026-03-03T02:30:00Z")
			if code, _ := s.ping(st.PingURL + "?data_point=2026-03-03T02:00:00Z"); code != 200 {
				t.Fatal("next success refused")
			}
			s.rpoIncident("shop-db", "resolved")
			clock.Set("2026-03-04T00:00:00Z")
			s.json("GET", "/api/v1/checks/shop-db/backup?period=month", "", &rep)
			want := []recovery.Span{
				{From: mustTime("2026-03-01T00:00:00Z"), To: mustTime("2026-03-02T04:00:00Z")},
				{From: mustTime("2026-03-02T04:00:00Z"), To: mustTime("2026-03-03T02:30:00Z"), Breached: true},
				{From: mustTime("2026-03-03T02:30:00Z"), To: mustTime("2026-03-04T00:00:00Z")},
			}
			if len(rep.Spans) != 3 {
				t.Fatalf("spans %+v", rep.Spans)
			}
			for i, w := range want {
				if g := rep.Spans[i]; !g.From.Equal(w.From) || !g.To.Equal(w.To) || g.Breached != w.Breached {
					t.Errorf("span %d = %+v, want %+v", i, g, w)
				}
			}
			if rep.Compliance != 49.5/72 || rep.Breaches != 1 || rep.AchievedRPOSeconds != 22*3600 {
				t.Errorf("compliance %v, breaches %d, achieved %ds", rep.Compliance, rep.Breaches, rep.AchievedRPOSeconds)
			}
			if len(rep.LastRuns) != 4 || rep.LastRuns[0].Outcome != recovery.RunSuccess || rep.LastRuns[3].Bytes == nil || *rep.LastRuns[3].Bytes != 1048576 {
				t.Errorf("runs %+v", rep.LastRuns)
			}

			t.Run("restore tests give the last verified restore and its age", func(t *testing.T) {
				var rt recovery.RestoreTest
				if code := s.json("POST", "/api/v1/checks/shop-db/restore-tests", `{"at":"2026-03-03T09:00:00Z","what":"orders to staging","verified":true,"duration":"45m"}`, &rt); code != 201 || rt.Seconds != 2700 {
					t.Fatalf("record: %d %+v", code, rt)
				}
				s.json("POST", "/api/v1/checks/shop-db/restore-tests", `{"at":"2026-03-03T12:00:00Z","what":"orders again","verified":false,"duration":"1h"}`, nil)
				var p httpapi.Problem
				if code := s.json("POST", "/api/v1/checks/shop-db/restore-tests", `{"at":"2026-03-09T00:00:00Z","what":"","duration":"soon"}`, &p); code != 400 || len(p.Errors) != 3 {
					t.Errorf("bad restore test: %d %+v", code, p.Errors)
				}
				s.json("GET", "/api/v1/checks/shop-db/backup", "", &rep)
				if rep.LastVerified == nil || rep.LastVerified.What != "orders to staging" || rep.LastVerified.AgeSeconds != 15*3600 {
					t.Errorf("last verified %+v", rep.LastVerified)
				}
			})

			t.Run("plans warn and drills are judged", func(t *testing.T) {
				var pv httpapi.PlanView
				if code := s.json("POST", "/api/v1/dr/plans", `{"name":"shop-restore","service":"shop","rto":"1h","rpo":"24h","backups":["shop-db"],"items":["orders-db"],"runbook":"# Restore\n1. Restore the dump.","last_reviewed":"2026-02-01"}`, &pv); code != 201 {
					t.Fatalf("create plan: %d", code)
				}
				if !hasWarning(pv.Warnings, recovery.WarnBackupRPO) || !hasWarning(pv.Warnings, recovery.WarnNotDrilled) {
					t.Errorf("warnings %+v", pv.Warnings)
				}
				if code := s.json("POST", "/api/v1/dr/plans", `{"name":"shop-slow","service":"shop","rto":"4h","rpo":"26h","last_reviewed":"2026-02-01"}`, &pv); code != 201 {
					t.Fatalf("create plan: %d", code)
				}
				if !hasWarning(pv.Warnings, recovery.WarnMisaligned) {
					t.Errorf("rto 4h on max_outage 30m not flagged: %+v", pv.Warnings)
				}
				var p httpapi.Problem
				if code := s.json("POST", "/api/v1/dr/plans", `{"name":"x","service":"nope","rto":"soon","rpo":"1h","backups":["missing"]}`, &p); code != 400 || len(p.Errors) != 3 {
					t.Errorf("bad plan: %d %+v", code, p.Errors)
				}
				clock.Set("2026-03-10T12:00:00Z")
				var d recovery.StoredDrill
				if code := s.json("POST", "/api/v1/dr/drills", `{"plan":"shop-restore","kind":"drill","started_at":"2026-03-10T10:00:00Z","restored_at":"2026-03-10T11:30:00Z","data_point":"2026-03-10T02:00:00Z","notes":"quarterly","steps":[{"at":"2026-03-10T10:05:00Z","text":"dump fetched"}]}`, &d); code != 201 {
					t.Fatalf("drill: %d", code)
				}
				if d.Outcome.RTOSeconds != 5400 || d.Outcome.RPOSeconds != 8*3600 || d.Outcome.Passed || d.Outcome.RTOMet || !d.Outcome.RPOMet {
					t.Errorf("drill outcome %+v", d.Outcome)
				}
				if code := s.json("POST", "/api/v1/dr/drills", `{"plan":"none","kind":"test","started_at":"2026-03-10T10:00:00Z","restored_at":"2026-03-10T09:00:00Z","data_point":"2026-03-10T02:00:00Z"}`, &p); code != 400 || len(p.Errors) != 2 {
					t.Errorf("bad drill: %d %+v", code, p.Errors)
				}
				var rr httpapi.RecoveryReport
				s.json("GET", "/api/v1/dr/report?period=month", "", &rr)
				if len(rr.Recoveries) != 1 || len(rr.Plans) != 2 || rr.Plans[0].Plan != "shop-restore" || rr.Plans[0].Failed != 1 || rr.Plans[0].Drills != 1 {
					t.Errorf("report plans %+v, recoveries %d", rr.Plans, len(rr.Recoveries))
				}
				// No backup since 3 March: a second breach from 4 March 04:00.
				if len(rr.Jobs) != 1 || rr.Jobs[0].Breaches != 2 {
					t.Errorf("report jobs %+v", rr.Jobs)
				}
				if code, _ := s.do("GET", "/api/v1/dr/report?period=decade", true); code != 400 {
					t.Errorf("bad period: %d", code)
				}
			})
		})
	}
}

func hasWarning(ws []recovery.Warning, kind string) bool {
	for _, w := range ws {
		if w.Kind == kind {
			return true
		}
	}
	return false
}

// Plans in the config file are stored at start, shown with source file,
// and read-only in the API: the file wins.
func TestRecoveryPlansFromTheFile(t *testing.T) {
	e := storetest.Engines(t)[0]
	dir := t.TempDir()
	cfg := dir + "/sextant.yaml"
	if err := os.WriteFile(cfg, []byte(`services:
  - name: shop
    objective: {availability: 99.9%, max_outage: 30m}
checks:
  - {name: shop-db, service: shop, type: heartbeat, kind: backup, period: 24h, rpo: 26h}
recovery:
  plans:
    - {name: shop-restore, service: shop, rto: 4h, rpo: 26h, backups: [shop-db], last_reviewed: 2026-01-15}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	s := start(t, e, app.Options{ConfigPath: cfg, DataDir: t.TempDir()})
	var pv httpapi.PlanView
	if code := s.json("GET", "/api/v1/dr/plans/shop-restore", "", &pv); code != 200 || pv.Source != recovery.SourceFile || !hasWarning(pv.Warnings, recovery.WarnMisaligned) {
		t.Fatalf("file plan: %d %+v", code, pv)
	}
	if code := s.json("PUT", "/api/v1/dr/plans/shop-restore", `{"service":"shop","rto":"20m","rpo":"26h"}`, nil); code != 409 {
		t.Errorf("PUT over a file plan: %d, want 409", code)
	}
	if code := s.json("DELETE", "/api/v1/dr/plans/shop-restore", "", nil); code != 409 {
		t.Errorf("DELETE of a file plan: %d, want 409", code)
	}
	if err := os.WriteFile(cfg, []byte(`services:
  - name: shop
    objective: {availability: 99.9%, max_outage: 30m}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	if code := s.json("POST", "/api/v1/config/reload", "", nil); code != 200 {
		t.Fatalf("reload: %d", code)
	}
	if code := s.json("GET", "/api/v1/dr/plans/shop-restore", "", nil); code != 404 {
		t.Errorf("a plan the file no longer declares: %d, want 404", code)
	}
}
