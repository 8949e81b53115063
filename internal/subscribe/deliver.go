package subscribe

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/notify"
	"github.com/sextant-ops/sextant/internal/probe"
	"github.com/sextant-ops/sextant/internal/status"
	"github.com/sextant-ops/sextant/internal/store"
)

// Sender writes and sends subscribers' mail: the confirmation request and,
// as outbox channels, their public updates.
type Sender struct {
	Store *Store
	// Mailer returns the running config's mailer; nil when the config has
	// no mail settings, which makes every delivery fail, said plainly.
	Mailer func() *notify.Mailer
	// Pages returns the running config's status pages.
	Pages func() []status.Page
	// BaseURL is how readers reach the server ("https://status.example.com").
	BaseURL func() string
	// Outbound returns the running config's policy for channels, which
	// webhook subscribers' deliveries obey.
	Outbound func() *probe.Policy
	Log      *slog.Logger
	// Maintenance, when set, lists the catalog's maintenance occurrences
	// over [from, to) not ended by now: housekeeping tells subscribers of
	// them (see NoticeMaintenance). OnEnqueue wakes the outbox after.
	Maintenance func(ctx context.Context, from, to, now time.Time) ([]catalog.Occurrence, error)
	OnEnqueue   func()

	wg sync.WaitGroup // confirmation mails under way
}

// Wait returns when the confirmation mails under way are sent or have
// failed, for a clean shutdown.
func (s *Sender) Wait() { s.wg.Wait() }

var errNoMail = notify.Permanent(errors.New("no mail settings: add mail.smtp to the config to send subscribers' mail"))

// Confirm sends sub its confirmation request in the background, so that
// the form answers at once and alike whether or not a mail goes out.
func (s *Sender) Confirm(sub Subscriber) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := s.sendConfirm(ctx, sub); err != nil {
			s.Log.Warn("subscription confirmation not sent", "page", sub.Page, "subscriber", sub.ID, "err", err)
		}
	}()
}

func (s *Sender) sendConfirm(ctx context.Context, sub Subscriber) error {
	m := s.mailer()
	if m == nil {
		return errNoMail
	}
	title := s.title(sub.Page)
	base := s.BaseURL()
	body := fmt.Sprintf("Someone (we hope you) asked to receive updates from the status page %q at this address.\n\n"+
		"Confirm the subscription by opening this link:\n%s\n\n"+
		"If you did not ask for this, ignore this message: nothing will be sent to you.\n", title, base+s.Store.Link("confirm", sub))
	return m.Send(ctx, notify.Letter{To: sub.Address, Subject: "Confirm your subscription to " + title, Body: body})
}

func (s *Sender) mailer() *notify.Mailer {
	if s.Mailer == nil {
		return nil
	}
	return s.Mailer()
}

func (s *Sender) page(name string) (status.Page, bool) {
	for _, p := range s.Pages() {
		if p.Name == name {
			return p, true
		}
	}
	return status.Page{}, false
}

func (s *Sender) title(page string) string {
	if p, ok := s.page(page); ok && p.Title != "" {
		return p.Title
	}
	return page
}

// PagesOf lists the pages that show service: their subscribers hear of
// its incidents' public updates.
func (s *Sender) PagesOf(service string) []string {
	var out []string
	for _, p := range s.Pages() {
		for _, name := range p.Services() {
			if name == service {
				out = append(out, p.Name)
				break
			}
		}
	}
	return out
}

// OnNote enqueues, in the note's transaction, a delivery per confirmed
// subscriber of the pages showing the incident's service when the note is
// public ("Public: …"). It reports whether it enqueued any.
func (s *Sender) OnNote(ctx context.Context, tx store.Querier, incident int64, service, text string, now time.Time) (bool, error) {
	if _, ok := status.PublicNote(text); !ok {
		return false, nil
	}
	pages := s.PagesOf(service)
	if len(pages) == 0 {
		return false, nil
	}
	var logID int64
	if err := tx.QueryRowContext(ctx, `SELECT MAX(id) FROM incident_log WHERE incident_id = $1 AND kind = 'note'`, incident).Scan(&logID); err != nil {
		return false, fmt.Errorf("subscribe: find the note: %w", err)
	}
	n, err := Enqueue(ctx, tx, pages, incident, logID, now)
	return n > 0, err
}

// Channel is the outbox channel that delivers to subscriber id.
func (s *Sender) Channel(id int64) notify.Channel { return &channel{s: s, id: id} }

type channel struct {
	s  *Sender
	id int64
}

