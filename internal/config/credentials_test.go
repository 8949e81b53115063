package config

import (
	"strings"
	"testing"
)

// TestCheckCredentialsFromTheEnvironment: a file gives check credentials
// with ${ENV}, in headers and basic_auth; a password in a URL is refused
// at its line and column, without showing it.
func TestCheckCredentialsFromTheEnvironment(t *testing.T) {
	env := map[string]string{"SHOP_TOKEN": "s3cr3t", "SHOP_PW": "pa55"}
	getenv := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	src := `services:
  - name: shop
checks:
  - name: shop-web
    service: shop
    type: http
    url: https://shop.example/health
    headers: {X-Api-Key: "${SHOP_TOKEN}"}
    basic_auth: {username: probe, password: "${SHOP_PW}"}
`
	cfg, err := Parse([]byte(src), getenv)
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.Checks[0]
	if c.Headers["X-Api-Key"] != "s3cr3t" || c.BasicAuth == nil || c.BasicAuth.Username != "probe" || c.BasicAuth.Password == nil || *c.BasicAuth.Password != "pa55" {
		t.Fatalf("check = %+v, basic auth %+v", c, c.BasicAuth)
	}
	bad := strings.Replace(src, "https://shop.example/health", "https://probe:${SHOP_PW}@shop.example/health", 1)
	_, err = Parse([]byte(bad), getenv)
	if err == nil || !strings.Contains(err.Error(), "7:") || !strings.Contains(err.Error(), "basic_auth") || strings.Contains(err.Error(), "pa55") {
		t.Fatalf("password in the URL: %v", err)
	}
}
