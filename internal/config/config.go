// Package config reads Sextant's config file: the services, calendars and
// objectives an organisation declares as code. It decodes strictly (an
// unknown key is an error), expands ${ENV} references, validates with the
// same rules as the API, and reports every problem with line and column.
package config

import (
	"errors"
	"fmt"
	"github.com/sextant-ops/sextant/internal/desk/mailin"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/capacity"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/change"
	"github.com/sextant-ops/sextant/internal/cmdb"
	"github.com/sextant-ops/sextant/internal/config/yamlpos"
	"github.com/sextant-ops/sextant/internal/desk"
	"github.com/sextant-ops/sextant/internal/duration"
	"github.com/sextant-ops/sextant/internal/escalation"
	"github.com/sextant-ops/sextant/internal/feedback"
	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/kpi"
	"github.com/sextant-ops/sextant/internal/monitor"
	"github.com/sextant-ops/sextant/internal/notify"
	"github.com/sextant-ops/sextant/internal/oncall"
	"github.com/sextant-ops/sextant/internal/portal"
	"github.com/sextant-ops/sextant/internal/recovery"
	"github.com/sextant-ops/sextant/internal/sso"
	"github.com/sextant-ops/sextant/internal/status"
)

// File is the config file's shape. Each top-level key is one area of
// Sextant; areas arrive with the features that use them.
type File struct {
	Calendars map[string]catalog.CalendarSpec `yaml:"calendars"`
	Services  []catalog.Service               `yaml:"services"`
	Checks    []monitor.Check                 `yaml:"checks"`
	// Incidents and notifications.
	Integrations       []incident.Integration      `yaml:"integrations"`
	Channels           []notify.Config             `yaml:"channels"`
	EscalationPolicies []incident.EscalationPolicy `yaml:"escalation_policies"`
	// On-call: the people paged, their rotations, and how their e-mail and
	// ntfy notifications are sent.
	Users     []escalation.Person `yaml:"users"`
	Schedules []oncall.Schedule   `yaml:"schedules"`
	Mail      *escalation.Mail    `yaml:"mail"`
	NtfyURL   string              `yaml:"ntfy_url"`
	// StatusPages are the public status pages; a service on none of them
	// is private.
	StatusPages []status.Page `yaml:"status_pages"`
	// Outbound limits the addresses outgoing calls may reach.
	Outbound Outbound `yaml:"outbound"`
	// OIDC turns on single sign-on through an OpenID Connect provider.
	OIDC *sso.Config `yaml:"oidc"`
	// Auth says how people sign in (the roles that need a second factor).
	Auth Auth `yaml:"auth"`
	// Currency is the ISO 4217 code of every amount of money (downtime
	// cost, budgets), shown after it; empty shows plain numbers.
	Currency string `yaml:"currency"`
	// Capacity sets the rules of team capacity planning.
	Capacity capacity.Config `yaml:"capacity"`
	// CMDB declares classes of configuration items beyond the built-in
	// ones, and items and relations the file owns.
	CMDB cmdb.Set `yaml:"cmdb"`
	// Recovery holds the services' disaster-recovery plans.
	Recovery Recovery `yaml:"recovery"`
	// Desk is the service desk: priority matrix, queues, SLA policies,
	// and the portal's request catalog and settings.
	Desk DeskSection `yaml:"desk"`
	// Feedback says whether status page visitors may rate services.
	Feedback feedback.Config `yaml:"feedback"`
	// KPI sets the KPIs' targets and the over-delivery margin; Report the
	// monthly report's zone and subscribers.
	KPI    kpi.Config       `yaml:"kpi"`
	Report kpi.ReportConfig `yaml:"report"`
	// Change sets change management's rules: templates, approver
	// groups, freeze periods, the failure window.
	Change change.Config `yaml:"change"`
}

// DeskSection is the `desk:` section: the desk's own settings, and the
// request catalog and portal settings, which package portal validates.
type DeskSection struct {
	desk.Config `yaml:",inline"`
	Catalog     []portal.Item   `yaml:"catalog"`
	Portal      portal.Settings `yaml:"portal"`
}

