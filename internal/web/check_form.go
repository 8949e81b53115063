package web

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/monitor"
)

// degradedPrefix marks a condition line that only degrades the check.
const degradedPrefix = "degraded:"

// checkForm is the check editor: what the user typed, as text, and the
// problems found with it. Input names are the store's field paths; list
// fields (conditions, locations, expect) are one input each, and a
// problem with an item ("conditions[1]") is shown at that input.
type checkForm struct {
	Create bool
	Action string
	Cancel string
	Source catalog.Source

	Name, Service, Type, URL, Method, Host, Port, Record, Expect string
	Period, Grace, Cron, Timezone                                string
	// RPO, when given on a heartbeat, makes it a backup job.
	RPO                                                    string
	Interval, Timeout, Conditions, FailAfter, RecoverAfter string
	Locations, Quorum                                      string

	// Headers are the stored headers. A sensitive one's value is never
	// put in the page: the form says that one is set, and a blank input
	// keeps it.
	Headers []headerRow
	// NewHeaderName and NewHeaderValue add (or replace) one header; the
	// value is shown again only when the header is not sensitive.
	NewHeaderName, NewHeaderValue string
	// BasicUsername is shown; the password never is, only whether one is
	// set.
	BasicUsername    string
	BasicPasswordSet bool

	ServiceNames []string

	formProblems
}

func (f *checkForm) template() string { return "check_form.html" }

func (f *checkForm) pageTitle() string {
	if f.Create {
		return "New check"
	}
	return "Edit check " + f.Name
}

// ServiceOptions are the services a check may watch.
func (f *checkForm) ServiceOptions() []option {
	opts := []option{{Value: "", Label: "— choose a service —"}}
	for _, n := range f.ServiceNames {
		opts = append(opts, option{Value: n, Label: n})
	}
	return choose(opts, f.Service)
}

// TypeOptions are the check types.
func (f *checkForm) TypeOptions() []option {
	return choose([]option{{Value: "", Label: "— choose a type —"},
		{Value: monitor.TypeHTTP, Label: "http: fetch a URL"}, {Value: monitor.TypeTCP, Label: "tcp: open a connection"},
		{Value: monitor.TypeDNS, Label: "dns: look up a name"}, {Value: monitor.TypeICMP, Label: "icmp: ping a host"},
		{Value: monitor.TypeTLS, Label: "tls: handshake and certificate"}, {Value: monitor.TypeHeartbeat, Label: "heartbeat: a job pings Sextant"}}, f.Type)
}

// MethodOptions are the HTTP methods.
func (f *checkForm) MethodOptions() []option {
	opts := []option{{Value: "", Label: "Not set (GET)"}}
	for _, m := range []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"} {
		opts = append(opts, option{Value: m, Label: m})
	}
	return choose(opts, f.Method)
}

// RecordOptions are the DNS record types.
func (f *checkForm) RecordOptions() []option {
	opts := []option{{Value: "", Label: "Not set (A)"}}
	for _, t := range []string{"A", "AAAA", "CNAME", "MX", "TXT", "NS", "SRV", "PTR", "SOA"} {
		opts = append(opts, option{Value: t, Label: t})
	}
	return choose(opts, f.Record)
}

// headerRow is one stored header in the check form.
type headerRow struct {
	Name string
	// Value is the value to show: empty for a sensitive header.
	Value     string
	Sensitive bool
	Remove    bool
}

// Path is the input's name and the store's path for problems with it.
func (h headerRow) Path() string { return "headers." + h.Name }

// Hint says what the header's input does.
func (h headerRow) Hint() string {
	if h.Sensitive {
		return "A value is set — leave blank to keep, tick to remove, or type a new one."
	}
	return "Change the value to replace it, or tick to remove the header."
}

// The check form's inputs for credentials, beside the stored headers'
// "headers.NAME".
const (
	inRemoveHeader   = "remove_header"
	inNewHeaderName  = "new_header.name"
	inNewHeaderValue = "new_header.value"
	inBasicUser      = "basic_auth.username"
	inBasicPassword  = "basic_auth.password"
	inRemovePassword = "basic_auth.remove_password"
)

