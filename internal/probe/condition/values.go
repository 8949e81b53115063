// Package condition parses and evaluates the conditions users attach to
// checks, in the syntax users of other uptime tools already know:
// "[STATUS] == 200", "[RESPONSE_TIME] < 500", "[BODY].status == UP",
// "[BODY] == pat(*ok*)", "[CERTIFICATE_EXPIRATION] > 72h",
// "[CONNECTED] == true", "[DNS_RCODE] == NOERROR".
package condition

import "time"

// Values is what one probe observed, for conditions to judge. A field is
// only meaningful when its Has… flag (or non-nil pointer) says the probe
// measured it: an HTTP check has a status, a TCP check does not.
type Values struct {
	// Connected is whether a connection (or a DNS answer, or an echo
	// reply) was obtained at all.
	Connected bool
	// HasStatus is set by HTTP probes; Status is the response's status code.
	HasStatus bool
	Status    int
	// ResponseTime is how long the probe took, in full.
	ResponseTime time.Duration
	// Body is the response body as read (HTTP), possibly truncated; nil when
	// the probe has no body.
	Body []byte
	// CertificateExpiration is the time left until the earliest expiry in
	// the peer's certificate chain (HTTPS and TLS probes); nil without TLS.
	CertificateExpiration *time.Duration
	// DNSRcode is the DNS response code name (NOERROR, NXDOMAIN, …) of DNS
	// probes; empty otherwise.
	DNSRcode string
	// IP is the address the probe reached (or the DNS answers, joined by
	// commas, for DNS probes).
	IP string
}
