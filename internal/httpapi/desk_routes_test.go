package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/desk"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

var berlin = func() *time.Location {
	l, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		panic(err)
	}
	return l
}()

// wall is a Berlin wall time.
func wall(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, berlin)
}

// deskHarness is the API with an office calendar, a tier-2 service on it
// and SLA policies: priority 2 (high impact × medium urgency) resolves in
// 8 h and answers in 4 h; priority 1 resolves in 4 h.
func deskHarness(t *testing.T, db *store.DB) *harness {
	h := newHarness(t, db)
	h.mustDo(auth.Operator, "POST", "/api/v1/calendars", officeCalendar, 201)
	h.mustDo(auth.Operator, "POST", "/api/v1/services", `{"name":"hr","tier":2,"objective":{"hours":"office","availability":"99%"}}`, 201)
	cfg, problems := desk.Config{
		Queues: []desk.Queue{{Name: "first-line", Address: "help@example.com"}, {Name: "apps", Members: []string{"t-operator"}}},
		SLAPolicies: []desk.Policy{
			{Name: "p1", Match: desk.Match{Priority: []int{1}}, FirstResponse: "1h", Resolution: "4h"},
			{Name: "standard", FirstResponse: "4h", Resolution: "8h"},
		},
	}.Compile(desk.Refs{Calendars: map[string]bool{"office": true}})
	if problems != nil {
		t.Fatal(problems)
	}
	h.desk.Configure(cfg)
	// The people of these tests are the role tokens' holders.
	h.desk.IsUser = func(_ context.Context, name string) bool { return strings.HasPrefix(name, "t-") }
	return h
}

func (h *harness) at(t time.Time) { h.deskNow.Store(t.UnixMilli()) }

func ticketOf(t *testing.T, b []byte) desk.Ticket {
	t.Helper()
	var tk desk.Ticket
	if err := json.Unmarshal(b, &tk); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return tk
}

func dueIs(t *testing.T, what string, f *desk.Figures, want time.Time) {
	t.Helper()
	if f == nil || f.Due == nil || !f.Due.Equal(want) {
		t.Fatalf("%s due %v, want %v (%+v)", what, f, want.In(berlin), f)
	}
}