// setHeaders fills the form's header rows from a check's headers, values of
// sensitive ones left out.
func (f *checkForm) setHeaders(h map[string]string, removed []string) {
	f.Headers = nil
	for _, k := range slices.Sorted(maps.Keys(h)) {
		row := headerRow{Name: k, Sensitive: monitor.SensitiveHeader(k), Remove: slices.Contains(removed, k)}
		if !row.Sensitive {
			row.Value = h[k]
		}
		f.Headers = append(f.Headers, row)
	}
}

// checkFormFields are the paths with an input of their own, and their
// labels for the problem summary.
var checkFormFields = map[string]string{
	"name": "Name", "service": "Service", "type": "Type", "url": "URL", "method": "Method", "host": "Host", "port": "Port",
	"record": "Record type", "expect": "Expected answers", "period": "Period", "grace": "Grace", "cron": "Cron schedule",
	"timezone": "Time zone", "interval": "Interval", "timeout": "Timeout", "conditions": "Conditions", "fail_after": "Down after",
	"recover_after": "Up after", "locations": "Locations", "quorum": "Quorum", "rpo": "Backup RPO", "kind": "Backup RPO",
}

// setProblems files each problem under its input: an item of a list
// ("conditions[1]") goes to the list's input, as "line 2: …".
func (f *checkForm) setProblems(fields []apperr.Field) {
	f.reset()
	for _, p := range fields {
		path, msg := p.Path, p.Msg
		if list, rest, ok := strings.Cut(path, "["); ok {
			if i, err := strconv.Atoi(strings.TrimSuffix(rest, "]")); err == nil && strings.HasSuffix(rest, "]") {
				item := "item"
				switch list {
				case "conditions":
					item = "line"
				case "locations":
					item = "location"
				case "expect":
					item = "answer"
				}
				path, msg = list, fmt.Sprintf("%s %d: %s", item, i+1, msg)
			}
		}
		label, known := checkFormFields[path]
		if path == "name" && !f.Create {
			known = false
		}
		if name, ok := strings.CutPrefix(path, "headers."); ok {
			label, known = "Header "+name, slices.ContainsFunc(f.Headers, func(h headerRow) bool { return h.Name == name })
			if !known {
				// A problem with the header being added: show it there.
				path, known = inNewHeaderName, true
			}
		}
		switch path {
		case "basic_auth", inBasicUser:
			path, label, known = inBasicUser, "Basic auth user name", true
		case inBasicPassword:
			label, known = "Basic auth password", true
		}
		if label == "" {
			label = "This check"
			if path != "" {
				label = path
			}
		}
		f.add(path, label, msg, known)
	}
}

// newCheckForm returns a form holding a stored check (or an empty one).
func newCheckForm(c monitor.Check, create bool, services []string) *checkForm {
	f := &checkForm{Create: create, Name: c.Name, Service: c.Service, Type: c.Type, URL: c.URL, Method: c.Method, Host: c.Host,
		Record: c.Record, Expect: strings.Join(c.Expect, ", "), Period: c.Period, Grace: c.Grace, Cron: c.Cron, Timezone: c.Timezone,
		Interval: c.Interval, Timeout: c.Timeout, Locations: strings.Join(c.Locations, ", "), RPO: c.RPO}
	itoa := func(n int) string {
		if n == 0 {
			return ""
		}
		return strconv.Itoa(n)
	}
	f.Port, f.FailAfter, f.RecoverAfter, f.Quorum = itoa(c.Port), itoa(c.FailAfter), itoa(c.RecoverAfter), itoa(c.Quorum)
	var lines []string
	for _, cs := range c.Conditions {
		if cs.Degraded {
			lines = append(lines, degradedPrefix+" "+cs.Condition)
		} else {
			lines = append(lines, cs.Condition)
		}
	}
	f.Conditions = strings.Join(lines, "\n")
	f.setHeaders(c.Headers, nil)
	if c.BasicAuth != nil {
		f.BasicUsername, f.BasicPasswordSet = c.BasicAuth.Username, c.BasicAuth.HasPassword()
	}
	f.finish(services)
	return f
}

// finish adds the choices and the form's addresses.
func (f *checkForm) finish(services []string) {
	f.ServiceNames = services
	if f.Create {
		f.Action, f.Cancel = "/checks/new", "/checks"
	} else {
		f.Action, f.Cancel = "/checks/"+url.PathEscape(f.Name)+"/edit", "/checks/"+url.PathEscape(f.Name)
	}
}

