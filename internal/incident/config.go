// Package incident turns alerts into incidents: events pushed by other
// tools (PagerDuty Events v2, Alertmanager webhooks) and failing checks are
// committed durably, de-duplicated by service and dedup key, and walk
// triggered → acknowledged → resolved. Each incident keeps a timeline, may
// mark its service down or degraded, and enqueues its notifications in the
// same transaction that decides them.
package incident

import (
	"fmt"
	"strings"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/duration"
	"github.com/sextant-ops/sextant/internal/secret"
)

// The integration kinds.
const (
	KindEvents       = "events"
	KindAlertmanager = "alertmanager"
)

// Integration is a source of alerts: its key authenticates the sender (the
// PagerDuty routing key, or the bearer token Alertmanager sends) and it
// names the service and the escalation policy of what it raises.
type Integration struct {
	Name string        `yaml:"name"`
	Kind string        `yaml:"kind"`
	Key  secret.Secret `yaml:"key"`
	// Service receives the incidents; ServiceLabel (Alertmanager) takes the
	// service from an alert label instead, falling back to Service.
	Service      string `yaml:"service"`
	ServiceLabel string `yaml:"service_label"`
	Escalation   string `yaml:"escalation"`
	// Severities maps an alert severity to what it does to the service:
	// down, degraded or none. Default: critical and error → down,
	// warning → degraded, info → none.
	Severities map[string]string `yaml:"severities"`
	// RateLimit caps accepted events, e.g. "100/s" or "6000/m"; empty for
	// no limit.
	RateLimit string `yaml:"rate_limit"`
	// AutoResolve resolves incidents when their source resolves them
	// (default true); off, a person must resolve them.
	AutoResolve *bool `yaml:"auto_resolve"`
	// IncidentPer (Alertmanager) is "group" (the default): one incident
	// per Alertmanager group and service, listing its alerts; or "alert":
	// one incident per alert.
	IncidentPer string `yaml:"incident_per"`
}

// EscalationPolicy says who is notified, and when.
type EscalationPolicy struct {
	Name string `yaml:"name" json:"name"`
	// Repeat is how many more times the whole policy runs when nobody
	// acknowledges; RepeatDelay is the wait before each repeat (default 15m).
	Repeat      int     `yaml:"repeat" json:"repeat"`
	RepeatDelay string  `yaml:"repeat_delay" json:"repeat_delay,omitempty"`
	Levels      []Level `yaml:"levels" json:"levels"`
}

// Level is one step of a policy: after Delay, notify the targets.
type Level struct {
	Delay  string   `yaml:"delay" json:"delay"`
	Notify []string `yaml:"notify" json:"notify"`
}

// The severities of the PagerDuty Events API.
var Severities = []string{"critical", "error", "warning", "info"}

// DefaultSeverityStates is what each severity does to the service.
var DefaultSeverityStates = map[string]string{"critical": "down", "error": "down", "warning": "degraded", "info": "none"}

// Rate is a parsed rate limit (the spelling channels share).
type Rate = duration.Rate

// ParseRate reads "100/s", "6000/m", "50/10s".
func ParseRate(s string) (Rate, error) { return duration.ParseRate(s) }

// Setup is the incident configuration: integrations, policies and the
// channel names they may use.
type Setup struct {
	Integrations []Integration
	Policies     []EscalationPolicy
}

// Targets are the names a policy level may notify.
type Targets struct {
	Channels, Users, Schedules map[string]bool
}

