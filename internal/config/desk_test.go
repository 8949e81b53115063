package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

const deskBase = `calendars:
  office:
    timezone: Europe/Berlin
    weekly: [{days: mon-fri, from: "09:00", to: "17:00"}]
services:
  - name: hr
    tier: 2
`

func TestDeskSection(t *testing.T) {
	cfg, err := Parse([]byte(deskBase+`desk:
  priority_matrix:
    high: [1, 1, 2]
    medium: [2, 3, 4]
    low: [3, 4, 5]
  queues:
    - {name: first-line, members: [ann, bob], calendar: office, address: help@example.com}
  sla_policies:
    - {name: p1, match: {priority: [1]}, first_response: 30m, resolution: 4h}
    - {name: hr, match: {type: request, service: hr}, resolution: 3d, calendar: office}
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	d := cfg.Desk
	if d.Matrix.Priority("high", "medium") != 1 || d.Queues[0].Address != "help@example.com" || len(d.Policies) != 2 ||
		d.Policies[1].ResolutionTarget != 72*time.Hour || d.Policies[0].FirstResponseTarget != 30*time.Minute {
		t.Fatalf("desk %+v", d)
	}
	if p, ok := d.Policy("request", 3, "hr"); !ok || p.Name != "hr" {
		t.Fatalf("policy for a request on hr: %+v %v", p, ok)
	}
}

func TestDeskWithoutSectionHasADefaultQueue(t *testing.T) {
	cfg, err := Parse([]byte(deskBase), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Desk.Queues) != 1 || cfg.Desk.Queues[0].Name != "service-desk" || cfg.Desk.Matrix.Priority("low", "low") != 5 {
		t.Fatalf("default desk %+v", cfg.Desk)
	}
}

func TestDeskMistakesWithLineAndColumn(t *testing.T) {
	_, err := Parse([]byte(deskBase+`desk:
  priority_matrix:
    high: [1, 2]
    medium: [2, 3, 9]
    low: [3, 4, 5]
  queues:
    - {name: First, calendar: nope, address: "Help <help@example.com>", escalation: ghost}
  sla_policies:
    - {name: p1, match: {type: bug, priority: [0], service: web}, first_response: soon}
    - {name: p2}
`), nil)
	var p *Problems
	if !errors.As(err, &p) {
		t.Fatalf("Parse = %v", err)
	}
	want := []string{
		"10:11: desk.priority_matrix.high: needs three priorities",
		"11:20: desk.priority_matrix.medium[2]: a priority is 1 to 5, not 9",
		"14:14: desk.queues[0].name: \"First\" must be",
		"14:31: desk.queues[0].calendar: unknown calendar \"nope\"",
		"14:46: desk.queues[0].address: \"Help <help@example.com>\" is not a plain mail address",
		"14:85: desk.queues[0].escalation: unknown escalation policy \"ghost\"",
		"16:32: desk.sla_policies[0].match.type: must be one of incident, request, problem",
		"16:48: desk.sla_policies[0].match.priority[0]: a priority is 1 to 5",
		"16:61: desk.sla_policies[0].match.service: unknown service \"web\"",
		"16:83: desk.sla_policies[0].first_response: ",
		"17:7: desk.sla_policies[1]: sets no target",
	}
	got := p.Error()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("missing %q in:\n%s", w, got)
		}
	}
	if n := len(strings.Split(got, "\n")); n != len(want) {
		t.Errorf("%d problems, want %d:\n%s", n, len(want), got)
	}
}
