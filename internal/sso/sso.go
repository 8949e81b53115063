package sso

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/sextant-ops/sextant/internal/auth"
)

// Errors a caller tells apart; each reads well on the login page.
var (
	// ErrUnavailable is a provider that cannot be reached or whose
	// discovery document is wrong; local accounts still sign in.
	ErrUnavailable = errors.New("the single sign-on provider cannot be reached right now")
	// ErrRejected is an answer from the provider that failed verification:
	// a bad signature, wrong issuer or audience, expired, wrong nonce, or a
	// code the provider would not exchange.
	ErrRejected = errors.New("the single sign-on provider's answer could not be verified")
	// ErrNotAllowed is a user outside allowed_domains and allowed_subjects.
	ErrNotAllowed = errors.New("your account is not allowed to sign in to Sextant")
	// ErrNoRole is an admitted user whose claims map to no Sextant role.
	ErrNoRole = errors.New("your account has no Sextant role; ask an admin")
)

// discoveryTimeout bounds one attempt at the provider's discovery document.
const discoveryTimeout = 5 * time.Second

// Provider is one configured OpenID Connect provider. It is safe for
// concurrent use; discovery happens on first use and is retried on every
// use until it succeeds.
type Provider struct {
	cfg    Config
	client *http.Client
	now    func() time.Time

	mu       sync.Mutex
	oidc     *oidc.Provider
	verifier *oidc.IDTokenVerifier
	endURL   string
}

// New returns a provider for cfg, without contacting it. client makes the
// calls to the provider (nil means one with a 10-second timeout); now is
// the clock ID tokens are checked against (nil means time.Now).
func New(cfg Config, client *http.Client, now func() time.Time) *Provider {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	if now == nil {
		now = time.Now
	}
	return &Provider{cfg: cfg, client: client, now: now}
}

// Config returns the provider's config.
func (p *Provider) Config() Config { return p.cfg }

// Label returns the login button's text.
func (p *Provider) Label() string { return p.cfg.Label() }

// discover returns the provider's endpoints, fetching the discovery
// document when they are not known yet.
func (p *Provider) discover(ctx context.Context) (*oidc.Provider, *oidc.IDTokenVerifier, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.oidc != nil {
		return p.oidc, p.verifier, nil
	}
	ctx, cancel := context.WithTimeout(ctx, discoveryTimeout)
	defer cancel()
	op, err := oidc.NewProvider(oidc.ClientContext(ctx, p.client), p.cfg.Issuer)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: discovery at %s: %w", ErrUnavailable, p.cfg.Issuer, err)
	}
	var meta struct {
		EndSession string `json:"end_session_endpoint"`
	}
	if err := op.Claims(&meta); err != nil {
		return nil, nil, fmt.Errorf("%w: discovery at %s: %w", ErrUnavailable, p.cfg.Issuer, err)
	}
	p.oidc, p.endURL = op, meta.EndSession
	p.verifier = op.Verifier(&oidc.Config{ClientID: p.cfg.ClientID, Now: p.now})
	return p.oidc, p.verifier, nil
}

// oauth returns the OAuth 2 client config for a callback URL.
func (p *Provider) oauth(op *oidc.Provider, redirectURL string) *oauth2.Config {
	return &oauth2.Config{ClientID: p.cfg.ClientID, ClientSecret: p.cfg.ClientSecret.Reveal(), Endpoint: op.Endpoint(),
		RedirectURL: redirectURL, Scopes: p.cfg.scopes()}
}

// RedirectURL returns the callback URL: the configured one, or base (the
// server's public URL) + CallbackPath.
func (p *Provider) RedirectURL(base string) string {
	if p.cfg.RedirectURL != "" {
		return p.cfg.RedirectURL
	}
	return strings.TrimSuffix(base, "/") + CallbackPath
}

// AuthCodeURL returns where to send the browser to sign in: the provider's
// authorization endpoint with state, nonce and the S256 challenge of
// verifier. It fails with ErrUnavailable when the provider is down.
func (p *Provider) AuthCodeURL(ctx context.Context, redirectURL, state, nonce, verifier string) (string, error) {
	op, _, err := p.discover(ctx)
	if err != nil {
		return "", err
	}
	return p.oauth(op, redirectURL).AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), nil
}

