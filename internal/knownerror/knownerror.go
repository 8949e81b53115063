// Package knownerror keeps known errors: problem signatures — a service (or
// any), a match on an incident's summary and/or on its alert labels — with
// the workaround that helps while the problem lasts. The incident engine
// asks Store.Match about every new incident; a match is recorded on the
// incident, shown on its page and sent in its notifications.
package knownerror

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
)

// Limits on what a known error may hold.
const (
	MaxTitle      = 200
	MaxMatch      = 1000
	MaxWorkaround = 20000
	MaxLabels     = 32
)

// KnownError is one stored known error.
type KnownError struct {
	ID    int64  `json:"id"`
	Title string `json:"title"`
	// Service limits the known error to one service; "" matches any.
	Service string `json:"service"`
	// SummaryMatch is a case-insensitive substring of the incident's
	// summary, or a Go regular expression written between slashes
	// ("/disk .* full/"); "" does not look at the summary.
	SummaryMatch string `json:"summary_match"`
	// Labels must all be present, with these values, in the incident's
	// details.labels (as Alertmanager alerts carry them).
	Labels map[string]string `json:"labels"`
	// Workaround is Markdown.
	Workaround string    `json:"workaround"`
	CreatedBy  string    `json:"created_by"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Input is what creating or replacing a known error takes.
type Input struct {
	Title        string            `json:"title"`
	Service      string            `json:"service"`
	SummaryMatch string            `json:"summary_match"`
	Labels       map[string]string `json:"labels"`
	Workaround   string            `json:"workaround"`
}

// labelName is a Prometheus label name.
var labelName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// Validate reports every problem with in, naming each field. It compiles a
// /regexp/ summary match so that a bad one is refused when it is written,
// not when an incident arrives.
func (in *Input) Validate() error {
	var inv apperr.Invalid
	in.Title = strings.TrimSpace(in.Title)
	in.Service = strings.TrimSpace(in.Service)
	in.SummaryMatch = strings.TrimSpace(in.SummaryMatch)
	switch {
	case in.Title == "":
		inv.Add("title", "is required")
	case len(in.Title) > MaxTitle:
		inv.Add("title", "is longer than %d characters", MaxTitle)
	}
	if len(in.SummaryMatch) > MaxMatch {
		inv.Add("summary_match", "is longer than %d characters", MaxMatch)
	} else if _, err := compileMatch(in.SummaryMatch); err != nil {
		inv.Add("summary_match", "%v", err)
	}
	if len(in.Labels) > MaxLabels {
		inv.Add("labels", "has more than %d labels", MaxLabels)
	}
	for _, k := range slices.Sorted(maps.Keys(in.Labels)) {
		if !labelName.MatchString(k) {
			inv.Add("labels."+k, "is not a label name (letters, digits and _, not starting with a digit)")
		}
	}
	if in.SummaryMatch == "" && len(in.Labels) == 0 {
		inv.Add("summary_match", "give a summary match, labels, or both: a known error must say which incidents it is about")
	}
	switch {
	case strings.TrimSpace(in.Workaround) == "":
		inv.Add("workaround", "is required")
	case len(in.Workaround) > MaxWorkaround:
		inv.Add("workaround", "is longer than %d characters", MaxWorkaround)
	}
	if in.Labels == nil {
		in.Labels = map[string]string{}
	}
	return inv.Err()
}

// matcher is the compiled test of a summary match.
type matcher func(summary string) bool

// compileMatch turns a summary match into a test: "/re/" is a regular
// expression, anything else a case-insensitive substring; "" matches
// everything.
func compileMatch(s string) (matcher, error) {
	if s == "" {
		return func(string) bool { return true }, nil
	}
	if len(s) >= 2 && strings.HasPrefix(s, "/") && strings.HasSuffix(s, "/") {
		re, err := regexp.Compile(s[1 : len(s)-1])
		if err != nil {
			return nil, fmt.Errorf("is not a valid regular expression: %s", strings.TrimPrefix(err.Error(), "error parsing regexp: "))
		}
		return re.MatchString, nil
	}
	want := strings.ToLower(s)
	return func(summary string) bool { return strings.Contains(strings.ToLower(summary), want) }, nil
}

// compiled is a known error ready to be matched.
type compiled struct {
	KnownError
	summary matcher
}

func compile(k KnownError) (compiled, error) {
	m, err := compileMatch(k.SummaryMatch)
	if err != nil {
		return compiled{}, fmt.Errorf("known error %d: summary_match %w", k.ID, err)
	}
	return compiled{KnownError: k, summary: m}, nil
}

// matches says whether an incident fits the signature.
func (c compiled) matches(service, summary string, labels map[string]string) bool {
	if c.Service != "" && c.Service != service {
		return false
	}
	for k, v := range c.Labels {
		got, ok := labels[k]
		if !ok || got != v {
			return false
		}
	}
	return c.summary(summary)
}

// Labels reads details.labels from an incident's details: string values as
// they are, other JSON values as their JSON text.
func Labels(details json.RawMessage) map[string]string {
	var d struct {
		Labels map[string]json.RawMessage `json:"labels"`
	}
	if len(details) == 0 || json.Unmarshal(details, &d) != nil || len(d.Labels) == 0 {
		return nil
	}
	out := make(map[string]string, len(d.Labels))
	for k, raw := range d.Labels {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			out[k] = s
		} else {
			out[k] = string(raw)
		}
	}
	return out
}

// best picks the known error for an incident among candidates: a match
// naming the service wins over one for any service, then the oldest.
func best(cands []compiled, service, summary string, details json.RawMessage) (KnownError, bool) {
	labels := Labels(details)
	var found *compiled
	for i := range cands {
		c := &cands[i]
		if !c.matches(service, summary, labels) {
			continue
		}
		if found == nil || (found.Service == "" && c.Service != "") || (found.Service != "") == (c.Service != "") && c.ID < found.ID {
			found = c
		}
	}
	if found == nil {
		return KnownError{}, false
	}
	return found.KnownError, true
}