// Recovery is the `recovery:` section of the config file.
type Recovery struct {
	Plans []recovery.Plan `yaml:"plans"`
}

// Config is a validated config file.
type Config struct {
	// Path is where the file was read from ("" for the embedded demo).
	Path      string
	Catalog   catalog.Catalog
	Checks    []monitor.Check
	Incident  incident.Setup
	Channels  []notify.Config
	Users     []escalation.Person
	Schedules []oncall.Schedule
	Mail      *escalation.Mail
	NtfyURL   string
	// StatusPages are the public status pages, first one at /status.
	StatusPages []status.Page
	// Outbound is the outbound policy of checks and of channels.
	Outbound Policies
	// OIDC is the single sign-on provider; nil when sign-in is local only.
	OIDC *sso.Config
	// RequireSecondFactor are the roles whose users must use two-factor
	// sign-in.
	RequireSecondFactor []auth.Role
	// Currency is the ISO 4217 code amounts are shown in, "" for none.
	Currency string
	// Capacity holds the capacity planner's rules.
	Capacity capacity.Config
	// CMDB is the file's classes, items and relations.
	CMDB cmdb.Set
	// Plans are the disaster-recovery plans the file declares.
	Plans []recovery.Plan
	// Desk is the validated service desk section.
	Desk *desk.Compiled
	// DeskMail are the desk's incoming mail settings.
	DeskMail mailin.Config
	// Feedback is the feedback section (public ratings on status pages).
	Feedback feedback.Config
	// KPI and Report are the KPI targets and the monthly report's
	// settings.
	KPI    kpi.Config
	Report kpi.ReportConfig
	// Change is the validated change management section.
	Change change.Rules
	// Portal is the validated request catalog and portal settings.
	Portal *portal.Compiled
}

// Problems is every mistake found in a file, each with line and column. It
// is an error; errors.As recovers the list.
type Problems struct {
	Path   string
	Errors yamlpos.Errors
}

// Error prints one problem per line as "FILE:LINE:COL: path: message", the
// form editors and CI logs recognise.
func (p *Problems) Error() string {
	var b []byte
	for i, e := range p.Errors {
		if i > 0 {
			b = append(b, '\n')
		}
		if p.Path != "" {
			b = append(b, p.Path...)
			b = append(b, ':')
		}
		b = append(b, e.Error()...)
	}
	return string(b)
}

// Load reads and validates the file at path, expanding ${ENV} from the
// process environment.
func Load(path string) (*Config, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	cfg, err := Parse(src, os.LookupEnv)
	if err != nil {
		var p *Problems
		if errors.As(err, &p) {
			p.Path = path
		}
		return nil, err
	}
	cfg.Path = path
	return cfg, nil
}

