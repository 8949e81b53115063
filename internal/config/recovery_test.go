package config

import (
	"errors"
	"strings"
	"testing"
)

func TestRecoveryPlans(t *testing.T) {
	good := `services:
  - name: shop
    objective: {availability: 99.9%, max_outage: 30m}
checks:
  - {name: shop-db, service: shop, type: heartbeat, kind: backup, period: 24h, rpo: 26h}
recovery:
  plans:
    - name: shop-restore
      service: shop
      rto: 4h
      rpo: 26h
      owner: dba team
      items: [orders-db]
      backups: [shop-db]
      last_reviewed: 2026-01-15
      runbook: |
        # Restore the shop
        1. Fetch the latest dump.
`
	cfg, err := Parse([]byte(good), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Plans) != 1 || cfg.Plans[0].Backups[0] != "shop-db" || !strings.HasPrefix(cfg.Plans[0].Runbook, "# Restore") {
		t.Fatalf("plans %+v", cfg.Plans)
	}
	bad := `services:
  - name: shop
    objective: {availability: 99.9%}
checks:
  - {name: web, service: shop, type: heartbeat, period: 24h}
recovery:
  plans:
    - name: shop-restore
      service: nowhere
      rto: soon
      rpo: 1h
      backups: [web]
      last_reviewed: last week
    - {name: shop-restore, service: shop, rto: 1h, rpo: 1h}
`
	_, err = Parse([]byte(bad), nil)
	var p *Problems
	if !errors.As(err, &p) {
		t.Fatalf("Parse = %v, want *Problems", err)
	}
	for _, want := range []string{
		`9:16: recovery.plans[0].service: unknown service "nowhere"`,
		`10:12: recovery.plans[0].rto:`,
		`12:17: recovery.plans[0].backups[0]: "web" is not a check of kind backup`,
		`13:22: recovery.plans[0].last_reviewed: "last week" is not a date`,
		`14:14: recovery.plans[1].name: plan "shop-restore" is already declared at recovery.plans[0]`,
	} {
		if !strings.Contains(p.Error(), want) {
			t.Errorf("missing %q in:\n%s", want, p.Error())
		}
	}
}
