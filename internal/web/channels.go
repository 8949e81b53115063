package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/monitor"
	"github.com/sextant-ops/sextant/internal/notify"
	"github.com/sextant-ops/sextant/internal/setup"
)

// channelInputs are the channel form's inputs, in the store's paths.
var channelInputs = map[string]string{
	"name": "Name", "type": "Type", "url": "URL", "secret": "Secret", "topic": "Topic", "to": "Recipients", "from": "Sender",
	"smtp.host": "SMTP host", "smtp.port": "SMTP port", "smtp.username": "SMTP user name", "smtp.password": "SMTP password", "smtp.tls": "SMTP TLS",
	"allow_link_local": "Allow link-local addresses", "templates.subject": "Subject template", "templates.body": "Body template", "timeout": "Timeout",
}

// channelTypes are the channel types a form offers.
var channelTypes = []string{notify.TypeWebhook, notify.TypeSlack, notify.TypeTeams, notify.TypeNtfy, notify.TypeEmail}

// channelListPage is the data of the channel list.
type channelListPage struct {
	Channels []setup.ChannelEntry
	Deleted  string
}

// channelPage is the data of a channel's page; Test is the answer to the
// last Send test.
type channelPage struct {
	setup.ChannelEntry
	Saved bool
	Test  *setup.TestResult
}

func (u *UI) listChannels(w http.ResponseWriter, r *http.Request) error {
	m, err := u.setupManager()
	if err != nil {
		return err
	}
	list, err := m.Channels(r.Context())
	if err != nil {
		return err
	}
	u.render(w, r, http.StatusOK, "channels.html", "Channels", channelListPage{Channels: list, Deleted: r.URL.Query().Get("deleted")})
	return nil
}

func (u *UI) showChannel(w http.ResponseWriter, r *http.Request) error {
	return u.renderChannel(w, r, http.StatusOK, nil)
}