func TestTicketSLAHandWorked(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		h := deskHarness(t, db)
		fri := wall(2026, 3, 6, 15, 0)
		h.at(fri)
		tk := ticketOf(t, h.mustDo(auth.Operator, "POST", "/api/v1/tickets", `{"type":"incident","title":"Payslips missing","service":"hr","requester":"ann@example.com"}`, 201))
		if tk.Priority != 2 || tk.Impact != "high" || tk.Urgency != "medium" || tk.Status != "new" || tk.SLA.Policy != "standard" || tk.SLA.Calendar != "office" {
			t.Fatalf("created %+v", tk)
		}
		// 8 h from Friday 15:00 on mon-fri 09-17 is Monday 15:00.
		dueIs(t, "resolution", tk.SLA.Resolution, wall(2026, 3, 9, 15, 0))
		dueIs(t, "first response", tk.SLA.FirstResponse, wall(2026, 3, 9, 11, 0))
		path := fmt.Sprintf("/api/v1/tickets/%d", tk.ID)

		// An internal note on Monday 09:30 does not stop first response.
		h.at(wall(2026, 3, 9, 9, 30))
		var ca struct {
			Ticket desk.Ticket `json:"ticket"`
		}
		json.Unmarshal(h.mustDo(auth.Operator, "POST", path+"/comments", `{"body":"looking at the batch job","public":false}`, 201), &ca)
		if f := ca.Ticket.SLA.FirstResponse; f.StoppedAt != nil || ca.Ticket.FirstResponseAt != nil {
			t.Fatalf("an internal note stopped first response: %+v", f)
		}
		// Waiting on the requester from Monday 10:00 to Tuesday 10:00.
		h.at(wall(2026, 3, 9, 10, 0))
		tk = ticketOf(t, h.mustDo(auth.Operator, "POST", path+"/status", `{"status":"waiting","reason":"requester"}`, 200))
		if r := tk.SLA.Resolution; r.Due != nil || !r.Paused || r.ElapsedSeconds != 3*3600 {
			t.Fatalf("waiting: %+v", r)
		}
		h.at(wall(2026, 3, 10, 10, 0))
		tk = ticketOf(t, h.mustDo(auth.Operator, "POST", path+"/status", `{"status":"in_progress"}`, 200))
		dueIs(t, "resolution after the wait", tk.SLA.Resolution, wall(2026, 3, 10, 15, 0))
		if r := tk.SLA.Resolution; r.PausedSeconds != 8*3600 || r.ElapsedSeconds != 3*3600 {
			t.Fatalf("after the wait: %+v", r)
		}
		// A public reply at 10:30 stops first response (3.5 h of 4 h used).
		h.at(wall(2026, 3, 10, 10, 30))
		json.Unmarshal(h.mustDo(auth.Operator, "POST", path+"/comments", `{"body":"Fixed the batch, please check","public":true}`, 201), &ca)
		if f := ca.Ticket.SLA.FirstResponse; f.StoppedAt == nil || f.ElapsedSeconds != 3*3600+1800 || f.Breached {
			t.Fatalf("public reply: %+v", f)
		}
		// Priority change halfway (urgency high → priority 1, 4 h target):
		// elapsed and pauses stay, the target changes.
		h.at(wall(2026, 3, 10, 11, 0))
		tk = ticketOf(t, h.mustDo(auth.Operator, "PATCH", path, `{"urgency":"high"}`, 200))
		if r := tk.SLA.Resolution; tk.Priority != 1 || tk.SLA.Policy != "p1" || r.ElapsedSeconds != 4*3600 || r.PausedSeconds != 8*3600 || r.TargetSeconds != 4*3600 {
			t.Fatalf("after the priority change: priority %d policy %s %+v", tk.Priority, tk.SLA.Policy, r)
		}
		dueIs(t, "resolution at priority 1", tk.SLA.Resolution, wall(2026, 3, 10, 11, 0))
		// Back to priority 2; resolved at 12:00, reopened Wednesday 09:00:
		// it resumes with 5 h elapsed.
		h.mustDo(auth.Operator, "PATCH", path, `{"urgency":"medium"}`, 200)
		h.at(wall(2026, 3, 10, 12, 0))
		tk = ticketOf(t, h.mustDo(auth.Operator, "POST", path+"/status", `{"status":"resolved"}`, 200))
		if r := tk.SLA.Resolution; r.StoppedAt == nil || r.ElapsedSeconds != 5*3600 || r.Due != nil {
			t.Fatalf("resolved: %+v", r)
		}
		h.at(wall(2026, 3, 11, 9, 0))
		tk = ticketOf(t, h.mustDo(auth.Operator, "POST", path+"/status", `{"status":"open"}`, 200))
		if r := tk.SLA.Resolution; r.StoppedAt != nil || r.ElapsedSeconds != 5*3600 {
			t.Fatalf("reopened: %+v", r)
		}
		dueIs(t, "resolution after the reopening", tk.SLA.Resolution, wall(2026, 3, 11, 12, 0))

		// Every change is in the history with its actor and values.
		var d desk.Detail
		json.Unmarshal(h.mustDo(auth.Viewer, "GET", path, "", 200), &d)
		var fields []string
		for _, c := range d.History {
			fields = append(fields, c.Field+":"+c.Before+">"+c.After)
		}
		want := "status:>new comment:>internal note 1 status:new>waiting waiting_on:>requester status:waiting>in_progress comment:>public reply 2 first_response_at:>2026-03-10T09:30:00Z " +
			"urgency:medium>high priority:2>1 urgency:high>medium priority:1>2 status:in_progress>resolved status:resolved>open"
		if got := strings.Join(fields, " "); got != want {
			t.Fatalf("history\n got %s\nwant %s", got, want)
		}
		if len(d.Pauses) != 2 || d.Pauses[0].Reason != "requester" || d.Pauses[1].Reason != "resolved" || d.Pauses[1].End == nil {
			t.Fatalf("pauses %+v", d.Pauses)
		}
	})
}

