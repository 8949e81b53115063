// Package gatus imports a Gatus configuration — one YAML file or a
// directory of them, merged as Gatus merges them — into a Sextant config:
// endpoints become checks on services named after their groups, external
// endpoints become heartbeats, alerting providers become channels, and
// maintenance windows become recurring maintenance.
package gatus

import (
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/duration"
	"github.com/sextant-ops/sextant/internal/importer"
	"github.com/sextant-ops/sextant/internal/monitor"
	"github.com/sextant-ops/sextant/internal/notify"
	"github.com/sextant-ops/sextant/internal/probe/condition"
)

// Gatus's defaults, as its documentation gives them.
const (
	defaultInterval         = "1m"
	defaultFailureThreshold = 3
	defaultSuccessThreshold = 2
)

// source is one parsed file.
type source struct {
	name string
	root *yaml.Node
}

// ImportPath reads a Gatus config file, or every *.yaml and *.yml file in a
// directory (as Gatus does when its config path is a directory).
func ImportPath(path string) (*importer.Result, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	var files []string
	if st.IsDir() {
		err := filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		sort.Strings(files)
		if len(files) == 0 {
			return nil, fmt.Errorf("gatus: no *.yaml or *.yml files in %s", path)
		}
	} else {
		files = []string{path}
	}
	srcs := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		srcs[f] = b
	}
	return Import(files, srcs)
}

// Import maps the named sources, in order.
func Import(order []string, srcs map[string][]byte) (*importer.Result, error) {
	var parsed []source
	for _, name := range order {
		var doc yaml.Node
		if err := yaml.Unmarshal(srcs[name], &doc); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if len(doc.Content) == 0 {
			continue
		}
		root := doc.Content[0]
		if root.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("%s:%d:%d: a Gatus config is a mapping of keys", name, root.Line, root.Column)
		}
		parsed = append(parsed, source{name: name, root: root})
	}
	m := &mapper{res: &importer.Result{}, services: map[string]int{}, byName: map[string]int{}, channels: map[string]string{}, policies: map[string]bool{}}
	m.alerting(parsed)
	for _, s := range parsed {
		for _, kv := range importer.Keys(s.root) {
			k, v := kv[0], kv[1]
			switch k.Value {
			case "endpoints":
				m.endpoints(s.name, v, false)
			case "external-endpoints":
				m.endpoints(s.name, v, true)
			case "alerting":
				// Read first, above: endpoints refer to its providers.
			case "maintenance":
				m.globalMaintenance(s.name, v)
			default:
				m.res.Skip(importer.Pos(s.name, k), k.Value, "%s", topLevelNote(k.Value))
			}
		}
	}
	m.finish()
	return m.res, nil
}

func topLevelNote(key string) string {
	switch key {
	case "storage":
		return "Sextant keeps its own storage (SQLite or PostgreSQL, see --database)"
	case "web":
		return "Sextant's listen address is the --listen flag"
	case "security":
		return "Sextant has its own users and roles (sextant user add)"
	case "ui":
		return "Sextant's UI is not configured in the file"
	case "metrics":
		return "Sextant always serves /metrics"
	}
	return "no Sextant equivalent"
}

type mapper struct {
	res      *importer.Result
	svcNames importer.Namer
	chkNames importer.Namer
	chNames  importer.Namer
	services map[string]int    // Gatus group (or endpoint) → index in Config.Services
	byName   map[string]int    // Sextant service name → index in Config.Services
	channels map[string]string // Gatus provider → Sextant channel name
	defaults map[string]alert  // provider → its default-alert
	policies map[string]bool
	// global maintenance, applied to every service at the end.
	global []catalog.MaintenanceWindow
}

type alert struct {
	Type             string `yaml:"type"`
	Enabled          *bool  `yaml:"enabled"`
	FailureThreshold int    `yaml:"failure-threshold"`
	SuccessThreshold int    `yaml:"success-threshold"`
	SendOnResolved   *bool  `yaml:"send-on-resolved"`
	Description      string `yaml:"description"`
}

