package probe

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// DefaultMaxBody is how much of a response body an HTTP probe reads when
// MaxBody is zero.
const DefaultMaxBody = 1 << 20

// maxRedirects is how many redirects an HTTP probe follows, like browsers
// and net/http.
const maxRedirects = 10

// userAgent is sent unless the check sets its own User-Agent header, so
// that the target's logs say who is calling.
const userAgent = "Sextant"

// HTTP checks an HTTP(S) endpoint. It sets HasStatus and Status, Body (at
// most MaxBody bytes), ResponseTime (until the body is read), IP (the
// address last connected to), Connected (a TCP connection was made) and,
// for HTTPS, CertificateExpiration.
//
// Each run opens fresh connections (no keep-alive), so that every result
// measures the whole of what a new visitor meets: DNS, connect, TLS.
// Requests go straight to the target: HTTP_PROXY and friends are ignored,
// as a check through a proxy would measure the proxy and could reach what
// Sextant itself refuses to.
type HTTP struct {
	// URL is the http:// or https:// address to request.
	URL string
	// Method defaults to GET.
	Method string
	// Headers are sent with the request; "Host" sets the Host header.
	Headers map[string]string
	// Body is sent as the request body when not empty.
	Body string
	// FollowRedirects follows up to 10 redirects. When off, a 3xx is the
	// answer and its status is what conditions see.
	FollowRedirects bool
	// InsecureSkipTLS skips certificate verification; the certificate's
	// expiry is still measured.
	InsecureSkipTLS bool
	// Timeout bounds the whole request including reading the body;
	// DefaultTimeout when zero.
	Timeout time.Duration
	// MaxBody is how many bytes of body to read; DefaultMaxBody when zero.
	// A larger body fails the probe, with Status and the first MaxBody
	// bytes still reported.
	MaxBody int64
	// Outbound is the outbound policy its connections obey; nil refuses
	// only cloud-metadata and link-local addresses.
	Outbound *Policy
}

// Run sends the request and reads the answer.
func (p HTTP) Run(ctx context.Context) (res Result) {
	r := begin(ctx, p.Timeout, &res)
	defer r.end()

	req, ok := p.request(r)
	if !ok {
		return res
	}

	var (
		seen      peerCerts
		mu        sync.Mutex
		connected bool
		ip        string
	)
	dialer := p.Outbound.Dialer(r.timeout)
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dialer.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		mu.Lock()
		connected, ip = true, remoteIP(conn)
		mu.Unlock()
		return conn, nil
	}
	transport := &http.Transport{
		Proxy:       nil,
		DialContext: dial,
		DialTLSContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := dial(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				host = addr
			}
			tc, err := handshake(ctx, conn, host, p.InsecureSkipTLS, &seen, []string{"h2", "http/1.1"})
			if err != nil {
				conn.Close()
				// Wrapped, so that net/http does not replace a
				// tls.RecordHeaderError with its own untyped text.
				return nil, fmt.Errorf("TLS handshake: %w", err)
			}
			return tc, nil
		},
		ForceAttemptHTTP2: true,
		DisableKeepAlives: true,
	}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, CheckRedirect: p.checkRedirect}

	resp, err := client.Do(req)
	defer func() {
		mu.Lock()
		res.Values.Connected, res.Values.IP = connected, ip
		mu.Unlock()
	}()
	if err != nil {
		res.Values.ResponseTime = time.Since(res.Start)
		res.sawChain(seen.get(), time.Now())
		r.fail(err)
		return res
	}
	defer resp.Body.Close()
	res.Values.HasStatus = true
	res.Values.Status = resp.StatusCode
	if resp.TLS != nil {
		res.sawChain(resp.TLS.PeerCertificates, time.Now())
	}

	limit := p.MaxBody
	if limit <= 0 {
		limit = DefaultMaxBody
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	res.Values.ResponseTime = time.Since(res.Start)
	if int64(len(body)) > limit {
		res.Values.Body = body[:limit]
		r.failf("response body larger than %s", formatSize(limit))
		return res
	}
	res.Values.Body = body
	if err != nil {
		r.fail(err)
	}
	return res
}

// request builds the probe's request, or records why it cannot.
func (p HTTP) request(r *run) (*http.Request, bool) {
	u, err := url.Parse(p.URL)
	if err != nil {
		r.failf("invalid URL: %s", innermost(err))
		return nil, false
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		r.failf("invalid URL %q: must start with http:// or https://", p.URL)
		return nil, false
	}
	if u.Host == "" {
		r.failf("invalid URL %q: no host", p.URL)
		return nil, false
	}
	method := p.Method
	if method == "" {
		method = http.MethodGet
	}
	var body io.Reader
	if p.Body != "" {
		body = strings.NewReader(p.Body)
	}
	req, err := http.NewRequestWithContext(r.ctx, method, u.String(), body)
	if err != nil {
		r.failf("invalid request: %s", innermost(err))
		return nil, false
	}
	req.Header.Set("User-Agent", userAgent)
	for k, v := range p.Headers {
		if strings.EqualFold(k, "Host") {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	return req, true
}

// errTooManyRedirects stops a redirect loop.
var errTooManyRedirects = fmt.Errorf("stopped after %d redirects", maxRedirects)

// checkRedirect follows redirects only when asked to; otherwise the 3xx
// itself is the answer.
func (p HTTP) checkRedirect(_ *http.Request, via []*http.Request) error {
	if !p.FollowRedirects {
		return http.ErrUseLastResponse
	}
	if len(via) >= maxRedirects {
		return errTooManyRedirects
	}
	return nil
}
