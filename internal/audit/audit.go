// Package audit writes and reads the audit log: who changed what, when, and
// the object before and after. Entries are written in the same transaction
// as the change they describe, so there is never a change without its entry.
package audit

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/sextant-ops/sextant/internal/store"
)

// Entry is one audited change.
type Entry struct {
	ID         int64           `json:"id"`
	At         time.Time       `json:"at"`
	Actor      string          `json:"actor"`
	Action     string          `json:"action"`
	ObjectType string          `json:"object_type"`
	ObjectID   string          `json:"object_id"`
	Before     json.RawMessage `json:"before"`
	After      json.RawMessage `json:"after"`
}

// The actions recorded.
const (
	Create = "create"
	Update = "update"
	Delete = "delete"
)

// Record writes an entry through q — normally the transaction making the
// change. before and after are marshalled to JSON; nil is stored as null.
// Secrets must be removed by the caller: the log is readable by admins.
func Record(ctx context.Context, q store.Querier, at time.Time, actor, action, objectType, objectID string, before, after any) error {
	b, err := marshal(before)
	if err != nil {
		return err
	}
	a, err := marshal(after)
	if err != nil {
		return err
	}
	_, err = q.ExecContext(ctx, `INSERT INTO audit_log (at, actor, action, object_type, object_id, before, after) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		store.Millis(at), actor, action, objectType, objectID, b, a)
	if err != nil {
		return fmt.Errorf("audit: record: %w", err)
	}
	return nil
}

func marshal(v any) (sql.NullString, error) {
	if v == nil {
		return sql.NullString{}, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return sql.NullString{}, fmt.Errorf("audit: marshal: %w", err)
	}
	if string(b) == "null" {
		return sql.NullString{}, nil
	}
	return sql.NullString{String: string(b), Valid: true}, nil
}

// Filter narrows a listing of the log.
type Filter struct {
	ObjectType string
	ObjectID   string
	Actor      string
}

// List returns entries newest first, one page at a time.
func List(ctx context.Context, db *store.DB, f Filter, page store.Page) ([]Entry, string, error) {
	before, err := page.BeforeID()
	if err != nil {
		return nil, "", err
	}
	limit := page.Size()
	rows, err := db.Reader().QueryContext(ctx, `SELECT id, at, actor, action, object_type, object_id, before, after FROM audit_log
		WHERE id < $1 AND ($2 = '' OR object_type = $2) AND ($3 = '' OR object_id = $3) AND ($4 = '' OR actor = $4)
		ORDER BY id DESC LIMIT $5`, before, f.ObjectType, f.ObjectID, f.Actor, limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("audit: list: %w", err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		var at int64
		var b, a sql.NullString
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Action, &e.ObjectType, &e.ObjectID, &b, &a); err != nil {
			return nil, "", fmt.Errorf("audit: list: %w", err)
		}
		e.At = store.FromMillis(at)
		e.Before = raw(b)
		e.After = raw(a)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("audit: list: %w", err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = store.IDCursor(out[limit-1].ID)
	}
	return out, next, nil
}

func raw(n sql.NullString) json.RawMessage {
	if !n.Valid {
		return json.RawMessage("null")
	}
	return json.RawMessage(n.String)
}
