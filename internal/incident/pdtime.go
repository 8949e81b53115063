package incident

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// timestampLayouts are the ISO 8601 forms PagerDuty accepts for
// payload.timestamp: with or without fractional seconds, and a zone as Z,
// +00:00 or +0000 (the form its own documentation shows).
var timestampLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05.999999999Z07",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04Z0700",
}

// ParseTimestamp reads a PagerDuty event timestamp.
func ParseTimestamp(s string) (time.Time, error) {
	for _, layout := range timestampLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("not an ISO 8601 time with a zone: %q", s)
}

// PDChangeEvent is the body of a PagerDuty Change Events request
// (POST /v2/change/enqueue): a deploy or other change on the integration's
// service, kept on the service's timeline rather than paging anyone.
type PDChangeEvent struct {
	RoutingKey string `json:"routing_key"`
	Payload    *struct {
		Summary       string          `json:"summary"`
		Source        string          `json:"source,omitempty"`
		Timestamp     string          `json:"timestamp,omitempty"`
		CustomDetails json.RawMessage `json:"custom_details,omitempty"`
	} `json:"payload"`
	Links []struct {
		Href string `json:"href"`
		Text string `json:"text,omitempty"`
	} `json:"links,omitempty"`
}

// Validate checks a change event the way PagerDuty does, one message per
// problem, naming the field; it returns the change's time (now when the
// event gives none).
func (e *PDChangeEvent) Validate(now time.Time) (time.Time, []string) {
	var errs []string
	if e.RoutingKey == "" {
		errs = append(errs, "'routing_key' is missing or blank")
	}
	if e.Payload == nil {
		return now, append(errs, "'payload' is missing")
	}
	if strings.TrimSpace(e.Payload.Summary) == "" {
		errs = append(errs, "'payload.summary' is missing or blank")
	} else if len(e.Payload.Summary) > maxSummary {
		errs = append(errs, fmt.Sprintf("'payload.summary' is longer than %d characters", maxSummary))
	}
	at := now
	if e.Payload.Timestamp != "" {
		t, err := ParseTimestamp(e.Payload.Timestamp)
		if err != nil {
			errs = append(errs, fmt.Sprintf("'payload.timestamp' must be an ISO 8601 time, got %q", e.Payload.Timestamp))
		}
		at = t
	}
	for i, l := range e.Links {
		if strings.TrimSpace(l.Href) == "" {
			errs = append(errs, fmt.Sprintf("'links[%d].href' is missing or blank", i))
		}
	}
	return at, errs
}