// Parse decodes and validates a config document. getenv resolves ${NAME}
// references; nil turns expansion off.
func Parse(src []byte, getenv func(string) (string, bool)) (*Config, error) {
	var f File
	pos, err := yamlpos.Decode(src, &f, yamlpos.Options{Getenv: getenv})
	var problems yamlpos.Errors
	if err != nil {
		if !errors.As(err, &problems) {
			return nil, fmt.Errorf("config: %w", err)
		}
	}
	cat := f.catalog()
	// Validation runs even when decoding found problems, so that one run of
	// `sextant check` lists them all; a field that failed to decode holds
	// its zero value and may be reported twice, which says the same thing.
	fields := catalog.Validate(cat)
	// Checks in the file watch services the file declares.
	services := map[string]bool{}
	for _, svc := range cat.Services {
		services[svc.Name] = true
	}
	names := map[string]int{}
	for i, c := range f.Checks {
		p := fmt.Sprintf("checks[%d]", i)
		if _, problems := monitor.Compile(c, services); len(problems) > 0 {
			fields = append(fields, apperr.Prefixed(p, problems)...)
		}
		if j, dup := names[c.Name]; dup && c.Name != "" {
			fields = append(fields, apperr.Field{Path: p + ".name", Msg: fmt.Sprintf("check %q is already declared at checks[%d]", c.Name, j)})
		} else {
			names[c.Name] = i
		}
	}
	channels := map[string]bool{}
	for i, ch := range f.Channels {
		p := fmt.Sprintf("channels[%d]", i)
		fields = append(fields, apperr.Prefixed(p, ch.Validate())...)
		if channels[ch.Name] {
			fields = append(fields, apperr.Field{Path: p + ".name", Msg: fmt.Sprintf("channel %q is declared twice", ch.Name)})
		}
		channels[ch.Name] = true
	}
	users, userProblems := escalation.ValidatePeople(f.Users, f.Mail, f.NtfyURL)
	fields = append(fields, userProblems...)
	schedules, scheduleProblems := oncall.ValidateSchedules(f.Schedules, users)
	fields = append(fields, scheduleProblems...)
	setup := incident.Setup{Integrations: f.Integrations, Policies: f.EscalationPolicies}
	fields = append(fields, setup.Validate(services, incident.Targets{Channels: channels, Users: users, Schedules: schedules})...)
	policies := map[string]bool{}
	for _, p := range f.EscalationPolicies {
		policies[p.Name] = true
	}
	for i, c := range f.Checks {
		if c.Escalation != "" && !policies[c.Escalation] {
			fields = append(fields, apperr.Field{Path: fmt.Sprintf("checks[%d].escalation", i), Msg: fmt.Sprintf("unknown escalation policy %q", c.Escalation)})
		}
	}
	// Status pages list services the file declares.
	fields = append(fields, status.ValidatePages(f.StatusPages, services)...)
	outbound, outboundProblems := f.Outbound.Compile()
	fields = append(fields, outboundProblems...)
	if f.OIDC != nil {
		fields = append(fields, apperr.Prefixed("oidc", f.OIDC.Validate())...)
	}
	required, authProblems := f.Auth.Compile()
	fields = append(fields, authProblems...)
	fields = append(fields, apperr.Prefixed("cmdb", cmdb.Validate(f.CMDB))...)
	calendars := map[string]bool{}
	for name := range f.Calendars {
		calendars[name] = true
	}
	deskCfg, deskProblems := f.Desk.Compile(desk.Refs{Services: services, Calendars: calendars, Escalations: policies})
	fields = append(fields, deskProblems...)
	fields = append(fields, apperr.Prefixed("desk.mail", f.Desk.Mail.Validate())...)
	portalCfg, portalProblems := portal.Compile(f.Desk.Catalog, f.Desk.Portal, portalRefs(cat, deskCfg, services))
	fields = append(fields, portalProblems...)
	if msg := validCurrency(f.Currency); msg != "" {
		fields = append(fields, apperr.Field{Path: "currency", Msg: msg})
	}
	fields = append(fields, f.Capacity.Validate(calendars)...)
	fields = append(fields, f.Feedback.Validate()...)
	fields = append(fields, f.KPI.Validate()...)
	fields = append(fields, f.Report.Validate()...)
	fields = append(fields, validatePlans(f.Recovery.Plans, cat, f.Checks)...)
	changeRules, changeProblems := f.Change.Compile()
	fields = append(fields, changeProblems...)
	for _, fe := range fields {
		e := pos.At(fe.Path, fe.Msg)
		if !slices.ContainsFunc(problems, func(x yamlpos.Error) bool { return x.Line == e.Line && x.Column == e.Column }) {
			problems = append(problems, e)
		}
	}
	if len(problems) > 0 {
		sort.SliceStable(problems, func(i, j int) bool {
			if problems[i].Line != problems[j].Line {
				return problems[i].Line < problems[j].Line
			}
			return problems[i].Column < problems[j].Column
		})
		return nil, &Problems{Errors: problems}
	}
	return &Config{Catalog: cat, Checks: f.Checks, Incident: setup, Channels: f.Channels,
		Users: f.Users, Schedules: f.Schedules, Mail: f.Mail, NtfyURL: f.NtfyURL, StatusPages: f.StatusPages, Outbound: outbound, OIDC: f.OIDC,
		RequireSecondFactor: required, Currency: f.Currency, Capacity: f.Capacity, CMDB: f.CMDB, Plans: f.Recovery.Plans, Desk: deskCfg, DeskMail: f.Desk.Mail, Feedback: f.Feedback,
		KPI: f.KPI, Report: f.Report, Change: changeRules, Portal: portalCfg}, nil
}

