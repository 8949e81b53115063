package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"os"
	"syscall"
	"testing"
	"time"
)

func TestDescribe(t *testing.T) {
	now := time.Now()
	dial := func(err error) error {
		return &url.Error{Op: "Get", URL: "http://db.internal:9", Err: &net.OpError{Op: "dial", Net: "tcp",
			Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9}, Err: os.NewSyscallError("connect", err)}}
	}
	expired := &x509.Certificate{NotBefore: now.Add(-30 * 24 * time.Hour), NotAfter: now.Add(-3*24*time.Hour - time.Minute)}
	future := &x509.Certificate{NotBefore: time.Date(2099, 1, 2, 3, 4, 0, 0, time.UTC), NotAfter: time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)}
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"refused", dial(syscall.ECONNREFUSED), "connection refused"},
		{"reset", dial(syscall.ECONNRESET), "connection reset by the server"},
		{"host unreachable", dial(syscall.EHOSTUNREACH), "host unreachable"},
		{"network unreachable", dial(syscall.ENETUNREACH), "network unreachable"},
		{"no such host", &net.DNSError{Err: "no such host", Name: "db.internal", IsNotFound: true}, "no such host db.internal"},
		{"resolver down", &net.DNSError{Err: "server misbehaving", Name: "db.internal", IsTemporary: true}, "cannot resolve db.internal: server misbehaving"},
		{"resolver timeout", &net.DNSError{Err: "i/o timeout", Name: "db.internal", IsTimeout: true}, "timed out after 5s"},
		{"deadline", fmt.Errorf("get: %w", context.DeadlineExceeded), "timed out after 5s"},
		{"read deadline", &net.OpError{Op: "read", Err: os.ErrDeadlineExceeded}, "timed out after 5s"},
		{"cancelled", fmt.Errorf("get: %w", context.Canceled), "cancelled"},
		{"eof", &url.Error{Op: "Get", URL: "x", Err: io.EOF}, "connection closed by the server"},
		{"unknown authority", &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}, "TLS: certificate signed by unknown authority"},
		{"expired", x509.CertificateInvalidError{Cert: expired, Reason: x509.Expired}, "TLS: certificate expired 3 days ago"},
		{"not yet valid", x509.CertificateInvalidError{Cert: future, Reason: x509.Expired}, "TLS: certificate not valid until 2099-01-02 03:04 UTC"},
		{"wrong host", x509.HostnameError{Certificate: &x509.Certificate{DNSNames: []string{"a.example"}}, Host: "db.internal"}, "TLS: certificate is not valid for db.internal"},
		{"not TLS", tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}, "TLS: server did not answer with TLS"},
		{"plain HTTP", tls.RecordHeaderError{RecordHeader: [5]byte{'H', 'T', 'T', 'P', '/'}}, "TLS: server answered with plain HTTP"},
		{"alert", &net.OpError{Op: "remote error", Err: tls.AlertError(40)}, "TLS: server ended the handshake: handshake failure"},
		{"refused address", &net.OpError{Op: "dial", Err: &RefusedAddressError{IP: netip.MustParseAddr("169.254.169.254"), Metadata: true}}, "refused: cloud metadata address 169.254.169.254"},
		{"other tls", &url.Error{Op: "Get", URL: "x", Err: errors.New("tls: unsupported certificate")}, "TLS: unsupported certificate"},
		{"malformed http", &url.Error{Op: "Get", URL: "x", Err: errors.New(`net/http: HTTP/1.x transport connection broken: malformed HTTP response "junk"`)}, `malformed HTTP response "junk"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := describe(tc.err, 5*time.Second); got != tc.want {
				t.Fatalf("describe(%v) = %q, want %q", tc.err, got, tc.want)
			}
		})
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		5 * time.Second:                      "5s",
		1500 * time.Millisecond:              "1.5s",
		250 * time.Millisecond:               "250ms",
		249999 * time.Microsecond:            "250ms",
		199400 * time.Microsecond:            "200ms",
		42 * time.Millisecond:                "42ms",
		2 * time.Minute:                      "2m",
		90 * time.Minute:                     "1h30m",
		time.Hour:                            "1h",
		4999999999 * time.Nanosecond:         "5s",
		2*time.Minute + 3*time.Second:        "2m3s",
		time.Duration(0):                     "0s",
		1234567 * time.Microsecond:           "1.23s",
		24*time.Hour + 500*time.Millisecond:  "24h0m0.5s",
		1*time.Second + 999*time.Millisecond: "2s",
	} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestAgo(t *testing.T) {
	for d, want := range map[time.Duration]string{
		3*24*time.Hour + time.Hour: "3 days ago",
		24 * time.Hour:             "1 day ago",
		5 * time.Hour:              "5 hours ago",
		time.Hour:                  "1 hour ago",
		2 * time.Minute:            "2 minutes ago",
		30 * time.Second:           "30 seconds ago",
	} {
		if got := ago(d); got != want {
			t.Errorf("ago(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestFormatSize(t *testing.T) {
	for n, want := range map[int64]string{1 << 20: "1 MiB", 10 << 20: "10 MiB", 512 << 10: "512 KiB", 1000: "1000 bytes"} {
		if got := formatSize(n); got != want {
			t.Errorf("formatSize(%d) = %q, want %q", n, got, want)
		}
	}
}
