package app_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/app"
	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/httpapi"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// TestSecondFactorPolicy runs the server with `auth.require_second_factor`
// for admins: an admin's session without a second factor opens nothing of
// the API until one is set up, API tokens work as before, TOTP secrets
// are sealed with the data directory's key, and a reload without the key
// lifts the requirement.
func TestSecondFactorPolicy(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := filepath.Join(dir, "sextant.yaml")
			write := func(s string) {
				t.Helper()
				if err := os.WriteFile(cfg, []byte(s), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			write("services:\n  - name: shop\nauth:\n  require_second_factor: [admin]\n")
			s := start(t, e, app.Options{ConfigPath: cfg, DataDir: dir})
			if _, err := os.Stat(filepath.Join(dir, auth.KeyFile)); err != nil {
				t.Fatalf("no sealing key in the data directory: %v", err)
			}
			ctx := context.Background()
			a := s.app.Auth()
			for _, u := range []auth.NewUser{{Name: "root", Password: "root-password", Role: auth.Admin}, {Name: "vera", Password: "vera-password", Role: auth.Viewer}} {
				if _, err := a.CreateUser(ctx, "test", u); err != nil {
					t.Fatal(err)
				}
			}
			withSession := func(id string) int {
				t.Helper()
				req, _ := http.NewRequest("GET", s.base+"/api/v1/services", nil)
				req.AddCookie(&http.Cookie{Name: httpapi.SessionCookie, Value: id})
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				return res.StatusCode
			}
			root, p, err := a.Login(ctx, "root", "root-password", "127.0.0.1")
			if err != nil {
				t.Fatal(err)
			}
			vera, _, err := a.Login(ctx, "vera", "vera-password", "127.0.0.1")
			if err != nil {
				t.Fatal(err)
			}
			for _, tc := range []struct {
				name string
				got  int
				want int
			}{
				{"an admin without a second factor is refused by the API", withSession(root), http.StatusUnauthorized},
				{"a viewer is not required", withSession(vera), http.StatusOK},
			} {
				t.Run(tc.name, func(t *testing.T) {
					if tc.got != tc.want {
						t.Fatalf("status %d, want %d", tc.got, tc.want)
					}
				})
			}
			if code, _ := s.do("GET", "/api/v1/services", true); code != http.StatusOK {
				t.Fatalf("an admin API token: %d", code)
			}
			en, err := a.BeginTOTP(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			code, _ := auth.TOTPCode(en.Secret, time.Now())
			if _, err := a.ConfirmTOTP(ctx, p, code); err != nil {
				t.Fatal(err)
			}
			if got := withSession(root); got != http.StatusOK {
				t.Fatalf("after enrolment: %d", got)
			}
			if _, _, err := a.Login(ctx, "root", "root-password", "127.0.0.1"); !errors.Is(err, auth.ErrSecondFactor) {
				t.Fatalf("password alone after enrolment: %v", err)
			}

			write("services:\n  - name: shop\n")
			if code, body := s.do("POST", "/api/v1/config/reload", true); code != http.StatusOK {
				t.Fatalf("reload: %d %s", code, body)
			}
			if a.SecondFactorRequired(auth.Admin) {
				t.Fatal("the requirement outlived a reload without it")
			}
		})
	}
}
