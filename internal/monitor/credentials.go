package monitor

import (
	"encoding/base64"
	"net/url"
	"slices"
	"strings"

	"github.com/sextant-ops/sextant/internal/apperr"
)

// A check's credentials are write-only: the values of sensitive request
// headers and the basic-auth password are stored and sent by the probe,
// but every surface that shows a check (the API, the UI, the audit log)
// shows only that a value is set. The agent endpoint alone hands out the
// real values, to the agent token of a location that runs the check.

// SetMarker is what is shown in place of a write-only value that is set.
// Sent back in an update, it keeps the stored value, so that a check read,
// changed and written back keeps its credentials.
const SetMarker = "[set]"

// ChangedMarker is what the audit log shows for a write-only value that an
// update replaced.
const ChangedMarker = "[changed]"

// sensitiveWords mark a header whose value is a credential when they occur
// anywhere in its name, whatever the case.
var sensitiveWords = []string{"auth", "token", "key", "secret", "password", "passwd", "session", "cookie", "credential", "signature"}

// SensitiveHeader reports whether a request header's value is write-only:
// Authorization, Proxy-Authorization, Cookie, and any header whose name
// contains auth, token, key, secret, password, passwd, session, cookie,
// credential or signature (X-Api-Key, X-Auth-Token, …).
func SensitiveHeader(name string) bool {
	n := strings.ToLower(name)
	for _, w := range sensitiveWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// BasicAuth is an HTTP check's user name and password, sent as an
// Authorization: Basic header. The user name is shown; the password is
// write-only. In an update, an omitted password (or SetMarker) keeps the
// stored one and "" removes it; an empty user name removes basic auth.
type BasicAuth struct {
	Username string  `json:"username" yaml:"username"`
	Password *string `json:"password,omitempty" yaml:"password"`
}

// password returns the password, "" when none is set.
func (b *BasicAuth) password() string {
	if b == nil || b.Password == nil {
		return ""
	}
	return *b.Password
}

// HasPassword reports whether a password is set.
func (b *BasicAuth) HasPassword() bool { return b.password() != "" }

// Redacted returns a copy of c fit to be shown to anyone: the value of
// every sensitive header and the basic-auth password are replaced by
// SetMarker. Every read surface (API, UI, audit log) shows checks through
// it.
func (c Check) Redacted() Check {
	return c.redactAgainst(nil)
}

// redactAgainst redacts c; with old given, a write-only value that differs
// from old's shows as ChangedMarker, for the audit log.
func (c Check) redactAgainst(old *Check) Check {
	mark := func(changed bool) string {
		if changed {
			return ChangedMarker
		}
		return SetMarker
	}
	if len(c.Headers) > 0 {
		h := make(map[string]string, len(c.Headers))
		for k, v := range c.Headers {
			if SensitiveHeader(k) {
				changed := false
				if old != nil {
					ov, ok := headerValue(old.Headers, k)
					changed = !ok || ov != v
				}
				v = mark(changed)
			}
			h[k] = v
		}
		c.Headers = h
	}
	if c.BasicAuth != nil {
		ba := *c.BasicAuth
		if ba.HasPassword() {
			changed := old != nil && old.BasicAuth.password() != ba.password()
			m := mark(changed)
			ba.Password = &m
		} else {
			ba.Password = nil
		}
		c.BasicAuth = &ba
	}
	return c
}

// AuditPair returns the before and after of a change to a check as the
// audit log keeps them: redacted, with replaced credentials marked
// ChangedMarker. before is nil for a creation, after nil for a deletion.
func AuditPair(before, after *Check) (any, any) {
	var b, a any
	if before != nil {
		b = before.Redacted()
	}
	if after != nil {
		a = after.redactAgainst(before)
	}
	return b, a
}

// headerValue finds a header by name, whatever its case.
func headerValue(h map[string]string, name string) (string, bool) {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}

// KeepCredentials completes an update of a check through the API or the UI
// from the stored check old (nil when the check is new), by the write-only
// convention:
//   - a sensitive header left out of the update, or sent as SetMarker,
//     keeps its stored value; one sent as "" is removed; any other value
//     replaces it. A header of any kind sent as "" is removed.
//   - basic_auth left out keeps the stored user name and password;
//     basic_auth with an empty user name removes it; a password left out
//     or sent as SetMarker keeps the stored one, "" removes it.
//
// SetMarker where nothing is stored is a problem naming the field.
func KeepCredentials(c Check, old *Check) (Check, []apperr.Field) {
	var inv apperr.Invalid
	var stored Check
	if old != nil {
		stored = *old
	}
	headers := map[string]string{}
	for k, v := range c.Headers {
		switch v {
		case "":
			continue
		case SetMarker:
			ov, ok := headerValue(stored.Headers, k)
			if !ok || !SensitiveHeader(k) {
				inv.Add("headers."+k, "%q keeps a stored value, but this check has none for this header: send the value itself", SetMarker)
				continue
			}
			v = ov
		}
		headers[k] = v
	}
	for k, v := range stored.Headers {
		if !SensitiveHeader(k) {
			continue
		}
		if _, mentioned := headerValue(c.Headers, k); !mentioned {
			headers[k] = v
		}
	}
	c.Headers = nil
	if len(headers) > 0 {
		c.Headers = headers
	}

	switch {
	case c.BasicAuth == nil:
		if stored.BasicAuth != nil {
			ba := *stored.BasicAuth
			c.BasicAuth = &ba
		}
	case c.BasicAuth.Username == "" && (c.BasicAuth.Password == nil || *c.BasicAuth.Password == "" || *c.BasicAuth.Password == SetMarker):
		c.BasicAuth = nil
	default:
		ba := *c.BasicAuth
		switch {
		case ba.Password == nil || *ba.Password == SetMarker:
			if stored.BasicAuth.HasPassword() {
				p := stored.BasicAuth.password()
				ba.Password = &p
			} else if ba.Password != nil {
				inv.Add("basic_auth.password", "%q keeps a stored password, but this check has none: send the password itself", SetMarker)
			}
		case *ba.Password == "":
			ba.Password = nil
		}
		c.BasicAuth = &ba
	}
	return c, inv.Fields
}

// compileCredentials validates headers and basic auth. Problems name the
// header but never its value.
func compileCredentials(c Check, inv *apperr.Invalid) {
	names := make([]string, 0, len(c.Headers))
	for k := range c.Headers {
		names = append(names, k)
	}
	slices.Sort(names)
	if len(names) > 0 && c.Type != TypeHTTP {
		inv.Add("headers", "only an http check sends headers")
	}
	for _, k := range names {
		v := c.Headers[k]
		switch {
		case !validHeaderName(k):
			inv.Add("headers."+k, "is not a valid header name (letters, digits and !#$%%&'*+-.^_`|~)")
		case strings.ContainsAny(v, "\r\n\x00"):
			inv.Add("headers."+k, "the value must be one line")
		case v == SetMarker:
			inv.Add("headers."+k, "%q keeps a stored value, which only an update through the API can do: give the value", SetMarker)
		}
	}
	if u, err := url.Parse(c.URL); err == nil && u.User != nil {
		if _, has := u.User.Password(); has {
			inv.Add("url", "holds a password, which would be shown back: give it as basic_auth (username and password) instead")
		}
	}
	if b := c.BasicAuth; b != nil {
		switch {
		case c.Type != TypeHTTP:
			inv.Add("basic_auth", "only an http check sends basic auth")
		case b.Username == "":
			inv.Add("basic_auth.username", "is required with basic auth")
		case strings.Contains(b.Username, ":"):
			inv.Add("basic_auth.username", "must not contain ':'")
		case b.password() == SetMarker:
			inv.Add("basic_auth.password", "%q keeps a stored password, which only an update through the API can do: give the password", SetMarker)
		}
		if _, ok := headerValue(c.Headers, "Authorization"); ok {
			inv.Add("basic_auth", "an Authorization header is set too: use one or the other")
		}
	}
}

// validHeaderName reports whether s is an HTTP token (RFC 9110).
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r > 0x7e || r <= ' ' || strings.ContainsRune("\"(),/:;<=>?@[\\]{}", r) {
			return false
		}
	}
	return true
}