// alerting turns alerting.<provider> into channels.
func (m *mapper) alerting(srcs []source) {
	m.defaults = map[string]alert{}
	for _, s := range srcs {
		_, al := importer.Key(s.root, "alerting")
		for _, kv := range importer.Keys(al) {
			k, v := kv[0], kv[1]
			pos, what := importer.Pos(s.name, k), "alerting."+k.Value
			if _, dup := m.channels[k.Value]; dup {
				m.res.Skip(pos, what, "declared in more than one file; Gatus refuses that too")
				continue
			}
			var raw struct {
				WebhookURL   string `yaml:"webhook-url"`
				URL          string `yaml:"url"`
				Topic        string `yaml:"topic"`
				Token        string `yaml:"token"`
				From         string `yaml:"from"`
				Username     string `yaml:"username"`
				Password     string `yaml:"password"`
				Host         string `yaml:"host"`
				Port         int    `yaml:"port"`
				To           string `yaml:"to"`
				DefaultAlert *alert `yaml:"default-alert"`
			}
			if err := v.Decode(&raw); err != nil {
				m.res.Skip(pos, what, "cannot read it: %v", err)
				continue
			}
			if raw.DefaultAlert != nil {
				m.defaults[k.Value] = *raw.DefaultAlert
			}
			ch := importer.Channel{Name: k.Value}
			switch k.Value {
			case "slack":
				ch.Type, ch.URL = notify.TypeSlack, env(raw.WebhookURL)
			case "teams", "teams-workflows":
				ch.Type, ch.URL = notify.TypeTeams, env(raw.WebhookURL)
			case "ntfy":
				ch.Type, ch.Topic, ch.Secret = notify.TypeNtfy, env(raw.Topic), env(raw.Token)
				if raw.URL != "" && raw.URL != "https://ntfy.sh" {
					ch.URL = env(raw.URL)
				}
			case "email":
				ch.Type, ch.From = notify.TypeEmail, env(raw.From)
				for _, to := range strings.Split(raw.To, ",") {
					if to = strings.TrimSpace(to); to != "" {
						ch.To = append(ch.To, env(to))
					}
				}
				ch.SMTP = &importer.SMTP{Host: env(raw.Host), Port: raw.Port, Username: env(raw.Username), Password: env(raw.Password)}
			case "custom":
				ch.Type, ch.URL = notify.TypeWebhook, env(raw.URL)
				m.res.Skip(pos, what+" body and headers", "a Sextant webhook sends its own signed JSON document; the custom body template is not kept")
			default:
				m.res.Skip(pos, what, "Sextant has no %s channel (it has email, slack, teams, webhook and ntfy)", k.Value)
				continue
			}
			ch.Name = m.chNames.Name(ch.Name, "channel")
			m.channels[k.Value] = ch.Name
			m.res.Config.Channels = append(m.res.Config.Channels, ch)
			m.res.Map(pos, what, "channel %s (%s)", ch.Name, ch.Type)
		}
	}
}

type endpoint struct {
	Enabled    *bool             `yaml:"enabled"`
	Name       string            `yaml:"name"`
	Group      string            `yaml:"group"`
	URL        string            `yaml:"url"`
	Method     string            `yaml:"method"`
	Body       string            `yaml:"body"`
	Headers    map[string]string `yaml:"headers"`
	Interval   string            `yaml:"interval"`
	Conditions []string          `yaml:"conditions"`
	Alerts     []alert           `yaml:"alerts"`
	DNS        *struct {
		QueryType string `yaml:"query-type"`
		QueryName string `yaml:"query-name"`
	} `yaml:"dns"`
	Client *struct {
		Timeout        string `yaml:"timeout"`
		Insecure       bool   `yaml:"insecure"`
		IgnoreRedirect bool   `yaml:"ignore-redirect"`
	} `yaml:"client"`
	MaintenanceWindows []window `yaml:"maintenance-windows"`
	Heartbeat          *struct {
		Interval string `yaml:"interval"`
	} `yaml:"heartbeat"`
	Token string `yaml:"token"`
}

