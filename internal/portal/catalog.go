package portal

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/duration"
)

// The field types of a catalog item's form.
const (
	FieldText        = "text"
	FieldTextarea    = "textarea"
	FieldChoice      = "choice"
	FieldMultiChoice = "multi_choice"
	FieldDate        = "date"
	FieldNumber      = "number"
	FieldUser        = "user"
)

// FieldTypes lists the field types.
var FieldTypes = []string{FieldText, FieldTextarea, FieldChoice, FieldMultiChoice, FieldDate, FieldNumber, FieldUser}

// The longest values a text and a textarea field take when their max says
// nothing shorter.
const (
	MaxText     = 1000
	MaxTextarea = 20000
)

// Item is one entry of the request catalog (`desk.catalog` in the config
// file): what a requester may ask for, on which service, handled in which
// queue under which SLA policy, with a form and optional approval.
type Item struct {
	Name        string `yaml:"name" json:"name"`
	Title       string `yaml:"title" json:"title"`
	Description string `yaml:"description" json:"description,omitempty"`
	Service     string `yaml:"service" json:"service,omitempty"`
	Queue       string `yaml:"queue" json:"queue,omitempty"`
	// SLAPolicy names the desk's SLA policy the request is measured by;
	// it must match requests of this item (type request, its service).
	SLAPolicy string        `yaml:"sla_policy" json:"sla_policy,omitempty"`
	Fields    []Field       `yaml:"fields" json:"fields"`
	Approval  *ApprovalRule `yaml:"approval" json:"approval,omitempty"`
}

// Field is one input of an item's form. Min and max bound a text's length,
// a number's value, a date (YYYY-MM-DD, or "today", "today+14d",
// "today-1d") and how many choices a multi_choice takes. Pattern is a
// regular expression (RE2) a text must match whole.
type Field struct {
	Name     string   `yaml:"name" json:"name"`
	Label    string   `yaml:"label" json:"label"`
	Type     string   `yaml:"type" json:"type"`
	Required bool     `yaml:"required" json:"required,omitempty"`
	Choices  []string `yaml:"choices" json:"choices,omitempty"`
	Min      string   `yaml:"min" json:"min,omitempty"`
	Max      string   `yaml:"max" json:"max,omitempty"`
	Pattern  string   `yaml:"pattern" json:"pattern,omitempty"`
	// Help is shown under the field on the form.
	Help string `yaml:"help" json:"help,omitempty"`
}

// ApprovalRule says who approves a request before it is worked: every account
// whose role allows Role, or the named People (account names); Quorum
// approvals are needed (default 1). A single rejection rejects.
type ApprovalRule struct {
	Role   string   `yaml:"role" json:"role,omitempty"`
	People []string `yaml:"people" json:"people,omitempty"`
	Quorum int      `yaml:"quorum" json:"quorum"`
}

// Settings is `desk.portal`: how long a requester may reopen a resolved
// ticket, and how long the approval links in mail stay valid.
type Settings struct {
	// ReopenWithin is a duration ("7d", the default); "0" never lets a
	// requester reopen.
	ReopenWithin string `yaml:"reopen_within" json:"reopen_within,omitempty"`
	// ApprovalLinks is how long an approval link works ("7d" default).
	ApprovalLinks string `yaml:"approval_links" json:"approval_links,omitempty"`
}

// The defaults of Settings.
const (
	DefaultReopenWithin  = 7 * duration.Day
	DefaultApprovalLinks = 7 * duration.Day
)

// Refs are the names the catalog may refer to. PolicyFor, when set, names
// the SLA policy the desk gives a request on a service (type request, the
// service tier's impact, medium urgency: what a catalog request is), so
// that an item's sla_policy is checked to be the one its requests get.
type Refs struct {
	Services, Queues, Policies map[string]bool
	PolicyFor                  func(service string) string
}

// Compiled is a validated catalog and portal settings.
type Compiled struct {
	Items         []CompiledItem
	ReopenWithin  time.Duration
	ApprovalLinks time.Duration
}

// CompiledItem is an item with its patterns and bounds parsed.
type CompiledItem struct {
	Item
	fields []compiledField
}

type compiledField struct {
	Field
	pattern *regexp.Regexp
	// minN and maxN are a number's bounds or a text's or a
	// multi_choice's length bounds; NaN when unset.
	minN, maxN float64
	// minD and maxD are a date's bounds.
	minD, maxD dateBound
}

// Item returns the named item.
func (c *Compiled) Item(name string) (CompiledItem, bool) {
	i := slices.IndexFunc(c.Items, func(it CompiledItem) bool { return it.Name == name })
	if i < 0 {
		return CompiledItem{}, false
	}
	return c.Items[i], true
}

