package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/app"
	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/httpapi"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// publicPages are the routes outside the API table that a browser or a
// feed reader reaches: the status pages, badges, signed incident links and
// the UI. Their parameters are fuzzed like the API's.
var publicPages = []string{
	"GET /status/{page}", "GET /status/{page}/feed.atom", "GET /status/{page}/feed.rss",
	"GET /badge/{service}/status.svg", "GET /badge/{service}/availability.svg",
	"GET /incidents/{id}/act/{action}", "POST /incidents/{id}/act/{action}",
	"GET /login", "GET /static/{file}",
	"GET /services/{name}", "GET /services/{name}/edit", "GET /services/{name}/delete",
	"GET /checks/{name}", "GET /checks/{name}/edit", "GET /calendars/{name}", "GET /calendars/{name}/edit",
	"GET /incidents", "GET /incidents/{id}", "GET /postmortems/{id}", "GET /postmortems/{id}/items/{item}",
	"GET /known-errors/{id}", "GET /oncall/schedules/{name}", "GET /admin/users/{name}/delete",
	"GET /admin/tokens/{name}/revoke", "GET /admin/audit", "GET /dashboard/fragment", "GET /{$}",
}

// plausible are path values that name objects of the demo catalog, so a
// bad value in one parameter meets real objects in the others.
var plausible = map[string]string{
	"name": "payroll", "id": "1", "item": "1", "token": "no-such-token", "signal": "start",
	"integration": "am", "page": "main", "service": "shop", "action": "acknowledge", "file": "app.css",
}

// commonQuery are the query parameters most list and report routes read.
var commonQuery = []string{"limit", "cursor", "from", "to", "period", "at", "service", "state", "status", "q"}

// errorLog records every ERROR line the server writes.
type errorLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *errorLog) Enabled(_ context.Context, lv slog.Level) bool { return lv >= slog.LevelError }
func (l *errorLog) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool { fmt.Fprintf(&b, " %s=%v", a.Key, a.Value); return true })
	l.mu.Lock()
	l.lines = append(l.lines, b.String())
	l.mu.Unlock()
	return nil
}
func (l *errorLog) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *errorLog) WithGroup(string) slog.Handler      { return l }

// take returns and forgets the lines written so far.
func (l *errorLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.lines
	l.lines = nil
	return out
}

// fuzzCase is one request the fuzz pass sends.
type fuzzCase struct {
	method, path, query, body string
	// key is sent as the bearer token whoever asks: an integration's key.
	key  string
	what string
}

// badValues are the kinds of bad value each parameter gets, URL-escaped.
var badValues = map[string]string{
	"NUL":               "%00",
	"NUL inside":        "a%00b",
	"invalid UTF-8":     "%ff%fe",
	"lone continuation": "x%80",
	"100 KB":            strings.Repeat("z", 100<<10),
}

var wildcard = regexp.MustCompile(`\{([a-z]+)(\.\.\.)?\}`)

// fill replaces the pattern's wildcards: bad in the one named bad, a
// plausible value in the others.
func fill(pattern, bad, value string) string {
	pattern = strings.ReplaceAll(pattern, "{$}", "")
	return wildcard.ReplaceAllStringFunc(pattern, func(m string) string {
		name := wildcard.FindStringSubmatch(m)[1]
		if name == bad {
			return value
		}
		if v, ok := plausible[name]; ok {
			return v
		}
		return "x"
	})
}

