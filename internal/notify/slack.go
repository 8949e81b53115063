package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// slack posts to a Slack incoming webhook (Mattermost and Rocket.Chat
// accept the same document). The payload is
//
//	{"text": "<subject>", "blocks": [<summary section>, <fields section>,
//	  <maintenance context>?, <actions: View, Acknowledge, Resolve>]}
//
// "text" is what push notifications and clients without blocks show; the
// blocks carry the details and URL buttons. A custom body template
// replaces the summary and fields sections. Every text from the incident is
// escaped, so that a summary written by an alert source cannot mention
// @channel or forge links.
type slack struct {
	paced
	http *httpSender
	url  string
	tmpl templates
}

// slackPayload is an incoming-webhook message.
type slackPayload struct {
	Text   string       `json:"text"`
	Blocks []slackBlock `json:"blocks"`
}

// slackBlock is one Block Kit block; only the fields used here.
type slackBlock struct {
	Type     string      `json:"type"`
	Text     *slackText  `json:"text,omitempty"`
	Fields   []slackText `json:"fields,omitempty"`
	Elements []any       `json:"elements,omitempty"` // slackText in context blocks, slackButton in actions

}

// slackText is a text object.
type slackText struct {
	Type string `json:"type"` // mrkdwn or plain_text
	Text string `json:"text"`
}

// slackButton is a URL button.
type slackButton struct {
	Type     string     `json:"type"`
	Text     *slackText `json:"text,omitempty"`
	URL      string     `json:"url,omitempty"`
	Style    string     `json:"style,omitempty"`
	ActionID string     `json:"action_id,omitempty"`
}

// Send posts the message.
func (s *slack) Send(ctx context.Context, m Message) error {
	p, err := s.payload(m)
	if err != nil {
		return err
	}
	body, err := json.Marshal(p)
	if err != nil {
		return Permanent(fmt.Errorf("slack payload: %w", err))
	}
	return s.http.post(ctx, s.url, "application/json", nil, body)
}

// payload renders m as Block Kit.
func (s *slack) payload(m Message) (slackPayload, error) {
	subject, body, err := s.tmpl.render(m)
	if err != nil {
		return slackPayload{}, err
	}
	p := slackPayload{Text: clip(slackEscape(subject), 3000)}
	if s.tmpl.customBody {
		p.Blocks = append(p.Blocks, slackBlock{Type: "section", Text: &slackText{Type: "mrkdwn", Text: clip(slackEscape(body), 3000)}})
	} else {
		title := fmt.Sprintf("%s *%s %s*", severityEmoji(m), m.Name(), slackEscape(m.Kind))
		switch {
		case m.IncidentID == 0 && m.Ticket == nil:
			title = fmt.Sprintf("%s *%s*", severityEmoji(m), slackEscape(m.Kind))
		case m.URL != "":
			title = fmt.Sprintf("%s *<%s|%s> %s*", severityEmoji(m), slackURL(m.URL), m.Name(), slackEscape(m.Kind))
		}
		p.Blocks = append(p.Blocks, slackBlock{Type: "section", Text: &slackText{Type: "mrkdwn", Text: clip(title+"\n"+slackEscape(m.Summary), 3000)}})
		if fields := slackFields(m); len(fields) > 0 {
			p.Blocks = append(p.Blocks, slackBlock{Type: "section", Fields: fields})
		}
		if m.InMaintenance {
			p.Blocks = append(p.Blocks, slackBlock{Type: "context", Elements: []any{slackText{Type: "mrkdwn", Text: "The service is in a maintenance window."}}})
		}
		if m.Workaround != "" {
			p.Blocks = append(p.Blocks, slackBlock{Type: "section", Text: &slackText{Type: "mrkdwn", Text: clip("*Known error, workaround*\n"+slackEscape(m.Workaround), 3000)}})
		}
	}
	var buttons []any
	for _, l := range links(m) {
		b := slackButton{Type: "button", Text: &slackText{Type: "plain_text", Text: l.label}, URL: l.url, ActionID: "sextant-" + l.action}
		switch l.action {
		case "acknowledge":
			b.Style = "primary"
		case "resolve":
			b.Style = "danger"
		}
		buttons = append(buttons, b)
	}
	if len(buttons) > 0 {
		p.Blocks = append(p.Blocks, slackBlock{Type: "actions", Elements: buttons})
	}
	return p, nil
}

// slackFields are the incident's facts as section fields.
func slackFields(m Message) []slackText {
	var out []slackText
	for _, f := range facts(m) {
		out = append(out, slackText{Type: "mrkdwn", Text: clip("*"+f.name+"*\n"+slackEscape(f.value), 2000)})
	}
	return out
}

// slackEscape escapes the three characters Slack's mrkdwn gives meaning
// to, which also defuses <!channel> and forged <url|label> links.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// slackURL makes a URL safe inside <url|label>.
func slackURL(u string) string {
	return strings.NewReplacer("|", "%7C", ">", "%3E", "<", "%3C").Replace(u)
}

// link is one of the incident's links, as buttons show it.
type link struct{ action, label, url string }

// links lists the links that still make sense: acknowledging only while
// triggered, resolving until resolved.
func links(m Message) []link {
	var out []link
	switch {
	case m.URL != "" && m.IncidentID == 0:
		out = append(out, link{"view", "View", m.URL})
	case m.URL != "":
		out = append(out, link{"view", "View incident", m.URL})
	}
	if m.AckURL != "" && m.Status == "triggered" {
		out = append(out, link{"acknowledge", "Acknowledge", m.AckURL})
	}
	if m.ResolveURL != "" && m.Status != "resolved" {
		out = append(out, link{"resolve", "Resolve", m.ResolveURL})
	}
	return out
}

// fact is one labelled detail of an incident.
type fact struct{ name, value string }

// facts are the details every rich channel lists; a notice about no
// incident has none beyond its summary.
func facts(m Message) []fact {
	if m.IncidentID == 0 {
		return nil
	}
	out := []fact{{"Service", m.Service}, {"Severity", m.Severity}, {"Status", m.Status}}
	if m.Source != "" {
		out = append(out, fact{"Source", m.Source})
	}
	if !m.CreatedAt.IsZero() {
		out = append(out, fact{"Opened", m.CreatedAt.UTC().Format("2006-01-02 15:04 MST")})
	}
	if !m.ResolvedAt.IsZero() {
		out = append(out, fact{"Resolved", m.ResolvedAt.UTC().Format("2006-01-02 15:04 MST")})
	}
	return out
}

// severityEmoji marks a message at a glance.
func severityEmoji(m Message) string {
	switch {
	case m.Kind == KindResolved || m.Status == "resolved":
		return ":white_check_mark:"
	case m.Kind == KindAcknowledged:
		return ":eyes:"
	case m.Severity == "critical":
		return ":red_circle:"
	case m.Severity == "error":
		return ":large_orange_circle:"
	case m.Severity == "warning":
		return ":large_yellow_circle:"
	default:
		return ":large_blue_circle:"
	}
}

// clip shortens s to at most n bytes, on a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