// endpointKeys are the keys an endpoint's mapping may hold that are read.
var endpointKeys = []string{"enabled", "name", "group", "url", "method", "body", "headers", "interval", "conditions", "alerts", "dns", "client", "maintenance-windows"}

var externalKeys = []string{"enabled", "name", "group", "token", "heartbeat", "alerts"}

func (m *mapper) endpoints(file string, seq *yaml.Node, external bool) {
	if seq.Kind != yaml.SequenceNode {
		m.res.Skip(importer.Pos(file, seq), "endpoints", "expected a list")
		return
	}
	for _, n := range seq.Content {
		pos := importer.Pos(file, n)
		var e endpoint
		if err := n.Decode(&e); err != nil {
			m.res.Skip(pos, "endpoint", "cannot read it: %v", err)
			continue
		}
		what := fmt.Sprintf("endpoint %q", e.Name)
		if external {
			what = fmt.Sprintf("external endpoint %q", e.Name)
		}
		keys := endpointKeys
		if external {
			keys = externalKeys
		}
		for _, kv := range importer.Keys(n) {
			if !slices.Contains(keys, kv[0].Value) {
				m.res.Skip(importer.Pos(file, kv[0]), what+" "+kv[0].Value, "no Sextant equivalent")
			}
		}
		if e.Name == "" {
			m.res.Skip(pos, what, "has no name")
			continue
		}
		if e.Enabled != nil && !*e.Enabled {
			m.res.Skip(pos, what, "is disabled in Gatus; not imported")
			continue
		}
		// The service is made once the endpoint turns out to be a check
		// Sextant can run, so an unmapped endpoint leaves no empty service.
		c := monitor.Check{Name: m.chkNames.Name(e.Name, "check"), Service: "pending"}
		if external {
			c.Type = monitor.TypeHeartbeat
			c.Period = "1h"
			if e.Heartbeat != nil && e.Heartbeat.Interval != "" {
				c.Period = e.Heartbeat.Interval
			} else {
				m.res.Skip(pos, what+" heartbeat.interval", "not set (Gatus then never marks it late); imported with period 1h — set the period the job really runs at")
			}
			if e.Token != "" {
				m.res.Skip(pos, what+" token", "Sextant gives each heartbeat its own ping URL (shown on the check's page); point the job at it")
			}
		} else if !m.target(&c, e, file, n, what) {
			continue
		}
		m.alerts(&c, e.Alerts, file, n, what)
		if !external {
			m.conditions(&c, e, file, n, what)
		}
		if fields := compileErrors(c); len(fields) > 0 {
			msgs := make([]string, len(fields))
			for i, f := range fields {
				msgs[i] = f.Path + ": " + f.Msg
			}
			m.res.Skip(pos, what, "%s", strings.Join(msgs, "; "))
			continue
		}
		svc := m.service(e.Group, e.Name, pos)
		c.Service = svc
		m.windows(svc, e.MaintenanceWindows, file, n, what)
		m.res.Config.Checks = append(m.res.Config.Checks, c)
		m.res.Map(pos, what, "check %s (%s) on service %s", c.Name, c.Type, svc)
	}
}

// compileErrors validates a check as the server would (services are
// checked when the whole file is).
func compileErrors(c monitor.Check) []apperr.Field {
	_, fields := monitor.Compile(c, nil)
	return fields
}