// dateBound is a fixed date or today plus a number of days.
type dateBound struct {
	set      bool
	relative bool
	date     time.Time
	days     int
}

// at is the bound's date when today is today (a date at midnight UTC).
func (b dateBound) at(today time.Time) time.Time {
	if b.relative {
		return today.AddDate(0, 0, b.days)
	}
	return b.date
}

func (b dateBound) String() string {
	return b.date.Format(time.DateOnly)
}

// parseDateBound reads "2026-01-31", "today", "today+14d" or "today-3d".
func parseDateBound(s string) (dateBound, error) {
	if s == "" {
		return dateBound{}, nil
	}
	if rest, ok := strings.CutPrefix(s, "today"); ok {
		if rest == "" {
			return dateBound{set: true, relative: true}, nil
		}
		sign := 1
		switch rest[0] {
		case '+':
		case '-':
			sign = -1
		default:
			return dateBound{}, fmt.Errorf("%q: write today, today+14d or today-1d", s)
		}
		n, err := strconv.Atoi(strings.TrimSuffix(rest[1:], "d"))
		if err != nil || !strings.HasSuffix(rest, "d") || n > 36600 {
			return dateBound{}, fmt.Errorf("%q: write today, today+14d or today-1d", s)
		}
		return dateBound{set: true, relative: true, days: sign * n}, nil
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return dateBound{}, fmt.Errorf("%q is not a date (YYYY-MM-DD, today, today+14d)", s)
	}
	return dateBound{set: true, date: d}, nil
}