// requestHeaders are the headers the probe sends: the check's own, and
// basic auth as an Authorization header.
func requestHeaders(c Check) map[string]string {
	if c.BasicAuth == nil {
		return c.Headers
	}
	h := make(map[string]string, len(c.Headers)+1)
	for k, v := range c.Headers {
		h[k] = v
	}
	h["Authorization"] = "Basic " + base64.StdEncoding.EncodeToString([]byte(c.BasicAuth.Username+":"+c.BasicAuth.password()))
	return h
}

// liftURLPassword moves a password written in a stored check's URL
// (https://user:pass@host, accepted before credentials became write-only)
// into basic_auth, so that such checks keep running and the password is
// never shown back.
func liftURLPassword(c *Check) {
	u, err := url.Parse(c.URL)
	if err != nil || u.User == nil || c.BasicAuth != nil {
		return
	}
	pw, has := u.User.Password()
	if !has {
		return
	}
	c.BasicAuth = &BasicAuth{Username: u.User.Username(), Password: &pw}
	u.User = nil
	c.URL = u.String()
}

// Redacted returns the status with its check redacted, as the API and UI
// show it.
func (s Status) Redacted() Status {
	s.Check = s.Check.Redacted()
	return s
}

// Redacted returns the stored check with its check redacted.
func (s StoredCheck) Redacted() StoredCheck {
	s.Check = s.Check.Redacted()
	return s
}