// service returns the service for a Gatus group (or, without one, the
// endpoint itself), creating it on first use.
func (m *mapper) service(group, endpoint, pos string) string {
	key := "group:" + group
	title := group
	if group == "" {
		key, title = "endpoint:"+endpoint, endpoint
	}
	if i, ok := m.services[key]; ok {
		return m.res.Config.Services[i].Name
	}
	name := m.svcNames.Name(title, "service")
	m.services[key] = len(m.res.Config.Services)
	m.byName[name] = len(m.res.Config.Services)
	m.res.Config.Services = append(m.res.Config.Services, catalog.Service{Name: name, Title: title})
	what := fmt.Sprintf("group %q", group)
	if group == "" {
		what = fmt.Sprintf("endpoint %q (no group)", endpoint)
	}
	m.res.Map(pos, what, "service %s (no objective yet: Gatus has none; declare one)", name)
	return name
}

// target sets the check's type and target from the endpoint's URL scheme
// or its dns block.
func (m *mapper) target(c *monitor.Check, e endpoint, file string, n *yaml.Node, what string) bool {
	_, un := importer.Key(n, "url")
	pos := importer.Pos(file, un)
	if e.DNS != nil {
		c.Type, c.Host, c.Record = monitor.TypeDNS, env(e.DNS.QueryName), strings.ToUpper(e.DNS.QueryType)
		if e.URL != "" {
			c.Resolver = env(e.URL)
		}
		m.common(c, e)
		return true
	}
	u, err := url.Parse(e.URL)
	if err != nil || u.Scheme == "" {
		m.res.Skip(pos, what, "url %q has no scheme Sextant can tell the check type from", e.URL)
		return false
	}
	hostPort := func(defPort int) bool {
		host, port, err := net.SplitHostPort(u.Host)
		if err != nil {
			host, port = u.Host, ""
		}
		c.Host = host
		if port != "" {
			p, err := strconv.Atoi(port)
			if err != nil {
				m.res.Skip(pos, what, "port %q is not a number", port)
				return false
			}
			c.Port = p
		} else {
			c.Port = defPort
		}
		return true
	}
	switch u.Scheme {
	case "http", "https":
		c.Type, c.URL, c.Method, c.Body = monitor.TypeHTTP, env(e.URL), strings.ToUpper(e.Method), env(e.Body)
		if c.Method == "GET" {
			c.Method = ""
		}
		for k, v := range e.Headers {
			if c.Headers == nil {
				c.Headers = map[string]string{}
			}
			c.Headers[k] = env(v)
		}
	case "tcp":
		c.Type = monitor.TypeTCP
		if !hostPort(0) {
			return false
		}
	case "tls":
		c.Type = monitor.TypeTLS
		if !hostPort(0) {
			return false
		}
		if c.Port == 443 {
			c.Port = 0
		}
	case "icmp":
		c.Type, c.Host = monitor.TypeICMP, u.Host
	default:
		m.res.Skip(pos, what, "Sextant has no %s:// check (it has http(s), tcp, tls, icmp and dns)", u.Scheme)
		return false
	}
	m.common(c, e)
	return true
}

func (m *mapper) common(c *monitor.Check, e endpoint) {
	c.Interval = e.Interval
	if c.Interval == "" {
		c.Interval = defaultInterval
	}
	if e.Client != nil {
		c.Timeout = e.Client.Timeout
		c.InsecureSkipVerify = e.Client.Insecure
		if e.Client.IgnoreRedirect {
			no := false
			c.FollowRedirects = &no
		}
	}
	// Gatus allows a timeout longer than the interval; Sextant does not
	// let checks overlap.
	if c.Timeout != "" {
		t, err1 := duration.Parse(c.Timeout)
		i, err2 := duration.Parse(c.Interval)
		if err1 == nil && err2 == nil && t > i {
			c.Timeout = c.Interval
		}
	}
}

