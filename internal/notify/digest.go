package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Digest is many notifications for one channel sent as one message. The
// outbox sends one when more than the channel's DigestAfter are due at
// once — an alert storm, or the backlog of a receiver that was down — so
// that people get one message to read instead of forty, and a receiver's
// own rate limit does not refuse half of them.
type Digest struct {
	// Items are the notifications, oldest first, each as it would have
	// been sent alone (Kind is what it reports now).
	Items []Message
	// Since is when the oldest was enqueued; Now is when the digest is
	// sent. Together they say "in the last minute".
	Since, Now time.Time
}

// Digester is implemented by channels that can send a Digest (all the
// built-in ones). Digests ignore a channel's templates, which are written
// for one incident.
type Digester interface {
	SendDigest(ctx context.Context, d Digest) error
}

// KindDigest is the event of a digest as the webhook channel sends it.
const KindDigest = "digest"

// digestShown is how many of a digest's notifications are listed one by
// one; the rest are counted ("and 27 more").
const digestShown = 10

// Title says what the digest holds: "37 incidents opened on shop in the
// last minute", or for a mixture "37 incidents opened on shop, 3 resolved
// on payroll in the last 20 minutes".
func (d Digest) Title() string {
	type group struct {
		verb, service string
		n             int
	}
	var groups []*group
	byKey := map[string]*group{}
	for _, m := range d.Items {
		key := digestVerb(m.Kind) + "\x00" + m.Service
		g := byKey[key]
		if g == nil {
			g = &group{verb: digestVerb(m.Kind), service: m.Service}
			byKey[key] = g
			groups = append(groups, g)
		}
		g.n++
	}
	sort.SliceStable(groups, func(i, j int) bool { return groups[i].n > groups[j].n })
	var parts []string
	rest := 0
	for i, g := range groups {
		if i >= 3 {
			rest += g.n
			continue
		}
		noun := "incidents"
		if g.n == 1 {
			noun = "incident"
		}
		if i > 0 {
			parts = append(parts, fmt.Sprintf("%d %s on %s", g.n, g.verb, g.service))
		} else {
			parts = append(parts, fmt.Sprintf("%d %s %s on %s", g.n, noun, g.verb, g.service))
		}
	}
	title := strings.Join(parts, ", ")
	if rest > 0 {
		title += fmt.Sprintf(" and %d more", rest)
	}
	return oneLine(title + " " + digestSpan(d.Now.Sub(d.Since)))
}

// digestVerb says what happened to an incident, as a digest's title puts it.
func digestVerb(kind string) string {
	if kind == KindTriggered {
		return "opened"
	}
	return kind
}

// digestSpan is "in the last minute", "in the last 20 minutes" or "in the
// last 3 hours", rounded up.
func digestSpan(d time.Duration) string {
	switch {
	case d <= time.Minute:
		return "in the last minute"
	case d <= time.Hour:
		return fmt.Sprintf("in the last %d minutes", int((d+time.Minute-1)/time.Minute))
	default:
		return fmt.Sprintf("in the last %d hours", int((d+time.Hour-1)/time.Hour))
	}
}

// shown returns the notifications listed one by one and how many more
// there are.
func (d Digest) shown() ([]Message, int) {
	if len(d.Items) <= digestShown {
		return d.Items, 0
	}
	return d.Items[:digestShown], len(d.Items) - digestShown
}

// digestLabel names one notification: "#12 shop: checkout down".
func digestLabel(m Message) string {
	if m.Ticket != nil {
		return oneLine(fmt.Sprintf("ticket #%d %s: %s", m.Ticket.ID, m.Service, m.Summary))
	}
	return oneLine(fmt.Sprintf("#%d %s: %s", m.IncidentID, m.Service, m.Summary))
}

// digestFacts are what a listed notification adds to its label:
// "opened, critical".
func digestFacts(m Message) string {
	return oneLine(digestVerb(m.Kind) + ", " + m.Severity)
}

// andMore is the line under a digest's list.
func andMore(n int) string {
	return fmt.Sprintf("and %d more", n)
}

// digestText is a digest as plain text: one line per notification shown,
// with its link, then "and 27 more".
func digestText(d Digest) string {
	var b strings.Builder
	items, more := d.shown()
	for _, m := range items {
		fmt.Fprintf(&b, "%s (%s)\n", clip(digestLabel(m), 300), digestFacts(m))
		if m.URL != "" {
			fmt.Fprintf(&b, "  %s\n", m.URL)
		}
	}
	if more > 0 {
		b.WriteString(andMore(more) + "\n")
	}
	return b.String()
}

// WebhookDigest is the JSON body of a webhook digest:
//
//	{"event": "digest", "title": "37 incidents opened on shop in the last minute",
//	 "count": 37, "notifications": [{"event": "triggered", "incident": {…}}, …]}
//
// Unlike the chat channels it lists every notification: a program reads it.
type WebhookDigest struct {
	Event         string           `json:"event"`
	Title         string           `json:"title"`
	Count         int              `json:"count"`
	Notifications []WebhookPayload `json:"notifications"`
}