// Send writes the public update named by the row's kind to the
// subscriber, from public words only: the page's name for the service
// and the note's text, never the incident's internal summary.
func (c *channel) Send(ctx context.Context, m notify.Message) error {
	_, noticeID, notice := parseNoticeKind(m.Kind)
	logID, err := strconv.ParseInt(strings.TrimPrefix(m.Kind, KindUpdate), 10, 64)
	if !notice && (!strings.HasPrefix(m.Kind, KindUpdate) || err != nil) {
		return notify.Permanent(fmt.Errorf("a subscriber is sent public updates and maintenance notices only, not %q", m.Kind))
	}
	sub, err := c.s.Store.Get(ctx, c.id)
	if errors.Is(err, ErrNotFound) {
		return notify.Permanent(errors.New("the subscriber has unsubscribed"))
	}
	if err != nil {
		return err
	}
	if notice {
		return c.sendNotice(ctx, sub, noticeID)
	}
	var note string
	err = c.s.Store.DB.Reader().QueryRowContext(ctx, `SELECT message FROM incident_log WHERE id = $1 AND incident_id = $2`, logID, m.IncidentID).Scan(&note)
	if errors.Is(err, sql.ErrNoRows) {
		return notify.Permanent(errors.New("the update is gone"))
	}
	if err != nil {
		return err
	}
	text, _ := status.PublicNote(note)
	page, _ := c.s.page(sub.Page)
	name := m.Service
	if d := page.DisplayNames[m.Service]; d != "" {
		name = d
	}
	if sub.Kind == KindWebhook {
		return c.post(ctx, sub, name, text, logID, m)
	}
	mailer := c.s.mailer()
	if mailer == nil {
		return errNoMail
	}
	base := c.s.BaseURL()
	unsubscribe := base + c.s.Store.Link("unsubscribe", sub)
	title := c.s.title(sub.Page)
	body := fmt.Sprintf("%s\n\n%s\n\nThe status page: %s/status/%s\n\nTo stop these messages, unsubscribe: %s\n", name, text, base, sub.Page, unsubscribe)
	return mailer.Send(ctx, notify.Letter{To: sub.Address, Subject: "[" + title + "] " + name + ": update", Body: body, Unsubscribe: unsubscribe})
}

// Public serves the status pages' form and links (status.Subscriptions).
type Public struct {
	Store  *Store
	Sender *Sender
}

// Enabled says the form is worth showing: the config has mail settings.
func (p *Public) Enabled() bool { return p.Sender.mailer() != nil }

// Subscribe records a pending subscription and, when due, sends its
// confirmation request; the answer is nil for any well-formed address.
// A sender over PerIP requests in the Window is told to wait
// (status.ErrTooManyRequests), whatever the address.
func (p *Public) Subscribe(ctx context.Context, page, raw, ip string) error {
	if !p.Store.AllowIP(ip) {
		return status.ErrTooManyRequests
	}
	address, err := Address(raw)
	if err != nil {
		return err
	}
	sub, send, err := p.Store.Request(ctx, page, address)
	if err != nil {
		return err
	}
	if send {
		p.Sender.Confirm(sub)
	}
	return nil
}

// Confirm follows a confirmation link.
func (p *Public) Confirm(ctx context.Context, page string, id int64, sig string) error {
	_, err := p.Store.Confirm(ctx, page, id, sig)
	return err
}

// CheckUnsubscribe checks an unsubscribe link before its button is shown.
func (p *Public) CheckUnsubscribe(ctx context.Context, page string, id int64, sig string) error {
	_, err := p.Store.Check(ctx, "unsubscribe", page, id, sig)
	return err
}

// Unsubscribe follows an unsubscribe link (or a mail client's one-click
// POST).
func (p *Public) Unsubscribe(ctx context.Context, page string, id int64, sig string) error {
	return p.Store.Unsubscribe(ctx, page, id, sig)
}

// WebhookUpdate is the JSON document posted to a webhook subscriber for a
// public update, signed as webhook channels' deliveries are:
//
//	{"event": "public_update", "page": "main", "service": "Web shop", …}
type WebhookUpdate struct {
	Event string `json:"event"`
	Page  string `json:"page"`
	// Service is the page's name for the service.
	Service  string    `json:"service"`
	Incident int64     `json:"incident"`
	Update   int64     `json:"update"`
	Text     string    `json:"text"`
	At       time.Time `json:"at"`
	URL      string    `json:"url"` // the status page
}

func (c *channel) post(ctx context.Context, sub Subscriber, name, text string, logID int64, m notify.Message) error {
	return c.postJSON(ctx, sub, WebhookUpdate{Event: "public_update", Page: sub.Page, Service: name, Incident: m.IncidentID, Update: logID, Text: text,
		At: c.s.Store.Now().UTC(), URL: c.s.BaseURL() + "/status/" + sub.Page})
}

// postJSON posts doc to a webhook subscriber, signed with its secret,
// through the channels' outbound policy.
func (c *channel) postJSON(ctx context.Context, sub Subscriber, doc any) error {
	body, err := json.Marshal(doc)
	if err != nil {
		return notify.Permanent(err)
	}
	var policy *probe.Policy
	if c.s.Outbound != nil {
		policy = c.s.Outbound()
	}
	poster := notify.NewPoster(sub.Address, sub.Secret, policy)
	defer poster.Close()
	return poster.Post(ctx, body)
}
