package setup

import (
	"fmt"
	"strings"

	"github.com/sextant-ops/sextant/internal/incident"
)

// KeyPlaceholder stands for an integration's key in the snippets shown
// after the key itself was shown once.
const KeyPlaceholder = "YOUR_INTEGRATION_KEY"

// Ingest says how a sender reaches an integration: the exact URL(s), and
// snippets to copy into the sender's configuration.
type Ingest struct {
	// URLs are where events are posted: /v2/enqueue and /api/v1/events
	// for an events integration, the integration's own Alertmanager
	// path for an alertmanager one.
	URLs []string `json:"urls"`
	// Alertmanager is an Alertmanager receiver (webhook_configs with the
	// key as the bearer credentials); empty for an events integration.
	Alertmanager string `json:"alertmanager,omitempty"`
	// Curl posts one test event or alert.
	Curl string `json:"curl"`
}

// IngestFor builds the URLs and snippets of in on a server reached at base
// (scheme and host, no trailing slash). key is the integration's key when
// it is being shown (at creation and rotation); "" puts KeyPlaceholder in
// its place.
func IngestFor(base string, in Integration, key string) Ingest {
	base = strings.TrimRight(base, "/")
	if key == "" {
		key = KeyPlaceholder
	}
	if in.Kind == incident.KindAlertmanager {
		u := base + "/api/v1/integrations/alertmanager/" + in.Name
		return Ingest{URLs: []string{u},
			Alertmanager: fmt.Sprintf(`receivers:
  - name: sextant-%s
    webhook_configs:
      - url: %s
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: %s
`, in.Name, u, key),
			Curl: fmt.Sprintf(`curl -sS -X POST %s \
  -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' \
  -d '{"version":"4","status":"firing","receiver":"sextant-%s","groupKey":"{}:{alertname=\"SextantTest\"}","groupLabels":{"alertname":"SextantTest"},"commonLabels":{},"commonAnnotations":{},"externalURL":"","alerts":[{"status":"firing","labels":{"alertname":"SextantTest","severity":"warning"},"annotations":{"summary":"Test alert from curl"},"startsAt":"2026-01-01T00:00:00Z","fingerprint":"0000000000000001"}]}'
`, u, key, in.Name)}
	}
	u := base + "/v2/enqueue"
	return Ingest{URLs: []string{u, base + "/api/v1/events"},
		Curl: fmt.Sprintf(`curl -sS -X POST %s -H 'Content-Type: application/json' \
  -d '{"routing_key":"%s","event_action":"trigger","dedup_key":"sextant-test","payload":{"summary":"Test event from curl","source":"curl","severity":"warning"}}'
`, u, key)}
}
