package oncall

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/sextant-ops/sextant/internal/apperr"
	"go.yaml.in/yaml/v3"
)

var knownUsers = map[string]bool{"alice": true, "bob": true, "carol": true, "dave": true, "erin": true, "frank": true}

// valid returns a fresh copy of the example schedule for a case to break.
func valid() Schedule {
	s := example
	s.Layers = nil
	for _, l := range example.Layers {
		l.Members = append([]string(nil), l.Members...)
		l.Restrict = append([]Window(nil), l.Restrict...)
		s.Layers = append(s.Layers, l)
	}
	s.Overrides = append([]Override(nil), example.Overrides...)
	return s
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		change  func(*Schedule)
		path    string // "" for no problem
		message string // a part of the message
	}{
		{"the example is valid", func(*Schedule) {}, "", ""},
		{"empty zone means UTC", func(s *Schedule) { s.Timezone = "" }, "", ""},
		{"rotation in weeks with a weekday", func(s *Schedule) { s.Layers[0].Rotation, s.Layers[0].Handoff = "2w", "thu 10:00" }, "", ""},
		{"1d is daily", func(s *Schedule) { s.Layers[1].Rotation = "1d" }, "", ""},
		{"full day names", func(s *Schedule) { s.Layers[0].Handoff = "Monday 9:00" }, "", ""},
		{"no days in a window means every day", func(s *Schedule) { s.Layers[1].Restrict[0].Days = "" }, "", ""},

		{"missing name", func(s *Schedule) { s.Name = " " }, "name", "is required"},
		{"unknown zone", func(s *Schedule) { s.Timezone = "Europe/Berln" }, "timezone", `unknown time zone "Europe/Berln"`},
		{"server zone", func(s *Schedule) { s.Timezone = "Local" }, "timezone", "server's zone"},
		{"no layers", func(s *Schedule) { s.Layers = nil }, "layers", "at least one layer"},
		{"no rotation", func(s *Schedule) { s.Layers[0].Rotation = "" }, "layers[0].rotation", "is required"},
		{"unknown rotation", func(s *Schedule) { s.Layers[0].Rotation = "monthly" }, "layers[0].rotation", `invalid rotation "monthly"`},
		{"rotation too short", func(s *Schedule) { s.Layers[0].Rotation = "1m" }, "layers[0].rotation", "shorter than 1h"},
		{"rotation not whole minutes", func(s *Schedule) { s.Layers[0].Rotation = "1h30s" }, "layers[0].rotation", "whole number of minutes"},
		{"rotation too long", func(s *Schedule) { s.Layers[0].Rotation = "600w" }, "layers[0].rotation", "longer than ten years"},
		{"bad hand-off time", func(s *Schedule) { s.Layers[1].Handoff = "25:00" }, "layers[1].handoff", "the latest time is 24:00"},
		{"hand-off at 24:00", func(s *Schedule) { s.Layers[1].Handoff = "24:00" }, "layers[1].handoff", "before 24:00"},
		{"hand-off without colon", func(s *Schedule) { s.Layers[1].Handoff = "9" }, "layers[1].handoff", "use HH:MM"},
		{"bad hand-off weekday", func(s *Schedule) { s.Layers[0].Handoff = "mnd 09:00" }, "layers[0].handoff", `unknown day "mnd"`},
		{"hand-off on several days", func(s *Schedule) { s.Layers[0].Handoff = "mon-fri 09:00" }, "layers[0].handoff", "one weekday"},
		{"hand-off with three words", func(s *Schedule) { s.Layers[0].Handoff = "every mon 09:00" }, "layers[0].handoff", "invalid hand-off"},
		{"weekday on a daily rotation", func(s *Schedule) { s.Layers[1].Handoff = "mon 18:00" }, "layers[1].handoff", "only allowed for rotations of whole weeks"},
		{"weekday on a 12h rotation", func(s *Schedule) { s.Layers[1].Rotation, s.Layers[1].Handoff = "12h", "mon 18:00" }, "layers[1].handoff", "only allowed for rotations of whole weeks"},
		{"bad start", func(s *Schedule) { s.Layers[0].Start = "2026-02-30" }, "layers[0].start", "invalid date"},
		{"no members", func(s *Schedule) { s.Layers[2].Members = nil }, "layers[2].members", "at least one member"},
		{"empty member", func(s *Schedule) { s.Layers[0].Members[1] = "" }, "layers[0].members[1]", "is empty"},
		{"unknown member", func(s *Schedule) { s.Layers[0].Members[1] = "zoe" }, "layers[0].members[1]", `unknown user "zoe"`},
		{"bad window days", func(s *Schedule) { s.Layers[1].Restrict[0].Days = "mon-fry" }, "layers[1].restrict[0].days", `unknown day "fry"`},
		{"bad window from", func(s *Schedule) { s.Layers[1].Restrict[0].From = "6pm" }, "layers[1].restrict[0].from", "use HH:MM"},
		{"window from 24:00", func(s *Schedule) { s.Layers[1].Restrict[0].From = "24:00" }, "layers[1].restrict[0].from", "cannot start at 24:00"},
		{"bad window to", func(s *Schedule) { s.Layers[1].Restrict[0].To = "" }, "layers[1].restrict[0].to", "use HH:MM"},
		{"empty window", func(s *Schedule) { s.Layers[1].Restrict[0].To = "18:00" }, "layers[1].restrict[0].to", "same as from"},
		{"override without user", func(s *Schedule) { s.Overrides[1].User = "" }, "overrides[1].user", "is required"},
		{"override for unknown user", func(s *Schedule) { s.Overrides[1].User = "zoe" }, "overrides[1].user", `unknown user "zoe"`},
		{"override start not RFC 3339", func(s *Schedule) { s.Overrides[0].Start = "2026-12-24 00:00" }, "overrides[0].start", "use RFC 3339"},
		{"override without offset", func(s *Schedule) { s.Overrides[0].Start = "2026-12-24T00:00:00" }, "overrides[0].start", "use RFC 3339"},
		{"override without end", func(s *Schedule) { s.Overrides[0].End = "" }, "overrides[0].end", "is required"},
		{"override ending before it starts", func(s *Schedule) { s.Overrides[1].End = "2026-12-23T00:00:00+01:00" }, "overrides[1].end", "must be after start"},
		{"override ending as it starts", func(s *Schedule) { s.Overrides[1].End = s.Overrides[1].Start }, "overrides[1].end", "must be after start"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := valid()
			tt.change(&s)
			got := s.Validate(knownUsers)
			if tt.path == "" {
				if len(got) != 0 {
					t.Fatalf("Validate = %v, want no problems", got)
				}
				if _, err := Compile(s); err != nil {
					t.Fatalf("Compile: %v", err)
				}
				return
			}
			if len(got) != 1 || got[0].Path != tt.path || !strings.Contains(got[0].Msg, tt.message) {
				t.Fatalf("Validate = %v, want one problem at %s containing %q", got, tt.path, tt.message)
			}
			if strings.HasPrefix(tt.message, "unknown user") {
				return // Compile does not know the users
			}
			_, err := Compile(s)
			var inv *apperr.Invalid
			if !errors.As(err, &inv) || len(inv.Fields) != 1 || inv.Fields[0] != got[0] {
				t.Errorf("Compile error = %v, want the same problem as Validate", err)
			}
		})
	}
}

