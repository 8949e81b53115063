package notify

import (
	"bytes"
	"fmt"
	"strings"
	"text/template"
	"time"
)

// defaultSubject is the built-in subject (and ntfy title, Teams title).
// A resolved message says when the incident opened and closed, so that one
// quiet message tells the whole story when the trigger was never sent.
const defaultSubject = `[{{upper .Kind}}] {{with .Service}}{{.}}: {{end}}{{.Summary}}
{{- if and (eq .Kind "resolved") (not .ResolvedAt.IsZero)}} (opened {{.CreatedAt.UTC.Format "15:04"}}, resolved {{.ResolvedAt.UTC.Format "15:04 MST"}}){{end}}`

// defaultBody is the built-in plain-text body (and ntfy message, Slack
// text, Teams text).
// A notice about neither an incident nor a ticket (a licence expiry
// warning) is its summary and its link.
const defaultBody = `{{if and (not .IncidentID) (not .Ticket)}}{{.Summary}}
{{if .URL}}
View: {{.URL}}{{end}}
{{else}}{{.Name}} {{.Kind}}: {{.Summary}}

Service:  {{.Service}}
Severity: {{.Severity}}
Status:   {{.Status}}
{{- if .Source}}
Source:   {{.Source}}{{end}}
Opened:   {{.CreatedAt.UTC.Format "2006-01-02 15:04 MST"}}
{{- if not .ResolvedAt.IsZero}}
Resolved: {{.ResolvedAt.UTC.Format "2006-01-02 15:04 MST"}}{{end}}
{{- if .InMaintenance}}

The service is in a maintenance window.{{end}}
{{- if .Workaround}}

Known error, workaround:
{{.Workaround}}
{{- end}}
{{if .URL}}
View:        {{.URL}}{{end}}
{{- if and .AckURL (eq .Status "triggered")}}
Acknowledge: {{.AckURL}}{{end}}
{{- if and .ResolveURL (ne .Status "resolved")}}
Resolve:     {{.ResolveURL}}{{end}}
{{end}}`

// shortBody is the built-in message of channels that show the incident's
// details and links in their own way (ntfy).
const shortBody = `{{.Summary}}
{{.Service}} · {{.Severity}} · {{.Status}}{{if .InMaintenance}} · in maintenance{{end}}
{{- if .Workaround}}
Workaround: {{.Workaround}}{{end}}`

// funcs are the functions templates may call besides text/template's own.
var funcs = template.FuncMap{
	"upper": strings.ToUpper,
	"lower": strings.ToLower,
}

// templates are a channel's parsed subject and body.
type templates struct {
	subject *template.Template
	body    *template.Template
	// customBody is set when the user wrote the body template; channels
	// with a richer built-in layout (Slack blocks, Teams cards) then show
	// the rendered body in place of their own.
	customBody bool
}

// templateError names the template that failed.
type templateError struct {
	field string // "subject" or "body"
	msg   string
}

func (e *templateError) Error() string { return "templates." + e.field + ": " + e.msg }

// sampleMessage is what Validate runs the templates on, so that a
// reference to a field Message lacks is reported at load time.
var sampleMessage = Message{
	IncidentID: 1, Kind: KindTriggered, Service: "shop", Summary: "checkout down",
	Severity: "critical", Status: "triggered", Source: "check", CreatedAt: time.Unix(0, 0),
	URL: "https://sextant.example/incidents/1", AckURL: "https://sextant.example/a", ResolveURL: "https://sextant.example/r",
}

// parseTemplates parses t, falling back to the built-in templates, and
// trial-runs them.
func parseTemplates(t Templates) (templates, error) {
	return parseTemplatesWith(t, defaultBody)
}

// parseTemplatesWith is parseTemplates with defBody as the built-in body.
func parseTemplatesWith(t Templates, defBody string) (templates, error) {
	out := templates{customBody: strings.TrimSpace(t.Body) != ""}
	for _, f := range []struct {
		field, text, def string
		dst              **template.Template
	}{
		{"subject", t.Subject, defaultSubject, &out.subject},
		{"body", t.Body, defBody, &out.body},
	} {
		text := f.text
		if strings.TrimSpace(text) == "" {
			text = f.def
		}
		tmpl, err := template.New(f.field).Funcs(funcs).Option("missingkey=error").Parse(text)
		if err != nil {
			return out, &templateError{field: f.field, msg: strings.TrimPrefix(err.Error(), "template: ")}
		}
		if err := tmpl.Execute(&bytes.Buffer{}, sampleMessage); err != nil {
			return out, &templateError{field: f.field, msg: strings.TrimPrefix(err.Error(), "template: ")}
		}
		*f.dst = tmpl
	}
	return out, nil
}

// render runs both templates. The subject is one line: line breaks would
// end an e-mail or HTTP header early.
func (t templates) render(m Message) (subject, body string, err error) {
	var b bytes.Buffer
	if err := t.subject.Execute(&b, m); err != nil {
		return "", "", Permanent(fmt.Errorf("subject template: %w", err))
	}
	subject = oneLine(b.String())
	b.Reset()
	if err := t.body.Execute(&b, m); err != nil {
		return "", "", Permanent(fmt.Errorf("body template: %w", err))
	}
	return subject, strings.TrimRight(b.String(), "\n") + "\n", nil
}

// oneLine joins the lines of s with spaces and drops control characters.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\r' || r == '\n' || r == '\t':
			return ' '
		case r < 0x20 || r == 0x7f:
			return -1
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}