func (u *UI) renderChannel(w http.ResponseWriter, r *http.Request, status int, test *setup.TestResult) error {
	m, err := u.setupManager()
	if err != nil {
		return err
	}
	c, err := m.GetChannel(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	u.render(w, r, status, "channel.html", "Channel "+c.Name, channelPage{ChannelEntry: c, Saved: r.URL.Query().Get("saved") != "", Test: test})
	return nil
}

// testChannel sends a test message and shows the receiver's answer on the
// channel's page.
func (u *UI) testChannel(w http.ResponseWriter, r *http.Request) error {
	m, err := u.setupManager()
	if err != nil {
		return err
	}
	res, err := m.TestChannel(r.Context(), principal(r).Actor(), r.PathValue("name"), monitor.BaseURL(u.deps.PublicURL, r))
	if err != nil {
		return err
	}
	return u.renderChannel(w, r, http.StatusOK, &res)
}

// channelForm is the form of a channel (empty for a new one).
func channelForm(c setup.Channel, create bool) *setupForm {
	v := map[string]string{"name": c.Name, "type": c.Type, "url": c.URL, "secret": c.Secret, "topic": c.Topic, "to": strings.Join(c.To, "\n"),
		"from": c.From, "timeout": c.Timeout}
	if c.SMTP != nil {
		v["smtp.host"], v["smtp.username"], v["smtp.password"], v["smtp.tls"] = c.SMTP.Host, c.SMTP.Username, c.SMTP.Password, c.SMTP.TLS
		if c.SMTP.Port != 0 {
			v["smtp.port"] = strconv.Itoa(c.SMTP.Port)
		}
	}
	if c.Templates != nil {
		v["templates.subject"], v["templates.body"] = c.Templates.Subject, c.Templates.Body
	}
	if c.AllowLinkLocal {
		v["allow_link_local"] = "on"
	}
	if create && v["type"] == "" {
		v["type"] = notify.TypeWebhook
	}
	f := &setupForm{Create: create, Name: c.Name, V: v, tmpl: "channel_form.html", noun: "channel", labels: channelInputs}
	if create {
		f.Title, f.Action, f.Cancel = "New channel", "/channels/new", "/channels"
	} else {
		f.Title, f.Action, f.Cancel = "Edit channel "+c.Name, "/channels/"+url.PathEscape(c.Name)+"/edit", "/channels/"+url.PathEscape(c.Name)
	}
	return f
}

// parseChannelForm reads a submitted channel form; a port that is not a
// number is a problem of its own.
func parseChannelForm(r *http.Request, name string, create bool) (*setupForm, setup.Channel, []apperr.Field) {
	names := make([]string, 0, len(channelInputs))
	for n := range channelInputs {
		names = append(names, n)
	}
	v := formValues(r, names...)
	if !create {
		v["name"] = name
	}
	f := channelForm(setup.Channel{}, create)
	f.V, f.Name = v, v["name"]
	c := setup.Channel{Name: v["name"], Type: v["type"], URL: v["url"], Secret: v["secret"], Topic: v["topic"], From: v["from"],
		Timeout: v["timeout"], AllowLinkLocal: v["allow_link_local"] == "on"}
	for _, line := range strings.FieldsFunc(v["to"], func(r rune) bool { return r == '\n' || r == ',' }) {
		if line = strings.TrimSpace(line); line != "" {
			c.To = append(c.To, line)
		}
	}
	var parsed []apperr.Field
	smtp := setup.SMTP{Host: v["smtp.host"], Username: v["smtp.username"], Password: v["smtp.password"], TLS: v["smtp.tls"]}
	if p := v["smtp.port"]; p != "" {
		n, err := strconv.Atoi(p)
		if err != nil {
			parsed = append(parsed, apperr.Field{Path: "smtp.port", Msg: "must be a whole number, e.g. 587"})
		}
		smtp.Port = n
	}
	if smtp != (setup.SMTP{}) {
		c.SMTP = &smtp
	}
	if v["templates.subject"] != "" || v["templates.body"] != "" {
		c.Templates = &setup.Templates{Subject: v["templates.subject"], Body: r.PostForm.Get("templates.body")}
	}
	return f, c, parsed
}

func (u *UI) newChannel(w http.ResponseWriter, r *http.Request) error {
	if _, err := u.setupManager(); err != nil {
		return err
	}
	f := channelForm(setup.Channel{}, true)
	u.render(w, r, http.StatusOK, f.template(), f.pageTitle(), f)
	return nil
}

func (u *UI) editChannel(w http.ResponseWriter, r *http.Request) error {
	m, err := u.setupManager()
	if err != nil {
		return err
	}
	c, err := m.GetChannel(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	if c.ReadOnly() {
		return apperr.Conflict("channel %q is declared in %s and read-only here; change it there", c.Name, c.DeclaredIn)
	}
	f := channelForm(c.Channel, false)
	u.render(w, r, http.StatusOK, f.template(), f.pageTitle(), f)
	return nil
}

func (u *UI) createChannel(w http.ResponseWriter, r *http.Request) error {
	return u.saveChannel(w, r, "", setup.Create)
}

func (u *UI) updateChannel(w http.ResponseWriter, r *http.Request) error {
	return u.saveChannel(w, r, r.PathValue("name"), setup.Replace)
}

func (u *UI) saveChannel(w http.ResponseWriter, r *http.Request, name string, op setup.Op) error {
	m, err := u.setupManager()
	if err != nil {
		return err
	}
	f, c, parsed := parseChannelForm(r, name, op == setup.Create)
	return u.saveSetup(w, r, f, parsed,
		func(ctx context.Context) error { return m.ValidateChannel(ctx, c) },
		func(ctx context.Context) (string, error) {
			_, err := m.PutChannel(ctx, principal(r).Actor(), c, op)
			return c.Name, err
		}, redirectSaved(w, r, "/channels"))
}