func TestValidateWithoutUsers(t *testing.T) {
	s := valid()
	s.Layers[0].Members[0] = "nobody-we-know"
	if got := s.Validate(nil); len(got) != 0 {
		t.Errorf("Validate(nil) = %v, want the user check skipped", got)
	}
}

func TestValidateCollectsEveryProblem(t *testing.T) {
	s := Schedule{Timezone: "Mars/Olympus", Layers: []Layer{{Rotation: "often", Handoff: "noon"}}, Overrides: []Override{{}}}
	got := s.Validate(knownUsers)
	want := []string{"name", "timezone", "layers[0].members", "layers[0].rotation", "layers[0].handoff", "overrides[0].user", "overrides[0].start", "overrides[0].end"}
	if len(got) != len(want) {
		t.Fatalf("Validate = %v, want problems at %v", got, want)
	}
	for i, f := range got {
		if f.Path != want[i] {
			t.Errorf("problem %d at %s, want %s", i, f.Path, want[i])
		}
	}
	prefixed := apperr.Prefixed("schedules[0]", got)
	if prefixed[2].Path != "schedules[0].layers[0].members" {
		t.Errorf("paths do not compose: %s", prefixed[2].Path)
	}
}

// TestScheduleYAML reads the configuration example of the documentation,
// so that the field names stay the ones users write.
func TestScheduleYAML(t *testing.T) {
	const doc = `
schedules:
  - name: primary
    timezone: Europe/Berlin
    layers:
      - {rotation: weekly, handoff: "mon 09:00", members: [alice, bob], start: "2026-01-05"}
      - {rotation: daily, handoff: "18:00", members: [carol, dave], restrict: [{days: mon-fri, from: "18:00", to: "09:00"}]}
      - {rotation: 3d, handoff: "08:00", members: [erin]}
    overrides:
      - {user: frank, start: "2026-12-24T00:00:00+01:00", end: "2026-12-27T00:00:00+01:00"}
`
	var cfg struct {
		Schedules []Schedule `yaml:"schedules"`
	}
	if err := yaml.Unmarshal([]byte(doc), &cfg); err != nil {
		t.Fatal(err)
	}
	if len(cfg.Schedules) != 1 {
		t.Fatalf("got %d schedules", len(cfg.Schedules))
	}
	s := cfg.Schedules[0]
	if got := s.Validate(knownUsers); len(got) != 0 {
		t.Fatalf("Validate = %v", got)
	}
	want := Layer{Rotation: "daily", Handoff: "18:00", Members: []string{"carol", "dave"}, Restrict: []Window{{Days: "mon-fri", From: "18:00", To: "09:00"}}}
	if got := s.Layers[1]; !reflect.DeepEqual(got, want) {
		t.Errorf("layer 1 = %+v, want %+v", got, want)
	}
	if o := s.Overrides[0]; o.User != "frank" || o.End != "2026-12-27T00:00:00+01:00" {
		t.Errorf("override = %+v", o)
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back Schedule
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, s) {
		t.Errorf("JSON round trip: %s → %+v, %v", b, back, err)
	}
	c := mustCompile(t, s)
	if got := who(c, utc(t, "2026-12-25T12:00:00Z")); got != "frank" {
		t.Errorf("on Christmas Day %q is on call, want frank", got)
	}
}
