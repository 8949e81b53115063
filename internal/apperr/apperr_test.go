package apperr

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestPointer(t *testing.T) {
	cases := map[string]string{
		"":                           "",
		"name":                       "/name",
		"objective.availability":     "/objective/availability",
		"depends_on[0].service":      "/depends_on/0/service",
		"services[2].maintenance[1]": "/services/2/maintenance/1",
		"a/b":                        "/a~1b",
	}
	for in, want := range cases {
		if got := Pointer(in); got != want {
			t.Errorf("Pointer(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestKinds(t *testing.T) {
	if err := NotFound("service %q", "x"); !errors.Is(err, ErrNotFound) || err.Error() != `service "x": not found` {
		t.Fatalf("NotFound = %v", err)
	}
	var inv Invalid
	if inv.Err() != nil {
		t.Fatal("empty Invalid is an error")
	}
	inv.Add("tier", "must be between %d and %d", 1, 5)
	if inv.Err() == nil || inv.Error() != "tier: must be between 1 and 5" {
		t.Fatalf("Invalid = %v", inv.Err())
	}
	if got := Prefixed("services[1]", inv.Fields)[0].Path; got != "services[1].tier" {
		t.Fatalf("Prefixed path = %q", got)
	}
}

func TestBadText(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{"plain", "payroll", ""},
		{"empty", "", ""},
		{"multi-byte", "Zürich ✓", ""},
		{"NUL", "a\x00b", "holds a NUL byte"},
		{"invalid UTF-8", "a\xff\xfe", "is not valid UTF-8"},
		{"lone continuation byte", "x\x80", "is not valid UTF-8"},
		{"NUL and invalid", "\x00\xff", "holds a NUL byte"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := BadText(c.in); got != c.want {
				t.Fatalf("BadText(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

func TestMerge(t *testing.T) {
	parsed := []Field{{Path: "tier", Msg: "must be a whole number"}, {Path: "objective.downtime_cost", Msg: "must be a number"}}
	cases := []struct {
		name      string
		validated error
		want      []string
	}{
		{"nothing more", nil, []string{"tier", "objective.downtime_cost"}},
		{"other fields added", &Invalid{Fields: []Field{{Path: "name", Msg: "bad"}, {Path: "objective.hours", Msg: "unknown"}}},
			[]string{"tier", "objective.downtime_cost", "name", "objective.hours"}},
		{"same field left out", &Invalid{Fields: []Field{{Path: "tier", Msg: "must be between 1 and 5"}}},
			[]string{"tier", "objective.downtime_cost"}},
		{"a field sharing a prefix kept", &Invalid{Fields: []Field{{Path: "tiers", Msg: "x"}, {Path: "objective.downtime_costs", Msg: "x"}}},
			[]string{"tier", "objective.downtime_cost", "tiers", "objective.downtime_costs"}},
		{"not an Invalid", errors.New("database gone"), []string{"tier", "objective.downtime_cost"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			for _, f := range Merge(parsed, c.validated).Fields {
				got = append(got, f.Path)
			}
			if strings.Join(got, ",") != strings.Join(c.want, ",") {
				t.Fatalf("paths = %v, want %v", got, c.want)
			}
		})
	}
	under := Merge([]Field{{Path: "depends_on[1]", Msg: "bad row"}}, &Invalid{Fields: []Field{{Path: "depends_on[1].kind", Msg: "x"}, {Path: "depends_on[10].kind", Msg: "y"}}})
	if len(under.Fields) != 2 || under.Fields[1].Path != "depends_on[10].kind" {
		t.Fatalf("problems under a parsed path: %+v", under.Fields)
	}
}

func TestClientGone(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	cases := []struct {
		name string
		ctx  context.Context
		err  error
		want bool
	}{
		{"request canceled", canceled, fmt.Errorf("query: %w", context.Canceled), true},
		{"canceled inside a live request", context.Background(), context.Canceled, false},
		{"another error of a canceled request", canceled, errors.New("disk on fire"), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := ClientGone(c.ctx, c.err); got != c.want {
				t.Fatalf("ClientGone = %v, want %v", got, c.want)
			}
		})
	}
}
