// Package probe runs Sextant's checks against their targets: HTTP(S), TCP,
// DNS, ICMP and TLS certificates. A probe never panics and never blocks past
// its timeout; whatever goes wrong becomes a Result with a reason in words.
//
// Every outgoing connection goes through Dialer, which refuses
// cloud-metadata and link-local addresses; the rest of Sextant uses the same
// Dialer for its own outgoing calls (webhooks, notifications).
package probe

import (
	"context"
	"fmt"
	"time"

	"github.com/sextant-ops/sextant/internal/probe/condition"
)

// Result is the outcome of one probe run, before conditions are judged.
type Result struct {
	// Start is when the probe began.
	Start time.Time
	// Values are what was observed, for the check's conditions.
	Values condition.Values
	// CertificateNotAfter is the earliest NotAfter of the certificate chain
	// the server presented (TLS and HTTPS probes), even a chain that failed
	// verification; zero when none was seen. Values.CertificateExpiration
	// is the same instant as time left when the probe ran.
	CertificateNotAfter time.Time
	// Err is set when the probe could not complete (DNS failure, refused
	// connection, timeout, TLS error, oversized body …); its text is the
	// reason shown to users, e.g. "connection refused". It is always a
	// *Failure, whose Cause keeps Go's full error for the log.
	//
	// An answer the target gave (status 503, NXDOMAIN, a body without the
	// expected text) is not an Err: judging it is the conditions' job.
	Err error
}

// DefaultTimeout bounds a probe whose Timeout is zero.
const DefaultTimeout = 10 * time.Second

// Failure is the error a probe reports: a short reason for users, and the
// underlying error for the log.
type Failure struct {
	// Reason is what users read, e.g. "connection refused" or
	// "timed out after 5s".
	Reason string
	// Cause is the error that led to it, with Go's full detail; nil when
	// the probe itself found the problem (e.g. an oversized body).
	Cause error
}

// Error returns the reason.
func (f *Failure) Error() string { return f.Reason }

// Unwrap returns the cause, so errors.Is and errors.As see through a Failure.
func (f *Failure) Unwrap() error { return f.Cause }

// run holds what every probe does around its own work: the clock, the
// deadline and the guarantee never to panic.
type run struct {
	ctx     context.Context
	cancel  context.CancelFunc
	timeout time.Duration // the time actually allowed, for reasons
	res     *Result
}

// begin starts a probe run bounded by timeout (DefaultTimeout when zero) and
// by ctx, whichever ends first.
func begin(ctx context.Context, timeout time.Duration, res *Result) *run {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	res.Start = time.Now()
	if dl, ok := ctx.Deadline(); ok {
		if left := time.Until(dl); left < timeout {
			timeout = max(left, 0)
		}
	}
	c, cancel := context.WithTimeout(ctx, timeout)
	return &run{ctx: c, cancel: cancel, timeout: timeout, res: res}
}

// end releases the run's context and turns a panic into a failure. It must
// be deferred directly by the probe's Run method.
func (r *run) end() {
	r.cancel()
	if r.res.Values.ResponseTime == 0 {
		r.res.Values.ResponseTime = time.Since(r.res.Start)
	}
	if v := recover(); v != nil {
		r.res.Err = &Failure{Reason: "probe failed unexpectedly", Cause: fmt.Errorf("panic: %v", v)}
	}
}

// fail records err as the run's failure, with a reason in words.
func (r *run) fail(err error) {
	r.res.Err = &Failure{Reason: describe(err, r.timeout), Cause: err}
}

// failf records a failure the probe found itself.
func (r *run) failf(format string, args ...any) {
	r.res.Err = &Failure{Reason: fmt.Sprintf(format, args...)}
}
