package app_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/app"
	"github.com/sextant-ops/sextant/internal/feedback"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// surveyRE finds the link of one score in a survey mail.
func surveyRE(score int) *regexp.Regexp {
	return regexp.MustCompile(fmt.Sprintf(`http://[^\s>]+/survey/\d+\?exp=\d+&sig=[0-9a-f]+&score=%d`, score))
}

// feedbackConfig writes a config with mail to the test inbox, the erp
// service on two status pages (main lets visitors rate, quiet does not)
// and a limit of three public ratings per address an hour.
func feedbackConfig(t *testing.T, dir string, port int) string {
	t.Helper()
	cfg := filepath.Join(dir, "sextant.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`services:
  - {name: erp, title: ERP, objective: {availability: 99.5%%}}
mail: {from: help@example.com, smtp: {host: 127.0.0.1, port: %d, tls: none}}
feedback: {public: true, per_ip: 3}
status_pages:
  - name: main
    title: Example status
    groups: [{title: Apps, services: [erp]}]
  - name: quiet
    title: Quiet status
    groups: [{title: Apps, services: [erp]}]
    feedback: {public: false}
`, port)), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// resolveTicket opens a ticket on erp for ann@example.com and resolves it
// through the API.
func resolveTicket(t *testing.T, s *server, title string) int64 {
	t.Helper()
	var tk struct{ ID int64 }
	if code := s.json("POST", "/api/v1/tickets", `{"type":"incident","title":"`+title+`","service":"erp","requester":"ann@example.com","assignee":"admin"}`, &tk); code != 201 {
		t.Fatalf("open ticket: %d", code)
	}
	if code := s.json("POST", fmt.Sprintf("/api/v1/tickets/%d/status", tk.ID), `{"status":"resolved","note":"Fixed."}`, nil); code != 200 {
		t.Fatalf("resolve ticket: %d", code)
	}
	return tk.ID
}

// surveyMail waits for the survey mail of a ticket and returns it unfolded.
func surveyMail(t *testing.T, box *inbox, title string) string {
	t.Helper()
	var mail string
	waitUntil(t, "the survey mail", 10*time.Second, func() bool {
		for _, m := range box.all() {
			if u := unfold(m); strings.Contains(u, "How did we do?") && strings.Contains(u, title) {
				mail = u
				return true
			}
		}
		return false
	})
	return mail
}

// TestSurveyByMail: on the real server with a real SMTP server, resolving
// a ticket sends its requester the survey through the outbox; the mail's
// "4" link shows the score chosen without recording it, the page's POST
// records it with the comment, and the report counts it.
func TestSurveyByMail(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			box, port := startInbox(t)
			dir := t.TempDir()
			s := start(t, e, app.Options{ConfigPath: feedbackConfig(t, dir, port), DataDir: dir})
			id := resolveTicket(t, s, "Invoices fail")
			mail := surveyMail(t, box, "Invoices fail")
			if !strings.Contains(mail, "To-Envelope: ann@example.com") || !strings.Contains(mail, fmt.Sprintf("[#%d]", id)) {
				t.Fatalf("survey mail:\n%s", mail)
			}
			for n := 1; n <= 5; n++ {
				if surveyRE(n).FindString(mail) == "" {
					t.Fatalf("no link for %d in:\n%s", n, mail)
				}
			}
			link := surveyRE(4).FindString(mail)
			res, err := http.Get(link)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != 200 || !strings.Contains(string(b), `id="score-4" checked`) {
				t.Fatalf("survey page %d:\n%s", res.StatusCode, b)
			}
			var sv feedback.Survey
			if code := s.json("GET", fmt.Sprintf("/api/v1/tickets/%d/survey", id), "", &sv); code != 200 || sv.Answered() {
				t.Fatalf("after the GET: %d %+v", code, sv)
			}
			u, _ := url.Parse(link)
			res, err = http.PostForm(s.base+u.Path, url.Values{"exp": {u.Query().Get("exp")}, "sig": {u.Query().Get("sig")}, "score": {"4"}, "comment": {"good and quick"}})
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != 200 {
				t.Fatalf("answer: %d", res.StatusCode)
			}
			if code := s.json("GET", fmt.Sprintf("/api/v1/tickets/%d/survey", id), "", &sv); code != 200 || sv.Score == nil || *sv.Score != 4 || sv.Agent != "admin" {
				t.Fatalf("after the POST: %d %+v", code, sv)
			}
			var rep feedback.Report
			if code := s.json("GET", "/api/v1/services/erp/feedback-report", "", &rep); code != 200 || rep.Surveys.Sent != 1 || rep.CSAT == nil || *rep.CSAT != 1 {
				t.Fatalf("report %d %+v", code, rep)
			}
		})
	}
}

// TestPublicFeedbackLimit: visitors of a status page that allows it rate
// its services without signing in, at most per_ip times an hour from one
// address (then 429 with Retry-After, nothing stored); a cross-site form
// post is refused; a page that does not allow it has no form and takes
// nothing.
func TestPublicFeedbackLimit(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			_, port := startInbox(t)
			dir := t.TempDir()
			s := start(t, e, app.Options{ConfigPath: feedbackConfig(t, dir, port), DataDir: dir})
			get := func(path string) string {
				res, err := http.Get(s.base + path)
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				b, _ := io.ReadAll(res.Body)
				return string(b)
			}
			if p := get("/status/main"); !strings.Contains(p, `action="/status/main/feedback"`) {
				t.Fatalf("no rating form on main:\n%s", p)
			}
			if p := get("/status/quiet"); strings.Contains(p, "/feedback") {
				t.Fatalf("a rating form on quiet:\n%s", p)
			}
			rate := func(page string, form url.Values, header map[string]string) (int, string, string) {
				req, _ := http.NewRequest("POST", s.base+"/status/"+page+"/feedback", strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				for k, v := range header {
					req.Header.Set(k, v)
				}
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				b, _ := io.ReadAll(res.Body)
				return res.StatusCode, res.Header.Get("Retry-After"), string(b)
			}
			good := url.Values{"service": {"erp"}, "score": {"5"}, "comment": {"great"}}
			if code, _, _ := rate("quiet", good, nil); code != 404 {
				t.Errorf("rating on quiet: %d, want 404", code)
			}
			if code, _, _ := rate("main", good, map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}); code != 403 {
				t.Errorf("cross-site rating: %d, want 403", code)
			}
			// A mistake is named and kept in the form; it counts against the
			// limit like any request.
			code, _, body := rate("main", url.Values{"service": {"erp"}, "score": {"9"}}, nil)
			if code != 400 || !strings.Contains(body, "score") || !strings.Contains(body, `aria-invalid="true"`) {
				t.Errorf("score 9: %d\n%s", code, body)
			}
			for i := 0; i < 2; i++ {
				if code, _, body := rate("main", good, nil); code != 200 || !strings.Contains(body, "feedback-thanks") {
					t.Fatalf("rating %d: %d\n%s", i+1, code, body)
				}
			}
			code, retry, body := rate("main", good, nil)
			if code != 429 || retry != "3600" || !strings.Contains(body, "feedback-busy") {
				t.Fatalf("over the limit: %d %q\n%s", code, retry, body)
			}
			var rs []feedback.Rating
			if code := s.json("GET", "/api/v1/services/erp/feedback", "", &rs); code != 200 || len(rs) != 2 {
				t.Fatalf("ratings %d %+v", code, rs)
			}
			if rs[0].Author != "public" || rs[0].Page != "main" || rs[0].Sentiment == nil || *rs[0].Sentiment != 0.6249 {
				t.Errorf("rating %+v", rs[0])
			}
		})
	}
}
