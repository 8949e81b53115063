package cli

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
	"github.com/sextant-ops/sextant/internal/timeline"
)

func run(t *testing.T, stdin string, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(args, Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return env[k] }})
	return code, out.String(), errb.String()
}

func TestCheck(t *testing.T) {
	code, out, _ := run(t, "", nil, "check", "../config/testdata/issue-example.yaml")
	if code != 0 || !strings.Contains(out, "valid (1 calendars, 2 services)") {
		t.Fatalf("valid file: exit %d, %q", code, out)
	}
	code, out, errs := run(t, "", nil, "check", "../config/testdata/mistakes.yaml")
	if code != 1 {
		t.Fatalf("file with mistakes: exit %d", code)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 5 || !strings.Contains(errs, "problem(s)") {
		t.Fatalf("expected several problems, got:\n%s\n%s", out, errs)
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "../config/testdata/mistakes.yaml:") || strings.Count(l, ":") < 4 {
			t.Errorf("line without FILE:LINE:COL: %q", l)
		}
	}
	if code, _, _ := run(t, "", nil, "check"); code != 2 {
		t.Errorf("check without a file: exit %d, want 2", code)
	}
	if code, _, _ := run(t, "", nil, "check", "/does/not/exist.yaml"); code != 1 {
		t.Errorf("check of a missing file: exit %d, want 1", code)
	}
}

// TestUserAndTokenWithoutServer runs the admin commands against the data
// directory or database directly, on both engines.
func TestUserAndTokenWithoutServer(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			dsn, dir := e.DSN(t)
			env := map[string]string{"SEXTANT_DATABASE": dsn, "SEXTANT_DATA": dir}
			code, out, errs := run(t, "", env, "migrate")
			if code != 0 || !strings.Contains(out, "applied") {
				t.Fatalf("migrate: %d %q %q", code, out, errs)
			}
			if code, out, _ := run(t, "", env, "migrate"); code != 0 || !strings.Contains(out, "up to date") {
				t.Fatalf("second migrate: %d %q", code, out)
			}
			code, out, errs = run(t, "alice-secret-pw\n", env, "user", "add", "--name", "alice", "--role", "operator", "--password-stdin")
			if code != 0 || !strings.Contains(out, `created user "alice"`) {
				t.Fatalf("user add: %d %q %q", code, out, errs)
			}
			if code, _, errs := run(t, "x\n", env, "user", "add", "--name", "bob", "--password-stdin"); code != 1 || !strings.Contains(errs, "password") {
				t.Fatalf("short password: %d %q", code, errs)
			}
			code, out, errs = run(t, "", env, "token", "create", "--name", "ci", "--role", "admin")
			if code != 0 {
				t.Fatalf("token create: %d %q", code, errs)
			}
			lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
			secret := lines[len(lines)-1]
			if !strings.HasPrefix(secret, auth.TokenPrefix) || strings.Contains(secret, " ") {
				t.Fatalf("last line is not the token alone: %q", out)
			}
			if code, _, errs := run(t, "", env, "token", "create", "--name", "ci2", "--role", "root"); code != 1 || !strings.Contains(errs, "unknown role") {
				t.Fatalf("bad role: %d %q", code, errs)
			}
			// What the commands wrote is what a server on the same data sees.
			db, err := store.Open(context.Background(), dsn, dir, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			a := auth.NewService(db, nil)
			if p, err := a.Bearer(context.Background(), secret); err != nil || p.Role != auth.Admin {
				t.Fatalf("token from the CLI: %+v, %v", p, err)
			}
			if _, _, err := a.Login(context.Background(), "alice", "alice-secret-pw", "127.0.0.1"); err != nil {
				t.Fatalf("user from the CLI cannot log in: %v", err)
			}
			if code, out, _ := run(t, "", env, "user", "list"); code != 0 || !strings.Contains(out, "alice") {
				t.Fatalf("user list: %d %q", code, out)
			}
			if code, out, _ := run(t, "", env, "token", "revoke", "ci"); code != 0 || !strings.Contains(out, "revoked") {
				t.Fatalf("token revoke: %d %q", code, out)
			}
			if _, err := a.Bearer(context.Background(), secret); err == nil {
				t.Fatal("revoked token still works")
			}
		})
	}
}

