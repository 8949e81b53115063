package feedback_test

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/desk"
	"github.com/sextant-ops/sextant/internal/feedback"
	"github.com/sextant-ops/sextant/internal/signed"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func setup(t *testing.T, db *store.DB, c *clock) (*desk.Store, *feedback.Store) {
	t.Helper()
	ctx := context.Background()
	cat := catalog.NewStore(db, c.now)
	if _, err := cat.PutService(ctx, "user:admin", catalog.Service{Name: "erp", Objective: &catalog.Objective{Availability: "99.9%"}}, catalog.MustCreate); err != nil {
		t.Fatal(err)
	}
	d := desk.NewStore(db, cat, c.now)
	fb := feedback.NewStore(db, cat, signed.New([]byte("test key")), nil, c.now)
	d.OnResolved = fb.OnResolved
	return d, fb
}

// A resolved ticket's survey is due in the resolution's transaction (with
// an outbox row for a requester with a mail address), answered once,
// changeable for seven days and then standing; resolving again after a
// reopening keeps the first survey.
func TestSurveyLifecycle(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := &clock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
		d, fb := setup(t, db, c)
		tk, err := d.Create(ctx, "user:olivia", desk.Input{Type: desk.TypeIncident, Title: "Invoices fail", Service: "erp", Requester: "ann@example.com", Assignee: "olivia"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fb.Survey(ctx, tk.ID); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("survey before resolution: %v", err)
		}
		if _, err := d.SetStatus(ctx, "user:olivia", tk.ID, desk.StatusInput{Status: desk.StatusResolved, Note: "Fixed the export."}); err != nil {
			t.Fatal(err)
		}
		sv, err := fb.Survey(ctx, tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		if sv.Agent != "olivia" || sv.Service != "erp" || sv.Requester != "ann@example.com" || sv.Title != "Invoices fail" || !sv.SentAt.Equal(c.t) || sv.Answered() {
			t.Errorf("survey %+v", sv)
		}
		var rows int
		if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox WHERE channel = $1 AND kind = $2 AND incident_id IS NULL`,
			feedback.Channel, "survey:"+strconv.FormatInt(tk.ID, 10)).Scan(&rows); err != nil || rows != 1 {
			t.Fatalf("outbox rows %d (%v)", rows, err)
		}

		// Bad answers are refused, naming the field, and change nothing.
		_, err = fb.Answer(ctx, tk.ID, feedback.Input{Score: 9})
		var inv *apperr.Invalid
		if !errors.As(err, &inv) || inv.Fields[0].Path != "score" {
			t.Fatalf("score 9: %v", err)
		}
		if sv, _ := fb.Survey(ctx, tk.ID); sv.Answered() {
			t.Fatal("a refused answer was stored")
		}

		c.t = c.t.Add(time.Hour)
		first := c.t
		sv, err = fb.Answer(ctx, tk.ID, feedback.Input{Score: 2, Comment: "  bad  "})
		if err != nil {
			t.Fatal(err)
		}
		if *sv.Score != 2 || sv.Comment != "bad" || sv.Sentiment == nil || *sv.Sentiment != -0.5423 {
			t.Errorf("answer %+v sentiment %v", sv, sv.Sentiment)
		}
		// Changed six days later: the first answer's instant stays.
		c.t = first.Add(6 * 24 * time.Hour)
		if sv, err = fb.Answer(ctx, tk.ID, feedback.Input{Score: 4, Comment: "good in the end"}); err != nil {
			t.Fatal(err)
		}
		got, _ := fb.Survey(ctx, tk.ID)
		if *got.Score != 4 || !got.AnsweredAt.Equal(first) || !got.UpdatedAt.Equal(c.t) || got.Sentiment == nil || *got.Sentiment <= 0 {
			t.Errorf("changed answer %+v", got)
		}
		// Seven days after the first answer it stands.
		c.t = first.Add(feedback.ChangeFor)
		if _, err := fb.Answer(ctx, tk.ID, feedback.Input{Score: 1}); !errors.Is(err, apperr.ErrConflict) {
			t.Fatalf("answer after 7 days: %v", err)
		}

		// Reopened and resolved again by someone else: still one survey,
		// crediting the first resolution.
		if _, err := d.SetStatus(ctx, "user:olivia", tk.ID, desk.StatusInput{Status: desk.StatusOpen}); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Update(ctx, "user:olivia", tk.ID, desk.Patch{Assignee: ptr("bob")}); err != nil {
			t.Fatal(err)
		}
		if _, err := d.SetStatus(ctx, "user:bob", tk.ID, desk.StatusInput{Status: desk.StatusResolved}); err != nil {
			t.Fatal(err)
		}
		if sv, _ := fb.Survey(ctx, tk.ID); sv.Agent != "olivia" || *sv.Score != 4 {
			t.Errorf("after the second resolution %+v", sv)
		}
		if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox WHERE channel = $1`, feedback.Channel).Scan(&rows); err != nil || rows != 1 {
			t.Errorf("outbox rows after the second resolution %d (%v)", rows, err)
		}

		// A requester named by user name gets no mail: the portal shows the link.
		tk2, err := d.Create(ctx, "user:olivia", desk.Input{Type: desk.TypeRequest, Title: "New laptop", Requester: "ann"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.SetStatus(ctx, "user:olivia", tk2.ID, desk.StatusInput{Status: desk.StatusResolved}); err != nil {
			t.Fatal(err)
		}
		if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox WHERE channel = $1`, feedback.Channel).Scan(&rows); err != nil || rows != 1 {
			t.Errorf("a user requester was mailed: %d rows (%v)", rows, err)
		}
		if _, err := fb.Survey(ctx, tk2.ID); err != nil {
			t.Errorf("a user requester's survey: %v", err)
		}
	})
}

// Survey links are signed for their ticket and purpose and expire.
func TestSurveyLink(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		c := &clock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
		_, fb := setup(t, db, c)
		link := fb.SurveyLink(7)
		path, query, _ := strings.Cut(link, "?")
		if path != "/survey/7" {
			t.Fatalf("link %q", link)
		}
		q, _ := url.ParseQuery(query)
		if err := fb.CheckLink(q, 7); err != nil {
			t.Errorf("own link refused: %v", err)
		}
		if err := fb.CheckLink(q, 8); err == nil {
			t.Error("the link opened another ticket's survey")
		}
		c.t = c.t.Add(feedback.LinkLifetime)
		if err := fb.CheckLink(q, 7); err == nil {
			t.Error("an expired link was accepted")
		}
	})
}

// Ratings of a service: validated, the service must exist, comments
// scored; listed newest last with an optional limit.
func TestRate(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := &clock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
		_, fb := setup(t, db, c)
		if _, err := fb.Rate(ctx, "user:ann", "", "nope", feedback.Input{Score: 3}); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("unknown service: %v", err)
		}
		if _, err := fb.Rate(ctx, "user:ann", "", "erp", feedback.Input{Score: 0}); err == nil {
			t.Error("score 0 accepted")
		}
		for i, in := range []feedback.Input{{Score: 5, Comment: "great"}, {Score: 3}, {Score: 1, Comment: "bad"}} {
			c.t = c.t.Add(time.Minute)
			r, err := fb.Rate(ctx, "public", "main", "erp", in)
			if err != nil {
				t.Fatal(err)
			}
			if (in.Comment == "") != (r.Sentiment == nil) {
				t.Errorf("rating %d sentiment %v", i, r.Sentiment)
			}
		}
		all, err := fb.Ratings(ctx, "erp", time.Time{}, c.t.Add(time.Second), 0)
		if err != nil || len(all) != 3 || all[0].Score != 5 || all[2].Score != 1 || all[0].Page != "main" {
			t.Fatalf("ratings %+v (%v)", all, err)
		}
		last, _ := fb.Ratings(ctx, "erp", time.Time{}, c.t.Add(time.Second), 2)
		if len(last) != 2 || last[0].Score != 3 || last[1].Score != 1 {
			t.Errorf("the newest two %+v", last)
		}
	})
}

func ptr[T any](v T) *T { return &v }
