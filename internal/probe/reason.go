package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"syscall"
	"time"
)

// describe turns err into the short reason users read: no "dial tcp
// 127.0.0.1:9: connect:" prefixes, durations as configured, certificate
// problems in words. timeout is the time the probe was allowed.
func describe(err error, timeout time.Duration) string {
	var (
		refused  *RefusedAddressError
		dnsErr   *net.DNSError
		unknown  x509.UnknownAuthorityError
		invalid  x509.CertificateInvalidError
		hostname x509.HostnameError
		record   tls.RecordHeaderError
		alert    tls.AlertError
		errno    syscall.Errno
	)
	switch {
	case err == nil:
		return ""
	case errors.As(err, &refused):
		return refused.Error()
	case errors.As(err, &unknown):
		return "TLS: certificate signed by unknown authority"
	case errors.As(err, &invalid):
		return "TLS: " + describeInvalid(invalid, time.Now())
	case errors.As(err, &hostname):
		return "TLS: certificate is not valid for " + hostname.Host
	case errors.As(err, &record) && string(record.RecordHeader[:]) == "HTTP/":
		return "TLS: server answered with plain HTTP"
	case errors.As(err, &record):
		return "TLS: server did not answer with TLS"
	case errors.As(err, &alert):
		return "TLS: server ended the handshake: " + strings.TrimPrefix(alert.Error(), "tls: ")
	case errors.Is(err, context.Canceled):
		return "cancelled"
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return "no such host " + dnsErr.Name
	case isTimeout(err):
		return "timed out after " + formatDuration(timeout)
	case errors.As(err, &dnsErr):
		return fmt.Sprintf("cannot resolve %s: %s", dnsErr.Name, dnsErr.Err)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed by the server"
	case errors.As(err, &errno):
		return describeErrno(errno)
	}
	msg := innermost(err).Error()
	for _, prefix := range []string{"net/http: HTTP/1.x transport connection broken: ", "net/http: ", "http: "} {
		msg = strings.TrimPrefix(msg, prefix)
	}
	if rest, ok := strings.CutPrefix(msg, "tls: "); ok {
		msg = "TLS: " + rest
	}
	return msg
}

// isTimeout reports whether err is a deadline running out, however wrapped.
func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// innermost strips the wrappers that only add Go's context ("Get \"…\":",
// "dial tcp …:", "read:") around the error that says what happened.
func innermost(err error) error {
	for {
		var next error
		switch e := err.(type) {
		case *url.Error:
			next = e.Err
		case *net.OpError:
			next = e.Err
		case *os.SyscallError:
			next = e.Err
		}
		if next == nil {
			return err
		}
		err = next
	}
}

// describeErrno names the socket errors users meet, in the words of ping
// and curl.
func describeErrno(errno syscall.Errno) string {
	switch errno {
	case syscall.ECONNREFUSED:
		return "connection refused"
	case syscall.ECONNRESET:
		return "connection reset by the server"
	case syscall.ECONNABORTED, syscall.EPIPE:
		return "connection closed by the server"
	case syscall.EHOSTUNREACH:
		return "host unreachable"
	case syscall.ENETUNREACH:
		return "network unreachable"
	case syscall.EADDRNOTAVAIL:
		return "address not available"
	}
	return errno.Error()
}

// describeInvalid explains why a certificate was rejected, with dates in
// words: "certificate expired 3 days ago".
func describeInvalid(e x509.CertificateInvalidError, now time.Time) string {
	switch e.Reason {
	case x509.Expired:
		if e.Cert == nil {
			return "certificate expired"
		}
		if now.Before(e.Cert.NotBefore) {
			return "certificate not valid until " + e.Cert.NotBefore.UTC().Format("2006-01-02 15:04 MST")
		}
		return "certificate expired " + ago(now.Sub(e.Cert.NotAfter))
	case x509.NotAuthorizedToSign:
		return "certificate chain includes a certificate not allowed to sign others"
	case x509.IncompatibleUsage:
		return "certificate not issued for server authentication"
	case x509.CANotAuthorizedForThisName:
		return "certificate issuer not allowed to sign for this name"
	case x509.TooManyIntermediates:
		return "certificate chain too long"
	case x509.NameMismatch, x509.NameConstraintsWithoutSANs:
		return "certificate names do not match its issuer's constraints"
	}
	return "invalid certificate: " + e.Detail
}

// ago says how long ago something happened, coarsely: "3 days ago".
func ago(d time.Duration) string {
	plural := func(n int64, unit string) string {
		if n == 1 {
			return "1 " + unit + " ago"
		}
		return fmt.Sprintf("%d %ss ago", n, unit)
	}
	switch {
	case d >= 24*time.Hour:
		return plural(int64(d/(24*time.Hour)), "day")
	case d >= time.Hour:
		return plural(int64(d/time.Hour), "hour")
	case d >= time.Minute:
		return plural(int64(d/time.Minute), "minute")
	}
	return plural(int64(max(d/time.Second, 0)), "second")
}

// formatDuration writes d the way users configure it: "5s", "1.5s",
// "250ms", "2m", "1h30m".
func formatDuration(d time.Duration) string {
	// A deadline inherited from the caller's context leaves a little less
	// than a round figure by the time the probe starts: show 200ms, not
	// 199ms.
	if d >= 100*time.Millisecond {
		d = d.Round(10 * time.Millisecond)
	} else {
		d = d.Round(time.Millisecond)
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// formatSize writes a byte count the way limits are configured: "1 MiB",
// "512 KiB", "1000 bytes".
func formatSize(n int64) string {
	const kib, mib = 1 << 10, 1 << 20
	switch {
	case n >= mib && n%mib == 0:
		return fmt.Sprintf("%d MiB", n/mib)
	case n >= kib && n%kib == 0:
		return fmt.Sprintf("%d KiB", n/kib)
	}
	return fmt.Sprintf("%d bytes", n)
}
