package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The headers that sign a webhook delivery. A receiver verifies a delivery
// the way Stripe's and Slack's are verified:
//
//  1. read X-Sextant-Timestamp (Unix seconds) and refuse it when it is more
//     than a few minutes from the receiver's clock, so that a captured
//     delivery cannot be replayed later;
//  2. compute HMAC-SHA256, keyed with the channel's secret, over the exact
//     bytes "<timestamp>.<raw request body>" (the body as received, before
//     any JSON decoding or re-encoding);
//  3. compare "sha256=" + lowercase hex of that MAC with
//     X-Sextant-Signature, in constant time.
//
// VerifyWebhook does all three. A webhook channel without a secret sends
// its deliveries unsigned, without either header.
const (
	// SignatureHeader holds "sha256=<hex HMAC-SHA256>" of the signed
	// string "<timestamp>.<body>".
	SignatureHeader = "X-Sextant-Signature"
	// TimestampHeader holds the Unix time in seconds at which the delivery
	// was signed.
	TimestampHeader = "X-Sextant-Timestamp"
)

// WebhookPayload is the JSON body of a webhook delivery:
//
//	{"event": "triggered", "incident": {"id": 42, "service": "shop", …}}
type WebhookPayload struct {
	// Event is Message.Kind: triggered, acknowledged, resolved, escalated.
	Event string `json:"event"`
	// Incident is left out of a message about a ticket, which has Ticket
	// in its place.
	Incident WebhookIncident `json:"incident,omitzero"`
	Ticket   *Ticket         `json:"ticket,omitempty"`
}

// WebhookIncident is the incident inside a WebhookPayload: the Message's
// fields in snake_case, times in RFC 3339.
type WebhookIncident struct {
	ID        int64     `json:"id"`
	Service   string    `json:"service"`
	Summary   string    `json:"summary"`
	Severity  string    `json:"severity"`
	Status    string    `json:"status"`
	Source    string    `json:"source"`
	CreatedAt time.Time `json:"created_at"`
	// ResolvedAt is left out while the incident is open.
	ResolvedAt    time.Time `json:"resolved_at,omitzero"`
	URL           string    `json:"url"`
	AckURL        string    `json:"ack_url"`
	ResolveURL    string    `json:"resolve_url"`
	InMaintenance bool      `json:"in_maintenance"`
	// Workaround is the matched known error's workaround (Markdown),
	// left out when the incident matched none.
	Workaround string `json:"workaround,omitempty"`
}

// webhook posts a WebhookPayload, signed as SignatureHeader describes, to
// a receiver the user runs.
type webhook struct {
	paced
	http *httpSender
	url  string
	key  []byte
	now  func() time.Time
}

// Send posts the delivery.
func (w *webhook) Send(ctx context.Context, m Message) error {
	body, err := json.Marshal(webhookPayload(m))
	if err != nil {
		return Permanent(fmt.Errorf("webhook payload: %w", err))
	}
	return w.post(ctx, body)
}

// post signs body (when the channel has a secret) and posts it.
func (w *webhook) post(ctx context.Context, body []byte) error {
	header := http.Header{}
	if len(w.key) > 0 {
		ts := strconv.FormatInt(w.now().Unix(), 10)
		header.Set(TimestampHeader, ts)
		header.Set(SignatureHeader, SignWebhook(w.key, ts, body))
	}
	return w.http.post(ctx, w.url, "application/json", header, body)
}

// webhookPayload turns a Message into the delivery's document.
func webhookPayload(m Message) WebhookPayload {
	if m.Ticket != nil {
		return WebhookPayload{Event: m.Kind, Ticket: m.Ticket}
	}
	return WebhookPayload{
		Event: m.Kind,
		Incident: WebhookIncident{
			ID: m.IncidentID, Service: m.Service, Summary: m.Summary, Severity: m.Severity,
			Status: m.Status, Source: m.Source, CreatedAt: m.CreatedAt.UTC(), ResolvedAt: m.ResolvedAt.UTC(), URL: m.URL,
			AckURL: m.AckURL, ResolveURL: m.ResolveURL, InMaintenance: m.InMaintenance,
			Workaround: m.Workaround,
		},
	}
}

// SignWebhook returns the X-Sextant-Signature value for body sent at
// timestamp (Unix seconds, as in X-Sextant-Timestamp):
// "sha256=" + hex(HMAC-SHA256(key, timestamp + "." + body)).
func SignWebhook(key []byte, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(timestamp))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// ErrBadSignature is returned by VerifyWebhook for a delivery that was not
// signed with the key, or was altered.
var ErrBadSignature = errors.New("webhook signature does not match")

// VerifyWebhook checks a received delivery: the signature must match the
// body and timestamp, and the timestamp must lie within tolerance of now
// (five minutes is usual). Receivers written in Go may call it; others
// follow the steps documented on the webhook channel.
func VerifyWebhook(key []byte, timestamp, signature string, body []byte, now time.Time, tolerance time.Duration) error {
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("webhook timestamp %q: not Unix seconds", timestamp)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("webhook timestamp is %s away from now, more than %s", d.Round(time.Second), tolerance)
	}
	if !strings.HasPrefix(signature, "sha256=") {
		return ErrBadSignature
	}
	if !hmac.Equal([]byte(SignWebhook(key, timestamp, body)), []byte(signature)) {
		return ErrBadSignature
	}
	return nil
}
