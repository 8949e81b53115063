package subscribe

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/notify"
	"github.com/sextant-ops/sextant/internal/store"
)

// The kinds of maintenance notice. The outbox kind of a notice is the
// kind, a colon and the notice's id ("maintenance_scheduled:7").
const (
	NoticeScheduled = "maintenance_scheduled"
	NoticeStarted   = "maintenance_started"
)

// NoticeAhead is how far ahead a one-off maintenance window is announced:
// a window scheduled further out is announced once it comes this close.
const NoticeAhead = 90 * 24 * time.Hour

// Notice is one maintenance occurrence announced to subscribers.
type Notice struct {
	ID       int64
	Kind     string
	Service  string
	Window   string // the window's reference (catalog.WindowRef)
	Title    string
	Start    time.Time
	End      time.Time
	Timezone string
}

// DueNotices picks, from the occurrences of the catalog at now, the
// notices subscribers are owed: every one-off window that has not started
// is announced as scheduled, and one under way as started (a window first
// seen under way is only announced as started). Recurring windows
// are routine and listed on the page, not mailed: a weekly backup would
// otherwise write to every subscriber every week. It is a function of its
// inputs; what was already sent is left out by NoticeMaintenance.
func DueNotices(occ []catalog.Occurrence) []Notice {
	var out []Notice
	for _, o := range occ {
		if o.Recurring {
			continue
		}
		n := Notice{Kind: NoticeScheduled, Service: o.Service, Window: o.Window, Title: o.Title, Start: o.Start, End: o.End, Timezone: o.Timezone}
		if o.InProgress {
			n.Kind = NoticeStarted
		}
		out = append(out, n)
	}
	return out
}

// NoticeMaintenance enqueues the maintenance notices owed at now: for each
// due notice of a service some page shows, the notice is recorded and one
// outbox row per confirmed subscriber of those pages is written, in one
// transaction; a notice already recorded (by an earlier pass, or another
// server) is skipped, so every subscriber hears of each once. It reports
// how many rows it enqueued.
func (s *Sender) NoticeMaintenance(ctx context.Context, occ []catalog.Occurrence, now time.Time) (int, error) {
	total := 0
	for _, n := range DueNotices(occ) {
		pages := s.PagesOf(n.Service)
		if len(pages) == 0 {
			continue
		}
		err := s.Store.DB.Tx(ctx, func(tx *sql.Tx) error {
			var id int64
			err := tx.QueryRowContext(ctx, `INSERT INTO maintenance_notices (service, window_ref, title, kind, start_at, end_at, timezone, created_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (service, window_ref, start_at, kind) DO NOTHING RETURNING id`,
				n.Service, n.Window, n.Title, n.Kind, store.Millis(n.Start), store.Millis(n.End), n.Timezone, store.Millis(now)).Scan(&id)
			if errors.Is(err, sql.ErrNoRows) {
				return nil // told already
			}
			if err != nil {
				return err
			}
			ids, err := confirmedOf(ctx, tx, pages)
			if err != nil {
				return err
			}
			if err := insertRows(ctx, tx, nil, ids, n.Kind+":"+strconv.FormatInt(id, 10), now); err != nil {
				return err
			}
			total += len(ids)
			return nil
		})
		if err != nil {
			return total, fmt.Errorf("subscribe: maintenance notice: %w", err)
		}
	}
	return total, nil
}

// HousekeepEvery is how often housekeeping runs: unconfirmed
// subscriptions past PendingFor are removed and maintenance notices due
// are enqueued, so a window's start is told within this long.
const HousekeepEvery = time.Minute