// splitList reads a comma-separated list, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// parseCheckForm reads a submitted form over base (the stored check when
// editing, so that what the form does not show — the body, redirects — is
// kept). Blank condition lines are dropped and the textarea closed up, so
// that the store's "conditions[1]" is the form's line 2. Numbers that do
// not parse are returned as problems, in the store's form.
func parseCheckForm(r *http.Request, base monitor.Check, create bool, services []string) (*checkForm, monitor.Check, error) {
	pf := r.PostForm
	get := func(k string) string { return strings.TrimSpace(pf.Get(k)) }
	f := &checkForm{Create: create, Name: base.Name, Service: get("service"), Type: get("type"), URL: get("url"), Method: get("method"),
		Host: get("host"), Port: get("port"), Record: get("record"), Expect: get("expect"), Period: get("period"), Grace: get("grace"),
		Cron: get("cron"), Timezone: get("timezone"), Interval: get("interval"), Timeout: get("timeout"), FailAfter: get("fail_after"),
		RecoverAfter: get("recover_after"), Locations: get("locations"), Quorum: get("quorum"), RPO: get("rpo")}
	if create {
		f.Name = get("name")
	}
	c := base
	c.Name, c.Service, c.Type, c.URL, c.Method, c.Host, c.Record = f.Name, f.Service, f.Type, f.URL, f.Method, f.Host, f.Record
	c.Period, c.Grace, c.Cron, c.Timezone, c.Interval, c.Timeout = f.Period, f.Grace, f.Cron, f.Timezone, f.Interval, f.Timeout
	c.Expect, c.Locations = splitList(f.Expect), splitList(f.Locations)
	// The RPO input sits among the heartbeat's: a value makes a heartbeat
	// a backup job, none makes it a plain heartbeat again.
	c.Kind, c.RPO = "", ""
	if c.Type == monitor.TypeHeartbeat && f.RPO != "" {
		c.Kind, c.RPO = monitor.KindBackup, f.RPO
	}
	c.Conditions = nil
	var lines []string
	for _, line := range strings.Split(strings.ReplaceAll(pf.Get("conditions"), "\r\n", "\n"), "\n") {
		if line = strings.TrimSpace(line); line == "" {
			continue
		}
		lines = append(lines, line)
		cs := monitor.ConditionSpec{Condition: line}
		if rest, ok := strings.CutPrefix(line, degradedPrefix); ok {
			cs = monitor.ConditionSpec{Condition: strings.TrimSpace(rest), Degraded: true}
		}
		c.Conditions = append(c.Conditions, cs)
	}
	f.Conditions = strings.Join(lines, "\n")
	var inv apperr.Invalid
	readCredentials(pf, base, &c, f, &inv)
	whole := func(path, text, example string) int {
		if text == "" {
			return 0
		}
		n, err := strconv.Atoi(text)
		if err != nil {
			inv.Add(path, "must be a whole number such as %s, not %q", example, text)
		}
		return n
	}
	c.Port = whole("port", f.Port, "443")
	c.FailAfter = whole("fail_after", f.FailAfter, "3")
	c.RecoverAfter = whole("recover_after", f.RecoverAfter, "2")
	c.Quorum = whole("quorum", f.Quorum, "2")
	f.finish(services)
	if err := inv.Err(); err != nil {
		return f, c, &formError{err: err, form: f}
	}
	return f, c, nil
}

