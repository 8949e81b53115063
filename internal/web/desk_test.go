package web

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/desk"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// deskEnv is the UI with a desk whose clock is fixed: a 24x7 policy of
// 4 h to resolve and 1 h to answer.
func deskEnv(t *testing.T, db *store.DB, now time.Time) (*env, *desk.Store) {
	t.Helper()
	var s *desk.Store
	e := newEnv(t, db, func(d *Deps) {
		s = desk.NewStore(db, d.Catalog, func() time.Time { return now })
		d.Desk = s
	})
	cfg, problems := desk.Config{
		Queues:      []desk.Queue{{Name: "first-line"}, {Name: "apps"}},
		SLAPolicies: []desk.Policy{{Name: "standard", FirstResponse: "1h", Resolution: "4h"}},
	}.Compile(desk.Refs{})
	if problems != nil {
		t.Fatal(problems)
	}
	s.Configure(cfg)
	return e, s
}

func TestDeskQueueAndTicketPages(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		now := time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)
		e, s := deskEnv(t, db, now)
		e.putService(catalog.Service{Name: "shop", Title: "Web shop"})
		ctx := context.Background()
		mk := func(title string, opened time.Duration) int64 {
			at := now.Add(-opened)
			tk, err := s.Create(ctx, "user:olivia", desk.Input{Type: desk.TypeRequest, Title: title, Requester: "ann@example.com", OpenedAt: &at})
			if err != nil {
				t.Fatal(err)
			}
			return tk.ID
		}
		fresh := mk("Fresh one", 10*time.Minute)
		late := mk("Late one", 5*time.Hour)
		risky := mk("Nearly late", 50*time.Minute)
		waiting := mk("Waiting one", 20*time.Minute)
		if _, err := s.SetStatus(ctx, "user:olivia", waiting, desk.StatusInput{Status: desk.StatusWaiting, Reason: desk.WaitThirdParty, ThirdParty: "ACME"}); err != nil {
			t.Fatal(err)
		}
		op := e.login("olivia")
		res, body := e.get("/desk", &op)
		if res.StatusCode != 200 {
			t.Fatalf("queue %d: %s", res.StatusCode, body)
		}
		// Breached first, then the one near its target, then the fresh
		// one; the waiting ticket (paused) last.
		order := []string{"#" + strconv.FormatInt(late, 10) + " Late one", "Nearly late", "Fresh one", "Waiting one"}
		last := -1
		for _, o := range order {
			i := strings.Index(body, o)
			if i < 0 || i < last {
				t.Fatalf("queue order: %q at %d after %d:\n%s", o, i, last, body)
			}
			last = i
		}
		if !strings.Contains(body, `<tr class="breached">`) || !strings.Contains(body, `<tr class="at-risk">`) || !strings.Contains(body, "<meter") {
			t.Fatalf("queue marks: %s", body)
		}
		// Bulk assign two tickets.
		res, body = e.post("/desk/assign", url.Values{"id": {strconv.FormatInt(fresh, 10), strconv.FormatInt(risky, 10)}, "assignee": {"olivia"}}, &op)
		if res.StatusCode != 303 || !strings.Contains(res.Header.Get("Location"), "assigned=2") {
			t.Fatalf("bulk assign %d %s", res.StatusCode, body)
		}
		for _, id := range []int64{fresh, risky} {
			if d, _ := s.Get(ctx, id); d.Assignee != "olivia" || d.Status != desk.StatusOpen {
				t.Fatalf("ticket %d after bulk assign: %+v", id, d.Ticket)
			}
		}
		res, _ = e.post("/desk/assign", url.Values{"assignee": {"olivia"}}, &op)
		if res.StatusCode != 422 {
			t.Fatalf("bulk assign nothing: %d", res.StatusCode)
		}
		// The ticket page: an internal note, then a public reply.
		page := "/desk/tickets/" + strconv.FormatInt(fresh, 10)
		e.post(page+"/comments", url.Values{"body": {"checking the logs"}}, &op)
		e.post(page+"/comments", url.Values{"body": {"Done, please retry"}, "public": {"on"}}, &op)
		res, body = e.get(page, &op)
		if res.StatusCode != 200 || !strings.Contains(body, "internal note") || !strings.Contains(body, "Done, please retry") ||
			!strings.Contains(body, "SLA clocks") || !strings.Contains(body, ">met<") {
			t.Fatalf("ticket page %d: %s", res.StatusCode, body)
		}
		d, _ := s.Get(ctx, fresh)
		if d.FirstResponseAt == nil || len(d.Comments) != 2 || d.Comments[0].Public || !d.Comments[1].Public {
			t.Fatalf("after the comments %+v", d)
		}
		// Moving to waiting without a third party's name is refused on
		// the page; with it, the ticket waits.
		res, body = e.post(page+"/status", url.Values{"status": {"waiting"}, "reason": {"third_party"}}, &op)
		if res.StatusCode != 422 || !strings.Contains(body, "name the third party") {
			t.Fatalf("waiting without a name %d: %s", res.StatusCode, body)
		}
		res, _ = e.post(page+"/status", url.Values{"status": {"waiting"}, "reason": {"third_party"}, "third_party": {"ACME"}}, &op)
		if d, _ := s.Get(ctx, fresh); res.StatusCode != 303 || d.Status != desk.StatusWaiting || d.ThirdParty != "ACME" {
			t.Fatalf("waiting %d %+v", res.StatusCode, d.Ticket)
		}
		// Viewers read but cannot change.
		vi := e.login("victor")
		if res, _ := e.get(page, &vi); res.StatusCode != 200 {
			t.Fatalf("viewer page %d", res.StatusCode)
		}
		if res, _ := e.post(page+"/comments", url.Values{"body": {"x"}}, &vi); res.StatusCode != 403 {
			t.Fatalf("viewer comment %d", res.StatusCode)
		}
		// An attachment downloads, never inline.
		a, err := s.AddAttachment(ctx, "user:olivia", fresh, "x.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`))
		if err != nil {
			t.Fatal(err)
		}
		res, _ = e.get(page+"/attachments/"+strconv.FormatInt(a.ID, 10), &vi)
		if ct := res.Header.Get("Content-Type"); strings.Contains(ct, "svg") || strings.Contains(ct, "html") || !strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment") || res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("attachment headers %v", res.Header)
		}
		// The dashboard counts the desk's tickets.
		if res, body := e.get("/", &vi); res.StatusCode != 200 || !strings.Contains(body, `id="tile-tickets">4<`) || !strings.Contains(body, `id="tile-tickets-breached">1<`) {
			t.Fatalf("dashboard tiles %d: %s", res.StatusCode, body)
		}
		// An incident opens its ticket from its page, once.
		inc := e.trigger("shop", "k1", "Checkout down")
		res, _ = e.post("/incidents/"+strconv.FormatInt(inc, 10)+"/ticket", nil, &op)
		again, _ := e.post("/incidents/"+strconv.FormatInt(inc, 10)+"/ticket", nil, &op)
		if res.StatusCode != 303 || again.Header.Get("Location") != strings.TrimSuffix(res.Header.Get("Location"), "?done=opened") {
			t.Fatalf("ticket from incident: %d %v, then %v", res.StatusCode, res.Header, again.Header)
		}
		if res, body := e.get("/desk/setup", &vi); res.StatusCode != 200 || !strings.Contains(body, "standard") || !strings.Contains(body, "first-line") {
			t.Fatalf("setup page %d %s", res.StatusCode, body)
		}
	})
}

