package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/httpapi"
	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/secret"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// TestEveryMistakeAtOnce sends bodies with several mistakes of different
// kinds — wrong types beside values the validator refuses, duplicate keys,
// unknown nested fields, bad bytes in strings — and checks that one 400
// names every one at its JSON pointer, and that nothing changed.
func TestEveryMistakeAtOnce(t *testing.T) {
	type problem struct{ pointer, detail string }
	cases := []struct {
		name, method, path, body string
		want                     []problem
	}{
		{"six mistakes in a service", "POST", "/api/v1/services",
			`{"name":"Pay Roll","tier":"x","objective":{"hours":"night","availability":"200%","max_outage":"soon","downtime_cost":"lots"}}`,
			[]problem{{"/name", "lower-case"}, {"/tier", "whole number"}, {"/objective/hours", "unknown calendar"},
				{"/objective/availability", "outside"}, {"/objective/max_outage", "soon"}, {"/objective/downtime_cost", "number"}}},
		{"type errors in a replaced service", "PUT", "/api/v1/services/database",
			`{"tier":true,"objective":{"availability":"99%","max_outages":"three","budget":[1]},"depends_on":[{"service":"ghost"}]}`,
			[]problem{{"/tier", "whole number"}, {"/objective/max_outages", "whole number"}, {"/objective/budget", "number"}, {"/depends_on/0/service", "unknown service"}}},
		{"a check's type error beside its other mistakes", "POST", "/api/v1/checks",
			`{"name":"web","service":"ghost","type":"tcp","host":"127.0.0.1","port":"https","fail_after":"two","interval":"often"}`,
			[]problem{{"/port", "whole number"}, {"/fail_after", "whole number"}, {"/service", ""}, {"/interval", ""}}},
		{"a calendar's type error beside its other mistakes", "POST", "/api/v1/calendars",
			`{"name":"c","timezone":"Europe/Gotham","weekly":[{"days":"mon-fry","from":9,"to":"17:00"}],"holidays":"2026-12-25"}`,
			[]problem{{"/weekly/0/from", "string"}, {"/holidays", "array"}, {"/timezone", "unknown time zone"}, {"/weekly/0/days", ""}}},
		{"duplicate keys, top and nested", "POST", "/api/v1/services",
			`{"name":"x","name":"y","objective":{"availability":"99%","availability":"98%"}}`,
			[]problem{{"/name", "duplicate key"}, {"/objective/availability", "duplicate key"}}},
		{"duplicate key in an array item", "POST", "/api/v1/services",
			`{"name":"x","depends_on":[{"service":"database","service":"database"}]}`,
			[]problem{{"/depends_on/0/service", "duplicate key"}}},
		{"unknown nested fields at their full pointer", "POST", "/api/v1/services",
			`{"name":"x","objective":{"availability":"99%","foo":1},"maintenance":[{"start":"2026-10-10T20:00:00Z","end":"2026-10-10T21:00:00Z","colour":"red"}]}`,
			[]problem{{"/objective/foo", "unknown field"}, {"/maintenance/0/colour", "unknown field"}}},
		{"a user's type error beside its other mistakes", "POST", "/api/v1/users", `{"name":5,"password":"short","role":"god"}`,
			[]problem{{"/name", "string"}, {"/password", "at least"}, {"/role", "unknown role"}}},
		{"a known error's type error beside its other mistakes", "POST", "/api/v1/known-errors", `{"title":["x"],"labels":{"1bad":"x"},"workaround":""}`,
			[]problem{{"/title", "string"}, {"/labels/1bad", "label name"}, {"/workaround", "required"}}},
		{"NUL in a string", "POST", "/api/v1/services", `{"name":"x","title":"a\u0000b"}`,
			[]problem{{"/title", "NUL"}}},
		{"invalid UTF-8 in strings and keys", "POST", "/api/v1/services", "{\"name\":\"x\",\"description\":\"\xff\xfe\",\"owner\":\"ok\",\"\xc3\":1}",
			[]problem{{"/description", "UTF-8"}, {"/\ufffd", "UTF-8"}, {"/\ufffd", "unknown field"}}},
		{"NUL in a nested string", "POST", "/api/v1/services", `{"name":"x","maintenance":[{"title":"\u0000","start":"2026-10-10T20:00:00Z","end":"2026-10-10T21:00:00Z"}]}`,
			[]problem{{"/maintenance/0/title", "NUL"}}},
		{"NUL in a user's name", "POST", "/api/v1/users", `{"name":"bob\u0000","password":"long-enough-1","role":"viewer"}`,
			[]problem{{"/name", "NUL"}}},
		{"a huge whole number", "POST", "/api/v1/services", `{"name":"x","tier":123456789012345678901234567890}`,
			[]problem{{"/tier", "whole number from"}}},
		{"a fraction for a whole number", "POST", "/api/v1/services", `{"name":"x","tier":1.5}`,
			[]problem{{"/tier", "whole number, got 1.5"}}},
		{"a number out of range", "POST", "/api/v1/services", `{"name":"x","objective":{"availability":"99%","budget":1e999}}`,
			[]problem{{"/objective/budget", "out of range"}}},
		{"not an object", "POST", "/api/v1/services", `["x"]`,
			[]problem{{"", "expected a JSON object, got an array"}}},
		{"too deep", "POST", "/api/v1/services", `{"name":"x","objective":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`,
			[]problem{{"", "deeper than"}}},
	}
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		h.mustDo(auth.Operator, "POST", "/api/v1/services", `{"name":"database","objective":{"availability":"99.9%"}}`, 201)
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				h := *h
				h.t = t
				before := h.mustDo(auth.Admin, "GET", "/api/v1/audit?limit=1000", "", 200)
				code, b := h.do(auth.Admin, c.method, c.path, c.body)
				if code != 400 {
					t.Fatalf("status %d, want 400: %s", code, b)
				}
				var p httpapi.Problem
				if err := json.Unmarshal(b, &p); err != nil {
					t.Fatalf("not a problem document: %s", b)
				}
				if len(p.Errors) != len(c.want) {
					t.Errorf("%d problems, want %d: %s", len(p.Errors), len(c.want), b)
				}
				for _, w := range c.want {
					if !slices.ContainsFunc(p.Errors, func(e httpapi.ProblemField) bool {
						return e.Pointer == w.pointer && strings.Contains(e.Detail, w.detail)
					}) {
						t.Errorf("no problem at %q mentioning %q: %s", w.pointer, w.detail, b)
					}
				}
				after := h.mustDo(auth.Admin, "GET", "/api/v1/audit?limit=1000", "", 200)
				if !bytes.Equal(before, after) {
					t.Fatalf("a rejected request changed something (audit log grew)")
				}
			})
		}
	})
}