// Validate checks integrations and policies against the known services and
// targets; paths are as the config file spells them.
func (s Setup) Validate(services map[string]bool, targets Targets) []apperr.Field {
	var inv apperr.Invalid
	policies := map[string]bool{}
	for i, p := range s.Policies {
		at := fmt.Sprintf("escalation_policies[%d]", i)
		switch {
		case !catalog.ValidName(p.Name):
			inv.Add(at+".name", "%q must be lower-case letters, digits, '-' or '_'", p.Name)
		case policies[p.Name]:
			inv.Add(at+".name", "policy %q is declared twice", p.Name)
		}
		policies[p.Name] = true
		if p.Repeat < 0 || p.Repeat > 100 {
			inv.Add(at+".repeat", "must be between 0 and 100")
		}
		if p.RepeatDelay != "" {
			if d, err := duration.Parse(p.RepeatDelay); err != nil || d <= 0 {
				inv.Add(at+".repeat_delay", "expected a duration such as 15m")
			}
		}
		if len(p.Levels) == 0 {
			inv.Add(at+".levels", "needs at least one level")
		}
		for j, l := range p.Levels {
			lp := fmt.Sprintf("%s.levels[%d]", at, j)
			if l.Delay != "" {
				if _, err := duration.Parse(l.Delay); err != nil {
					inv.Add(lp+".delay", "%v", err)
				}
			}
			if len(l.Notify) == 0 {
				inv.Add(lp+".notify", "needs at least one target, e.g. channel:ops-hook")
			}
			for k, t := range l.Notify {
				kind, name, _ := strings.Cut(t, ":")
				tp := fmt.Sprintf("%s.notify[%d]", lp, k)
				switch kind {
				case "channel":
					if !targets.Channels[name] {
						inv.Add(tp, "unknown channel %q", name)
					}
				case "user":
					if !targets.Users[name] {
						inv.Add(tp, "unknown user %q", name)
					}
				case "schedule":
					if !targets.Schedules[name] {
						inv.Add(tp, "unknown schedule %q", name)
					}
				default:
					inv.Add(tp, "unknown target %q (use channel:NAME, user:NAME or schedule:NAME)", t)
				}
			}
		}
	}
	names := map[string]bool{}
	keys := map[string]string{}
	for i, in := range s.Integrations {
		at := fmt.Sprintf("integrations[%d]", i)
		switch {
		case !catalog.ValidName(in.Name):
			inv.Add(at+".name", "%q must be lower-case letters, digits, '-' or '_'", in.Name)
		case names[in.Name]:
			inv.Add(at+".name", "integration %q is declared twice", in.Name)
		}
		names[in.Name] = true
		switch in.Kind {
		case KindEvents, KindAlertmanager:
		default:
			inv.Add(at+".kind", "must be %q or %q, not %q", KindEvents, KindAlertmanager, in.Kind)
		}
		switch {
		case in.Key.IsZero():
			inv.Add(at+".key", "is required: the routing key (events) or bearer token (alertmanager) senders must present; use ${ENV} to keep it out of the file")
		case len(in.Key.Reveal()) < 16:
			inv.Add(at+".key", "must be at least 16 characters")
		default:
			if other, dup := keys[in.Key.Reveal()]; dup {
				inv.Add(at+".key", "is the same key as integration %q", other)
			}
			keys[in.Key.Reveal()] = in.Name
		}
		switch {
		case in.Service == "" && in.ServiceLabel == "":
			inv.Add(at+".service", "is required (or, for alertmanager, service_label)")
		case in.Service != "" && !services[in.Service]:
			inv.Add(at+".service", "unknown service %q", in.Service)
		}
		if in.ServiceLabel != "" && in.Kind != KindAlertmanager {
			inv.Add(at+".service_label", "applies only to alertmanager integrations")
		}
		if in.Escalation != "" && !policies[in.Escalation] {
			inv.Add(at+".escalation", "unknown escalation policy %q", in.Escalation)
		}
		for sev, st := range in.Severities {
			if !contains(Severities, sev) {
				inv.Add(at+".severities", "unknown severity %q (critical, error, warning, info)", sev)
			}
			if st != "down" && st != "degraded" && st != "none" {
				inv.Add(at+".severities", "%s: must be down, degraded or none, not %q", sev, st)
			}
		}
		switch {
		case in.IncidentPer == "" || in.IncidentPer == PerGroup || in.IncidentPer == PerAlert:
			if in.IncidentPer != "" && in.Kind != KindAlertmanager {
				inv.Add(at+".incident_per", "applies only to alertmanager integrations")
			}
		default:
			inv.Add(at+".incident_per", "must be %q or %q, not %q", PerGroup, PerAlert, in.IncidentPer)
		}
		if in.RateLimit != "" {
			if _, err := ParseRate(in.RateLimit); err != nil {
				inv.Add(at+".rate_limit", "%v", err)
			}
		}
	}
	return inv.Fields
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// severityState is what an incident of severity sev does to its service.
func (in *Integration) severityState(sev string) string {
	if st, ok := in.Severities[sev]; ok {
		return st
	}
	return DefaultSeverityStates[sev]
}

func (in *Integration) autoResolve() bool { return in.AutoResolve == nil || *in.AutoResolve }

// PerAlertIncidents says whether the integration opens one incident per
// alert rather than per group.
func (in *Integration) PerAlertIncidents() bool { return in.IncidentPer == PerAlert }
