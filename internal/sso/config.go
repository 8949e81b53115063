// Package sso signs people in to Sextant through an OpenID Connect
// provider (Keycloak, Entra ID, Google, Okta, Authentik, …): the
// authorization code flow with PKCE, issuer discovery done lazily so that
// the server starts while the provider is down, ID tokens verified for
// signature, issuer, audience, expiry and nonce, and the provider's claims
// mapped to a Sextant role. The accounts and sessions themselves are
// auth's; the pages are web's.
package sso

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/secret"
)

// CallbackPath is where the provider sends the browser back to.
const CallbackPath = "/login/oidc/callback"

// Config is the oidc: key of the config file.
type Config struct {
	// Issuer is the provider's issuer URL; its discovery document is at
	// Issuer + "/.well-known/openid-configuration".
	Issuer       string        `yaml:"issuer"`
	ClientID     string        `yaml:"client_id"`
	ClientSecret secret.Secret `yaml:"client_secret"`
	// RedirectURL is the callback registered at the provider; empty means
	// the server's public URL + CallbackPath.
	RedirectURL string `yaml:"redirect_url"`
	// Scopes asked for; empty means openid, email and profile.
	Scopes []string `yaml:"scopes"`
	// AllowedDomains and AllowedSubjects, when either is set, admit only
	// users whose e-mail is in one of the domains, or whose subject (or
	// e-mail) is listed.
	AllowedDomains  []string `yaml:"allowed_domains"`
	AllowedSubjects []string `yaml:"allowed_subjects"`
	// RoleClaim names the ID token claim holding the user's groups; a dot
	// walks into objects ("realm_access.roles"). Empty means "groups".
	RoleClaim string `yaml:"role_claim"`
	// Roles maps claim values to Sextant roles; the most powerful match
	// wins, and "*" matches every admitted user.
	Roles RoleMap `yaml:"roles"`
	// DefaultRole is the role of an admitted user whom Roles maps to none:
	// "none" (the default: refused) or "viewer".
	DefaultRole string `yaml:"default_role"`
	// ButtonLabel is the text of the login page's button.
	ButtonLabel string `yaml:"button_label"`
}

// RoleMap lists, per Sextant role, the claim values that grant it.
type RoleMap struct {
	Admin    []string `yaml:"admin"`
	Operator []string `yaml:"operator"`
	Viewer   []string `yaml:"viewer"`
}

// Validate returns every problem of the config, with paths relative to the
// oidc: key.
func (c Config) Validate() []apperr.Field {
	var inv apperr.Invalid
	if u, err := url.Parse(c.Issuer); c.Issuer == "" || err != nil || !u.IsAbs() || u.Host == "" {
		inv.Add("issuer", "%q must be the provider's absolute issuer URL, e.g. https://id.example.com/realms/ops", c.Issuer)
	} else if u.Scheme != "https" && !loopback(u.Hostname()) {
		inv.Add("issuer", "%q must use https (plain http is accepted only for localhost)", c.Issuer)
	}
	if c.ClientID == "" {
		inv.Add("client_id", "is required: the client id registered at the provider")
	}
	if c.RedirectURL != "" {
		if u, err := url.Parse(c.RedirectURL); err != nil || !u.IsAbs() || u.Host == "" {
			inv.Add("redirect_url", "%q must be an absolute URL ending in %s", c.RedirectURL, CallbackPath)
		} else if u.Path != CallbackPath {
			inv.Add("redirect_url", "%q must end in %s, where Sextant takes the provider's answer", c.RedirectURL, CallbackPath)
		}
	}
	if len(c.Scopes) > 0 && !slices.Contains(c.Scopes, "openid") {
		inv.Add("scopes", "must include openid (got %s)", strings.Join(c.Scopes, " "))
	}
	for i, d := range c.AllowedDomains {
		if d == "" || strings.ContainsAny(d, "@/ ") || !strings.Contains(d, ".") {
			inv.Add(fmt.Sprintf("allowed_domains[%d]", i), "%q is not a domain name such as example.com", d)
		}
	}
	for i, s := range c.AllowedSubjects {
		if strings.TrimSpace(s) == "" {
			inv.Add(fmt.Sprintf("allowed_subjects[%d]", i), "is empty")
		}
	}
	if strings.Trim(c.RoleClaim, ".") != c.RoleClaim || strings.Contains(c.RoleClaim, "..") {
		inv.Add("role_claim", "%q is not a claim name (use e.g. groups or realm_access.roles)", c.RoleClaim)
	}
	for role, values := range map[string][]string{"admin": c.Roles.Admin, "operator": c.Roles.Operator, "viewer": c.Roles.Viewer} {
		for i, v := range values {
			if v == "" {
				inv.Add(fmt.Sprintf("roles.%s[%d]", role, i), "is empty")
			}
		}
	}
	switch c.DefaultRole {
	case "", "none", "viewer":
	default:
		inv.Add("default_role", "%q must be none or viewer", c.DefaultRole)
	}
	if len(c.ButtonLabel) > 80 {
		inv.Add("button_label", "is longer than 80 characters")
	}
	// The role lists were checked in map order; problems come out in path
	// order so that every run prints them alike.
	slices.SortStableFunc(inv.Fields, func(a, b apperr.Field) int { return strings.Compare(a.Path, b.Path) })
	return inv.Fields
}

func loopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

// scopes returns the scopes to ask for.
func (c Config) scopes() []string {
	if len(c.Scopes) == 0 {
		return []string{"openid", "email", "profile"}
	}
	return c.Scopes
}

// roleClaim returns the claim that holds groups.
func (c Config) roleClaim() string {
	if c.RoleClaim == "" {
		return "groups"
	}
	return c.RoleClaim
}

// Label returns the login button's text.
func (c Config) Label() string {
	if c.ButtonLabel == "" {
		return "Sign in with single sign-on"
	}
	return c.ButtonLabel
}

// grants lists the roles from the most powerful down, with the claim
// values that grant each.
func (c Config) grants() []struct {
	role   auth.Role
	values []string
} {
	return []struct {
		role   auth.Role
		values []string
	}{{auth.Admin, c.Roles.Admin}, {auth.Operator, c.Roles.Operator}, {auth.Viewer, c.Roles.Viewer}}
}