// Compile validates the catalog and settings against the names they refer
// to; every problem is named with its path under "desk".
func Compile(items []Item, s Settings, refs Refs) (*Compiled, []apperr.Field) {
	var inv apperr.Invalid
	out := &Compiled{ReopenWithin: DefaultReopenWithin, ApprovalLinks: DefaultApprovalLinks}
	span := func(path, v string, dst *time.Duration) {
		if v == "" {
			return
		}
		if v == "0" {
			*dst = 0
			return
		}
		d, err := duration.Parse(v)
		if err != nil {
			inv.Add(path, "%v", err)
			return
		}
		*dst = d
	}
	span("desk.portal.reopen_within", s.ReopenWithin, &out.ReopenWithin)
	span("desk.portal.approval_links", s.ApprovalLinks, &out.ApprovalLinks)
	if out.ApprovalLinks <= 0 && s.ApprovalLinks != "" {
		inv.Add("desk.portal.approval_links", "must be longer than 0")
	}
	names := map[string]int{}
	for i, it := range items {
		p := fmt.Sprintf("desk.catalog[%d]", i)
		ci := CompiledItem{Item: it}
		if !catalog.ValidName(it.Name) {
			inv.Add(p+".name", "%q must be lower-case letters, digits, '-' or '_' (at most 64)", it.Name)
		} else if j, dup := names[it.Name]; dup {
			inv.Add(p+".name", "item %q is already declared at desk.catalog[%d]", it.Name, j)
		} else {
			names[it.Name] = i
		}
		if strings.TrimSpace(it.Title) == "" {
			inv.Add(p+".title", "is required")
		}
		if it.Service != "" && !refs.Services[it.Service] {
			inv.Add(p+".service", "unknown service %q", it.Service)
		}
		if it.Queue != "" && !refs.Queues[it.Queue] {
			inv.Add(p+".queue", "unknown queue %q", it.Queue)
		}
		switch {
		case it.SLAPolicy == "":
		case !refs.Policies[it.SLAPolicy]:
			inv.Add(p+".sla_policy", "unknown SLA policy %q", it.SLAPolicy)
		case refs.PolicyFor != nil && refs.PolicyFor(it.Service) != it.SLAPolicy:
			got := refs.PolicyFor(it.Service)
			if got == "" {
				got = "none"
			}
			inv.Add(p+".sla_policy", "requests of this item would be measured by SLA policy %q, the first of desk.sla_policies matching type request on this service; give %q a match that comes first", got, it.SLAPolicy)
		}
		fieldNames := map[string]int{}
		for j, f := range it.Fields {
			fp := fmt.Sprintf("%s.fields[%d]", p, j)
			cf := compiledField{Field: f, minN: math.NaN(), maxN: math.NaN()}
			if !catalog.ValidName(f.Name) {
				inv.Add(fp+".name", "%q must be lower-case letters, digits, '-' or '_' (at most 64)", f.Name)
			} else if k, dup := fieldNames[f.Name]; dup {
				inv.Add(fp+".name", "field %q is already declared at %s.fields[%d]", f.Name, p, k)
			} else {
				fieldNames[f.Name] = j
			}
			if strings.TrimSpace(f.Label) == "" {
				inv.Add(fp+".label", "is required")
			}
			if !slices.Contains(FieldTypes, f.Type) {
				inv.Add(fp+".type", "must be one of %s, not %q", strings.Join(FieldTypes, ", "), f.Type)
			}
			isChoice := f.Type == FieldChoice || f.Type == FieldMultiChoice
			switch {
			case isChoice && len(f.Choices) == 0:
				inv.Add(fp+".choices", "a %s field needs choices", f.Type)
			case !isChoice && len(f.Choices) > 0:
				inv.Add(fp+".choices", "only choice and multi_choice fields take choices")
			}
			for k, c := range f.Choices {
				if strings.TrimSpace(c) == "" || slices.Index(f.Choices, c) != k {
					inv.Add(fmt.Sprintf("%s.choices[%d]", fp, k), "choices must be non-empty and distinct")
				}
			}
			if f.Pattern != "" {
				if f.Type != FieldText && f.Type != FieldTextarea {
					inv.Add(fp+".pattern", "only text and textarea fields take a pattern")
				} else if re, err := regexp.Compile(`^(?:` + f.Pattern + `)$`); err != nil {
					inv.Add(fp+".pattern", "%v", err)
				} else {
					cf.pattern = re
				}
			}
			bound := func(which, v string, n *float64, d *dateBound) {
				if v == "" {
					return
				}
				switch f.Type {
				case FieldDate:
					b, err := parseDateBound(v)
					if err != nil {
						inv.Add(fp+"."+which, "%v", err)
					}
					*d = b
				case FieldNumber, FieldText, FieldTextarea, FieldMultiChoice:
					x, err := strconv.ParseFloat(v, 64)
					if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
						inv.Add(fp+"."+which, "%q is not a number", v)
						return
					}
					if f.Type != FieldNumber && (x < 0 || x != math.Trunc(x)) {
						inv.Add(fp+"."+which, "a %s field's %s is a whole count, not %q", f.Type, which, v)
						return
					}
					*n = x
				default:
					inv.Add(fp+"."+which, "a %s field takes no %s", f.Type, which)
				}
			}
			bound("min", f.Min, &cf.minN, &cf.minD)
			bound("max", f.Max, &cf.maxN, &cf.maxD)
			if cf.minN > cf.maxN {
				inv.Add(fp+".max", "is below min")
			}
			if cf.minD.set && cf.maxD.set && !cf.minD.relative && !cf.maxD.relative && cf.minD.date.After(cf.maxD.date) {
				inv.Add(fp+".max", "is before min")
			}
			ci.fields = append(ci.fields, cf)
		}
		if a := it.Approval; a != nil {
			ap := p + ".approval"
			switch {
			case a.Role == "" && len(a.People) == 0:
				inv.Add(ap, "name a role or people who approve")
			case a.Role != "" && len(a.People) > 0:
				inv.Add(ap, "give a role or people, not both")
			}
			if a.Role != "" {
				if r, err := auth.ParseRole(a.Role); err != nil || r == auth.Agent || r == auth.Requester {
					inv.Add(ap+".role", "must be viewer, operator or admin, not %q", a.Role)
				}
			}
			for k, who := range a.People {
				if !catalog.ValidName(who) || slices.Index(a.People, who) != k {
					inv.Add(fmt.Sprintf("%s.people[%d]", ap, k), "%q must be a distinct account name", who)
				}
			}
			switch {
			case a.Quorum < 0:
				inv.Add(ap+".quorum", "must be at least 1, not %d", a.Quorum)
			case len(a.People) > 0 && a.Quorum > len(a.People):
				inv.Add(ap+".quorum", "needs %d approvals of %d people", a.Quorum, len(a.People))
			}
			if ci.Approval.Quorum == 0 {
				cp := *a
				cp.Quorum = 1
				ci.Approval = &cp
			}
		}
		out.Items = append(out.Items, ci)
	}
	if len(inv.Fields) > 0 {
		return nil, inv.Fields
	}
	return out, nil
}

// Values are a submitted form: field name → a string, a number or a list
// of strings (multi_choice), as JSON or a form gives them.
type Values map[string]any

// Validate checks a submission against the item's form as of now, and
// returns the values to store (a number as float64, a multi_choice as a
// list of strings, the rest as strings; empty optional fields left out) or
// every problem, each named "fields.<name>". isUser says whether a name is
// an account, for user fields.
func (it CompiledItem) Validate(in Values, now time.Time, isUser func(string) bool) (map[string]any, []apperr.Field) {
	var inv apperr.Invalid
	out := map[string]any{}
	known := map[string]bool{}
	for _, f := range it.fields {
		known[f.Name] = true
		path := "fields." + f.Name
		v, err := f.check(in[f.Name], now, isUser)
		switch {
		case err != "":
			inv.Add(path, "%s", err)
		case v == nil && f.Required:
			inv.Add(path, "%s is required", f.Label)
		case v != nil:
			out[f.Name] = v
		}
	}
	for _, name := range sortedKeys(in) {
		if !known[name] {
			inv.Add("fields."+name, "is not a field of %q", it.Name)
		}
	}
	if len(inv.Fields) > 0 {
		return nil, inv.Fields
	}
	return out, nil
}