// readCredentials reads the headers and basic auth of a submitted check
// form into c, by the write-only convention of monitor.KeepCredentials: a
// stored header's blank input keeps its value, its ticked box removes it
// (sent as ""), a typed value replaces it; a blank password keeps the
// stored one, a ticked box removes it; a blank user name removes basic
// auth.
func readCredentials(pf url.Values, base monitor.Check, c *monitor.Check, f *checkForm, inv *apperr.Invalid) {
	removed := pf[inRemoveHeader]
	headers := map[string]string{}
	for k, v := range base.Headers {
		switch typed := strings.TrimSpace(pf.Get("headers." + k)); {
		case slices.Contains(removed, k):
			headers[k] = ""
		case typed != "":
			headers[k] = typed
		default:
			headers[k] = v
		}
	}
	f.setHeaders(base.Headers, removed)
	f.NewHeaderName = strings.TrimSpace(pf.Get(inNewHeaderName))
	newValue := strings.TrimSpace(pf.Get(inNewHeaderValue))
	switch {
	case f.NewHeaderName == "" && newValue != "":
		inv.Add(inNewHeaderName, "is required with a header value")
	case f.NewHeaderName != "" && newValue == "":
		inv.Add(inNewHeaderName, "needs a value")
	case f.NewHeaderName != "":
		headers[f.NewHeaderName] = newValue
	}
	if !monitor.SensitiveHeader(f.NewHeaderName) {
		f.NewHeaderValue = newValue
	}
	c.Headers = headers
	if len(headers) == 0 {
		c.Headers = nil
	}

	f.BasicPasswordSet = base.BasicAuth.HasPassword()
	if !pf.Has(inBasicUser) {
		// A form without the input (one rendered before it existed)
		// leaves basic auth as it is.
		c.BasicAuth = base.BasicAuth
		if base.BasicAuth != nil {
			f.BasicUsername = base.BasicAuth.Username
		}
		return
	}
	f.BasicUsername = strings.TrimSpace(pf.Get(inBasicUser))
	typed := pf.Get(inBasicPassword)
	switch {
	case f.BasicUsername == "" && typed != "":
		inv.Add(inBasicUser, "is required with a password")
	case f.BasicUsername == "":
		c.BasicAuth = nil
		if base.BasicAuth != nil {
			c.BasicAuth = &monitor.BasicAuth{} // removes the stored one
		}
	default:
		ba := &monitor.BasicAuth{Username: f.BasicUsername}
		switch {
		case typed != "":
			ba.Password = &typed
		case pf.Get(inRemovePassword) != "":
			none := ""
			ba.Password = &none
		}
		c.BasicAuth = ba
	}
}

// serviceNames lists the catalog's services for the form's select.
func (u *UI) serviceNames(r *http.Request) ([]string, error) {
	cat, err := u.deps.Catalog.Load(r.Context())
	if err != nil {
		return nil, err
	}
	var out []string
	for _, s := range cat.Services {
		out = append(out, s.Name)
	}
	slices.Sort(out)
	return out, nil
}

func (u *UI) newCheck(w http.ResponseWriter, r *http.Request) error {
	services, err := u.serviceNames(r)
	if err != nil {
		return err
	}
	f := newCheckForm(monitor.Check{Service: r.URL.Query().Get("service"), Type: monitor.TypeHTTP}, true, services)
	u.render(w, r, http.StatusOK, f.template(), f.pageTitle(), f)
	return nil
}

func (u *UI) editCheck(w http.ResponseWriter, r *http.Request) error {
	c, err := u.deps.Checks.Get(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	services, err := u.serviceNames(r)
	if err != nil {
		return err
	}
	f := newCheckForm(c.Check, false, services)
	f.Source = c.Source
	u.render(w, r, http.StatusOK, f.template(), f.pageTitle(), f)
	return nil
}

func (u *UI) createCheck(w http.ResponseWriter, r *http.Request) error {
	return u.saveCheck(w, r, monitor.Check{}, catalog.MustCreate)
}

func (u *UI) updateCheck(w http.ResponseWriter, r *http.Request) error {
	old, err := u.deps.Checks.Get(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	return u.saveCheck(w, r, old.Check, catalog.MustExist)
}

// saveCheck stores a submitted check form and has the monitor schedule the
// change, or shows the form again with the problems found.
func (u *UI) saveCheck(w http.ResponseWriter, r *http.Request, base monitor.Check, mode catalog.Mode) error {
	services, err := u.serviceNames(r)
	if err != nil {
		return err
	}
	f, c, err := parseCheckForm(r, base, mode == catalog.MustCreate, services)
	if err != nil {
		return withValidation(err, func() error { return u.deps.Checks.Validate(r.Context(), c) })
	}
	saved, err := u.deps.Checks.Put(r.Context(), principal(r).Actor(), c, mode)
	if err != nil {
		return &formError{err: err, form: f}
	}
	if err := u.deps.Monitor.Load(r.Context()); err != nil {
		return err
	}
	http.Redirect(w, r, "/checks/"+url.PathEscape(saved.Name)+"?saved=1", http.StatusSeeOther)
	return nil
}
