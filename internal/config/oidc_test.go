package config

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestOIDC(t *testing.T) {
	env := func(name string) (string, bool) {
		if name == "OIDC_SECRET" {
			return "s3cret-from-env", true
		}
		return "", false
	}
	t.Run("valid, secret from the environment", func(t *testing.T) {
		cfg, err := Parse([]byte(`oidc:
  issuer: https://id.example.com/realms/ops
  client_id: sextant
  client_secret: ${OIDC_SECRET}
  allowed_domains: [example.com]
  role_claim: groups
  roles:
    admin: [sre-leads]
    operator: [sre]
    viewer: ["*"]
  button_label: Sign in with Example ID
`), env)
		if err != nil {
			t.Fatal(err)
		}
		o := cfg.OIDC
		if o == nil || o.ClientSecret.Reveal() != "s3cret-from-env" || o.Roles.Viewer[0] != "*" || o.Label() != "Sign in with Example ID" {
			t.Fatalf("oidc = %+v", o)
		}
		if s := fmt.Sprintf("%v %+v", o, *o); strings.Contains(s, "s3cret-from-env") {
			t.Fatalf("the client secret prints: %s", s)
		}
	})
	t.Run("absent means local sign-in only", func(t *testing.T) {
		cfg, err := Parse([]byte("services: []\n"), nil)
		if err != nil || cfg.OIDC != nil {
			t.Fatalf("oidc = %+v, %v", cfg.OIDC, err)
		}
	})
	t.Run("mistakes with line and column", func(t *testing.T) {
		_, err := Parse([]byte(`oidc:
  issuer: http://id.example.com
  client_id: sextant
  default_role: admin
  roles:
    owner: [x]
`), env)
		var p *Problems
		if !errors.As(err, &p) {
			t.Fatalf("Parse = %v, want *Problems", err)
		}
		for _, w := range []string{
			`2:11: oidc.issuer: "http://id.example.com" must use https`,
			`4:17: oidc.default_role: "admin" must be none or viewer`,
			`6:5: oidc.roles: unknown key "owner"`,
		} {
			if !strings.Contains(p.Error(), w) {
				t.Errorf("missing %q in:\n%s", w, p.Error())
			}
		}
	})
}
