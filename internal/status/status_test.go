package status_test

import (
	"context"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/secret"
	"github.com/sextant-ops/sextant/internal/status"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
	"github.com/sextant-ops/sextant/internal/timeline"
)

// now is a Wednesday; 3 and 4 October 2026 are a weekend.
var t0 = time.Date(2026, 10, 7, 12, 0, 0, 0, time.UTC)

// private names and texts that must never leave the server unsigned-in.
const (
	privateName  = "payroll-secret"
	privateTitle = "Hidden Payroll"
	privateNote  = "restoring payroll from backup"
)

type fixture struct {
	now       time.Time
	srv       *httptest.Server
	incidents *incident.Store
	ingest    *incident.Ingester
	outages   *timeline.Store
	shopID    int64
	pages     []status.Page
}

func newFixture(t *testing.T, db *store.DB) *fixture {
	ctx := context.Background()
	f := &fixture{now: t0.Add(-2 * time.Hour)}
	clock := func() time.Time { return f.now }
	cat := catalog.NewStore(db, clock)
	if _, err := cat.PutCalendar(ctx, "test", catalog.Calendar{Name: "office", CalendarSpec: catalog.CalendarSpec{Timezone: "UTC",
		Weekly: []catalog.WeeklyWindow{{Days: "mon-fri", From: "09:00", To: "17:00"}}}}, catalog.MustCreate); err != nil {
		t.Fatal(err)
	}
	for _, s := range []catalog.Service{
		{Name: "shop", Title: "Shop", Objective: &catalog.Objective{Availability: "99.9%"},
			Maintenance: []catalog.MaintenanceWindow{{Title: "Database upgrade", Start: "2026-10-10T02:00:00Z", End: "2026-10-10T04:00:00Z"}}},
		{Name: "intranet", Title: "Intranet", Objective: &catalog.Objective{Hours: "office", Availability: "99%"}},
		{Name: privateName, Title: privateTitle, Objective: &catalog.Objective{Availability: "99%"},
			Maintenance: []catalog.MaintenanceWindow{{Title: "Payroll migration", Start: "2026-10-09T02:00:00Z", End: "2026-10-09T04:00:00Z"}}},
	} {
		if _, err := cat.PutService(ctx, "test", s, catalog.MustCreate); err != nil {
			t.Fatal(err)
		}
	}
	f.outages = timeline.NewStore(db, clock)
	// A one-hour outage on Monday, for the public shop and for the private
	// service alike.
	for _, svc := range []string{"shop", privateName} {
		start, end, state := "2026-10-05T10:00:00Z", "2026-10-05T11:00:00Z", "down"
		if _, err := f.outages.Record(ctx, "test", svc, timeline.NewOutage{Start: &start, End: &end, State: &state}); err != nil {
			t.Fatal(err)
		}
	}
	engine := &incident.Engine{Timeline: f.outages, Now: clock}
	engine.Configure(incident.Setup{Integrations: []incident.Integration{{Name: "prom", Kind: incident.KindEvents,
		Key: secret.New("0123456789abcdef0123"), Service: "shop"}}})
	f.ingest = &incident.Ingester{DB: db, Engine: engine}
	cctx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)
	f.ingest.Start(cctx)
	f.incidents = &incident.Store{DB: db, Engine: engine}

	// The shop's incident: triggered at 10:00 (the service is down since),
	// acknowledged, and a note for customers.
	f.shopID = f.trigger(t, "shop", "checkout-dedup-7", "db7.internal: connection refused")
	f.now = t0.Add(-90 * time.Minute)
	if _, err := f.incidents.Acknowledge(ctx, f.shopID, "alice"); err != nil {
		t.Fatal(err)
	}
	f.now = t0.Add(-time.Hour)
	if _, err := f.incidents.Note(ctx, f.shopID, "alice", "db7.internal pool exhausted, internal only"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.incidents.Note(ctx, f.shopID, "alice", "Public: Checkout is failing; we are rolling back the release."); err != nil {
		t.Fatal(err)
	}
	// The private service's incident, with a note of its own.
	pid := f.trigger(t, privateName, "payroll-dedup", "payroll-db down")
	if _, err := f.incidents.Note(ctx, pid, "bob", privateNote); err != nil {
		t.Fatal(err)
	}
	f.now = t0
	f.pages = []status.Page{
		{Name: "main", Title: "Example Corp status", Description: "How our services are doing.",
			Groups:       []status.Group{{Title: "Customer-facing", Services: []string{"shop"}}, {Title: "Internal", Services: []string{"intranet"}}},
			DisplayNames: map[string]string{"shop": "Web shop"}},
		{Name: "staff", Title: "Staff systems", Groups: []status.Group{{Title: "Office", Services: []string{"intranet"}}}},
	}

	h, err := status.New(status.Options{Reporter: timeline.NewReporter(cat, f.outages, clock), Incidents: f.incidents, Now: clock,
		Pages: func() []status.Page { return f.pages }})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	h.Register(mux)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fixture) trigger(t *testing.T, service, dedup, summary string) int64 {
	t.Helper()
	out, err := f.ingest.Submit(context.Background(), []incident.Event{{Integration: "prom", Action: incident.ActionTrigger, DedupKey: dedup,
		Service: service, Summary: summary, Source: "prom-host-1", Severity: "critical", Body: []byte(`{}`)}})
	if err != nil || !out[0].Created {
		t.Fatalf("trigger %s: %+v %v", service, out, err)
	}
	return out[0].IncidentID
}