// RunHousekeeping removes unconfirmed subscriptions and enqueues the
// maintenance notices due, at start and every HousekeepEvery, until ctx
// ends. Both are durable: a restart resumes from what is stored.
func (s *Sender) RunHousekeeping(ctx context.Context) {
	t := time.NewTicker(HousekeepEvery)
	defer t.Stop()
	for {
		s.housekeep(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Sender) housekeep(ctx context.Context) {
	if n, err := s.Store.PrunePending(ctx); err != nil && ctx.Err() == nil {
		s.Log.Error("remove unconfirmed subscriptions", "err", err)
	} else if n > 0 {
		s.Log.Info("removed unconfirmed subscriptions", "count", n)
	}
	if s.Maintenance == nil {
		return
	}
	now := s.Store.Now().UTC()
	occ, err := s.Maintenance(ctx, now, now.Add(NoticeAhead), now)
	if err == nil {
		var n int
		n, err = s.NoticeMaintenance(ctx, occ, now)
		if n > 0 && s.OnEnqueue != nil {
			s.OnEnqueue()
		}
	}
	if err != nil && ctx.Err() == nil {
		s.Log.Error("maintenance notices", "err", err)
	}
}

// notice reads a recorded notice by id.
func (s *Sender) notice(ctx context.Context, id int64) (Notice, error) {
	n := Notice{ID: id}
	var start, end int64
	err := s.Store.DB.Reader().QueryRowContext(ctx, `SELECT kind, service, window_ref, title, start_at, end_at, timezone FROM maintenance_notices WHERE id = $1`, id).
		Scan(&n.Kind, &n.Service, &n.Window, &n.Title, &start, &end, &n.Timezone)
	n.Start, n.End = store.FromMillis(start), store.FromMillis(end)
	return n, err
}

// parseNoticeKind splits an outbox kind into the notice's kind and id.
func parseNoticeKind(kind string) (string, int64, bool) {
	k, id, ok := strings.Cut(kind, ":")
	if !ok || (k != NoticeScheduled && k != NoticeStarted) {
		return "", 0, false
	}
	n, err := strconv.ParseInt(id, 10, 64)
	return k, n, err == nil && n > 0
}

// WebhookNotice is the JSON document posted to a webhook subscriber for a
// maintenance notice, signed as public updates are:
//
//	{"event": "maintenance_scheduled", "page": "main", "service": "Web shop", …}
type WebhookNotice struct {
	Event   string    `json:"event"`
	Page    string    `json:"page"`
	Service string    `json:"service"`
	Title   string    `json:"title,omitempty"`
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
	URL     string    `json:"url"`
}

// sendNotice writes notice id to the subscriber, in the page's words for
// the service and the window's own zone.
func (c *channel) sendNotice(ctx context.Context, sub Subscriber, id int64) error {
	n, err := c.s.notice(ctx, id)
	if errors.Is(err, sql.ErrNoRows) {
		return notify.Permanent(errors.New("the maintenance notice is gone"))
	}
	if err != nil {
		return err
	}
	page, _ := c.s.page(sub.Page)
	name := n.Service
	if d := page.DisplayNames[n.Service]; d != "" {
		name = d
	}
	base := c.s.BaseURL()
	pageURL := base + "/status/" + sub.Page
	if sub.Kind == KindWebhook {
		return c.postJSON(ctx, sub, WebhookNotice{Event: n.Kind, Page: sub.Page, Service: name, Title: n.Title, Start: n.Start.UTC(), End: n.End.UTC(), URL: pageURL})
	}
	mailer := c.s.mailer()
	if mailer == nil {
		return errNoMail
	}
	subject, body := NoticeText(n, name)
	unsubscribe := base + c.s.Store.Link("unsubscribe", sub)
	text := fmt.Sprintf("%s\n\nThe status page: %s\n\nTo stop these messages, unsubscribe: %s\n", body, pageURL, unsubscribe)
	return mailer.Send(ctx, notify.Letter{To: sub.Address, Subject: "[" + c.s.title(sub.Page) + "] " + subject, Body: text, Unsubscribe: unsubscribe})
}

// NoticeText is a notice's subject and first paragraph, with its times in
// the window's zone.
func NoticeText(n Notice, name string) (subject, body string) {
	zone, err := time.LoadLocation(n.Timezone)
	if err != nil || n.Timezone == "" {
		zone = time.UTC
	}
	const layout = "Mon 2 Jan 2006 15:04 MST"
	what := "Planned maintenance"
	if n.Title != "" {
		what += " (" + n.Title + ")"
	}
	if n.Kind == NoticeStarted {
		return name + ": maintenance under way", fmt.Sprintf("%s of %s has begun; it is planned to end at %s.", what, name, n.End.In(zone).Format(layout))
	}
	return name + ": maintenance scheduled", fmt.Sprintf("%s of %s is scheduled from %s to %s. The service may be unavailable meanwhile.",
		what, name, n.Start.In(zone).Format(layout), n.End.In(zone).Format(layout))
}
