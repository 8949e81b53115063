package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/monitor"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// TestAgentTokensAreBoundToALocation: the agent endpoint hands out checks
// with their real credentials, but only to an agent token, and only its own
// location's checks; results for another location are refused.
func TestAgentTokensAreBoundToALocation(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db) // its agent token is bound to paris
		ctx := context.Background()
		a := auth.NewService(db, nil)
		frankfurt, _, err := a.IssueToken(ctx, "test", auth.NewToken{Name: "agent-frankfurt", Role: auth.Agent, Location: "frankfurt"})
		if err != nil {
			t.Fatal(err)
		}
		unbound, _, err := a.IssueToken(ctx, "test", auth.NewToken{Name: "agent-old", Role: auth.Agent, Location: "old"})
		if err != nil {
			t.Fatal(err)
		}
		// As an agent token made before tokens had locations.
		if _, err := db.Writer().ExecContext(ctx, `UPDATE api_tokens SET location = '' WHERE name = 'agent-old'`); err != nil {
			t.Fatal(err)
		}
		h.mustDo(auth.Operator, "POST", "/api/v1/services", `{"name":"shop","objective":{"availability":"99%"}}`, 201)
		h.mustDo(auth.Operator, "POST", "/api/v1/checks", fmt.Sprintf(`{"name":"shop-paris","service":"shop","type":"http","url":"https://shop.example/","locations":["paris"],
			"headers":{"Authorization":"Bearer %s"},"interval":"30s"}`, bearerSecret), 201)
		h.mustDo(auth.Operator, "POST", "/api/v1/checks", `{"name":"shop-frankfurt","service":"shop","type":"http","url":"https://shop.example/","locations":["frankfurt"],"interval":"30s"}`, 201)

		bearer := func(secret, method, path, body string) (int, []byte) {
			req, _ := http.NewRequest(method, h.srv.URL+path, strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+secret)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, b
		}
		checksOf := func(b []byte) map[string]monitor.Check {
			var l struct {
				Items []monitor.Check `json:"items"`
			}
			if err := json.Unmarshal(b, &l); err != nil {
				t.Fatalf("%v: %s", err, b)
			}
			out := map[string]monitor.Check{}
			for _, c := range l.Items {
				out[c.Name] = c
			}
			return out
		}
		paris := h.tokens[auth.Agent]
		push := fmt.Sprintf(`{"location":"paris","results":[{"check":"shop-paris","at":%q,"outcome":"up","latency_ns":1000000,"reason":"ok"}]}`, time.Now().UTC().Format(time.RFC3339Nano))

		t.Run("the paris agent gets paris's checks with their real credentials", func(t *testing.T) {
			for _, path := range []string{"/api/v1/agent/checks", "/api/v1/agent/checks?location=paris"} {
				code, b := bearer(paris, "GET", path, "")
				got := checksOf(b)
				if code != 200 || len(got) != 1 || got["shop-paris"].Headers["Authorization"] != "Bearer "+bearerSecret {
					t.Fatalf("%s: %d %s", path, code, b)
				}
			}
			if code, b := bearer(paris, "POST", "/api/v1/agent/results", push); code != 202 {
				t.Fatalf("paris pushing paris results: %d %s", code, b)
			}
		})
		t.Run("the frankfurt agent gets none of paris's checks", func(t *testing.T) {
			code, b := bearer(frankfurt, "GET", "/api/v1/agent/checks?location=frankfurt", "")
			got := checksOf(b)
			if code != 200 || len(got) != 1 || got["shop-frankfurt"].Name == "" {
				t.Fatalf("%d %s", code, b)
			}
			wantNoSecret(t, "frankfurt's checks", b)
		})
		for _, c := range []struct {
			name, secret, method, path, body, wantDetail string
		}{
			{"frankfurt asking for paris's checks", frankfurt, "GET", "/api/v1/agent/checks?location=paris", "", `bound to location \"frankfurt\", not \"paris\"`},
			{"frankfurt pushing paris results", frankfurt, "POST", "/api/v1/agent/results", push, `location \"paris\" needs a token of its own`},
			{"an agent token bound to no location", unbound, "GET", "/api/v1/agent/checks?location=paris", "", "bound to no location"},
			{"an admin", h.tokens[auth.Admin], "GET", "/api/v1/agent/checks?location=paris", "", "agent role"},
		} {
			t.Run(c.name+" is refused", func(t *testing.T) {
				code, b := bearer(c.secret, c.method, c.path, c.body)
				if code != 403 || !strings.Contains(string(b), c.wantDetail) {
					t.Fatalf("%d %s; want 403 saying %s", code, b, c.wantDetail)
				}
				wantNoSecret(t, "the refusal", b)
			})
		}
	})
}