func TestUserReset2FA(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			dsn, dir := e.DSN(t)
			env := map[string]string{"SEXTANT_DATABASE": dsn, "SEXTANT_DATA": dir}
			if code, _, errs := run(t, "root-secret-pw\n", env, "user", "add", "--name", "root", "--role", "admin", "--password-stdin"); code != 0 {
				t.Fatalf("user add: %d %q", code, errs)
			}
			db, err := store.Open(context.Background(), dsn, dir, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			ctx := context.Background()
			a := auth.NewService(db, nil)
			_, p, err := a.Login(ctx, "root", "root-secret-pw", "127.0.0.1")
			if err != nil {
				t.Fatal(err)
			}
			en, err := a.BeginTOTP(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			code, _ := auth.TOTPCode(en.Secret, time.Now())
			if _, err := a.ConfirmTOTP(ctx, p, code); err != nil {
				t.Fatal(err)
			}
			if _, _, err := a.Login(ctx, "root", "root-secret-pw", "127.0.0.1"); !errors.Is(err, auth.ErrSecondFactor) {
				t.Fatalf("login with a second factor: %v", err)
			}
			for _, tc := range []struct {
				name string
				args []string
				code int
				out  string
			}{
				{"resets", []string{"user", "reset-2fa", "root"}, 0, `two-factor sign-in of "root" was reset`},
				{"nothing to reset", []string{"user", "reset-2fa", "root"}, 1, "not found"},
				{"unknown user", []string{"user", "reset-2fa", "nobody"}, 1, "nobody"},
				{"no name", []string{"user", "reset-2fa"}, 2, "usage: sextant user reset-2fa NAME"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					code, out, errs := run(t, "", env, tc.args...)
					if code != tc.code || !strings.Contains(out+errs, tc.out) {
						t.Fatalf("exit %d, %q %q; want %d and %q", code, out, errs, tc.code, tc.out)
					}
				})
			}
			if _, _, err := a.Login(ctx, "root", "root-secret-pw", "127.0.0.1"); err != nil {
				t.Fatalf("login after the reset: %v", err)
			}
		})
	}
}

func TestUsage(t *testing.T) {
	if code, _, errs := run(t, "", nil); code != 2 || !strings.Contains(errs, "Usage") {
		t.Fatalf("no args: %d", code)
	}
	if code, _, _ := run(t, "", nil, "frobnicate"); code != 2 {
		t.Fatalf("unknown command: %d", code)
	}
	if code, out, _ := run(t, "", nil, "version"); code != 0 || !strings.Contains(out, "sextant") {
		t.Fatalf("version: %d %q", code, out)
	}
	if code, _, _ := run(t, "", nil, "serve", "--log-level", "loud"); code != 2 {
		t.Fatalf("bad log level: %d", code)
	}
}

func TestReportFormats(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"SEXTANT_DATA": dir}
	ctx := context.Background()
	db, err := store.Open(ctx, "", dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := catalog.NewStore(db, nil).PutService(ctx, "test", catalog.Service{Name: "shop", Objective: &catalog.Objective{Availability: "99%", MaxOutage: "30m"}}, catalog.MustCreate); err != nil {
		t.Fatal(err)
	}
	s, e, st := "2026-10-05T10:00:00Z", "2026-10-05T11:00:00Z", "down"
	if _, err := timeline.NewStore(db, nil).Record(ctx, "test", "shop", timeline.NewOutage{Start: &s, End: &e, State: &st}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	rng := []string{"--from", "2026-10-05T00:00:00Z", "--to", "2026-10-06T00:00:00Z"}
	code, out, errs := run(t, "", env, append([]string{"report", "--service", "shop"}, rng...)...)
	if code != 0 {
		t.Fatalf("table: %d %q %q", code, out, errs)
	}
	// The table prints figures as the service page does: 1 h down in 24 h
	// is 95.833% (cut, not rounded), not 0.9583333333333334.
	for _, c := range []struct{ name, line string }{
		{"availability as a percentage", `availability\s+95\.833%`},
		{"downtime as a duration", `counted downtime\s+1h`},
		{"budget left of the budget", `error budget left\s+−45m36s of 14m24s`},
		{"burn rate", `burn rate\s+4\.17×`},
		{"breached clauses", `objective\s+breached: availability, max_outage`},
		{"longest outage", `longest outage\s+1h`},
		{"MTTR", `MTTR\s+1h`},
		{"the outage with how long it lasted", `2026-10-05T10:00:00Z\s+2026-10-05T11:00:00Z\s+1h\s+1h\s+down\s+outage:1`},
		{"the counted interval with its weight", `2026-10-05T10:00:00Z\s+2026-10-05T11:00:00Z\s+down\s+outage:1\s+1h\s+× 1\s+1h`},
	} {
		t.Run(c.name, func(t *testing.T) {
			if !regexp.MustCompile(`(?m)^` + c.line + `\s*$`).MatchString(out) {
				t.Errorf("table lacks a line matching %q:\n%s", c.line, out)
			}
		})
	}
	if strings.Contains(out, "0.958") {
		t.Errorf("table prints a raw fraction:\n%s", out)
	}
	code, out, _ = run(t, "", env, append([]string{"report", "--service", "shop", "--format", "csv"}, rng...)...)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 2 || !strings.HasPrefix(lines[0], "service,from,to,in_hours_seconds,downtime_seconds,availability") || !strings.HasPrefix(lines[1], "shop,2026-10-05T00:00:00Z,2026-10-06T00:00:00Z,86400,3600,") {
		t.Fatalf("csv: %d %q", code, out)
	}
	for _, bad := range [][]string{{"report"}, {"report", "--service", "shop", "--from", "yesterday"}, {"report", "--service", "shop", "--format", "xml"}, {"report", "--service", "shop", "--period", "current", "--from", "2026-10-05T00:00:00Z"}} {
		if code, _, _ := run(t, "", env, bad...); code != 2 {
			t.Errorf("%v: exit %d, want 2", bad, code)
		}
	}
	if code, _, errs := run(t, "", env, "report", "--service", "ghost"); code != 1 || !strings.Contains(errs, "not found") {
		t.Errorf("unknown service: %d %q", code, errs)
	}
}

func TestAgentOutboundFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{name: "bad CIDR", args: []string{"--outbound-deny", "loopback,10.0.0.0/33"},
			want: `agent: --outbound-deny: "10.0.0.0/33" is not a CIDR, an address or one of loopback, private, link-local, unspecified, cgnat`},
		{name: "bad allow entry", args: []string{"--outbound-allow", "intranet"},
			want: `agent: --outbound-allow: "intranet" is not a CIDR`},
		{name: "bad entry from the environment", env: map[string]string{"SEXTANT_OUTBOUND_DENY": "10.0.0.7/8"},
			want: `agent: --outbound-deny: "10.0.0.7/8" has bits set beyond its /8: did you mean 10.0.0.0/8?`},
		{name: "bad public-only variable", env: map[string]string{"SEXTANT_OUTBOUND_PUBLIC_ONLY": "yes please"},
			want: `agent: SEXTANT_OUTBOUND_PUBLIC_ONLY="yes please": use true or false`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"agent", "--server", "http://127.0.0.1:1", "--location", "branch"}, tc.args...)
			env := map[string]string{"SEXTANT_AGENT_TOKEN": "t"}
			for k, v := range tc.env {
				env[k] = v
			}
			code, _, stderr := run(t, "", env, args...)
			if code != 2 || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q; want 2 and %q", code, stderr, tc.want)
			}
		})
	}
}

