package escalation

import (
	"fmt"
	"net/mail"
	"sort"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/notify"
	"github.com/sextant-ops/sextant/internal/secret"
)

// Person is someone who can be paged: a target of escalation levels and a
// member of on-call rotations, with the ways to reach them.
type Person struct {
	Name        string `yaml:"name" json:"name"`
	DisplayName string `yaml:"display_name" json:"display_name,omitempty"`
	Timezone    string `yaml:"timezone" json:"timezone,omitempty"`
	Email       string `yaml:"email" json:"email,omitempty"`
	// Slack, Teams and Webhook are incoming-webhook URLs (secrets: they
	// are never shown); Ntfy is a topic on the configured ntfy server.
	Slack   secret.Secret `yaml:"slack" json:"-"`
	Teams   secret.Secret `yaml:"teams" json:"-"`
	Webhook secret.Secret `yaml:"webhook" json:"-"`
	Ntfy    string        `yaml:"ntfy" json:"ntfy,omitempty"`
}

// Contacts lists the kinds of contact methods a person has, for display.
func (p Person) Contacts() []string {
	var out []string
	for _, c := range []struct {
		name string
		set  bool
	}{{"email", p.Email != ""}, {"slack", !p.Slack.IsZero()}, {"teams", !p.Teams.IsZero()}, {"webhook", !p.Webhook.IsZero()}, {"ntfy", p.Ntfy != ""}} {
		if c.set {
			out = append(out, c.name)
		}
	}
	return out
}

// Mail is how people's e-mail is sent.
type Mail struct {
	From string            `yaml:"from"`
	SMTP notify.SMTPConfig `yaml:"smtp"`
}

// Contact names a person's channel in the outbox: "user:alice/email".
func Contact(user, kind string) string { return "user:" + user + "/" + kind }

// Channels builds the notification channels that reach a person. E-mail
// needs the mail settings; ntfy uses ntfyURL (empty: the public server).
func (p Person) Channels(m *Mail, ntfyURL string) map[string]notify.Config {
	out := map[string]notify.Config{}
	if p.Email != "" && m != nil && m.SMTP.Host != "" {
		out[Contact(p.Name, "email")] = notify.Config{Name: Contact(p.Name, "email"), Type: notify.TypeEmail, To: []string{p.Email}, From: m.From, SMTP: m.SMTP}
	}
	if !p.Slack.IsZero() {
		out[Contact(p.Name, "slack")] = notify.Config{Name: Contact(p.Name, "slack"), Type: notify.TypeSlack, URL: p.Slack.Reveal()}
	}
	if !p.Teams.IsZero() {
		out[Contact(p.Name, "teams")] = notify.Config{Name: Contact(p.Name, "teams"), Type: notify.TypeTeams, URL: p.Teams.Reveal()}
	}
	if !p.Webhook.IsZero() {
		out[Contact(p.Name, "webhook")] = notify.Config{Name: Contact(p.Name, "webhook"), Type: notify.TypeWebhook, URL: p.Webhook.Reveal()}
	}
	if p.Ntfy != "" {
		out[Contact(p.Name, "ntfy")] = notify.Config{Name: Contact(p.Name, "ntfy"), Type: notify.TypeNtfy, URL: ntfyURL, Topic: p.Ntfy}
	}
	return out
}

// Validate checks a person; paths are relative to them.
func (p Person) Validate(m *Mail, ntfyURL string) []apperr.Field {
	var inv apperr.Invalid
	if !catalog.ValidName(p.Name) {
		inv.Add("name", "%q must be lower-case letters, digits, '-' or '_'", p.Name)
	}
	if p.Timezone != "" {
		if _, err := time.LoadLocation(p.Timezone); err != nil {
			inv.Add("timezone", "unknown time zone %q", p.Timezone)
		}
	}
	if p.Email != "" {
		if _, err := mail.ParseAddress(p.Email); err != nil {
			inv.Add("email", "%q is not an e-mail address", p.Email)
		}
	}
	names := make([]string, 0)
	chans := p.Channels(m, ntfyURL)
	for n := range chans {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		kind := n[strings.LastIndexByte(n, '/')+1:]
		for _, f := range chans[n].Validate() {
			field := kind
			if kind == "email" {
				field = "email (mail settings)"
			}
			inv.Add(field, "%s", f.Msg)
		}
	}
	return inv.Fields
}

var severityRank = map[string]int{"info": 1, "warning": 2, "error": 3, "critical": 4}

// PageAt decides when a new incident starts paging. With page "in_hours",
// an incident outside the service hours waits for them to begin — unless
// its severity is at least pageAlwaysFrom. reason says why it waits ("" when
// it pages at once).
func PageAt(now time.Time, severity, page, pageAlwaysFrom string, hours *availability.Calendar) (time.Time, string) {
	if page != catalog.PageInHours || hours == nil {
		return now, ""
	}
	if pageAlwaysFrom != "" && severityRank[severity] >= severityRank[pageAlwaysFrom] {
		return now, ""
	}
	const horizon = 15 * 24 * time.Hour
	in := hours.Hours(now, now.Add(horizon))
	if len(in) == 0 {
		return now, ""
	}
	if !in[0].Start.After(now) {
		return now, ""
	}
	start := in[0].Start
	return start, fmt.Sprintf("outside the service hours: paging starts %s", start.In(hours.Location()).Format("Mon 2 Jan 15:04 MST"))
}

// ValidatePeople checks a list of people as the config file's `users:`
// (paths start with "users[i]"): each valid with the mail and ntfy
// settings, each name unique. It returns the set of names, which
// schedules and escalation targets may refer to.
func ValidatePeople(list []Person, m *Mail, ntfyURL string) (map[string]bool, []apperr.Field) {
	names := map[string]bool{}
	var out []apperr.Field
	for i, u := range list {
		p := fmt.Sprintf("users[%d]", i)
		out = append(out, apperr.Prefixed(p, u.Validate(m, ntfyURL))...)
		if names[u.Name] {
			out = append(out, apperr.Field{Path: p + ".name", Msg: fmt.Sprintf("user %q is declared twice", u.Name)})
		}
		names[u.Name] = true
	}
	return names, out
}
