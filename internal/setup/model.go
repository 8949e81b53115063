// Package setup keeps the notification channels, integrations and
// escalation policies made in the UI and the API, beside those the config
// file declares. The file wins for what it declares: its objects are
// read-only here, a name it declares cannot be taken, and a reload that
// would leave an object made here dangling is refused. Every write is
// validated with the file's own validators (notify.Config.Validate and
// incident.Setup.Validate, references included) over the merged whole,
// audited with its secrets shown as "[set]", and then applied to the
// running server without a restart.
package setup

import (
	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/notify"
	"github.com/sextant-ops/sextant/internal/secret"
)

// The kinds of object this package keeps, as the config_objects table and
// the audit log name them.
const (
	KindChannel     = "channel"
	KindIntegration = "integration"
	KindPolicy      = "escalation_policy"
)

// The sources of an object: the config file, or the UI and API.
const (
	SourceFile = "file"
	SourceAPI  = "api"
)

// SetMarker is shown in place of a secret that is set. Sent back in an
// update, it keeps the stored value, so that an object read, changed and
// written back keeps its secrets.
const SetMarker = "[set]"

// Channel is a notification channel as the API and the UI read and write
// it: notify.Config with JSON names and its secrets as plain strings, so
// that a read can show them as SetMarker (secret.Secret always shows
// "[redacted]"). The URL of a Slack or Teams channel is a secret too:
// whoever holds it may post.
type Channel struct {
	Name           string     `json:"name"`
	Type           string     `json:"type"`
	URL            string     `json:"url,omitempty"`
	Secret         string     `json:"secret,omitempty"`
	Topic          string     `json:"topic,omitempty"`
	To             []string   `json:"to,omitempty"`
	From           string     `json:"from,omitempty"`
	SMTP           *SMTP      `json:"smtp,omitempty"`
	AllowLinkLocal bool       `json:"allow_link_local,omitempty"`
	Templates      *Templates `json:"templates,omitempty"`
	Timeout        string     `json:"timeout,omitempty"`
}

// SMTP is an e-mail channel's mail server; Password is write-only.
type SMTP struct {
	Host     string `json:"host,omitempty"`
	Port     int    `json:"port,omitempty"`
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
	TLS      string `json:"tls,omitempty"`
}

// Templates override a channel's built-in rendering.
type Templates struct {
	Subject string `json:"subject,omitempty"`
	Body    string `json:"body,omitempty"`
}

// Config is the channel as the notify package builds it.
func (c Channel) Config() notify.Config {
	out := notify.Config{Name: c.Name, Type: c.Type, URL: c.URL, Secret: secret.New(c.Secret), Topic: c.Topic, To: c.To,
		From: c.From, AllowLinkLocal: c.AllowLinkLocal, Timeout: c.Timeout}
	if c.SMTP != nil {
		out.SMTP = notify.SMTPConfig{Host: c.SMTP.Host, Port: c.SMTP.Port, Username: c.SMTP.Username, Password: secret.New(c.SMTP.Password), TLS: c.SMTP.TLS}
	}
	if c.Templates != nil {
		out.Templates = notify.Templates{Subject: c.Templates.Subject, Body: c.Templates.Body}
	}
	return out
}

// ChannelOf is the API form of a channel, secrets included: call Redacted
// before showing it.
func ChannelOf(c notify.Config) Channel {
	out := Channel{Name: c.Name, Type: c.Type, URL: c.URL, Secret: c.Secret.Reveal(), Topic: c.Topic, To: c.To, From: c.From,
		AllowLinkLocal: c.AllowLinkLocal, Timeout: c.Timeout}
	if c.SMTP != (notify.SMTPConfig{}) {
		out.SMTP = &SMTP{Host: c.SMTP.Host, Port: c.SMTP.Port, Username: c.SMTP.Username, Password: c.SMTP.Password.Reveal(), TLS: c.SMTP.TLS}
	}
	if c.Templates != (notify.Templates{}) {
		out.Templates = &Templates{Subject: c.Templates.Subject, Body: c.Templates.Body}
	}
	return out
}

// secretURL reports whether a channel type's URL is a credential.
func secretURL(typ string) bool { return typ == notify.TypeSlack || typ == notify.TypeTeams }

// Redacted is c fit to be shown to anyone: each secret that is set reads
// SetMarker.
func (c Channel) Redacted() Channel {
	mark := func(s string) string {
		if s == "" {
			return ""
		}
		return SetMarker
	}
	c.Secret = mark(c.Secret)
	if secretURL(c.Type) {
		c.URL = mark(c.URL)
	}
	if c.SMTP != nil {
		s := *c.SMTP
		s.Password = mark(s.Password)
		c.SMTP = &s
	}
	return c
}

// keep completes an update from the stored channel: a secret sent as
// SetMarker keeps its stored value.
func (c Channel) keep(old Channel) Channel {
	if c.Secret == SetMarker {
		c.Secret = old.Secret
	}
	if c.URL == SetMarker && secretURL(old.Type) {
		c.URL = old.URL
	}
	if c.SMTP != nil && c.SMTP.Password == SetMarker {
		s := *c.SMTP
		s.Password = ""
		if old.SMTP != nil {
			s.Password = old.SMTP.Password
		}
		c.SMTP = &s
	}
	return c
}

// Integration is an integration as the API and the UI read and write it.
// Its key is generated by Sextant, shown once at creation and at each
// rotation, and reads SetMarker otherwise.
type Integration struct {
	Name         string            `json:"name"`
	Kind         string            `json:"kind"`
	Key          string            `json:"key,omitempty"`
	Service      string            `json:"service,omitempty"`
	ServiceLabel string            `json:"service_label,omitempty"`
	Escalation   string            `json:"escalation,omitempty"`
	Severities   map[string]string `json:"severities,omitempty"`
	RateLimit    string            `json:"rate_limit,omitempty"`
	AutoResolve  *bool             `json:"auto_resolve,omitempty"`
	IncidentPer  string            `json:"incident_per,omitempty"`
}

// Config is the integration as the incident engine runs it.
func (in Integration) Config() incident.Integration {
	return incident.Integration{Name: in.Name, Kind: in.Kind, Key: secret.New(in.Key), Service: in.Service, ServiceLabel: in.ServiceLabel,
		Escalation: in.Escalation, Severities: in.Severities, RateLimit: in.RateLimit, AutoResolve: in.AutoResolve, IncidentPer: in.IncidentPer}
}

// IntegrationOf is the API form of an integration, key included: call
// Redacted before showing it.
func IntegrationOf(in incident.Integration) Integration {
	return Integration{Name: in.Name, Kind: in.Kind, Key: in.Key.Reveal(), Service: in.Service, ServiceLabel: in.ServiceLabel,
		Escalation: in.Escalation, Severities: in.Severities, RateLimit: in.RateLimit, AutoResolve: in.AutoResolve, IncidentPer: in.IncidentPer}
}

// Redacted is in with its key shown as SetMarker.
func (in Integration) Redacted() Integration {
	if in.Key != "" {
		in.Key = SetMarker
	}
	return in
}