// TestDeskForms opens a ticket from its form, attaches files and links it
// to an incident from the ticket page, each refused input drawn again with
// its problem at the field and nothing changed.
func TestDeskForms(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		now := time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)
		e, s := deskEnv(t, db, now)
		e.putService(catalog.Service{Name: "shop", Title: "Web shop", Tier: 1})
		// Requester mail is written (no worker sends it here).
		s.Outbox = desk.MailOutbox{Now: func() time.Time { return now }}
		ctx := context.Background()
		op := e.login("olivia")
		res, body := e.get("/desk/new", &op)
		if res.StatusCode != 200 || !strings.Contains(body, `action="/desk/tickets"`) || !strings.Contains(body, `<option value="shop"`) || !strings.Contains(body, `<option value="apps"`) {
			t.Fatalf("new ticket form %d: %s", res.StatusCode, body)
		}
		vi := e.login("victor")
		if res, _ := e.get("/desk/new", &vi); res.StatusCode != 403 {
			t.Fatalf("a viewer's new ticket form: %d", res.StatusCode)
		}
		res, body = e.post("/desk/tickets", url.Values{"type": {"incident"}, "title": {""}, "requester": {"not an address@"}, "urgency": {"extreme"}}, &op)
		if res.StatusCode != 422 {
			t.Fatalf("bad ticket %d: %s", res.StatusCode, body)
		}
		for _, want := range []string{`href="#f-title"`, "is required", `id="f-requester-error"`, "not a plain mail address", `href="#f-urgency"`, `must be high, medium or low, not &#34;extreme&#34;`, `value="not an address@"`} {
			if !strings.Contains(body, want) {
				t.Errorf("the refused form lacks %q", want)
			}
		}
		if _, n, _ := s.Queue(ctx, desk.Filter{}, 0); n != 0 {
			t.Fatalf("a refused form opened %d ticket(s)", n)
		}
		res, body = e.post("/desk/tickets", url.Values{"type": {"incident"}, "title": {"Checkout slow"}, "description": {"Pages take 10 s."},
			"service": {"shop"}, "requester": {"ann@example.com"}, "queue": {"apps"}, "urgency": {"high"}}, &op)
		if res.StatusCode != 303 || !strings.Contains(res.Header.Get("Location"), "?done=created") {
			t.Fatalf("open ticket %d: %s", res.StatusCode, body)
		}
		page := strings.TrimSuffix(res.Header.Get("Location"), "?done=created")
		id, _ := strconv.ParseInt(strings.TrimPrefix(page, "/desk/tickets/"), 10, 64)
		d, err := s.Get(ctx, id)
		if err != nil || d.Queue != "apps" || d.Impact != "high" || d.Priority != 1 || d.Service != "shop" || d.Requester != "ann@example.com" || d.CreatedBy != "user:olivia" {
			t.Fatalf("opened ticket %+v %v", d.Ticket, err)
		}
		if res, body := e.get(res.Header.Get("Location"), &op); !strings.Contains(body, "opened.") || res.StatusCode != 200 ||
			!strings.Contains(body, "Mail to the requester") || !strings.Contains(body, "Ticket opened: Checkout slow") || !strings.Contains(body, `badge delivery pending`) {
			t.Fatalf("ticket page after opening %d: %s", res.StatusCode, body)
		}

		// Attachments: an HTML file is kept but sniffed and downloaded,
		// an empty one refused at the field, one over the limit refused
		// before it is read.
		res, body = e.upload(page+"/attachments", "file", "notes.html", []byte("<html><script>alert(1)</script></html>"), &op)
		if res.StatusCode != 303 || !strings.HasSuffix(res.Header.Get("Location"), "?done=attached") {
			t.Fatalf("attach %d: %s", res.StatusCode, body)
		}
		res, body = e.upload(page+"/attachments", "file", "empty.txt", nil, &op)
		if res.StatusCode != 422 || !strings.Contains(body, `id="f-file-error"`) || !strings.Contains(body, "the file is empty") {
			t.Fatalf("empty file %d: %s", res.StatusCode, body)
		}
		res, body = e.upload(page+"/attachments", "file", "big.bin", make([]byte, desk.MaxAttachment+1), &op)
		if res.StatusCode != 422 || !strings.Contains(body, `id="f-file-error"`) || !strings.Contains(body, "at most 10485760") {
			t.Fatalf("file just over the limit %d: %s", res.StatusCode, body)
		}
		res, body = e.upload(page+"/attachments", "file", "huge.bin", make([]byte, desk.MaxAttachment+2<<20), &op)
		if res.StatusCode != 413 || !strings.Contains(body, "at most 10 MiB") {
			t.Fatalf("huge file %d: %s", res.StatusCode, body)
		}
		if res, _ := e.upload(page+"/attachments", "file", "x.txt", []byte("hello"), &vi); res.StatusCode != 403 {
			t.Fatalf("a viewer's upload: %d", res.StatusCode)
		}
		d, _ = s.Get(ctx, id)
		if len(d.Attachments) != 1 || d.Attachments[0].Filename != "notes.html" || !strings.HasPrefix(d.Attachments[0].ContentType, "text/html") {
			t.Fatalf("attachments %+v", d.Attachments)
		}
		res, body = e.get(page+"/attachments/"+strconv.FormatInt(d.Attachments[0].ID, 10), &op)
		if ct := res.Header.Get("Content-Type"); strings.Contains(ct, "html") || !strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment") || !strings.Contains(body, "<script>") {
			t.Fatalf("download %v: %s", res.Header, body)
		}

		// Links: to an incident; a bad number and a missing incident are
		// refused at the field.
		inc := e.trigger("shop", "k1", "Checkout down")
		res, body = e.post(page+"/links", url.Values{"kind": {"incident"}, "target_id": {"abc"}}, &op)
		if res.StatusCode != 422 || !strings.Contains(body, `id="f-target_id-error"`) || !strings.Contains(body, "is not a number") || !strings.Contains(body, `value="abc"`) {
			t.Fatalf("bad link %d: %s", res.StatusCode, body)
		}
		res, body = e.post(page+"/links", url.Values{"kind": {"incident"}, "target_id": {"9999"}}, &op)
		if res.StatusCode != 422 || !strings.Contains(body, "no incident has id 9999") {
			t.Fatalf("link to nothing %d: %s", res.StatusCode, body)
		}
		res, _ = e.post(page+"/links", url.Values{"kind": {"incident"}, "target_id": {"#" + strconv.FormatInt(inc, 10)}}, &op)
		if res.StatusCode != 303 {
			t.Fatalf("link %d", res.StatusCode)
		}
		if res, body := e.get(page, &op); !strings.Contains(body, fmt.Sprintf(`href="/incidents/%d"`, inc)) {
			t.Fatalf("ticket page lacks the link %d: %s", res.StatusCode, body)
		}
		// A move to waiting without a reason is refused at the field.
		res, body = e.post(page+"/status", url.Values{"status": {"waiting"}, "reason": {""}}, &op)
		if res.StatusCode != 422 || !strings.Contains(body, `id="f-reason-error"`) || !strings.Contains(body, "waiting needs a reason") {
			t.Fatalf("waiting without a reason %d: %s", res.StatusCode, body)
		}
		if d, _ := s.Get(ctx, id); d.Status == desk.StatusWaiting {
			t.Fatal("the refused move changed the status")
		}
	})
}

// upload posts one file as a multipart form, with the session's CSRF token.
func (e *env) upload(path, field, filename string, data []byte, s *session) (*http.Response, string) {
	e.t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	if s != nil {
		_ = mw.WriteField("csrf", s.csrf)
	}
	fw, err := mw.CreateFormFile(field, filename)
	if err != nil {
		e.t.Fatal(err)
	}
	_, _ = fw.Write(data)
	_ = mw.Close()
	req := httptest.NewRequest(http.MethodPost, path, &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return e.do(req, s)
}