// TestAgentTokenBoundToLocation creates agent tokens from the command line:
// one needs --location, which the server then knows the token by.
func TestAgentTokenBoundToLocation(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			dsn, dir := e.DSN(t)
			env := map[string]string{"SEXTANT_DATABASE": dsn, "SEXTANT_DATA": dir}
			if code, _, errs := run(t, "", env, "migrate"); code != 0 {
				t.Fatalf("migrate: %d %q", code, errs)
			}
			for _, c := range []struct {
				name    string
				args    []string
				wantErr string // "" means created
			}{
				{"agent without a location", []string{"--name", "a1", "--role", "agent"}, "location: is required for an agent token"},
				{"agent at the server's own location", []string{"--name", "a2", "--role", "agent", "--location", "local"}, "server's own location"},
				{"agent at a bad location name", []string{"--name", "a3", "--role", "agent", "--location", "Paris!"}, "location:"},
				{"viewer with a location", []string{"--name", "v1", "--role", "viewer", "--location", "paris"}, "only an agent token is bound to a location"},
				{"agent for paris", []string{"--name", "agent-paris", "--role", "agent", "--location", "paris"}, ""},
			} {
				t.Run(c.name, func(t *testing.T) {
					code, _, errs := run(t, "", env, append([]string{"token", "create"}, c.args...)...)
					if c.wantErr == "" {
						if code != 0 || !strings.Contains(errs, "for location paris") {
							t.Fatalf("exit %d, %q", code, errs)
						}
						return
					}
					if code != 1 || !strings.Contains(errs, c.wantErr) {
						t.Fatalf("exit %d, %q; want exit 1 naming %q", code, errs, c.wantErr)
					}
				})
			}
			code, out, _ := run(t, "", env, "token", "list")
			if code != 0 || !strings.Contains(out, "agent-paris") || !strings.Contains(out, "paris ") || strings.Contains(out, "a1 ") {
				t.Fatalf("token list: %d %q", code, out)
			}
			code, out, _ = run(t, "", env, "token", "create", "--name", "agent-berlin", "--role", "agent", "--location", "berlin")
			secret := strings.TrimSpace(out)
			db, err := store.Open(context.Background(), dsn, dir, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if p, err := auth.NewService(db, nil).Bearer(context.Background(), secret); code != 0 || err != nil || p.Role != auth.Agent || p.Location != "berlin" {
				t.Fatalf("agent token from the CLI: %d, %+v, %v", code, p, err)
			}
		})
	}
}