// conditions keeps each condition Sextant can evaluate for the check's
// type and lists the rest.
func (m *mapper) conditions(c *monitor.Check, e endpoint, file string, n *yaml.Node, what string) {
	_, seq := importer.Key(n, "conditions")
	for i, text := range e.Conditions {
		pos := importer.Pos(file, seq)
		if seq != nil && i < len(seq.Content) {
			pos = importer.Pos(file, seq.Content[i])
		}
		text = strings.TrimSpace(text)
		if c.Type == monitor.TypeDNS && strings.HasPrefix(text, "[BODY]") {
			// Gatus's DNS [BODY] is the answer; Sextant calls it [IP].
			text = "[IP]" + strings.TrimPrefix(text, "[BODY]")
		}
		if _, err := condition.Parse(text); err != nil {
			m.res.Skip(pos, what+" condition "+strconv.Quote(text), "%v", err)
			continue
		}
		trial := *c
		trial.Conditions = []monitor.ConditionSpec{{Condition: text}}
		if fields := compileErrors(trial); hasField(fields, "conditions[0]") {
			m.res.Skip(pos, what+" condition "+strconv.Quote(text), "%s", fieldMessage(fields, "conditions[0]"))
			continue
		}
		c.Conditions = append(c.Conditions, monitor.ConditionSpec{Condition: text})
	}
}

func hasField(fields []apperr.Field, name string) bool {
	return fieldMessage(fields, name) != ""
}

func fieldMessage(fields []apperr.Field, name string) string {
	for _, f := range fields {
		if f.Path == name {
			return f.Msg
		}
	}
	return ""
}

// alerts maps an endpoint's alerts to an escalation policy notifying the
// matching channels, and its thresholds to fail_after/recover_after.
func (m *mapper) alerts(c *monitor.Check, alerts []alert, file string, n *yaml.Node, what string) {
	_, seq := importer.Key(n, "alerts")
	var targets []string
	for i, a := range alerts {
		pos := importer.Pos(file, seq)
		if seq != nil && i < len(seq.Content) {
			pos = importer.Pos(file, seq.Content[i])
		}
		if d, ok := m.defaults[a.Type]; ok {
			if a.FailureThreshold == 0 {
				a.FailureThreshold = d.FailureThreshold
			}
			if a.SuccessThreshold == 0 {
				a.SuccessThreshold = d.SuccessThreshold
			}
			if a.Enabled == nil {
				a.Enabled = d.Enabled
			}
		}
		if a.Enabled != nil && !*a.Enabled {
			m.res.Skip(pos, what+" alert "+a.Type, "is disabled")
			continue
		}
		ch, ok := m.channels[a.Type]
		if !ok {
			m.res.Skip(pos, what+" alert "+a.Type, "no channel for provider %q (see alerting.%s)", a.Type, a.Type)
			continue
		}
		if a.FailureThreshold == 0 {
			a.FailureThreshold = defaultFailureThreshold
		}
		if a.SuccessThreshold == 0 {
			a.SuccessThreshold = defaultSuccessThreshold
		}
		// The first alert to fire decides when the check is down.
		if c.FailAfter == 0 || a.FailureThreshold < c.FailAfter {
			c.FailAfter = a.FailureThreshold
		}
		if c.RecoverAfter == 0 || a.SuccessThreshold < c.RecoverAfter {
			c.RecoverAfter = a.SuccessThreshold
		}
		if !slices.Contains(targets, "channel:"+ch) {
			targets = append(targets, "channel:"+ch)
		}
	}
	if len(targets) == 0 {
		return
	}
	names := make([]string, len(targets))
	for i, t := range targets {
		names[i] = strings.TrimPrefix(t, "channel:")
	}
	policy := "notify-" + strings.Join(names, "-")
	if !m.policies[policy] {
		m.policies[policy] = true
		m.res.Config.EscalationPolicies = append(m.res.Config.EscalationPolicies, importer.Policy{Name: policy, Levels: []importer.Level{{Delay: "0m", Notify: targets}}})
	}
	c.Escalation = policy
}

type window struct {
	Enabled  *bool    `yaml:"enabled"`
	Start    string   `yaml:"start"`
	Duration string   `yaml:"duration"`
	Timezone string   `yaml:"timezone"`
	Every    []string `yaml:"every"`
}