// get fetches a path and returns the status, the headers and the body.
func (f *fixture) get(t *testing.T, path string) (int, http.Header, string) {
	t.Helper()
	res, err := http.Get(f.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, string(b)
}

// mustNotLeak fails when a private service shows through.
func mustNotLeak(t *testing.T, what, body string) {
	t.Helper()
	for _, s := range []string{privateName, privateTitle, privateNote, "Payroll migration", "payroll"} {
		if strings.Contains(strings.ToLower(body), strings.ToLower(s)) {
			t.Errorf("%s reveals %q", what, s)
		}
	}
}

func TestStatusPage(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		code, hdr, body := f.get(t, "/status")
		if code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") || hdr.Get("Cache-Control") == "" {
			t.Fatalf("GET /status = %d %v", code, hdr)
		}
		mustNotLeak(t, "the status page", body)
		for _, tc := range []struct{ name, want string }{
			{"title", "Example Corp status"},
			{"display name", "Web shop"},
			{"service title by default", "Intranet"},
			{"banner: the shop is down, the intranet up", "Partial outage"},
			{"the shop's state in words", "Major outage"},
			{"the intranet's state in words", "Operational"},
			{"incident status", "Acknowledged"},
			{"first update", "Investigating"},
			{"note", "we are rolling back the release."},
			{"maintenance of the next 14 days", "Database upgrade"},
			{"maintenance time", "Sat 10 Oct 2026, 02:00–04:00 UTC"},
			// Monday: one hour down of 24 → 23/24.
			{"Monday's bar", "<title>Mon 5 Oct 2026: 95.833%</title>"},
			// Today: down since 10:00, now 12:00; the rest of the day
			// counts as up → 22/24.
			{"today's bar", "<title>Wed 7 Oct 2026: 91.666%</title>"},
			{"a clean day", "<title>Tue 6 Oct 2026: 100%</title>"},
			// 90 days of 24 h = 2160 h, 1 h + 2 h down → 2157/2160.
			{"the 90-day figure", "99.861% in service hours"},
			// The intranet works weekdays only.
			{"weekend of a weekday service", "<title>Sat 3 Oct 2026: no service hours</title>"},
			{"feed link", `href="/status/main/feed.atom"`},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if !strings.Contains(body, tc.want) {
					t.Errorf("page lacks %q", tc.want)
				}
			})
		}
		for _, internal := range []string{"checkout-dedup-7", "db7.internal", "alice", "prom", "connection refused"} {
			if strings.Contains(body, internal) {
				t.Errorf("page shows internal detail %q", internal)
			}
		}
		if n := strings.Count(body, "<rect "); n != 2*status.Days {
			t.Errorf("%d bars, want %d", n, 2*status.Days)
		}
		// The named page is the same page; another page lists its own.
		if code, _, named := f.get(t, "/status/main"); code != 200 || named != body {
			t.Errorf("/status/main = %d, differs from /status", code)
		}
		code, _, staff := f.get(t, "/status/staff")
		if code != 200 || !strings.Contains(staff, "All systems operational") || strings.Contains(staff, "Web shop") {
			t.Errorf("/status/staff = %d:\n%s", code, staff)
		}
		// The style sheet it links is served, for good.
		css := between(body, `<link rel="stylesheet" href="`, `"`)
		if code, hdr, _ := f.get(t, css); code != 200 || !strings.Contains(hdr.Get("Cache-Control"), "immutable") || !strings.HasPrefix(hdr.Get("Content-Type"), "text/css") {
			t.Errorf("GET %s = %d %v", css, code, hdr)
		}
	})
}