// portalRefs are the names a request catalog may use; with a valid desk
// section, also the SLA policy a request on each service gets.
func portalRefs(cat catalog.Catalog, d *desk.Compiled, services map[string]bool) portal.Refs {
	refs := portal.Refs{Services: services, Queues: map[string]bool{}, Policies: map[string]bool{}}
	if d == nil {
		return refs
	}
	for _, q := range d.Queues {
		refs.Queues[q.Name] = true
	}
	for _, p := range d.Policies {
		refs.Policies[p.Name] = true
	}
	tiers := map[string]int{}
	for _, s := range cat.Services {
		tiers[s.Name] = s.Tier
	}
	refs.PolicyFor = func(service string) string {
		pr := d.Matrix.Priority(desk.TierImpact(tiers[service]), desk.Medium)
		p, _ := d.Policy(desk.TypeRequest, pr, service)
		return p.Name
	}
	return refs
}

// BackupRPOs maps each backup job among checks to its rpo (zero when it
// does not parse: the check's own validation says so).
func BackupRPOs(checks []monitor.Check) map[string]time.Duration {
	out := map[string]time.Duration{}
	for _, c := range checks {
		if c.Kind == monitor.KindBackup {
			out[c.Name], _ = duration.Parse(c.RPO)
		}
	}
	return out
}

// validatePlans judges the file's DR plans against the services and backup
// jobs the file declares.
func validatePlans(plans []recovery.Plan, cat catalog.Catalog, checks []monitor.Check) []apperr.Field {
	facts := recovery.Facts{Services: recovery.ServiceFacts(cat.Services), BackupRPOs: BackupRPOs(checks)}
	var fields []apperr.Field
	names := map[string]int{}
	for i, p := range plans {
		path := fmt.Sprintf("recovery.plans[%d]", i)
		_, problems := recovery.CompilePlan(p, &facts)
		fields = append(fields, apperr.Prefixed(path, problems)...)
		if j, dup := names[p.Name]; dup && p.Name != "" {
			fields = append(fields, apperr.Field{Path: path + ".name", Msg: fmt.Sprintf("plan %q is already declared at recovery.plans[%d]", p.Name, j)})
		} else {
			names[p.Name] = i
		}
	}
	return fields
}

// validCurrency says what is wrong with a currency code, "" when nothing:
// it is three upper-case letters, as ISO 4217 spells codes (EUR, USD).
func validCurrency(c string) string {
	if c == "" {
		return ""
	}
	if len(c) == 3 && strings.Trim(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == "" {
		return ""
	}
	if up := strings.ToUpper(c); len(up) == 3 && strings.Trim(up, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == "" {
		return fmt.Sprintf("expected an ISO 4217 code in capitals, %q, got %q", up, c)
	}
	return fmt.Sprintf("expected a three-letter ISO 4217 currency code such as EUR or USD, got %q", c)
}

// catalog turns the file's calendars map into a list in name order, so that
// problems and writes come out the same on every run.
func (f File) catalog() catalog.Catalog {
	names := make([]string, 0, len(f.Calendars))
	for n := range f.Calendars {
		names = append(names, n)
	}
	sort.Strings(names)
	var cat catalog.Catalog
	for _, n := range names {
		cat.Calendars = append(cat.Calendars, catalog.Calendar{Name: n, CalendarSpec: f.Calendars[n]})
	}
	cat.Services = f.Services
	return cat
}
