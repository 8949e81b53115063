package notify

import (
	"context"
	"time"
)

// KindTest marks a message sent by a person's "Send test" rather than by an
// incident: it names no incident and carries no action links.
const KindTest = "test"

// Receipt is a receiver's answer to one send: its HTTP status and the
// start of its answer, without secrets. Channels that speak HTTP fill it
// when the context carries one (see WithReceipt), so that a person who
// sends a test sees what the receiver said, success or not.
type Receipt struct {
	Status int
	Answer string
}

type receiptKey struct{}

// WithReceipt returns a context whose sends record their answer in r.
func WithReceipt(ctx context.Context, r *Receipt) context.Context {
	return context.WithValue(ctx, receiptKey{}, r)
}

// recordReceipt stores an answer in the context's receipt, if any.
func recordReceipt(ctx context.Context, status int, answer string) {
	if r, ok := ctx.Value(receiptKey{}).(*Receipt); ok && r != nil {
		r.Status, r.Answer = status, answer
	}
}

// TestMessage is what "Send test" sends: an info-level message that says
// who asked for it, naming no incident.
func TestMessage(actor, url string, now time.Time) Message {
	return Message{Kind: KindTest, Service: "sextant", Summary: "Test notification sent by " + actor + " from Sextant",
		Severity: "info", Status: "test", Source: "sextant", CreatedAt: now, URL: url}
}
