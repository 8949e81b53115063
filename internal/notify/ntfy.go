package notify

import (
	"context"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// ntfy publishes to a topic on an ntfy server (https://ntfy.sh or one's
// own): POST <url>/<topic> with the message as the body and
//
//	Title:    the subject template
//	Priority: 5 (urgent) for critical, 4 error, 3 warning, 2 info; at most 3
//	          for acknowledged and resolved, which need no one woken up
//	Tags:     an emoji tag, the severity and the kind
//	Click:    the incident's page
//	Actions:  http actions "Acknowledge" and "Resolve", which POST to the
//	          signed links straight from the phone
//	Authorization: Bearer <secret>, when the channel has a secret
//
// Header values that are not ASCII are sent RFC 2047-encoded, which ntfy
// decodes. On the public server the topic name is the only protection of a
// topic, so it is treated as a secret like a webhook URL.
type ntfy struct {
	paced
	http  *httpSender
	url   string
	token string
	tmpl  templates
}

// Send publishes the message.
func (n *ntfy) Send(ctx context.Context, m Message) error {
	header, body, err := n.request(m)
	if err != nil {
		return err
	}
	return n.http.post(ctx, n.url, "text/plain; charset=utf-8", header, []byte(body))
}

// request renders m as ntfy headers and body.
func (n *ntfy) request(m Message) (http.Header, string, error) {
	subject, body, err := n.tmpl.render(m)
	if err != nil {
		return nil, "", err
	}
	h := http.Header{}
	h.Set("Title", headerValue(subject))
	h.Set("Priority", ntfyPriority(m))
	h.Set("Tags", strings.Join(ntfyTags(m), ","))
	if m.URL != "" {
		h.Set("Click", m.URL)
	}
	var actions []string
	for _, l := range links(m) {
		if l.action == "view" {
			continue // Click opens the page already.
		}
		actions = append(actions, "http, "+l.label+", "+ntfyQuote(l.url)+", method=POST, clear=true")
	}
	if len(actions) > 0 {
		h.Set("Actions", strings.Join(actions, "; "))
	}
	if n.token != "" {
		h.Set("Authorization", "Bearer "+n.token)
	}
	return h, body, nil
}

// ntfyPriority maps severity to ntfy's 1–5 scale.
func ntfyPriority(m Message) string {
	p := 3
	switch m.Severity {
	case "critical":
		p = 5
	case "error":
		p = 4
	case "warning":
		p = 3
	case "info":
		p = 2
	}
	if (m.Kind == KindAcknowledged || m.Kind == KindResolved) && p > 3 {
		p = 3
	}
	return strconv.Itoa(p)
}

// ntfyTags are shown as an emoji (the first tag ntfy knows as one) and as
// labels.
func ntfyTags(m Message) []string {
	emoji := "information_source"
	switch {
	case m.Kind == KindResolved:
		emoji = "white_check_mark"
	case m.Kind == KindAcknowledged:
		emoji = "eyes"
	case m.Severity == "critical":
		emoji = "rotating_light"
	case m.Severity == "error":
		emoji = "red_circle"
	case m.Severity == "warning":
		emoji = "warning"
	}
	tags := []string{emoji}
	for _, t := range []string{m.Severity, m.Kind} {
		if t = strings.NewReplacer(",", " ", "\r", "", "\n", "").Replace(t); t != "" {
			tags = append(tags, headerValue(t))
		}
	}
	if m.InMaintenance {
		tags = append(tags, "maintenance")
	}
	return tags
}

// ntfyQuote quotes a URL for the Actions header when it holds one of the
// header's separators.
func ntfyQuote(u string) string {
	if strings.ContainsAny(u, `,;"'`) {
		return `"` + strings.ReplaceAll(u, `"`, "%22") + `"`
	}
	return u
}

// headerValue makes s a valid one-line header value: RFC 2047 encoding
// when it is not plain ASCII.
func headerValue(s string) string {
	s = oneLine(s)
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return mime.BEncoding.Encode("utf-8", s)
		}
	}
	return s
}
