package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestChangeSection reads the change section, and names each mistake in
// it with its line and column.
func TestChangeSection(t *testing.T) {
	cfg, err := Parse([]byte(`change:
  failure_window: 12h
  templates:
    - {name: restart, title: Restart the web tier, services: [shop]}
  approvers:
    - {name: cab, types: [normal], risks: [high], role: operator, quorum: 2}
  freezes:
    - {name: year-end, start: "2026-12-20T00:00:00Z", end: "2027-01-04T00:00:00Z"}
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.Change
	if c.FailureWindow != 12*time.Hour || len(c.Templates) != 1 || c.Approvers[0].Quorum != 2 || len(c.Freezes) != 1 || c.Freezes[0].Source != "file" {
		t.Fatalf("change rules: %+v", c)
	}
	_, err = Parse([]byte(`change:
  failure_window: later
  approvers:
    - {name: cab, role: chief}
`), nil)
	var p *Problems
	if !errors.As(err, &p) {
		t.Fatalf("want problems, got %v", err)
	}
	got := p.Error()
	for _, want := range []string{"2:19: change.failure_window", "4:25: change.approvers[0].role: unknown role \"chief\""} {
		if !strings.Contains(got, want) {
			t.Errorf("problems lack %q:\n%s", want, got)
		}
	}
}
