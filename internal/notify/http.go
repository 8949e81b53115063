package notify

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sextant-ops/sextant/internal/probe"
)

// maxResponse is how much of a receiver's answer is read: enough for any
// error text, never a whole page from a misconfigured URL.
const maxResponse = 64 << 10

// userAgent names Sextant in the receiver's logs.
const userAgent = "Sextant"

// httpSender posts to one receiver and turns every failure into an error
// whose text holds none of the channel's secrets.
type httpSender struct {
	client  *http.Client
	timeout time.Duration
	// shown is the receiver as errors show it: scheme and host only.
	shown string
	scrub *strings.Replacer
}

// newHTTPSender builds the client of one HTTP channel. Its transport dials
// under the outbound policy, which judges the address actually connected
// to, after DNS, so a name that resolves (or rebinds) to a metadata or
// denied address is refused. Proxies from the environment are ignored, as
// a proxy would connect where Sextant itself refuses to, and redirects are
// not followed: the receiver's URL is what the user configured, and a
// redirect would carry the signed body and headers elsewhere.
func newHTTPSender(c Config, target string, timeout time.Duration, outbound *probe.Policy) *httpSender {
	dialer := outbound.Dialer(timeout)
	transport := &http.Transport{
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       90 * time.Second,
	}
	client := &http.Client{
		Transport: transport,
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	secrets := urlSecrets(target)
	if v := c.Secret.Reveal(); v != "" {
		secrets = append(secrets, v)
	}
	return &httpSender{client: client, timeout: timeout, shown: redactURL(target), scrub: newScrubber(secrets)}
}

// post sends body to target and judges the answer: 2xx is success; 408,
// 429, 5xx and transport failures are worth a retry; other 4xx, 3xx and
// refused addresses are permanent.
func (h *httpSender) post(ctx context.Context, target, contentType string, header http.Header, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return Permanent(fmt.Errorf("POST %s: invalid request", h.shown))
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("User-Agent", userAgent)
	resp, err := h.client.Do(req)
	if err != nil {
		return h.transportError(ctx, err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	recordReceipt(ctx, resp.StatusCode, h.scrub.Replace(snippet(answer)))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	err = &StatusError{Code: resp.StatusCode, Body: h.scrub.Replace(snippet(answer)), RetryAfter: resp.Header.Get("Retry-After")}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		return Permanent(fmt.Errorf("%w (redirects are not followed: configure the final URL)", err))
	}
	if retryable(resp.StatusCode) {
		return err
	}
	return Permanent(err)
}

// transportError rewrites a failed round trip without the URL, which
// net/http puts in its *url.Error.
func (h *httpSender) transportError(ctx context.Context, err error) error {
	inner := err
	var ue *url.Error
	if errors.As(err, &ue) {
		inner = ue.Err
	}
	var msg string
	switch {
	case errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil, isTimeout(err):
		msg = fmt.Sprintf("no answer within %s", h.timeout)
	default:
		msg = inner.Error()
	}
	out := &scrubbedError{msg: fmt.Sprintf("POST %s: %s", h.shown, h.scrub.Replace(msg)), err: inner}
	var refused *probe.RefusedAddressError
	if errors.As(inner, &refused) {
		return Permanent(out)
	}
	return out
}

// isTimeout reports a client-side timeout.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// retryable reports whether an HTTP status is worth another attempt.
func retryable(code int) bool {
	return code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500
}

// StatusError is a receiver's refusal: its status and the start of its
// answer, e.g. "400 Bad Request: invalid_payload".
type StatusError struct {
	Code int
	// Body is the first line of the answer, shortened, without secrets.
	Body string
	// RetryAfter is the answer's Retry-After header as sent (see RetryAt).
	RetryAfter string
}

// Error reads "503 Service Unavailable" or "400 Bad Request: no_text".
func (e *StatusError) Error() string {
	s := fmt.Sprintf("%d %s", e.Code, http.StatusText(e.Code))
	if e.Body != "" {
		s += ": " + e.Body
	}
	return s
}

// snippet is the first line of an answer, at most 200 bytes of valid UTF-8.
func snippet(b []byte) string {
	s := string(b)
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimSpace(s)
	if len(s) > 200 {
		s = s[:200]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
		s += "…"
	}
	return strings.ToValidUTF8(s, "")
}

// scrubbedError carries a message already cleaned of secrets, while still
// unwrapping to its cause for errors.Is and errors.As.
type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

// redactURL keeps scheme and host: everything after the host of a Slack or
// Teams webhook URL is the secret, and an ntfy topic or a webhook path may
// be one too.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "[redacted URL]"
	}
	shown := u.Scheme + "://" + u.Host
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.Fragment != "" {
		shown += "/[redacted]"
	}
	return shown
}

// urlSecrets lists the parts of a URL that must not appear in errors: the
// whole URL, its path, query and user information, and each long path
// segment and query value on its own.
func urlSecrets(raw string) []string {
	out := []string{raw}
	u, err := url.Parse(raw)
	if err != nil {
		return out
	}
	out = append(out, u.RawQuery, u.Fragment, u.EscapedPath(), u.Path)
	if u.User != nil {
		out = append(out, u.User.String(), u.User.Username())
		if p, ok := u.User.Password(); ok {
			// net/http sends user information as Basic authentication,
			// which a receiver may echo back.
			out = append(out, p, base64.StdEncoding.EncodeToString([]byte(u.User.Username()+":"+p)))
		}
	}
	// Parts are listed only when long enough to be tokens rather than
	// words like "services" or "v1" that errors may contain anyway.
	for _, seg := range strings.Split(u.Path, "/") {
		if len(seg) >= 12 {
			out = append(out, seg)
		}
	}
	for _, vs := range u.Query() {
		for _, v := range vs {
			if len(v) >= 12 {
				out = append(out, v)
			}
		}
	}
	return out
}

// newScrubber replaces each secret of at least 4 characters (shorter ones
// would mangle ordinary words) with "[redacted]", longest first so that a
// whole URL goes before its parts.
func newScrubber(secrets []string) *strings.Replacer {
	var keep []string
	for _, s := range secrets {
		if len(s) >= 4 && s != "/" && !slices.Contains(keep, s) {
			keep = append(keep, s)
		}
	}
	slices.SortFunc(keep, func(a, b string) int { return len(b) - len(a) })
	pairs := make([]string, 0, 2*len(keep))
	for _, s := range keep {
		pairs = append(pairs, s, "[redacted]")
	}
	return strings.NewReplacer(pairs...)
}