// TestBodyLimitsKept: a body over the limit is still a 413 and one of the
// wrong content type a 415, before anything is decoded.
func TestBodyLimitsKept(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		big := `{"name":"x","description":"` + strings.Repeat("a", httpapi.MaxBody) + `"}`
		code, b := h.do(auth.Operator, "POST", "/api/v1/services", big)
		if code != http.StatusRequestEntityTooLarge {
			t.Fatalf("big body: %d %s", code, b)
		}
		req, _ := http.NewRequest("POST", h.srv.URL+"/api/v1/services", strings.NewReader(`name=x`))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "Bearer "+h.tokens[auth.Operator])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnsupportedMediaType {
			t.Fatalf("form body: %d", resp.StatusCode)
		}
	})
}

// TestIngestRefusesBadText: the routes that take other tools' formats as
// they are refuse a string or key holding a NUL byte or invalid UTF-8 with
// a 400 naming its pointer (in PagerDuty's format on its routes), where
// PostgreSQL answered 500, and still accept duplicate keys.
func TestIngestRefusesBadText(t *testing.T) {
	const pdKey, amKey = "ingest-events-key-0123456789", "ingest-am-key-0123456789"
	cases := []struct {
		name, path, key, body string
		status                int
		want                  string
	}{
		{"event with invalid UTF-8", "/v2/enqueue", "", `{"routing_key":"` + pdKey + `","event_action":"trigger","payload":{"summary":"` + "\xff" + `","source":"x","severity":"critical"}}`,
			400, "/payload/summary: the string is not valid UTF-8"},
		{"event with NUL", "/api/v1/events", "", `{"routing_key":"` + pdKey + `","event_action":"trigger","payload":{"summary":"disk","source":"x\u0000","severity":"critical"}}`,
			400, "/payload/source: the string holds a NUL byte"},
		{"event with a bad key in its details", "/v2/enqueue", "", `{"routing_key":"` + pdKey + `","event_action":"trigger","payload":{"summary":"disk","source":"x","severity":"critical","custom_details":{"` + "\xc3" + `":1}}}`,
			400, "the key is not valid UTF-8"},
		{"event with invalid UTF-8 nested deep in its details", "/v2/enqueue", "", `{"routing_key":"` + pdKey + `","event_action":"trigger","payload":{"summary":"disk","source":"x","severity":"critical","custom_details":` +
			strings.Repeat(`{"a":`, 100) + `"` + "\xff" + `"` + strings.Repeat("}", 100) + `}}`,
			400, "the string is not valid UTF-8"},
		{"event with duplicate keys is taken", "/v2/enqueue", "", `{"routing_key":"` + pdKey + `","event_action":"trigger","payload":{"summary":"disk","summary":"disk full","source":"x","severity":"critical"}}`,
			202, "success"},
		{"webhook with invalid UTF-8", "/api/v1/integrations/alertmanager/am", amKey,
			`{"version":"4","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"` + "\xfe" + `"},"startsAt":"2026-11-21T10:00:00Z","fingerprint":"f1"}]}`,
			// One alert's bad text never poisons its group: it alone is
			// refused, and named.
			202, `'alerts[0]' holds text that is not valid UTF-8`},
	}
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		h.mustDo(auth.Operator, "POST", "/api/v1/services", `{"name":"shop"}`, 201)
		h.engine.Configure(incident.Setup{Integrations: []incident.Integration{
			{Name: "events", Kind: incident.KindEvents, Key: secret.New(pdKey), Service: "shop"},
			{Name: "am", Kind: incident.KindAlertmanager, Key: secret.New(amKey), Service: "shop"},
		}})
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				req, _ := http.NewRequest("POST", h.srv.URL+c.path, strings.NewReader(c.body))
				req.Header.Set("Content-Type", "application/json")
				if c.key != "" {
					req.Header.Set("Authorization", "Bearer "+c.key)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != c.status || !strings.Contains(string(b), c.want) {
					t.Fatalf("%d %s, want %d mentioning %q", resp.StatusCode, b, c.status, c.want)
				}
			})
		}
	})
}
