package monitor

import (
	"context"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/probe"
)

// Result is one judged run of a check at one location.
type Result struct {
	Check    string             `json:"check"`
	Location string             `json:"location"`
	At       time.Time          `json:"at"`
	Outcome  availability.State `json:"outcome"`
	Latency  time.Duration      `json:"latency_ns"` // 0: none measured (no connection, no answer)
	Reason   string             `json:"reason"`
	// CertNotAfter is the earliest NotAfter of the certificate chain a TLS
	// or HTTPS probe saw; zero when none.
	CertNotAfter time.Time `json:"certificate_not_after,omitzero"`
}

// Run probes a check once under the default outbound policy (only
// cloud-metadata addresses refused) and judges the result; see RunWith.
func Run(ctx context.Context, c *Compiled, location string) Result {
	return RunWith(ctx, c, location, nil)
}

// RunWith probes a check once, its connections obeying the outbound policy
// (nil for the default), and judges the result by its conditions. It never
// runs past the check's timeout. A refused address fails the run with the
// policy's reason, before anything is sent.
func RunWith(ctx context.Context, c *Compiled, location string, outbound *probe.Policy) Result {
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	var r probe.Result
	switch c.Type {
	case TypeHTTP:
		follow := true
		if c.FollowRedirects != nil {
			follow = *c.FollowRedirects
		}
		r = probe.HTTP{URL: c.URL, Method: strings.ToUpper(c.Method), Headers: requestHeaders(c.Check), Body: c.Body,
			FollowRedirects: follow, InsecureSkipTLS: c.InsecureSkipVerify, Timeout: c.Timeout, Outbound: outbound}.Run(ctx)
	case TypeTCP:
		r = probe.TCP{Host: c.Host, Port: c.Port, Timeout: c.Timeout, Outbound: outbound}.Run(ctx)
	case TypeDNS:
		r = probe.DNS{Host: c.Host, Record: strings.ToUpper(c.Record), Resolver: c.Resolver, Timeout: c.Timeout, Outbound: outbound}.Run(ctx)
	case TypeICMP:
		r = probe.ICMP{Host: c.Host, Timeout: c.Timeout, Outbound: outbound}.Run(ctx)
	case TypeTLS:
		r = probe.TLS{Host: c.Host, Port: c.Port, ServerName: c.ServerName, Timeout: c.Timeout, InsecureSkipVerify: c.InsecureSkipVerify, Outbound: outbound}.Run(ctx)
	default:
		return Result{Check: c.Name, Location: location, At: time.Now().UTC(), Outcome: availability.Unknown, Reason: "not a probed check type: " + c.Type}
	}
	errText := ""
	if r.Err != nil {
		errText = r.Err.Error()
	}
	outcome, reason := Judge(c, errText, func(cc CompiledCondition) (bool, string) { return cc.Eval(r.Values) })
	if outcome == availability.Up && c.Type == TypeDNS && len(c.Expect) > 0 {
		outcome, reason = expectAnswers(c.Expect, r.Values.IP)
	}
	start := r.Start
	if start.IsZero() {
		start = time.Now()
	}
	// A probe that could not complete (refused, timed out, no answer)
	// measured how long it took to fail, not a latency: it records none.
	latency := r.Values.ResponseTime
	if r.Err != nil {
		latency = 0
	}
	return Result{Check: c.Name, Location: location, At: start.UTC(), Outcome: outcome, Latency: latency, Reason: reason, CertNotAfter: r.CertificateNotAfter}
}

// expectAnswers checks that every expected DNS answer was returned.
func expectAnswers(expect []string, got string) (availability.State, string) {
	have := map[string]bool{}
	for _, a := range strings.Split(got, ",") {
		have[strings.TrimSuffix(strings.TrimSpace(a), ".")] = true
	}
	for _, e := range expect {
		if !have[strings.TrimSuffix(strings.TrimSpace(e), ".")] {
			return availability.Down, "expected answer " + e + ", got " + orNone(got)
		}
	}
	return availability.Up, "all expected answers returned"
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
