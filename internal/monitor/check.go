// Package monitor is Sextant's own eyes: the checks users declare, the
// scheduler that runs them from this server and from remote agents, the
// state machine that turns results into up, degraded or down (after
// fail_after failures, by quorum of locations), heartbeats that external
// jobs must ping, and the results kept raw and then as rollups. Every
// change of a check's state is appended to its service's timeline.
package monitor

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/duration"
	"github.com/sextant-ops/sextant/internal/probe/condition"
	"go.yaml.in/yaml/v3"
)

// The check types.
const (
	TypeHTTP      = "http"
	TypeTCP       = "tcp"
	TypeDNS       = "dns"
	TypeICMP      = "icmp"
	TypeTLS       = "tls"
	TypeHeartbeat = "heartbeat"
)

// LocationLocal is the location of checks run by the server itself.
const LocationLocal = "local"

// Check is a check as the user declares it, in the config file or the API.
// Durations keep the user's spelling; Compile parses them.
type Check struct {
	Name    string `json:"name" yaml:"name"`
	Service string `json:"service" yaml:"service"`
	// CI names the configuration item the check watches: its state is
	// the item's, and reaches every service that depends on the item.
	CI   string `json:"ci,omitempty" yaml:"ci"`
	Type string `json:"type" yaml:"type"`

	// HTTP.
	URL    string `json:"url,omitempty" yaml:"url"`
	Method string `json:"method,omitempty" yaml:"method"`
	// Headers are sent with each request. The values of sensitive ones
	// (SensitiveHeader) are write-only: shown as SetMarker.
	Headers map[string]string `json:"headers,omitempty" yaml:"headers"`
	// BasicAuth sends a user name and a write-only password.
	BasicAuth       *BasicAuth `json:"basic_auth,omitempty" yaml:"basic_auth"`
	Body            string     `json:"body,omitempty" yaml:"body"`
	FollowRedirects *bool      `json:"follow_redirects,omitempty" yaml:"follow_redirects"`
	// InsecureSkipVerify turns TLS certificate verification off (HTTP, TLS).
	InsecureSkipVerify bool `json:"insecure_skip_verify,omitempty" yaml:"insecure_skip_verify"`

	// TCP, TLS, DNS, ICMP.
	Host       string   `json:"host,omitempty" yaml:"host"`
	Port       int      `json:"port,omitempty" yaml:"port"`
	ServerName string   `json:"server_name,omitempty" yaml:"server_name"`
	Record     string   `json:"record,omitempty" yaml:"record"`
	Resolver   string   `json:"resolver,omitempty" yaml:"resolver"`
	Expect     []string `json:"expect,omitempty" yaml:"expect"`

	// Heartbeat.
	Period   string `json:"period,omitempty" yaml:"period"`
	Grace    string `json:"grace,omitempty" yaml:"grace"`
	Cron     string `json:"cron,omitempty" yaml:"cron"`
	Timezone string `json:"timezone,omitempty" yaml:"timezone"`
	// Kind "backup" makes a heartbeat a backup job: its success pings may
	// carry the data point the backup reached, and RPO is how old that
	// data may be before the job is in breach.
	Kind string `json:"kind,omitempty" yaml:"kind"`
	RPO  string `json:"rpo,omitempty" yaml:"rpo"`

	Interval     string          `json:"interval,omitempty" yaml:"interval"`
	Timeout      string          `json:"timeout,omitempty" yaml:"timeout"`
	Conditions   []ConditionSpec `json:"conditions,omitempty" yaml:"conditions"`
	FailAfter    int             `json:"fail_after,omitempty" yaml:"fail_after"`
	RecoverAfter int             `json:"recover_after,omitempty" yaml:"recover_after"`
	Locations    []string        `json:"locations,omitempty" yaml:"locations"`
	Quorum       int             `json:"quorum,omitempty" yaml:"quorum"`
	// Escalation names the policy of the incidents this check opens;
	// empty uses the policy named "default", if there is one.
	Escalation string `json:"escalation,omitempty" yaml:"escalation"`
}

// ConditionSpec is one condition: a string ("[STATUS] == 200"), which
// turns the check down when it fails, or {condition, degraded: true},
// which only degrades it (slow is degraded, broken is down).
type ConditionSpec struct {
	Condition string `json:"condition" yaml:"condition"`
	Degraded  bool   `json:"degraded,omitempty" yaml:"degraded"`
}

// UnmarshalJSON accepts a string or an object.
func (c *ConditionSpec) UnmarshalJSON(b []byte) error {
	if b = bytes.TrimSpace(b); len(b) > 0 && b[0] == '"' {
		c.Degraded = false
		return json.Unmarshal(b, &c.Condition)
	}
	type plain ConditionSpec
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode((*plain)(c))
}

