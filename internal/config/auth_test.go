package config

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/sextant-ops/sextant/internal/auth"
)

func TestAuthRequireSecondFactor(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      []auth.Role
		problems  []string // "LINE:COL: text" of each problem
	}{
		{name: "no key: nobody is required", src: "services: []\n"},
		{name: "admins and operators", src: "auth:\n  require_second_factor: [admin, operator]\n", want: []auth.Role{auth.Admin, auth.Operator}},
		{name: "an unknown role", src: "auth:\n  require_second_factor: [admin, root]\n",
			problems: []string{`2:34: auth.require_second_factor[1]: unknown role "root"`}},
		{name: "agents never sign in to the UI", src: "auth:\n  require_second_factor:\n    - agent\n",
			problems: []string{"3:7: auth.require_second_factor[0]: agent accounts do not sign in"}},
		{name: "a role twice", src: "auth:\n  require_second_factor: [admin, admin]\n",
			problems: []string{`2:34: auth.require_second_factor[1]: role "admin" is listed twice`}},
		{name: "an unknown key", src: "auth:\n  require_2fa: [admin]\n", problems: []string{"2:3:"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse([]byte(tc.src), nil)
			if len(tc.problems) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(cfg.RequireSecondFactor, tc.want) {
					t.Fatalf("RequireSecondFactor = %v, want %v", cfg.RequireSecondFactor, tc.want)
				}
				return
			}
			var p *Problems
			if !errors.As(err, &p) || len(p.Errors) != len(tc.problems) {
				t.Fatalf("problems = %v, want %d", err, len(tc.problems))
			}
			for i, want := range tc.problems {
				if got := p.Errors[i].Error(); !strings.HasPrefix(got, want) {
					t.Errorf("problem %d = %q, want it to start %q", i, got, want)
				}
			}
		})
	}
}
