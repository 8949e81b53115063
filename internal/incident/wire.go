package incident

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
)

// PDEvent is the body of a PagerDuty Events API v2 request, so that any
// tool or client library speaking that API works against Sextant.
type PDEvent struct {
	RoutingKey  string          `json:"routing_key"`
	EventAction string          `json:"event_action"`
	DedupKey    string          `json:"dedup_key,omitempty"`
	Payload     *PDPayload      `json:"payload,omitempty"`
	Client      string          `json:"client,omitempty"`
	ClientURL   string          `json:"client_url,omitempty"`
	Links       json.RawMessage `json:"links,omitempty"`
	Images      json.RawMessage `json:"images,omitempty"`
}

// PDPayload is the alert itself.
type PDPayload struct {
	Summary       string          `json:"summary"`
	Source        string          `json:"source"`
	Severity      string          `json:"severity"`
	Timestamp     string          `json:"timestamp,omitempty"`
	Component     string          `json:"component,omitempty"`
	Group         string          `json:"group,omitempty"`
	Class         string          `json:"class,omitempty"`
	CustomDetails json.RawMessage `json:"custom_details,omitempty"`
}

// Limits of the PagerDuty Events API, kept so senders see the same errors.
const (
	MaxBody     = 512 * 1024
	maxSummary  = 1024
	maxDedupKey = 255
)

// Validate checks an event the way PagerDuty does and returns one message
// per problem, naming the field.
func (e *PDEvent) Validate() []string {
	var errs []string
	if e.RoutingKey == "" {
		errs = append(errs, "'routing_key' is missing or blank")
	}
	switch e.EventAction {
	case ActionTrigger, ActionAcknowledge, ActionResolve:
	case "":
		errs = append(errs, "'event_action' is missing or blank")
	default:
		errs = append(errs, fmt.Sprintf("'event_action' must be one of trigger, acknowledge, resolve; got %q", e.EventAction))
	}
	if len(e.DedupKey) > maxDedupKey {
		errs = append(errs, fmt.Sprintf("'dedup_key' is longer than %d characters", maxDedupKey))
	}
	if e.EventAction != ActionTrigger {
		if e.EventAction != "" && e.DedupKey == "" {
			errs = append(errs, "'dedup_key' is required for acknowledge and resolve")
		}
		return errs
	}
	if e.Payload == nil {
		return append(errs, "'payload' is missing")
	}
	if strings.TrimSpace(e.Payload.Summary) == "" {
		errs = append(errs, "'payload.summary' is missing or blank")
	} else if len(e.Payload.Summary) > maxSummary {
		errs = append(errs, fmt.Sprintf("'payload.summary' is longer than %d characters", maxSummary))
	}
	if strings.TrimSpace(e.Payload.Source) == "" {
		errs = append(errs, "'payload.source' is missing or blank")
	}
	if !contains(Severities, e.Payload.Severity) {
		errs = append(errs, fmt.Sprintf("'payload.severity' must be one of critical, error, warning, info; got %q", e.Payload.Severity))
	}
	if e.Payload.Timestamp != "" {
		if _, err := ParseTimestamp(e.Payload.Timestamp); err != nil {
			errs = append(errs, fmt.Sprintf("'payload.timestamp' must be an ISO 8601 time, got %q", e.Payload.Timestamp))
		}
	}
	return errs
}

// NewDedupKey makes a dedup key for a trigger that has none, from the
// request itself, so that a retried request gets the same key.
func NewDedupKey(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:16])
}

// ToEvent converts a validated PagerDuty event for integration in.
func (e *PDEvent) ToEvent(in *Integration, body []byte) Event {
	ev := Event{Integration: in.Name, Action: e.EventAction, DedupKey: e.DedupKey, Service: in.Service, Body: body}
	if e.Payload != nil {
		ev.Summary, ev.Source, ev.Severity = e.Payload.Summary, e.Payload.Source, e.Payload.Severity
		ev.Details, _ = json.Marshal(pdDetails{
			Class: e.Payload.Class, Client: e.Client, ClientURL: e.ClientURL, Component: e.Payload.Component,
			CustomDetails: present(e.Payload.CustomDetails), Group: e.Payload.Group, Images: present(e.Images),
			Links: present(e.Links), Timestamp: e.Payload.Timestamp,
		})
	}
	return ev
}

// pdDetails is what an incident keeps of a PagerDuty event beyond its
// summary, source and severity: the fields it has, in the order of their
// names (as a map would be written). A struct, not a map: marshalling one
// is a fraction of the cost, and ToEvent runs for every event.
type pdDetails struct {
	Class         string          `json:"class,omitempty"`
	Client        string          `json:"client,omitempty"`
	ClientURL     string          `json:"client_url,omitempty"`
	Component     string          `json:"component,omitempty"`
	CustomDetails json.RawMessage `json:"custom_details,omitempty"`
	Group         string          `json:"group,omitempty"`
	Images        json.RawMessage `json:"images,omitempty"`
	Links         json.RawMessage `json:"links,omitempty"`
	Timestamp     string          `json:"timestamp,omitempty"`
}

// present is v, or nil when the sender sent null.
func present(v json.RawMessage) json.RawMessage {
	if string(v) == "null" {
		return nil
	}
	return v
}

// AMWebhook is Alertmanager's webhook body (version 4), as the API
// document describes it; bodies are read by DecodeAlertmanager.
type AMWebhook struct {
	Version           string            `json:"version"`
	GroupKey          string            `json:"groupKey"`
	TruncatedAlerts   int               `json:"truncatedAlerts"`
	Status            string            `json:"status"`
	Receiver          string            `json:"receiver"`
	GroupLabels       map[string]string `json:"groupLabels"`
	CommonLabels      map[string]string `json:"commonLabels"`
	CommonAnnotations map[string]string `json:"commonAnnotations"`
	ExternalURL       string            `json:"externalURL"`
	Alerts            []AMAlert         `json:"alerts"`
}

// AMAlert is one alert of a webhook.
type AMAlert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     string            `json:"startsAt"`
	EndsAt       string            `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
}