// MarshalJSON writes a down condition as a plain string.
func (c ConditionSpec) MarshalJSON() ([]byte, error) {
	if !c.Degraded {
		return json.Marshal(c.Condition)
	}
	type plain ConditionSpec
	return json.Marshal(plain(c))
}

// UnmarshalYAML accepts a scalar or a mapping {condition, degraded}.
func (c *ConditionSpec) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		c.Condition, c.Degraded = n.Value, false
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("expected a condition string or {condition, degraded}")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i].Value, n.Content[i+1]
		switch k {
		case "condition":
			c.Condition = v.Value
		case "degraded":
			switch v.Value {
			case "true":
				c.Degraded = true
			case "false":
				c.Degraded = false
			default:
				return fmt.Errorf("degraded: expected true or false, got %q", v.Value)
			}
		default:
			return fmt.Errorf("unknown key %q in a condition (use condition and degraded)", k)
		}
	}
	return nil
}

// Compiled is a validated check, ready to schedule.
type Compiled struct {
	Check
	Interval     time.Duration
	Timeout      time.Duration
	Conditions   []CompiledCondition
	FailAfter    int
	RecoverAfter int
	Locations    []string
	Quorum       int
	// Heartbeat.
	Period   time.Duration
	Grace    time.Duration
	Schedule *cronSchedule
	// RPO is a backup job's recovery point objective; zero for any other
	// check.
	RPO time.Duration
}

// KindBackup marks a heartbeat check as a backup job.
const KindBackup = "backup"

// IsBackup says whether c is a backup job.
func (c *Compiled) IsBackup() bool { return c.Kind == KindBackup }

// CompiledCondition is a parsed condition and what its failure means.
type CompiledCondition struct {
	*condition.Condition
	Degraded bool
}

// The bounds on check timing.
const (
	MinInterval      = time.Second
	DefaultInterval  = time.Minute
	DefaultTimeout   = 10 * time.Second
	DefaultFailAfter = 1
	maxConditions    = 50
)

// placeholders says which condition placeholders each type can measure.
var placeholders = map[string][]string{
	TypeHTTP: {"STATUS", "RESPONSE_TIME", "BODY", "CERTIFICATE_EXPIRATION", "CONNECTED", "IP"},
	TypeTCP:  {"RESPONSE_TIME", "CONNECTED", "IP"},
	TypeDNS:  {"RESPONSE_TIME", "CONNECTED", "DNS_RCODE", "IP"},
	TypeICMP: {"RESPONSE_TIME", "CONNECTED", "IP"},
	TypeTLS:  {"RESPONSE_TIME", "CONNECTED", "CERTIFICATE_EXPIRATION", "IP"},
}