// TestTicketImportAcrossSpringChange imports a ticket's history with its
// real times (admin only) and checks the figures are those of a live one:
// opened Friday 27 March 2026 15:00 CET, 8 h is due Monday 15:00 CEST.
func TestTicketImportAcrossSpringChange(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		h := deskHarness(t, db)
		body := `{"type":"request","title":"New laptop","service":"hr","opened_at":"2026-03-27T15:00:00+01:00"}`
		code, b := h.do(auth.Operator, "POST", "/api/v1/tickets", body)
		if code != http.StatusForbidden || !strings.Contains(string(b), "opened_at") {
			t.Fatalf("operator import: %d %s", code, b)
		}
		tk := ticketOf(t, h.mustDo(auth.Admin, "POST", "/api/v1/tickets", body, 201))
		dueIs(t, "resolution", tk.SLA.Resolution, wall(2026, 3, 30, 15, 0))
		if r := tk.SLA.Resolution; !r.Breached || r.ElapsedSeconds < 8*3600 {
			t.Fatalf("judged at testNow the clock has long breached: %+v", r)
		}
		path := fmt.Sprintf("/api/v1/tickets/%d", tk.ID)
		// Resolved Monday 14:00 CEST: within target, 7 h elapsed.
		tk = ticketOf(t, h.mustDo(auth.Admin, "POST", path+"/status", `{"status":"resolved","at":"2026-03-30T14:00:00+02:00"}`, 200))
		if r := tk.SLA.Resolution; r.Breached || r.ElapsedSeconds != 7*3600 || r.StoppedAt == nil || !r.StoppedAt.Equal(wall(2026, 3, 30, 14, 0)) {
			t.Fatalf("imported resolution: %+v", r)
		}
		// Times before the last change or in the future are refused.
		for _, c := range []struct{ body, want string }{
			{`{"status":"closed","at":"2026-03-30T13:00:00+02:00"}`, "before the ticket's last change"},
			{`{"status":"closed","at":"2099-01-01T00:00:00Z"}`, "in the future"},
			{`{"status":"closed","at":"yesterday"}`, "/at"},
		} {
			code, b := h.do(auth.Admin, "POST", path+"/status", c.body)
			if code != 400 || !strings.Contains(string(b), c.want) {
				t.Fatalf("%s: %d %s", c.body, code, b)
			}
		}
		// The report counts it: resolved within SLA, 7 h to resolve.
		b = h.mustDo(auth.Viewer, "GET", "/api/v1/services/hr/desk-report?from=2026-03-01T00:00:00Z&to=2026-04-01T00:00:00Z", "", 200)
		var rep desk.Report
		json.Unmarshal(b, &rep)
		if rep.Opened != 1 || rep.Resolved != 1 || rep.WithinSLA == nil || *rep.WithinSLA != 1 || rep.MeanResolutionSeconds == nil || *rep.MeanResolutionSeconds != 7*3600 || rep.Backlog != 0 {
			t.Fatalf("report %s", b)
		}
	})
}

