package monitor_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// TestOldAuditEntriesLoseCheckCredentials: audit entries written before
// check credentials were write-only show them as [set] once the database is
// migrated, and keep everything else.
func TestOldAuditEntriesLoseCheckCredentials(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		// Back to the schema before migration 00008, with an entry of then.
		for _, q := range []string{`ALTER TABLE api_tokens DROP COLUMN location`, `DELETE FROM goose_db_version WHERE version_id = 8`} {
			if _, err := db.Writer().ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		old := `{"name":"shop-web","service":"shop","type":"http","url":"https://shop.example/","headers":{"Authorization":"Bearer s3cr3t","X-Api-Key":"k3y","Accept":"text/plain"}}`
		for _, row := range []struct{ typ, before, after string }{
			{"check", old, old},
			{"check", `{"name":"no-headers","type":"tcp"}`, `{"name":"empty","headers":{}}`},
			{"service", `{"headers":{"X-Api-Key":"not-a-check"}}`, ""},
		} {
			var after any
			if row.after != "" {
				after = row.after
			}
			if _, err := db.Writer().ExecContext(ctx, `INSERT INTO audit_log (at, actor, action, object_type, object_id, before, after) VALUES (1, 'test', 'update', $1, 'x', $2, $3)`,
				row.typ, row.before, after); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		type entry struct{ typ, before, after string }
		rows, err := db.Reader().QueryContext(ctx, `SELECT object_type, before, COALESCE(after, '') FROM audit_log ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var got []entry
		for rows.Next() {
			var e entry
			if err := rows.Scan(&e.typ, &e.before, &e.after); err != nil {
				t.Fatal(err)
			}
			got = append(got, e)
		}
		if len(got) != 3 {
			t.Fatalf("%d entries: %v", len(got), got)
		}
		for _, side := range []string{got[0].before, got[0].after} {
			var c struct {
				URL     string            `json:"url"`
				Headers map[string]string `json:"headers"`
			}
			if err := json.Unmarshal([]byte(side), &c); err != nil {
				t.Fatalf("%v: %s", err, side)
			}
			if c.Headers["Authorization"] != "[set]" || c.Headers["X-Api-Key"] != "[set]" || c.Headers["Accept"] != "text/plain" || c.URL != "https://shop.example/" {
				t.Errorf("scrubbed entry: %s", side)
			}
			if strings.Contains(side, "s3cr3t") || strings.Contains(side, "k3y") {
				t.Errorf("a credential is left: %s", side)
			}
		}
		if !strings.Contains(got[1].before, `"no-headers"`) || !strings.Contains(got[1].after, `"empty"`) || !strings.Contains(got[2].before, "not-a-check") || got[2].after != "" {
			t.Errorf("other entries changed: %v", got[1:])
		}
	})
}