// Compile validates one check against the set of known services and
// locations. Problems name fields relative to the check ("url",
// "conditions[1]").
func Compile(c Check, services map[string]bool) (*Compiled, []apperr.Field) {
	var inv apperr.Invalid
	out := &Compiled{Check: c, FailAfter: c.FailAfter, RecoverAfter: c.RecoverAfter, Quorum: c.Quorum}
	switch {
	case c.Name == "":
		inv.Add("name", "is required")
	case !catalog.ValidName(c.Name):
		inv.Add("name", "%q must be lower-case letters, digits, '-' or '_', starting and ending with a letter or digit (at most 64)", c.Name)
	}
	switch {
	case c.Service == "":
		inv.Add("service", "is required: the service this check watches")
	case services != nil && !services[c.Service]:
		inv.Add("service", "unknown service %q", c.Service)
	}
	if c.CI != "" && !catalog.ValidItemName(c.CI) {
		inv.Add("ci", "%q is not an item name", c.CI)
	}
	dur := func(field, val string, def time.Duration) time.Duration {
		if val == "" {
			return def
		}
		d, err := duration.Parse(val)
		if err != nil {
			inv.Add(field, "%v", err)
			return def
		}
		return d
	}
	out.Interval = dur("interval", c.Interval, DefaultInterval)
	if out.Interval < MinInterval {
		inv.Add("interval", "must be at least %s", MinInterval)
	}
	out.Timeout = dur("timeout", c.Timeout, min(DefaultTimeout, out.Interval))
	if out.Timeout <= 0 {
		inv.Add("timeout", "must be longer than zero")
	} else if c.Timeout != "" && out.Timeout > out.Interval && c.Type != TypeHeartbeat {
		inv.Add("timeout", "must not be longer than the interval (%s)", duration.Format(out.Interval))
	}
	if out.FailAfter == 0 {
		out.FailAfter = DefaultFailAfter
	}
	if out.RecoverAfter == 0 {
		out.RecoverAfter = 1
	}
	if out.FailAfter < 1 || out.FailAfter > 100 {
		inv.Add("fail_after", "must be between 1 and 100")
	}
	if out.RecoverAfter < 1 || out.RecoverAfter > 100 {
		inv.Add("recover_after", "must be between 1 and 100")
	}
	out.Locations = slices.Clone(c.Locations)
	if len(out.Locations) == 0 {
		out.Locations = []string{LocationLocal}
	}
	seen := map[string]bool{}
	for i, l := range out.Locations {
		if !catalog.ValidName(l) {
			inv.Add(fmt.Sprintf("locations[%d]", i), "%q must be lower-case letters, digits, '-' or '_'", l)
		}
		if seen[l] {
			inv.Add(fmt.Sprintf("locations[%d]", i), "%q is listed twice", l)
		}
		seen[l] = true
	}
	if out.Quorum == 0 {
		out.Quorum = 1
	}
	if out.Quorum < 1 || out.Quorum > len(out.Locations) {
		inv.Add("quorum", "must be between 1 and the number of locations (%d)", len(out.Locations))
	}

	switch c.Type {
	case TypeHTTP:
		u, err := url.Parse(c.URL)
		switch {
		case c.URL == "":
			inv.Add("url", "is required for an http check")
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			inv.Add("url", "expected an http:// or https:// URL, got %q", c.URL)
		}
		switch strings.ToUpper(c.Method) {
		case "", "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS":
		default:
			inv.Add("method", "unknown HTTP method %q", c.Method)
		}
	case TypeTCP, TypeTLS:
		if c.Host == "" {
			inv.Add("host", "is required for a %s check", c.Type)
		}
		if c.Type == TypeTCP && (c.Port < 1 || c.Port > 65535) {
			inv.Add("port", "must be between 1 and 65535")
		}
		if c.Type == TypeTLS && (c.Port < 0 || c.Port > 65535) {
			inv.Add("port", "must be between 1 and 65535 (default 443)")
		}
	case TypeDNS:
		if c.Host == "" {
			inv.Add("host", "is required for a dns check: the name to look up")
		}
		switch strings.ToUpper(c.Record) {
		case "", "A", "AAAA", "CNAME", "MX", "TXT", "NS", "SRV", "PTR", "SOA":
		default:
			inv.Add("record", "unknown record type %q (A, AAAA, CNAME, MX, TXT, NS, SRV, PTR, SOA)", c.Record)
		}
	case TypeICMP:
		if c.Host == "" {
			inv.Add("host", "is required for an icmp check")
		}
	case TypeHeartbeat:
		compileHeartbeat(c, out, &inv)
	case "":
		inv.Add("type", "is required: http, tcp, dns, icmp, tls or heartbeat")
	default:
		inv.Add("type", "unknown check type %q (http, tcp, dns, icmp, tls or heartbeat)", c.Type)
	}

	compileKind(c, out, &inv)
	compileCredentials(c, &inv)

	if len(c.Conditions) > maxConditions {
		inv.Add("conditions", "at most %d conditions", maxConditions)
	}
	allowed := placeholders[c.Type]
	for i, cs := range c.Conditions {
		p := fmt.Sprintf("conditions[%d]", i)
		if c.Type == TypeHeartbeat {
			inv.Add(p, "a heartbeat check has no conditions: it is up while pinged on time")
			break
		}
		cond, err := condition.Parse(cs.Condition)
		if err != nil {
			inv.Add(p, "%v", err)
			continue
		}
		if allowed != nil && !slices.Contains(allowed, cond.Placeholder()) {
			inv.Add(p, "[%s] is not measured by a %s check (it has %s)", cond.Placeholder(), c.Type, strings.Join(allowed, ", "))
			continue
		}
		out.Conditions = append(out.Conditions, CompiledCondition{Condition: cond, Degraded: cs.Degraded})
	}
	if len(inv.Fields) > 0 {
		return nil, inv.Fields
	}
	return out, nil
}

// defaultConditions are what a check without conditions judges: an HTTP
// check wants a 2xx or 3xx status, every other kind a connection.
func defaultConditions(typ string) []CompiledCondition {
	text := "[CONNECTED] == true"
	if typ == TypeHTTP {
		text = "[STATUS] < 400"
	}
	c, err := condition.Parse(text)
	if err != nil {
		panic("monitor: default condition does not parse: " + err.Error())
	}
	return []CompiledCondition{{Condition: c}}
}
