package incident

import "github.com/prometheus/client_golang/prometheus"

// The reasons an event or webhook is refused, as /metrics labels them.
const (
	RefusedUnauthorized = "unauthorized"
	RefusedInvalid      = "invalid"
	RefusedTooLarge     = "too_large"
	RefusedRateLimited  = "rate_limited"
	RefusedUnknown      = "unknown_service"
	RefusedFailed       = "failed" // the store could not commit it
)

// Metrics counts what ingest takes and refuses. The server makes the
// counters on its own registry and hands them to the API's handlers; a nil
// *Metrics (or a nil counter) counts nothing, for tests that do not look.
type Metrics struct {
	// Accepted counts events (for Alertmanager, alerts) committed, by
	// integration.
	Accepted *prometheus.CounterVec
	// Refused counts requests or alerts turned away, by integration and
	// reason.
	Refused *prometheus.CounterVec
	// Truncated counts the alerts Alertmanager reported leaving out of its
	// webhooks (truncatedAlerts), by integration.
	Truncated *prometheus.CounterVec
}

// Accept counts n accepted events of an integration.
func (m *Metrics) Accept(integration string, n int) {
	if m != nil && m.Accepted != nil && n > 0 {
		m.Accepted.WithLabelValues(integration).Add(float64(n))
	}
}

// Refuse counts n refused events of an integration for a reason.
func (m *Metrics) Refuse(integration, reason string, n int) {
	if m != nil && m.Refused != nil && n > 0 {
		m.Refused.WithLabelValues(integration, reason).Add(float64(n))
	}
}

// Truncate counts n alerts an integration's sender left out.
func (m *Metrics) Truncate(integration string, n int) {
	if m != nil && m.Truncated != nil && n > 0 {
		m.Truncated.WithLabelValues(integration).Add(float64(n))
	}
}