func between(s, a, b string) string {
	_, rest, _ := strings.Cut(s, a)
	out, _, _ := strings.Cut(rest, b)
	return out
}

func TestNotFoundRevealsNothing(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		_, wantHdr, want := f.get(t, "/badge/no-such-service/status.svg")
		for _, p := range []string{
			"/status/unknown", "/status/" + privateName, "/status/unknown/feed.atom", "/status/unknown/feed.rss",
			"/badge/no-such-service/status.svg", "/badge/no-such-service/availability.svg",
			"/badge/" + privateName + "/status.svg", "/badge/" + privateName + "/availability.svg", "/badge/shop/other.svg",
			// Without subscriptions their links are unknown pages too.
			"/status/main/subscription/1/confirm?sig=00", "/status/main/subscription/1/unsubscribe?sig=00",
		} {
			code, hdr, body := f.get(t, p)
			if code != 404 || body != want || hdr.Get("Content-Type") != wantHdr.Get("Content-Type") || hdr.Get("Content-Length") != wantHdr.Get("Content-Length") {
				t.Errorf("GET %s = %d %q %v, want the same 404 as an unknown service", p, code, body, hdr)
			}
		}
	})
}

func TestBadges(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		for _, tc := range []struct{ path, want, colour string }{
			{"/badge/shop/status.svg", "status: down", "#e05d44"},
			{"/badge/intranet/status.svg", "status: up", "#4c1"},
			// October, 24x7: 744 h less the 2 h maintenance window of
			// the 10th = 742 h; 1 h + 2 h down → 739/742 = 0.995956… shown cut to 99.595%, below
			// the 99.9% target, so red.
			{"/badge/shop/availability.svg", "availability: 99.595%", "#e05d44"},
			{"/badge/intranet/availability.svg", "availability: 100%", "#4c1"},
		} {
			t.Run(tc.path, func(t *testing.T) {
				code, hdr, body := f.get(t, tc.path)
				if code != 200 || hdr.Get("Content-Type") != "image/svg+xml" || hdr.Get("Cache-Control") != "public, max-age=60" {
					t.Fatalf("GET = %d %v", code, hdr)
				}
				if !strings.Contains(body, `aria-label="`+tc.want+`"`) || !strings.Contains(body, `fill="`+tc.colour+`"`) {
					t.Errorf("badge lacks %q in %s:\n%s", tc.want, tc.colour, body)
				}
				var doc struct{ XMLName xml.Name }
				if err := xml.Unmarshal([]byte(body), &doc); err != nil || doc.XMLName.Local != "svg" {
					t.Errorf("not SVG: %v", err)
				}
			})
		}
	})
}

