package probe

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/testcert"
)

func TestHTTP(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ok", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "all good")
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s %s %s %s %s", r.Method, r.Host, r.Header.Get("X-Token"), r.UserAgent(), body)
	})
	mux.HandleFunc("GET /unavailable", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
	})
	mux.HandleFunc("GET /old", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/ok", http.StatusFound)
	})
	mux.HandleFunc("GET /loop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop", http.StatusFound)
	})
	mux.HandleFunc("GET /metadata", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
	})
	mux.HandleFunc("GET /big", func(w http.ResponseWriter, r *http.Request) {
		chunk := strings.Repeat("x", 1<<20)
		for range 10 {
			if _, err := io.WriteString(w, chunk); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("GET /hang", func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	})
	mux.HandleFunc("GET /stall", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "first half")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	refusedURL := fmt.Sprintf("http://127.0.0.1:%d/", freePort(t))

	for _, tc := range []struct {
		name       string
		probe      HTTP
		wantReason string
		wantStatus int // 0: no status
		wantBody   string
		bodyLen    int // checked instead of wantBody when set
		limit      time.Duration
	}{
		{name: "200 with body", probe: HTTP{URL: srv.URL + "/ok"}, wantStatus: 200, wantBody: "all good"},
		{name: "503 is an answer, not a failure", probe: HTTP{URL: srv.URL + "/unavailable"}, wantStatus: 503, wantBody: "down for maintenance\n"},
		{name: "method, headers and body", probe: HTTP{URL: srv.URL + "/echo", Method: "POST", Body: "ping",
			Headers: map[string]string{"X-Token": "t0k", "Host": "app.example"}},
			wantStatus: 200, wantBody: "POST app.example t0k Sextant ping"},
		{name: "own user agent", probe: HTTP{URL: srv.URL + "/echo", Headers: map[string]string{"User-Agent": "mine"}},
			wantStatus: 200, wantBody: "GET " + strings.TrimPrefix(srv.URL, "http://") + "  mine "},
		{name: "3xx is the answer without following", probe: HTTP{URL: srv.URL + "/old"}, wantStatus: 302, wantBody: "<a href=\"/ok\">Found</a>.\n\n"},
		{name: "3xx followed", probe: HTTP{URL: srv.URL + "/old", FollowRedirects: true}, wantStatus: 200, wantBody: "all good"},
		{name: "redirect loop", probe: HTTP{URL: srv.URL + "/loop", FollowRedirects: true}, wantReason: "stopped after 10 redirects"},
		{name: "redirect to metadata refused", probe: HTTP{URL: srv.URL + "/metadata", FollowRedirects: true, Timeout: 5 * time.Second},
			wantReason: "refused: cloud metadata address 169.254.169.254", limit: time.Second},
		{name: "body over 1 MiB", probe: HTTP{URL: srv.URL + "/big"}, wantReason: "response body larger than 1 MiB", wantStatus: 200, bodyLen: 1 << 20},
		{name: "body over MaxBody", probe: HTTP{URL: srv.URL + "/big", MaxBody: 1000}, wantReason: "response body larger than 1000 bytes", wantStatus: 200, bodyLen: 1000},
		{name: "never answers", probe: HTTP{URL: srv.URL + "/hang", Timeout: 300 * time.Millisecond},
			wantReason: "timed out after 300ms", limit: 300*time.Millisecond + 200*time.Millisecond},
		{name: "body stalls", probe: HTTP{URL: srv.URL + "/stall", Timeout: 300 * time.Millisecond},
			wantReason: "timed out after 300ms", wantStatus: 200, wantBody: "first half", limit: 500 * time.Millisecond},
		{name: "refused port", probe: HTTP{URL: refusedURL}, wantReason: "connection refused"},
		{name: "no such host", probe: HTTP{URL: "http://nothing.invalid/", Timeout: 5 * time.Second}, wantReason: "no such host nothing.invalid"},
		{name: "metadata address", probe: HTTP{URL: "http://169.254.169.254/latest/meta-data/", Timeout: 5 * time.Second},
			wantReason: "refused: cloud metadata address 169.254.169.254", limit: 100 * time.Millisecond},
		{name: "metadata over IPv6", probe: HTTP{URL: "http://[fd00:ec2::254]/latest/meta-data/", Timeout: 5 * time.Second},
			wantReason: "refused: cloud metadata address fd00:ec2::254", limit: 100 * time.Millisecond},
		{name: "https to a plain HTTP server", probe: HTTP{URL: strings.Replace(srv.URL, "http:", "https:", 1) + "/ok"},
			wantReason: "TLS: server answered with plain HTTP"},
		{name: "not a URL", probe: HTTP{URL: "ftp://example.com/"}, wantReason: `invalid URL "ftp://example.com/": must start with http:// or https://`},
		{name: "bad method", probe: HTTP{URL: srv.URL, Method: "GET /"}, wantReason: `invalid request: net/http: invalid method "GET /"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			limit := tc.limit
			if limit == 0 {
				limit = 5 * time.Second
			}
			if tc.probe.Timeout == 0 {
				tc.probe.Timeout = limit
			}
			start := time.Now()
			res := tc.probe.Run(context.Background())
			bounded(t, start, limit)
			wantReason(t, res, tc.wantReason)
			v := res.Values
			if v.HasStatus != (tc.wantStatus != 0) || v.Status != tc.wantStatus {
				t.Errorf("status = %v %d, want %d", v.HasStatus, v.Status, tc.wantStatus)
			}
			switch {
			case tc.bodyLen != 0 && len(v.Body) != tc.bodyLen:
				t.Errorf("body is %d bytes, want %d", len(v.Body), tc.bodyLen)
			case tc.bodyLen == 0 && string(v.Body) != tc.wantBody:
				t.Errorf("body = %q, want %q", v.Body, tc.wantBody)
			}
			if v.CertificateExpiration != nil {
				t.Errorf("certificate expiration %s measured over plain HTTP", *v.CertificateExpiration)
			}
			if v.ResponseTime <= 0 || v.ResponseTime > limit {
				t.Errorf("response time = %s", v.ResponseTime)
			}
			if tc.wantStatus != 0 && (!v.Connected || v.IP != "127.0.0.1") {
				t.Errorf("connected = %v, IP = %q, want true, 127.0.0.1", v.Connected, v.IP)
			}
			if strings.HasPrefix(tc.name, "metadata") && v.Connected {
				t.Error("connected to a refused address")
			}
		})
	}
}

func TestHTTPS(t *testing.T) {
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "HTTP/%d", r.ProtoMajor)
	})
	quiet := log.New(io.Discard, "", 0)
	selfSigned := httptest.NewUnstartedServer(handler)
	selfSigned.Config.ErrorLog = quiet
	selfSigned.StartTLS()
	t.Cleanup(selfSigned.Close)
	selfSignedLeft := time.Until(selfSigned.Certificate().NotAfter)

	h2 := httptest.NewUnstartedServer(handler)
	h2.EnableHTTP2 = true
	h2.StartTLS()
	t.Cleanup(h2.Close)

	now := time.Now()
	expiredCert := testcert.New(t, now.Add(-90*24*time.Hour), now.Add(-3*24*time.Hour-time.Hour), false, nil)
	expired := httptest.NewUnstartedServer(handler)
	expired.Config.ErrorLog = quiet
	expired.TLS = &tls.Config{Certificates: []tls.Certificate{expiredCert.TLS}}
	expired.StartTLS()
	t.Cleanup(expired.Close)

	junk := junkServer(t)
	day := 24 * time.Hour

	for _, tc := range []struct {
		name       string
		probe      HTTP
		wantReason string
		wantBody   string
		wantLeft   *time.Duration // certificate expiration, ± a minute
	}{
		{name: "self-signed rejected", probe: HTTP{URL: selfSigned.URL},
			wantReason: "TLS: certificate signed by unknown authority", wantLeft: &selfSignedLeft},
		{name: "self-signed accepted when told to", probe: HTTP{URL: selfSigned.URL, InsecureSkipTLS: true},
			wantBody: "HTTP/1", wantLeft: &selfSignedLeft},
		{name: "HTTP/2", probe: HTTP{URL: h2.URL, InsecureSkipTLS: true}, wantBody: "HTTP/2", wantLeft: &selfSignedLeft},
		{name: "expired", probe: HTTP{URL: expired.URL},
			wantReason: "TLS: certificate expired 3 days ago", wantLeft: ptr(-3*day - time.Hour)},
		{name: "expired accepted when told to", probe: HTTP{URL: expired.URL, InsecureSkipTLS: true},
			wantBody: "HTTP/1", wantLeft: ptr(-3*day - time.Hour)},
		{name: "garbage instead of TLS", probe: HTTP{URL: "https://" + junk.String() + "/"},
			wantReason: "TLS: server did not answer with TLS"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.probe.Timeout = 5 * time.Second
			start := time.Now()
			res := tc.probe.Run(context.Background())
			bounded(t, start, tc.probe.Timeout)
			wantReason(t, res, tc.wantReason)
			if got := string(res.Values.Body); got != tc.wantBody {
				t.Errorf("body = %q, want %q", got, tc.wantBody)
			}
			if !res.Values.Connected || res.Values.IP != "127.0.0.1" {
				t.Errorf("connected = %v, IP = %q, want true, 127.0.0.1", res.Values.Connected, res.Values.IP)
			}
			certSeen(t, res, tc.wantLeft)
		})
	}
}

func TestHTTPHonoursContext(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)

	t.Run("deadline shorter than the timeout", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		start := time.Now()
		res := HTTP{URL: srv.URL, Timeout: 10 * time.Second}.Run(ctx)
		bounded(t, start, 400*time.Millisecond)
		wantReason(t, res, "timed out after 200ms")
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		start := time.Now()
		res := HTTP{URL: srv.URL, Timeout: 10 * time.Second}.Run(ctx)
		bounded(t, start, 300*time.Millisecond)
		wantReason(t, res, "cancelled")
	})
}

func ptr[T any](v T) *T { return &v }