var hhmm = regexp.MustCompile(`^([01]?[0-9]|2[0-3]):([0-5][0-9])$`)

// rrule turns a Gatus maintenance window into a recurring Sextant one.
func (w window) rrule() (catalog.MaintenanceWindow, error) {
	mm := hhmm.FindStringSubmatch(w.Start)
	if mm == nil {
		return catalog.MaintenanceWindow{}, fmt.Errorf("start %q is not HH:MM", w.Start)
	}
	if _, err := duration.Parse(w.Duration); err != nil {
		return catalog.MaintenanceWindow{}, fmt.Errorf("duration: %v", err)
	}
	h, _ := strconv.Atoi(mm[1])
	mi, _ := strconv.Atoi(mm[2])
	rule := fmt.Sprintf("FREQ=DAILY;BYHOUR=%d;BYMINUTE=%d", h, mi)
	if len(w.Every) > 0 {
		var days []string
		for _, d := range w.Every {
			code, ok := weekdays[strings.ToLower(d)]
			if !ok {
				return catalog.MaintenanceWindow{}, fmt.Errorf("every: %q is not a weekday", d)
			}
			days = append(days, code)
		}
		rule = fmt.Sprintf("FREQ=WEEKLY;BYDAY=%s;BYHOUR=%d;BYMINUTE=%d", strings.Join(days, ","), h, mi)
	}
	tz := w.Timezone
	if tz == "" {
		tz = "UTC"
	}
	return catalog.MaintenanceWindow{Title: "Imported from Gatus", RRule: rule, Duration: w.Duration, Timezone: tz}, nil
}

var weekdays = map[string]string{"monday": "MO", "tuesday": "TU", "wednesday": "WE", "thursday": "TH", "friday": "FR", "saturday": "SA", "sunday": "SU"}

func (m *mapper) windows(svc string, ws []window, file string, n *yaml.Node, what string) {
	_, seq := importer.Key(n, "maintenance-windows")
	for i, w := range ws {
		pos := importer.Pos(file, seq)
		if seq != nil && i < len(seq.Content) {
			pos = importer.Pos(file, seq.Content[i])
		}
		if w.Enabled != nil && !*w.Enabled {
			continue
		}
		mw, err := w.rrule()
		if err != nil {
			m.res.Skip(pos, what+" maintenance window", "%v", err)
			continue
		}
		s := &m.res.Config.Services[m.byName[svc]]
		s.Maintenance = append(s.Maintenance, mw)
		m.res.Map(pos, what+" maintenance window", "maintenance %s for %s on service %s", mw.RRule, mw.Duration, svc)
	}
}

func (m *mapper) globalMaintenance(file string, n *yaml.Node) {
	var w window
	if err := n.Decode(&w); err != nil {
		m.res.Skip(importer.Pos(file, n), "maintenance", "cannot read it: %v", err)
		return
	}
	if w.Enabled != nil && !*w.Enabled {
		return
	}
	mw, err := w.rrule()
	if err != nil {
		m.res.Skip(importer.Pos(file, n), "maintenance", "%v", err)
		return
	}
	m.global = append(m.global, mw)
	m.res.Map(importer.Pos(file, n), "maintenance", "maintenance %s for %s on every service", mw.RRule, mw.Duration)
}

func (m *mapper) finish() {
	for i := range m.res.Config.Services {
		m.res.Config.Services[i].Maintenance = append(m.res.Config.Services[i].Maintenance, m.global...)
	}
}

var bareVar = regexp.MustCompile(`\$([A-Za-z_][A-Za-z0-9_]*)`)

// env keeps environment references as references: Gatus expands both $VAR
// and ${VAR}; Sextant's config spells them ${VAR}.
func env(s string) string {
	return bareVar.ReplaceAllString(s, "$${$1}")
}