// Identity is what a verified ID token says about the user.
type Identity struct {
	Issuer        string
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
	Username      string
	// Groups are the values of the role claim.
	Groups []string
	// IDToken is the raw token, for the provider's sign-out.
	IDToken string
}

// Exchange trades an authorization code for tokens, sending the PKCE
// verifier, and verifies the ID token: signature against the provider's
// keys, issuer, audience (the client id), expiry and nonce.
func (p *Provider) Exchange(ctx context.Context, redirectURL, code, verifier, nonce string) (Identity, error) {
	op, idv, err := p.discover(ctx)
	if err != nil {
		return Identity{}, err
	}
	ctx = oidc.ClientContext(ctx, p.client)
	tok, err := p.oauth(op, redirectURL).Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			return Identity{}, fmt.Errorf("%w: the code exchange was refused (%s)", ErrRejected, re.ErrorCode)
		}
		return Identity{}, fmt.Errorf("%w: code exchange: %w", ErrUnavailable, err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return Identity{}, fmt.Errorf("%w: the token response has no ID token", ErrRejected)
	}
	it, err := idv.Verify(ctx, raw)
	if err != nil {
		return Identity{}, fmt.Errorf("%w: %w", ErrRejected, err)
	}
	if it.Nonce != nonce {
		return Identity{}, fmt.Errorf("%w: the ID token's nonce is not this sign-in's", ErrRejected)
	}
	var claims map[string]any
	if err := it.Claims(&claims); err != nil {
		return Identity{}, fmt.Errorf("%w: claims: %w", ErrRejected, err)
	}
	id := Identity{Issuer: it.Issuer, Subject: it.Subject, IDToken: raw, EmailVerified: true}
	id.Email, _ = claims["email"].(string)
	if v, ok := claims["email_verified"].(bool); ok {
		id.EmailVerified = v
	}
	id.Name, _ = claims["name"].(string)
	id.Username, _ = claims["preferred_username"].(string)
	if id.Username == "" {
		id.Username = id.Email
	}
	id.Groups = stringList(lookup(claims, p.cfg.roleClaim()))
	return id, nil
}

// lookup walks a dotted claim path into nested objects.
func lookup(claims map[string]any, path string) any {
	var v any = claims
	for part := range strings.SplitSeq(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[part]
	}
	return v
}

// stringList reads a claim that is a list of strings or a single string.
func stringList(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// Role decides whether the identity may sign in and with which role: it
// must pass allowed_domains/allowed_subjects when either is set, and then
// gets the most powerful role its groups map to, or default_role.
func (p *Provider) Role(id Identity) (auth.Role, error) {
	c := p.cfg
	if len(c.AllowedDomains) > 0 || len(c.AllowedSubjects) > 0 {
		email := strings.ToLower(id.Email)
		allowed := slices.Contains(c.AllowedSubjects, id.Subject)
		if id.EmailVerified && email != "" {
			_, domain, _ := strings.Cut(email, "@")
			allowed = allowed || slices.ContainsFunc(c.AllowedDomains, func(d string) bool { return strings.EqualFold(d, domain) }) ||
				slices.ContainsFunc(c.AllowedSubjects, func(s string) bool { return strings.EqualFold(s, email) })
		}
		if !allowed {
			return "", ErrNotAllowed
		}
	}
	for _, g := range c.grants() {
		for _, v := range g.values {
			if v == "*" || slices.Contains(id.Groups, v) {
				return g.role, nil
			}
		}
	}
	if c.DefaultRole == "viewer" {
		return auth.Viewer, nil
	}
	return "", ErrNoRole
}

// LogoutURL returns the provider's end-session URL for an ID token, coming
// back to postLogout afterwards; "" when the provider advertises none (or
// has not been reached), and the user is then signed out of Sextant only.
func (p *Provider) LogoutURL(idToken, postLogout string) string {
	p.mu.Lock()
	end := p.endURL
	p.mu.Unlock()
	if end == "" || idToken == "" {
		return ""
	}
	u, err := url.Parse(end)
	if err != nil {
		return ""
	}
	q := u.Query()
	q.Set("id_token_hint", idToken)
	q.Set("client_id", p.cfg.ClientID)
	q.Set("post_logout_redirect_uri", postLogout)
	u.RawQuery = q.Encode()
	return u.String()
}