// sample builds a JSON value of type t with every string set to s (a JSON
// string literal, possibly with invalid bytes in it).
func sample(t reflect.Type, s string, depth int) string {
	if depth > 4 {
		return "null"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == reflect.TypeFor[time.Time]() {
		return s
	}
	switch t.Kind() {
	case reflect.String:
		return s
	case reflect.Bool:
		return "true"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "1"
	case reflect.Float32, reflect.Float64:
		return "1.5"
	case reflect.Slice, reflect.Array:
		return "[" + sample(t.Elem(), s, depth+1) + "]"
	case reflect.Map:
		return "{" + s + ":" + sample(t.Elem(), s, depth+1) + "}"
	case reflect.Struct:
		var parts []string
		var walk func(t reflect.Type)
		walk = func(t reflect.Type) {
			for i := range t.NumField() {
				f := t.Field(i)
				tag := f.Tag.Get("json")
				name, _, _ := strings.Cut(tag, ",")
				if name == "-" || !f.IsExported() {
					continue
				}
				if f.Anonymous && name == "" {
					ft := f.Type
					if ft.Kind() == reflect.Pointer {
						ft = ft.Elem()
					}
					if ft.Kind() == reflect.Struct {
						walk(ft)
						continue
					}
				}
				if name == "" {
					name = f.Name
				}
				parts = append(parts, fmt.Sprintf("%q:%s", name, sample(f.Type, s, depth+1)))
			}
		}
		walk(t)
		return "{" + strings.Join(parts, ",") + "}"
	}
	return s
}

// cases lists every request of the pass for one route pattern.
func cases(method, pattern string, query []string, request any) []fuzzCase {
	var out []fuzzCase
	for _, m := range wildcard.FindAllStringSubmatch(pattern, -1) {
		for what, v := range badValues {
			out = append(out, fuzzCase{method: method, path: fill(pattern, m[1], v), what: "path " + m[1] + " " + what})
		}
	}
	names := slices.Clone(commonQuery)
	for _, q := range query {
		if !slices.Contains(names, q) {
			names = append(names, q)
		}
	}
	for _, q := range names {
		for what, v := range badValues {
			out = append(out, fuzzCase{method: method, path: fill(pattern, "", ""), query: q + "=" + v, what: "query " + q + " " + what})
		}
	}
	// One huge query value per route: the server refuses it before any
	// handler runs, but it must not fail.
	out = append(out, fuzzCase{method: method, path: fill(pattern, "", ""), query: "limit=" + strings.Repeat("9", 1<<20), what: "1 MB query"})
	if method == "POST" || method == "PUT" {
		var t reflect.Type = reflect.TypeFor[map[string]string]()
		if request != nil {
			t = reflect.TypeOf(request)
		}
		for what, s := range map[string]string{
			"NUL strings":           `"a\u0000b"`,
			"invalid UTF-8 strings": "\"a\xff\xfeb\"",
			"lone surrogates":       `"\udc00"`,
			"100 KB strings":        `"` + strings.Repeat("y", 100<<10) + `"`,
		} {
			out = append(out, fuzzCase{method: method, path: fill(pattern, "", ""), body: sample(t, s, 0), what: "body " + what})
		}
		out = append(out, fuzzCase{method: method, path: fill(pattern, "", ""), body: "{\"\xff\":1,\"a\u0000\":2}", what: "body bad keys"})
		out = append(out, fuzzCase{method: method, path: fill(pattern, "", ""), body: `{"limit":1e999,"n":123456789012345678901234567890}`, what: "body huge numbers"})
	}
	return out
}

// The integration keys of the fuzzed server.
const (
	eventsKey = "fuzz-events-routing-key-0123456789"
	amKey     = "fuzz-alertmanager-key-0123456789"
)

// keyedBodies are ingest bodies with a valid key and one kind of bad value
// in every string, so that the bad bytes get past the key check and reach
// the ingester and the database.
func keyedBodies() []fuzzCase {
	var out []fuzzCase
	for what, s := range map[string]string{
		"NUL strings":           `"a\u0000b"`,
		"invalid UTF-8 strings": "\"a\xff\xfeb\"",
		"100 KB strings":        `"` + strings.Repeat("y", 100<<10) + `"`,
	} {
		pd := `{"routing_key":"` + eventsKey + `","event_action":"trigger","dedup_key":` + s +
			`,"payload":{"summary":` + s + `,"source":` + s + `,"severity":"critical","component":` + s + `,"custom_details":{` + s + `:` + s + `}}}`
		am := `{"version":"4","status":"firing","receiver":` + s + `,"groupLabels":{` + s + `:` + s + `},"commonLabels":{},"commonAnnotations":{},"alerts":[` +
			`{"status":"firing","labels":{"alertname":` + s + `},"annotations":{"summary":` + s + `},"startsAt":"2026-11-21T10:00:00Z","fingerprint":` + s + `}]}`
		out = append(out,
			fuzzCase{method: "POST", path: "/v2/enqueue", body: pd, what: "keyed event with " + what},
			fuzzCase{method: "POST", path: "/api/v1/events", body: pd, what: "keyed event with " + what},
			fuzzCase{method: "POST", path: "/api/v1/integrations/alertmanager/am", body: am, key: amKey, what: "keyed webhook with " + what})
	}
	return out
}

// startApp runs the whole server (API, UI, status pages) with the demo
// catalog and two integrations on engine e, and returns it with an admin token, an admin's UI
// session and the server's ERROR lines.
func startApp(t *testing.T, e storetest.Engine) (srv *httptest.Server, token, session string, logs *errorLog) {
	t.Helper()
	dsn, dir := e.DSN(t)
	if dir == "" {
		dir = t.TempDir()
	}
	// The demo catalog, with an integration of each kind so that bodies
	// with a valid key reach the ingester.
	demo, err := os.ReadFile("../config/demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "sextant.yaml")
	extra := fmt.Sprintf("integrations:\n  - {name: events, kind: events, key: %q, service: shop}\n  - {name: am, kind: alertmanager, key: %q, service: shop}\n", eventsKey, amKey)
	if err := os.WriteFile(cfg, append(demo, extra...), 0o600); err != nil {
		t.Fatal(err)
	}
	logs = &errorLog{}
	a, err := app.New(context.Background(), app.Options{Database: dsn, DataDir: dir, ConfigPath: cfg, Log: slog.New(logs), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	srv = httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	ctx := context.Background()
	token, _, err = a.Auth().CreateToken(ctx, "test", "fuzz-admin", auth.Admin)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Auth().CreateUser(ctx, "test", auth.NewUser{Name: "fuzzer", Password: "long-enough-password", Role: auth.Admin}); err != nil {
		t.Fatal(err)
	}
	session, _, err = a.Auth().Login(ctx, "fuzzer", "long-enough-password", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	_ = logs.take() // start-up is not a request
	return srv, token, session, logs
}

// TestBadBytesNameTheParameter: a NUL byte or invalid UTF-8 in a path
// value, a query value or a cursor is a 400 naming the parameter, on the
// API (problem details) and on the UI (its error page); the status pages
// answer their one 404. None writes an ERROR line.
func TestBadBytesNameTheParameter(t *testing.T) {
	cases := []struct {
		name, method, path string
		admin              bool
		status             int
		param, detail      string
	}{
		{"heartbeat token with NUL", "GET", "/api/v1/heartbeats/%00", false, 400, "token", "NUL"},
		{"heartbeat signal with invalid UTF-8", "POST", "/api/v1/heartbeats/abc/%ff%fe", false, 400, "signal", "UTF-8"},
		{"service name with NUL", "GET", "/api/v1/services/a%00b", true, 400, "name", "NUL"},
		{"outage id with invalid UTF-8", "DELETE", "/api/v1/services/payroll/outages/%80", true, 400, "id", "UTF-8"},
		{"token name with NUL", "DELETE", "/api/v1/tokens/%00", true, 400, "name", "NUL"},
		{"filter with NUL", "GET", "/api/v1/audit?object_type=%00", true, 400, "object_type", "NUL"},
		{"filter with invalid UTF-8", "GET", "/api/v1/postmortems?service=%ff", true, 400, "service", "UTF-8"},
		{"cursor with NUL", "GET", "/api/v1/services?cursor=%00", true, 400, "cursor", "NUL"},
		{"cursor decoding to NUL", "GET", "/api/v1/services?cursor=" + store.Cursor("a\x00b"), true, 400, "cursor", "cursor"},
		{"cursor decoding to invalid UTF-8", "GET", "/api/v1/audit?cursor=" + store.Cursor("\xff"), true, 400, "cursor", "cursor"},
		{"calendar feed with NUL", "GET", "/api/v1/people/a%00/calendar.ics?secret=x", false, 400, "name", "NUL"},
		{"UI service page with NUL", "GET", "/services/a%00b", true, 400, "", "NUL"},
		{"UI edit page with invalid UTF-8", "GET", "/services/x%80/edit", true, 400, "", "UTF-8"},
		{"UI query with NUL", "GET", "/admin/audit?object_type=%00", true, 400, "", "NUL"},
		{"UI without a session", "GET", "/checks/%00", false, 400, "", "NUL"},
		{"signed link with NUL", "GET", "/incidents/%00/act/acknowledge", false, 400, "", "NUL"},
		// The public status pages answer a bad name with their one 404, byte
		// for byte that of an unknown or private name, so nothing is probed.
		{"status page with NUL", "GET", "/status/%00", false, 404, "", "not found"},
		{"status feed with invalid UTF-8", "GET", "/status/%ff/feed.atom", false, 404, "", "not found"},
		{"badge with NUL", "GET", "/badge/a%00b/status.svg", false, 404, "", "not found"},
	}
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			srv, token, session, logs := startApp(t, e)
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					req, err := http.NewRequest(c.method, srv.URL+c.path, nil)
					if err != nil {
						t.Fatal(err)
					}
					if c.admin {
						req.Header.Set("Authorization", "Bearer "+token)
						req.AddCookie(&http.Cookie{Name: httpapi.SessionCookie, Value: session})
					}
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						t.Fatal(err)
					}
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode != c.status {
						t.Fatalf("status %d, want %d: %.300s", resp.StatusCode, c.status, b)
					}
					if c.param != "" {
						var p httpapi.Problem
						if err := json.Unmarshal(b, &p); err != nil {
							t.Fatalf("not a problem document: %.300s", b)
						}
						if len(p.Errors) != 1 || p.Errors[0].Parameter != c.param || !strings.Contains(p.Errors[0].Detail, c.detail) {
							t.Fatalf("errors = %+v, want one naming parameter %q with %q", p.Errors, c.param, c.detail)
						}
					} else if !strings.Contains(string(b), c.detail) {
						t.Fatalf("page does not say %q: %.300s", c.detail, b)
					}
					if errs := logs.take(); len(errs) > 0 {
						t.Fatalf("logged ERROR: %q", errs)
					}
				})
			}
		})
	}
}

