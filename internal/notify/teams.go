package notify

import (
	"context"
	"encoding/json"
	"fmt"
)

// teams posts an Adaptive Card to a Microsoft Teams webhook created with
// the Workflows app ("Post to a channel when a webhook request is
// received"). The document is
//
//	{"type": "message", "attachments": [{
//	  "contentType": "application/vnd.microsoft.card.adaptive",
//	  "content": {"type": "AdaptiveCard", "version": "1.4", "body": […],
//	              "actions": [Action.OpenUrl View, Acknowledge, Resolve]}}]}
//
// Why an Adaptive Card rather than the legacy MessageCard: Microsoft
// retired the Office 365 connectors that accepted MessageCard, and the
// Workflows webhooks that replace them only post the Adaptive Cards found
// in a message's attachments; the old connector webhooks accepted this
// shape too. Version 1.4 is rendered by Teams on desktop, web and mobile.
type teams struct {
	paced
	http *httpSender
	url  string
	tmpl templates
}

// teamsMessage is the envelope Workflows webhooks read.
type teamsMessage struct {
	Type        string            `json:"type"`
	Attachments []teamsAttachment `json:"attachments"`
}

// teamsAttachment holds one card.
type teamsAttachment struct {
	ContentType string    `json:"contentType"`
	ContentURL  *string   `json:"contentUrl"`
	Content     teamsCard `json:"content"`
}

// teamsCard is an Adaptive Card; only the fields used here.
type teamsCard struct {
	Schema  string         `json:"$schema"`
	Type    string         `json:"type"`
	Version string         `json:"version"`
	Body    []any          `json:"body"`
	Actions []teamsAction  `json:"actions,omitempty"`
	MSTeams map[string]any `json:"msteams,omitempty"`
}

// teamsTextBlock is a TextBlock element.
type teamsTextBlock struct {
	Type   string `json:"type"`
	Text   string `json:"text"`
	Wrap   bool   `json:"wrap"`
	Size   string `json:"size,omitempty"`
	Weight string `json:"weight,omitempty"`
	Color  string `json:"color,omitempty"`
}

// teamsFactSet lists facts.
type teamsFactSet struct {
	Type  string      `json:"type"`
	Facts []teamsFact `json:"facts"`
}

// teamsFact is one title/value pair.
type teamsFact struct {
	Title string `json:"title"`
	Value string `json:"value"`
}

// teamsAction opens a URL.
type teamsAction struct {
	Type  string `json:"type"`
	Title string `json:"title"`
	URL   string `json:"url"`
	Style string `json:"style,omitempty"`
}

// Send posts the card.
func (t *teams) Send(ctx context.Context, m Message) error {
	p, err := t.payload(m)
	if err != nil {
		return err
	}
	body, err := json.Marshal(p)
	if err != nil {
		return Permanent(fmt.Errorf("teams payload: %w", err))
	}
	return t.http.post(ctx, t.url, "application/json", nil, body)
}

// payload renders m as a card in a message.
func (t *teams) payload(m Message) (teamsMessage, error) {
	subject, body, err := t.tmpl.render(m)
	if err != nil {
		return teamsMessage{}, err
	}
	card := teamsCard{
		Schema:  "http://adaptivecards.io/schemas/adaptive-card.json",
		Type:    "AdaptiveCard",
		Version: "1.4",
		MSTeams: map[string]any{"width": "Full"},
	}
	card.Body = append(card.Body, teamsTextBlock{Type: "TextBlock", Text: clip(subject, 500), Wrap: true, Size: "Medium", Weight: "Bolder", Color: teamsColor(m)})
	if t.tmpl.customBody {
		card.Body = append(card.Body, teamsTextBlock{Type: "TextBlock", Text: clip(body, 5000), Wrap: true})
	} else {
		card.Body = append(card.Body, teamsTextBlock{Type: "TextBlock", Text: clip(m.Summary, 2000), Wrap: true})
		fs := teamsFactSet{Type: "FactSet"}
		for _, f := range facts(m) {
			fs.Facts = append(fs.Facts, teamsFact{Title: f.name, Value: f.value})
		}
		if len(fs.Facts) > 0 {
			card.Body = append(card.Body, fs)
		}
		if m.InMaintenance {
			card.Body = append(card.Body, teamsTextBlock{Type: "TextBlock", Text: "The service is in a maintenance window.", Wrap: true, Color: "Warning"})
		}
		if m.Workaround != "" {
			card.Body = append(card.Body,
				teamsTextBlock{Type: "TextBlock", Text: "Known error, workaround", Wrap: true, Weight: "Bolder"},
				teamsTextBlock{Type: "TextBlock", Text: clip(m.Workaround, 5000), Wrap: true})
		}
	}
	for _, l := range links(m) {
		a := teamsAction{Type: "Action.OpenUrl", Title: l.label, URL: l.url}
		switch l.action {
		case "acknowledge":
			a.Style = "positive"
		case "resolve":
			a.Style = "destructive"
		}
		card.Actions = append(card.Actions, a)
	}
	return teamsMessage{
		Type: "message",
		Attachments: []teamsAttachment{{
			ContentType: "application/vnd.microsoft.card.adaptive",
			Content:     card,
		}},
	}, nil
}

// teamsColor colours the card's title by severity.
func teamsColor(m Message) string {
	switch {
	case m.Kind == KindResolved || m.Status == "resolved":
		return "Good"
	case m.Severity == "critical", m.Severity == "error":
		return "Attention"
	case m.Severity == "warning":
		return "Warning"
	default:
		return "Default"
	}
}