func TestFeeds(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		t.Run("atom", func(t *testing.T) {
			code, hdr, body := f.get(t, "/status/main/feed.atom")
			if code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "application/atom+xml") {
				t.Fatalf("GET = %d %v", code, hdr)
			}
			mustNotLeak(t, "the Atom feed", body)
			var feed struct {
				XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
				ID      string   `xml:"id"`
				Entries []struct {
					Title   string `xml:"title"`
					ID      string `xml:"id"`
					Content string `xml:"content"`
				} `xml:"entry"`
			}
			if err := xml.Unmarshal([]byte(body), &feed); err != nil {
				t.Fatalf("Atom does not parse: %v\n%s", err, body)
			}
			if len(feed.Entries) != 2 || feed.Entries[0].Title != "Web shop: Major outage (acknowledged)" ||
				!strings.Contains(feed.Entries[0].Content, "rolling back the release") || feed.Entries[1].Title != "Web shop: Database upgrade" {
				t.Errorf("entries = %+v", feed.Entries)
			}
			if !strings.HasPrefix(feed.ID, f.srv.URL+"/status/main") {
				t.Errorf("feed id %q is not the page's URL", feed.ID)
			}
		})
		t.Run("rss", func(t *testing.T) {
			code, hdr, body := f.get(t, "/status/main/feed.rss")
			if code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "application/rss+xml") {
				t.Fatalf("GET = %d %v", code, hdr)
			}
			mustNotLeak(t, "the RSS feed", body)
			var feed struct {
				Version string `xml:"version,attr"`
				Items   []struct {
					Title       string `xml:"title"`
					Description string `xml:"description"`
					PubDate     string `xml:"pubDate"`
				} `xml:"channel>item"`
			}
			if err := xml.Unmarshal([]byte(body), &feed); err != nil {
				t.Fatalf("RSS does not parse: %v\n%s", err, body)
			}
			if feed.Version != "2.0" || len(feed.Items) != 2 || !strings.Contains(feed.Items[0].Description, "Acknowledged") {
				t.Errorf("rss = %+v", feed)
			}
			if _, err := time.Parse(time.RFC1123Z, feed.Items[0].PubDate); err != nil {
				t.Errorf("pubDate: %v", err)
			}
		})
	})
}

func TestPageIsCachedForTenSeconds(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		_, _, first := f.get(t, "/status")
		// Something changes: a new note.
		if _, err := f.incidents.Note(context.Background(), f.shopID, "alice", "Public: Fix deployed, watching."); err != nil {
			t.Fatal(err)
		}
		f.now = t0.Add(9 * time.Second)
		if _, _, again := f.get(t, "/status"); again != first {
			t.Error("within 10 s the page was built again")
		}
		f.now = t0.Add(10 * time.Second)
		if _, _, later := f.get(t, "/status"); later == first || !strings.Contains(later, "Fix deployed, watching.") {
			t.Error("after 10 s the page was not built again")
		}
		// A reload that makes the intranet private is never answered from
		// the cache.
		f.pages = []status.Page{{Name: "main", Title: "Example Corp status", Groups: []status.Group{{Title: "Customer-facing", Services: []string{"shop"}}}}}
		f.now = t0.Add(11 * time.Second)
		if _, _, reloaded := f.get(t, "/status"); strings.Contains(reloaded, "Intranet") {
			t.Error("a service made private is still shown from the cache")
		}
		if code, _, _ := f.get(t, "/badge/intranet/status.svg"); code != 404 {
			t.Errorf("badge of a service made private = %d", code)
		}
	})
}

func TestBanner(t *testing.T) {
	for _, tc := range []struct {
		states []availability.State
		want   string
	}{
		{[]availability.State{availability.Up, availability.Up}, "All systems operational"},
		{[]availability.State{availability.Up, availability.Degraded}, "Degraded performance"},
		{[]availability.State{availability.Down, availability.Degraded}, "Partial outage"},
		{[]availability.State{availability.Down, availability.Down}, "Major outage"},
		{[]availability.State{availability.Up, availability.Unknown}, "Some systems' state is unknown"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			if got := status.BannerText(tc.states); got != tc.want {
				t.Errorf("banner = %q", got)
			}
		})
	}
}

func TestValidatePages(t *testing.T) {
	services := map[string]bool{"shop": true, "payments": true}
	pages := []status.Page{
		{Name: "main", Title: "Status", Groups: []status.Group{{Title: "A", Services: []string{"shop", "nope"}}}, DisplayNames: map[string]string{"payments": "Pay"}},
		{Name: "main", Title: "Again", Groups: []status.Group{{Title: "B", Services: []string{"payments", "payments"}}}},
		{Name: "Bad Name", Groups: []status.Group{{Title: "C", Services: []string{"shop"}}}},
	}
	var got []string
	for _, f := range status.ValidatePages(pages, services) {
		got = append(got, f.Path)
	}
	want := []string{"status_pages[0].groups[0].services[1]", "status_pages[0].display_names.payments", "status_pages[1].groups[0].services[1]",
		"status_pages[1].name", "status_pages[2].name", "status_pages[2].title"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("problems at\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