func TestTicketBadInput(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		h := deskHarness(t, db)
		code, b := h.do(auth.Operator, "POST", "/api/v1/tickets", `{"type":"bug","title":"","service":"nope","queue":"x","impact":"huge","urgency":"soon","requester":"not an address@"}`)
		if code != 400 {
			t.Fatalf("%d %s", code, b)
		}
		for _, f := range []string{"/type", "/title", "/service", "/queue", "/impact", "/urgency", "/requester"} {
			if !strings.Contains(string(b), `"`+f+`"`) {
				t.Errorf("no problem at %s: %s", f, b)
			}
		}
		tk := ticketOf(t, h.mustDo(auth.Operator, "POST", "/api/v1/tickets", `{"type":"request","title":"Access to share"}`, 201))
		if tk.Queue != "first-line" || tk.Requester != "token:t-operator" || tk.Priority != 3 || tk.SLA.Calendar != "24x7" {
			t.Fatalf("defaults %+v", tk)
		}
		path := fmt.Sprintf("/api/v1/tickets/%d", tk.ID)
		for _, c := range []struct{ path, body, want string }{
			{"/status", `{"status":"waiting"}`, "/reason"},
			{"/status", `{"status":"waiting","reason":"third_party"}`, "/third_party"},
			{"/status", `{"status":"gone"}`, "/status"},
			{"/comments", `{"body":""}`, "/body"},
			{"", `{"assignee":"someone"}`, "/assignee"},
			{"/links", `{"kind":"parent","target_id":` + fmt.Sprint(tk.ID) + `}`, "/target_id"},
			{"/links", `{"kind":"incident","target_id":999}`, "/target_id"},
		} {
			method := "POST"
			if c.path == "" {
				method = "PATCH"
			}
			code, b := h.do(auth.Operator, method, path+c.path, c.body)
			if code != 400 || !strings.Contains(string(b), c.want) {
				t.Errorf("%s %s: %d %s", c.path, c.body, code, b)
			}
		}
		// An assignee outside the queue's members is refused by name.
		code, b = h.do(auth.Operator, "PATCH", path, `{"queue":"apps","assignee":"bob"}`)
		if code != 400 || !strings.Contains(string(b), "not a member of queue") {
			t.Fatalf("%d %s", code, b)
		}
		h.mustDo(auth.Operator, "PATCH", path, `{"queue":"apps","assignee":"t-operator"}`, 200)
		// Closed is final.
		h.mustDo(auth.Operator, "POST", path+"/status", `{"status":"resolved","note":"done"}`, 200)
		h.mustDo(auth.Operator, "POST", path+"/status", `{"status":"closed"}`, 200)
		if code, b := h.do(auth.Operator, "POST", path+"/status", `{"status":"open"}`); code != 409 {
			t.Fatalf("reopen closed: %d %s", code, b)
		}
		// Filters.
		b = h.mustDo(auth.Viewer, "GET", "/api/v1/tickets?status=closed&queue=apps&breached=false", "", 200)
		if !strings.Contains(string(b), `"Access to share"`) {
			t.Fatalf("filtered list %s", b)
		}
		if code, _ := h.do(auth.Viewer, "GET", "/api/v1/tickets?priority=9", ""); code != 400 {
			t.Fatalf("priority=9: %d", code)
		}
	})
}

func TestTicketAttachmentsAreDownloads(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		h := deskHarness(t, db)
		tk := ticketOf(t, h.mustDo(auth.Operator, "POST", "/api/v1/tickets", `{"type":"request","title":"Printer"}`, 201))
		path := fmt.Sprintf("/api/v1/tickets/%d/attachments", tk.ID)
		req, _ := http.NewRequest("POST", h.srv.URL+path+"?filename=..%2Fpage.html", strings.NewReader("<html><script>alert(1)</script></html>"))
		req.Header.Set("Authorization", "Bearer "+h.tokens[auth.Operator])
		req.Header.Set("Content-Type", "image/png")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var a desk.Attachment
		json.NewDecoder(resp.Body).Decode(&a)
		resp.Body.Close()
		if resp.StatusCode != 201 || a.Filename != "page.html" || !strings.HasPrefix(a.ContentType, "text/html") {
			t.Fatalf("upload %d %+v", resp.StatusCode, a)
		}
		req, _ = http.NewRequest("GET", fmt.Sprintf("%s%s/%d", h.srv.URL, path, a.ID), nil)
		req.Header.Set("Authorization", "Bearer "+h.tokens[auth.Viewer])
		resp, err = http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if ct := resp.Header.Get("Content-Type"); ct != "application/octet-stream" {
			t.Errorf("served as %q", ct)
		}
		if cd := resp.Header.Get("Content-Disposition"); cd != `attachment; filename=page.html` {
			t.Errorf("disposition %q", cd)
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("no nosniff")
		}
		if code, b := h.do(auth.Operator, "POST", path+"?filename=x.txt", ""); code != 400 || !strings.Contains(string(b), "empty") {
			t.Fatalf("empty upload %d %s", code, b)
		}
	})
}