// SendDigest posts a WebhookDigest, signed like a single delivery.
func (w *webhook) SendDigest(ctx context.Context, d Digest) error {
	p := WebhookDigest{Event: KindDigest, Title: d.Title(), Count: len(d.Items)}
	for _, m := range d.Items {
		p.Notifications = append(p.Notifications, webhookPayload(m))
	}
	body, err := json.Marshal(p)
	if err != nil {
		return Permanent(fmt.Errorf("webhook digest: %w", err))
	}
	return w.post(ctx, body)
}

// SendDigest posts the digest as a title and a list of links.
func (s *slack) SendDigest(ctx context.Context, d Digest) error {
	title := d.Title()
	items, more := d.shown()
	var lines []string
	for _, m := range items {
		label := slackEscape(clip(digestLabel(m), 200))
		if m.URL != "" {
			label = fmt.Sprintf("<%s|%s>", slackURL(m.URL), label)
		}
		lines = append(lines, "• "+label+" · "+slackEscape(digestFacts(m)))
	}
	p := slackPayload{Text: clip(slackEscape(title), 3000), Blocks: []slackBlock{
		{Type: "section", Text: &slackText{Type: "mrkdwn", Text: clip("*"+slackEscape(title)+"*", 3000)}},
		{Type: "section", Text: &slackText{Type: "mrkdwn", Text: clip(strings.Join(lines, "\n"), 3000)}},
	}}
	if more > 0 {
		p.Blocks = append(p.Blocks, slackBlock{Type: "context", Elements: []any{slackText{Type: "mrkdwn", Text: andMore(more)}}})
	}
	body, err := json.Marshal(p)
	if err != nil {
		return Permanent(fmt.Errorf("slack digest: %w", err))
	}
	return s.http.post(ctx, s.url, "application/json", nil, body)
}

// SendDigest posts the digest as an Adaptive Card with a list of links.
func (t *teams) SendDigest(ctx context.Context, d Digest) error {
	card := teamsCard{
		Schema: "http://adaptivecards.io/schemas/adaptive-card.json", Type: "AdaptiveCard", Version: "1.4",
		MSTeams: map[string]any{"width": "Full"},
	}
	card.Body = append(card.Body, teamsTextBlock{Type: "TextBlock", Text: clip(d.Title(), 500), Wrap: true, Size: "Medium", Weight: "Bolder"})
	items, more := d.shown()
	for _, m := range items {
		label := teamsEscape(clip(digestLabel(m), 200))
		if m.URL != "" {
			label = "[" + label + "](" + m.URL + ")"
		}
		card.Body = append(card.Body, teamsTextBlock{Type: "TextBlock", Text: label + " · " + digestFacts(m), Wrap: true})
	}
	if more > 0 {
		card.Body = append(card.Body, teamsTextBlock{Type: "TextBlock", Text: andMore(more), Wrap: true, Color: "Default"})
	}
	body, err := json.Marshal(teamsMessage{Type: "message", Attachments: []teamsAttachment{{
		ContentType: "application/vnd.microsoft.card.adaptive", Content: card,
	}}})
	if err != nil {
		return Permanent(fmt.Errorf("teams digest: %w", err))
	}
	return t.http.post(ctx, t.url, "application/json", nil, body)
}

// teamsEscape keeps a summary from forming Markdown links in a card.
func teamsEscape(s string) string {
	return strings.NewReplacer("[", `\[`, "]", `\]`).Replace(s)
}

// SendDigest publishes the digest: the title, the list as the message, at
// the priority of its most urgent notification.
func (n *ntfy) SendDigest(ctx context.Context, d Digest) error {
	h := http.Header{}
	h.Set("Title", headerValue(d.Title()))
	p := 1
	for _, m := range d.Items {
		if v, _ := strconv.Atoi(ntfyPriority(m)); v > p {
			p = v
		}
	}
	h.Set("Priority", strconv.Itoa(p))
	h.Set("Tags", "bell,digest")
	if n.token != "" {
		h.Set("Authorization", "Bearer "+n.token)
	}
	return n.http.post(ctx, n.url, "text/plain; charset=utf-8", h, []byte(digestText(d)))
}

// SendDigest mails the digest: the title as the subject, the list (with
// links) as the body.
func (e *email) SendDigest(ctx context.Context, d Digest) error {
	subject := d.Title()
	body := digestText(d)
	htmlBody, err := emailHTML(subject, body, Message{})
	if err != nil {
		return Permanent(err)
	}
	msg, err := e.envelope(subject, body, htmlBody)
	if err != nil {
		return err
	}
	msg.SetGenHeader("X-Sextant-Event", KindDigest)
	return e.deliver(ctx, msg)
}