func sortedKeys(m Values) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// check returns a field's clean value (nil when empty) or why it is bad.
func (f compiledField) check(raw any, now time.Time, isUser func(string) bool) (any, string) {
	if f.Type == FieldMultiChoice {
		var picked []string
		switch v := raw.(type) {
		case nil:
		case string:
			if v != "" {
				picked = []string{v}
			}
		case []string:
			picked = v
		case []any:
			for _, x := range v {
				s, ok := x.(string)
				if !ok {
					return nil, "must be a list of choices"
				}
				picked = append(picked, s)
			}
		default:
			return nil, "must be a list of choices"
		}
		for _, p := range picked {
			if !slices.Contains(f.Choices, p) {
				return nil, fmt.Sprintf("%q is not one of the choices (%s)", p, strings.Join(f.Choices, ", "))
			}
		}
		slices.Sort(picked)
		picked = slices.Compact(picked)
		n := float64(len(picked))
		switch {
		case len(picked) == 0:
			if !math.IsNaN(f.minN) && f.minN > 0 && f.Required {
				return nil, fmt.Sprintf("pick at least %g", f.minN)
			}
			return nil, ""
		case n < f.minN:
			return nil, fmt.Sprintf("pick at least %g", f.minN)
		case n > f.maxN:
			return nil, fmt.Sprintf("pick at most %g", f.maxN)
		}
		return picked, ""
	}
	var s string
	switch v := raw.(type) {
	case nil:
		return nil, ""
	case string:
		s = v
	case float64:
		if f.Type != FieldNumber {
			return nil, "must be text"
		}
		s = strconv.FormatFloat(v, 'f', -1, 64)
	default:
		return nil, "must be text"
	}
	if f.Type != FieldTextarea {
		s = strings.TrimSpace(s)
	}
	if strings.TrimSpace(s) == "" {
		return nil, ""
	}
	if apperr.BadText(s) != "" || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 && r != '\n' && r != '\r' && r != '\t' }) {
		return nil, "holds control characters"
	}
	switch f.Type {
	case FieldText, FieldTextarea:
		limit := float64(MaxText)
		if f.Type == FieldTextarea {
			limit = MaxTextarea
		}
		if f.Type == FieldText && strings.ContainsAny(s, "\r\n") {
			return nil, "must be one line"
		}
		n := float64(utf8.RuneCountInString(s))
		switch {
		case n < f.minN:
			return nil, fmt.Sprintf("must be at least %g characters, not %g", f.minN, n)
		case n > f.maxN:
			return nil, fmt.Sprintf("must be at most %g characters, not %g", f.maxN, n)
		case n > limit:
			return nil, fmt.Sprintf("must be at most %g characters, not %g", limit, n)
		case f.pattern != nil && !f.pattern.MatchString(s):
			return nil, fmt.Sprintf("must match the pattern %s", f.Pattern)
		}
		return s, ""
	case FieldChoice:
		if !slices.Contains(f.Choices, s) {
			return nil, fmt.Sprintf("%q is not one of the choices (%s)", s, strings.Join(f.Choices, ", "))
		}
		return s, ""
	case FieldNumber:
		x, err := strconv.ParseFloat(s, 64)
		switch {
		case err != nil || math.IsNaN(x) || math.IsInf(x, 0):
			return nil, fmt.Sprintf("%q is not a number", s)
		case x < f.minN:
			return nil, fmt.Sprintf("must be at least %g, not %g", f.minN, x)
		case x > f.maxN:
			return nil, fmt.Sprintf("must be at most %g, not %g", f.maxN, x)
		}
		return x, ""
	case FieldDate:
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return nil, fmt.Sprintf("%q is not a date (YYYY-MM-DD)", s)
		}
		today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
		if f.minD.set {
			if m := f.minD.at(today); d.Before(m) {
				return nil, fmt.Sprintf("must be on or after %s", m.Format(time.DateOnly))
			}
		}
		if f.maxD.set {
			if m := f.maxD.at(today); d.After(m) {
				return nil, fmt.Sprintf("must be on or before %s", m.Format(time.DateOnly))
			}
		}
		return d.Format(time.DateOnly), ""
	case FieldUser:
		if isUser != nil && !isUser(s) {
			return nil, fmt.Sprintf("no user is called %q", s)
		}
		return s, ""
	}
	return nil, "has an unknown type"
}
