package probe

import (
	"context"
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/testcert"
)

// tlsServer serves c (and its chain) on loopback until the test ends.
func tlsServer(t *testing.T, c *testcert.Cert) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	if c != nil {
		srv.TLS = &tls.Config{Certificates: []tls.Certificate{c.TLS}}
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

func TestTLS(t *testing.T) {
	now := time.Now()
	day := 24 * time.Hour
	selfSigned := tlsServer(t, nil)
	selfSignedLeft := time.Until(selfSigned.Certificate().NotAfter)

	expiredCert := testcert.New(t, now.Add(-90*day), now.Add(-3*day-time.Hour), false, nil)
	expired := tlsServer(t, &expiredCert)

	// The issuer runs out before the leaf: the chain is only as good as
	// its earliest expiry.
	ca := testcert.New(t, now.Add(-day), now.Add(10*day), true, nil)
	leaf := testcert.New(t, now.Add(-day), now.Add(100*day), false, &ca)
	chained := tlsServer(t, &leaf)

	junk := junkServer(t)
	silent := silentServer(t)

	for _, tc := range []struct {
		name          string
		probe         TLS
		wantReason    string
		wantConnected bool
		wantLeft      *time.Duration
		limit         time.Duration
	}{
		{name: "self-signed rejected", probe: TLS{Host: "127.0.0.1", Port: port(selfSigned)},
			wantReason: "TLS: certificate signed by unknown authority", wantConnected: true, wantLeft: &selfSignedLeft},
		{name: "self-signed accepted when told to", probe: TLS{Host: "127.0.0.1", Port: port(selfSigned), InsecureSkipVerify: true},
			wantConnected: true, wantLeft: &selfSignedLeft},
		{name: "server name", probe: TLS{Host: "127.0.0.1", Port: port(selfSigned), ServerName: "example.com", InsecureSkipVerify: true},
			wantConnected: true, wantLeft: &selfSignedLeft},
		{name: "expired", probe: TLS{Host: "127.0.0.1", Port: port(expired)},
			wantReason: "TLS: certificate expired 3 days ago", wantConnected: true, wantLeft: ptr(-3*day - time.Hour)},
		{name: "earliest expiry of the chain", probe: TLS{Host: "localhost", Port: port(chained), InsecureSkipVerify: true},
			wantConnected: true, wantLeft: ptr(10 * day)},
		{name: "garbage instead of TLS", probe: TLS{Host: "127.0.0.1", Port: junk.Port},
			wantReason: "TLS: server did not answer with TLS", wantConnected: true},
		{name: "server never speaks", probe: TLS{Host: "127.0.0.1", Port: silent.Port, Timeout: 300 * time.Millisecond},
			wantReason: "timed out after 300ms", wantConnected: true, limit: 500 * time.Millisecond},
		{name: "refused port", probe: TLS{Host: "127.0.0.1", Port: freePort(t)}, wantReason: "connection refused"},
		{name: "metadata address", probe: TLS{Host: "169.254.169.254"},
			wantReason: "refused: cloud metadata address 169.254.169.254", limit: 100 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			limit := tc.limit
			if limit == 0 {
				limit = 5 * time.Second
			}
			if tc.probe.Timeout == 0 {
				tc.probe.Timeout = 5 * time.Second
			}
			start := time.Now()
			res := tc.probe.Run(context.Background())
			bounded(t, start, limit)
			wantReason(t, res, tc.wantReason)
			if res.Values.Connected != tc.wantConnected {
				t.Errorf("connected = %v, want %v", res.Values.Connected, tc.wantConnected)
			}
			if tc.wantConnected && res.Values.IP != "127.0.0.1" && res.Values.IP != "::1" {
				t.Errorf("IP = %q, want loopback", res.Values.IP)
			}
			certSeen(t, res, tc.wantLeft)
		})
	}
}

// certSeen checks the certificate expiry a probe saw: as time left for
// the conditions, and as the instant the monitor stores; none at all when
// wantLeft is nil.
func certSeen(t *testing.T, res Result, wantLeft *time.Duration) {
	t.Helper()
	if wantLeft == nil {
		if res.Values.CertificateExpiration != nil || !res.CertificateNotAfter.IsZero() {
			t.Errorf("certificate expiration = %v, not after %s, want none", res.Values.CertificateExpiration, res.CertificateNotAfter)
		}
		return
	}
	near(t, "certificate expiration", res.Values.CertificateExpiration, *wantLeft, time.Minute)
	if got := time.Until(res.CertificateNotAfter); got < *wantLeft-time.Minute || got > *wantLeft+time.Minute {
		t.Errorf("certificate not after %s, %s from now, want %s", res.CertificateNotAfter, got, *wantLeft)
	}
	if res.CertificateNotAfter.Location() != time.UTC {
		t.Errorf("certificate not after %s is not in UTC", res.CertificateNotAfter)
	}
}

// port is the loopback port srv listens on.
func port(srv *httptest.Server) int {
	return srv.Listener.Addr().(*net.TCPAddr).Port
}
