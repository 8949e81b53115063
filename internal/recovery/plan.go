package recovery

import (
	"fmt"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/duration"
)

// The sources of plans: the config file's win over the API's.
const (
	SourceFile = "file"
	SourceAPI  = "api"
)

// Plan is a service's disaster-recovery plan as the user declares it, in
// the config file (`recovery: {plans: [...]}`) or the API. Durations keep
// the user's spelling.
type Plan struct {
	Name    string `json:"name" yaml:"name"`
	Service string `json:"service" yaml:"service"`
	// RTO is how long the service may take to be restored; RPO how much
	// data (as time) it may lose.
	RTO string `json:"rto" yaml:"rto"`
	RPO string `json:"rpo" yaml:"rpo"`
	// Runbook is Markdown, rendered without raw HTML.
	Runbook string `json:"runbook,omitempty" yaml:"runbook"`
	Owner   string `json:"owner,omitempty" yaml:"owner"`
	// Items names the configuration items the recovery restores.
	Items []string `json:"items,omitempty" yaml:"items"`
	// Backups names the backup jobs (checks of kind backup) it relies on.
	Backups []string `json:"backups,omitempty" yaml:"backups"`
	// LastReviewed is the date (YYYY-MM-DD) the plan was last reviewed.
	LastReviewed string `json:"last_reviewed,omitempty" yaml:"last_reviewed"`
}

// CompiledPlan is a validated plan.
type CompiledPlan struct {
	Plan
	RTO, RPO time.Duration
	Reviewed time.Time // zero when never
}

// Facts is what plan warnings are judged against, from outside the plan.
type Facts struct {
	// Services maps each known service to its objective's max_outage (zero
	// when it has none).
	Services map[string]time.Duration
	// BackupRPOs maps each backup job to its rpo.
	BackupRPOs map[string]time.Duration
}

const maxRunbook = 100_000

// CompilePlan validates a plan. With facts, the service and backup jobs
// must exist; without, names are only checked for form. Items are CMDB
// names, kept as written.
func CompilePlan(p Plan, f *Facts) (*CompiledPlan, []apperr.Field) {
	var inv apperr.Invalid
	out := &CompiledPlan{Plan: p}
	switch {
	case p.Name == "":
		inv.Add("name", "is required")
	case !catalog.ValidName(p.Name):
		inv.Add("name", "%q must be lower-case letters, digits, '-' or '_', starting and ending with a letter or digit (at most 64)", p.Name)
	}
	switch {
	case p.Service == "":
		inv.Add("service", "is required: the service this plan recovers")
	case f != nil && f.Services != nil:
		if _, ok := f.Services[p.Service]; !ok {
			inv.Add("service", "unknown service %q", p.Service)
		}
	}
	out.RTO = positive(&inv, "rto", p.RTO)
	out.RPO = positive(&inv, "rpo", p.RPO)
	if len(p.Runbook) > maxRunbook {
		inv.Add("runbook", "is longer than %d bytes", maxRunbook)
	}
	if len(p.Owner) > 200 {
		inv.Add("owner", "is longer than 200 characters")
	}
	seen := map[string]bool{}
	for i, it := range p.Items {
		switch {
		case it == "" || len(it) > 200:
			inv.Add(fmt.Sprintf("items[%d]", i), "must be a CMDB item name of 1 to 200 characters")
		case seen["item:"+it]:
			inv.Add(fmt.Sprintf("items[%d]", i), "%q is listed twice", it)
		}
		seen["item:"+it] = true
	}
	for i, b := range p.Backups {
		field := fmt.Sprintf("backups[%d]", i)
		switch {
		case seen["backup:"+b]:
			inv.Add(field, "%q is listed twice", b)
		case f != nil && f.BackupRPOs != nil:
			if _, ok := f.BackupRPOs[b]; !ok {
				inv.Add(field, "%q is not a check of kind backup", b)
			}
		case !catalog.ValidName(b):
			inv.Add(field, "%q is not a check name", b)
		}
		seen["backup:"+b] = true
	}
	if p.LastReviewed != "" {
		d, err := time.Parse(time.DateOnly, p.LastReviewed)
		if err != nil {
			inv.Add("last_reviewed", "%q is not a date (YYYY-MM-DD)", p.LastReviewed)
		}
		out.Reviewed = d
	}
	return out, inv.Fields
}

func positive(inv *apperr.Invalid, field, s string) time.Duration {
	if s == "" {
		inv.Add(field, "is required (e.g. 4h)")
		return 0
	}
	d, err := duration.Parse(s)
	switch {
	case err != nil:
		inv.Add(field, "%v", err)
	case d <= 0:
		inv.Add(field, "must be more than zero")
	}
	return d
}

// The kinds of warning a plan can carry.
const (
	WarnMisaligned  = "misaligned"
	WarnBackupRPO   = "rpo_unachievable"
	WarnNotReviewed = "not_reviewed"
	WarnNotDrilled  = "not_drilled"
)

// Warning is something wrong with a plan, said in words.
type Warning struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
}

// The ages past which a plan is stale.
const (
	ReviewEvery = 365 * 24 * time.Hour
	DrillEvery  = 182 * 24 * time.Hour
)

// Warnings judges a plan at now: its rto beyond the service's max_outage
// (the business cannot wait that long), its rpo tighter than a backup job
// it relies on is allowed to be, no review in 12 months, no drill (or real
// recovery) in 6. lastDrill is zero when there has been none.
func Warnings(p *CompiledPlan, f Facts, lastDrill, now time.Time) []Warning {
	var out []Warning
	if mo := f.Services[p.Service]; mo > 0 && p.RTO > mo {
		out = append(out, Warning{WarnMisaligned, fmt.Sprintf("misaligned with the business: rto %s exceeds service %s's max_outage %s",
			p.Plan.RTO, p.Service, duration.Format(mo))})
	}
	for _, b := range p.Backups {
		if r, ok := f.BackupRPOs[b]; ok && r > p.RPO {
			out = append(out, Warning{WarnBackupRPO, fmt.Sprintf("rpo %s is tighter than backup job %s can give (its rpo is %s)",
				p.Plan.RPO, b, duration.Format(r))})
		}
	}
	switch {
	case p.Reviewed.IsZero():
		out = append(out, Warning{WarnNotReviewed, "never reviewed"})
	case now.Sub(p.Reviewed) > ReviewEvery:
		out = append(out, Warning{WarnNotReviewed, fmt.Sprintf("not reviewed in 12 months (last on %s)", p.LastReviewed)})
	}
	switch {
	case lastDrill.IsZero():
		out = append(out, Warning{WarnNotDrilled, "never drilled"})
	case now.Sub(lastDrill) > DrillEvery:
		out = append(out, Warning{WarnNotDrilled, fmt.Sprintf("not drilled in 6 months (last on %s)", lastDrill.UTC().Format(time.DateOnly))})
	}
	return out
}

func formatDur(d time.Duration) string { return duration.Format(d) }

// ServiceFacts maps each service to its objective's max_outage (zero when
// it has none or it does not parse: the catalog's validation says so).
func ServiceFacts(services []catalog.Service) map[string]time.Duration {
	out := map[string]time.Duration{}
	for _, s := range services {
		var mo time.Duration
		if s.Objective != nil && s.Objective.MaxOutage != "" {
			mo, _ = duration.Parse(s.Objective.MaxOutage)
		}
		out[s.Name] = mo
	}
	return out
}