// TestFuzzEveryRoute sends NUL bytes, invalid UTF-8 and huge values in
// every path parameter, common query parameter and body field of every API
// route (walked from the route table, so a new route is covered) and of the
// public pages, as an admin and with no credentials, on both engines: none
// may answer 5xx, and no request without credentials may write an ERROR log
// line. The order of requests is fixed by a seed, so a failure repeats.
func TestFuzzEveryRoute(t *testing.T) {
	routes := httpapi.New(httpapi.Deps{}).Routes()
	var all []fuzzCase
	for _, rt := range routes {
		var q []string
		for _, p := range rt.Query {
			if p.In == "query" {
				q = append(q, p.Name)
			}
		}
		all = append(all, cases(rt.Method, rt.Path, q, rt.Request)...)
	}
	for _, p := range publicPages {
		method, pattern, _ := strings.Cut(p, " ")
		all = append(all, cases(method, pattern, nil, nil)...)
	}
	all = append(all, keyedBodies()...)
	slices.SortFunc(all, func(a, b fuzzCase) int {
		return strings.Compare(a.method+a.path+a.query+a.what, b.method+b.path+b.query+b.what)
	})
	rand.New(rand.NewPCG(11, 4)).Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			srv, token, session, logs := startApp(t, e)
			start := time.Now()
			failures := 0
			for _, c := range all {
				for _, who := range []string{"anonymous", "admin"} {
					u := srv.URL + c.path
					if c.query != "" {
						u += "?" + c.query
					}
					var body io.Reader
					if c.body != "" {
						body = strings.NewReader(c.body)
					}
					req, err := http.NewRequest(c.method, u, body)
					if err != nil {
						t.Fatalf("%s %s: %v", c.method, c.path, err)
					}
					if c.body != "" {
						req.Header.Set("Content-Type", "application/json")
					}
					if c.key != "" {
						req.Header.Set("Authorization", "Bearer "+c.key)
					} else if who == "admin" {
						if strings.HasPrefix(c.path, "/api/") || strings.HasPrefix(c.path, "/v2/") {
							req.Header.Set("Authorization", "Bearer "+token)
						} else {
							req.AddCookie(&http.Cookie{Name: httpapi.SessionCookie, Value: session})
						}
					}
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						t.Fatalf("%s %s (%s): %v", c.method, c.path, c.what, err)
					}
					b, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
					resp.Body.Close()
					errs := logs.take()
					shown := c.path
					if len(shown) > 120 {
						shown = shown[:120] + "…"
					}
					if resp.StatusCode >= 500 {
						failures++
						t.Errorf("%s %s %s as %s: %d: %s", c.method, shown, c.what, who, resp.StatusCode, b)
					}
					if who == "anonymous" && len(errs) > 0 {
						failures++
						t.Errorf("%s %s %s without credentials logged ERROR: %q", c.method, shown, c.what, errs)
					}
					if failures > 40 {
						t.Fatalf("too many failures; stopping")
					}
				}
			}
			t.Logf("%d requests in %v", 2*len(all), time.Since(start).Round(time.Millisecond))
		})
	}
}
