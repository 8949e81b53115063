package replica

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sextant-ops/sextant/internal/store"
)

// Message is one announcement between replicas: a topic ("checks",
// "setup", "live", …) and an optional body.
type Message struct {
	From  string          `json:"from"`
	Topic string          `json:"topic"`
	Body  json.RawMessage `json:"body,omitempty"`
}

// Bus carries announcements between the replicas of one database over
// PostgreSQL LISTEN/NOTIFY, so that a change written through one replica
// (a check, a channel, an override, a reloaded config, a live event for
// the pages) reaches the caches of the others within a second. A message
// can be lost (a replica reconnecting): every cache also refreshes on a
// timer, which the bus only makes faster. The channel is named after the
// schema, so two Sextant installations in one database stay apart.
type Bus struct {
	DB *store.DB
	// DSN opens the listening connection (the database URL the server was
	// given).
	DSN string
	// Self is this replica's id: its own messages are not handed back.
	Self string
	// Handle receives every other replica's message, one at a time.
	Handle func(ctx context.Context, m Message)
	Log    *slog.Logger

	once    sync.Once
	ready   chan struct{}
	mu      sync.Mutex
	channel string
}

// maxPayload is below PostgreSQL's 8,000-byte limit on a notification.
const maxPayload = 7900

func (b *Bus) log() *slog.Logger {
	if b.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return b.Log
}

func (b *Bus) channelName(ctx context.Context) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.channel != "" {
		return b.channel, nil
	}
	var schema string
	if err := b.DB.Reader().QueryRowContext(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return "", fmt.Errorf("replica: bus channel: %w", err)
	}
	b.channel = "sextant_" + schema
	return b.channel, nil
}

// Publish announces topic with body (nil for none) to the other replicas.
// A body too large for one notification is dropped and the bare topic
// sent: the receivers then refresh the whole topic.
func (b *Bus) Publish(ctx context.Context, topic string, body any) error {
	ch, err := b.channelName(ctx)
	if err != nil {
		return err
	}
	m := Message{From: b.Self, Topic: topic}
	if body != nil {
		if m.Body, err = json.Marshal(body); err != nil {
			return err
		}
	}
	payload, _ := json.Marshal(m)
	if len(payload) > maxPayload {
		m.Body = nil
		payload, _ = json.Marshal(m)
	}
	if _, err := b.DB.Writer().ExecContext(ctx, `SELECT pg_notify($1, $2)`, ch, string(payload)); err != nil {
		return fmt.Errorf("replica: announce %s: %w", topic, err)
	}
	return nil
}

// Ready is closed once the bus listens for the first time.
func (b *Bus) Ready() <-chan struct{} {
	b.once.Do(func() { b.ready = make(chan struct{}) })
	return b.ready
}

// Run listens until ctx ends, reconnecting after a lost connection.
func (b *Bus) Run(ctx context.Context) {
	b.Ready()
	first := true
	for ctx.Err() == nil {
		err := b.listen(ctx, func() {
			if first {
				first = false
				close(b.ready)
			}
		})
		if ctx.Err() != nil {
			return
		}
		b.log().Error("replica bus: listening stopped; reconnecting", "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

func (b *Bus) listen(ctx context.Context, listening func()) error {
	ch, err := b.channelName(ctx)
	if err != nil {
		return err
	}
	conn, err := pgx.Connect(ctx, b.DSN)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, `LISTEN `+pgx.Identifier{ch}.Sanitize()); err != nil {
		return err
	}
	listening()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		var m Message
		if err := json.Unmarshal([]byte(n.Payload), &m); err != nil {
			b.log().Warn("replica bus: unreadable message", "err", err)
			continue
		}
		if m.From == b.Self || b.Handle == nil {
			continue
		}
		b.Handle(ctx, m)
	}
}
