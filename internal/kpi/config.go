package kpi

import (
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/catalog"
)

// Config is the `kpi:` section of the config file.
type Config struct {
	// Targets sets a KPI's target, in its unit: a share as "95%" or a
	// fraction, a duration as "30m", money or a count as a number.
	Targets map[string]string `yaml:"targets" json:"targets,omitempty"`
	// OverDelivery says when a service is far above its target.
	OverDelivery OverDeliveryConfig `yaml:"over_delivery" json:"over_delivery"`
}

// OverDeliveryConfig is `kpi.over_delivery`.
type OverDeliveryConfig struct {
	// Margin is how far above its target a service's availability must
	// be, in percentage points ("0.05%", the default).
	Margin string `yaml:"margin" json:"margin,omitempty"`
	// MinBudget is the least budget per period of a candidate (default 0:
	// any service with a budget).
	MinBudget float64 `yaml:"min_budget" json:"min_budget,omitempty"`
}

// ReportConfig is the `report:` section: the monthly report's zone and
// who is mailed it when a month closes.
type ReportConfig struct {
	// Timezone is the IANA zone months are cut in (default UTC).
	Timezone string `yaml:"timezone" json:"timezone,omitempty"`
	// Subscribers are the addresses mailed the overall report (PDF
	// attached) once a month has closed; mail needs `mail:` settings.
	Subscribers []string `yaml:"subscribers" json:"subscribers,omitempty"`
	// SendAfter is how long after the month's end the report is frozen and
	// mailed ("1h", the default), leaving late data time to arrive.
	SendAfter string `yaml:"send_after" json:"send_after,omitempty"`
}

// DefaultSendAfter is how long after a month's end its report is mailed.
const DefaultSendAfter = time.Hour

// Validate names every problem with the kpi section.
func (c Config) Validate() []apperr.Field {
	_, fs := c.Options()
	return fs
}

// Options turns the section into the formulas' options, naming each bad
// value.
func (c Config) Options() (Options, []apperr.Field) {
	var inv apperr.Invalid
	o := Options{Targets: map[string]float64{}, OverDeliveryMinBudget: c.OverDelivery.MinBudget}
	names := make([]string, 0, len(c.Targets))
	for n := range c.Targets {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		d, ok := Lookup(n)
		if !ok {
			inv.Add("kpi.targets."+n, "no KPI is named %q (see GET /api/v1/kpis/catalogue)", n)
			continue
		}
		v, err := ParseValue(c.Targets[n], d.Unit)
		if err != nil {
			inv.Add("kpi.targets."+n, "%s", err.Error())
			continue
		}
		o.Targets[n] = v
	}
	if m := strings.TrimSpace(c.OverDelivery.Margin); m != "" {
		v, err := parsePoints(m)
		if err != nil {
			inv.Add("kpi.over_delivery.margin", "%s", err.Error())
		}
		o.OverDeliveryMargin = v
	}
	if c.OverDelivery.MinBudget < 0 {
		inv.Add("kpi.over_delivery.min_budget", "must not be negative, not %v", c.OverDelivery.MinBudget)
	}
	return o, inv.Fields
}

// parsePoints reads a margin in percentage points, "0.05%".
func parsePoints(s string) (float64, error) {
	if !strings.HasSuffix(s, "%") {
		return 0, fmt.Errorf("write the margin in percentage points, such as \"0.05%%\", not %q", s)
	}
	v, err := catalog.ParseTarget(s)
	if err != nil || v <= 0 || v >= 1 {
		return 0, fmt.Errorf("a margin is above 0%% and below 100%%, not %q", s)
	}
	return v, nil
}

// ParseValue reads a value in a KPI's unit.
func ParseValue(s, unit string) (float64, error) {
	s = strings.TrimSpace(s)
	switch unit {
	case UnitRatio:
		if strings.HasSuffix(s, "%") {
			v, err := catalog.ParseTarget(s)
			if err != nil {
				return 0, fmt.Errorf("expected a percentage such as \"95%%\", not %q", s)
			}
			return v, nil
		}
		var v float64
		if _, err := fmt.Sscanf(s, "%g", &v); err != nil || v < 0 || v > 1 {
			return 0, fmt.Errorf("expected a percentage such as \"95%%\" or a fraction from 0 to 1, not %q", s)
		}
		return v, nil
	case UnitSeconds:
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 {
			return 0, fmt.Errorf("expected a duration such as \"30m\", not %q", s)
		}
		return d.Seconds(), nil
	}
	var v float64
	if _, err := fmt.Sscanf(s, "%g", &v); err != nil || v < 0 {
		return 0, fmt.Errorf("expected a non-negative number, not %q", s)
	}
	return v, nil
}

// Validate names every problem with the report section.
func (c ReportConfig) Validate() []apperr.Field {
	var inv apperr.Invalid
	if c.Timezone != "" {
		if _, err := time.LoadLocation(c.Timezone); err != nil {
			inv.Add("report.timezone", "unknown time zone %q", c.Timezone)
		}
	}
	for i, s := range c.Subscribers {
		if a, err := mail.ParseAddress(s); err != nil || a.Address != strings.TrimSpace(s) {
			inv.Add(fmt.Sprintf("report.subscribers[%d]", i), "expected a bare e-mail address such as cio@example.com, not %q", s)
		}
	}
	if c.SendAfter != "" {
		if d, err := time.ParseDuration(c.SendAfter); err != nil || d < 0 {
			inv.Add("report.send_after", "expected a duration such as \"1h\", not %q", c.SendAfter)
		}
	}
	return inv.Fields
}

// Zone is the report's time zone (UTC when unset or unknown).
func (c ReportConfig) Zone() *time.Location {
	if loc, err := time.LoadLocation(c.Timezone); err == nil && c.Timezone != "" {
		return loc
	}
	return time.UTC
}

// After is how long after a month's end its report is mailed.
func (c ReportConfig) After() time.Duration {
	if d, err := time.ParseDuration(c.SendAfter); err == nil && d >= 0 && c.SendAfter != "" {
		return d
	}
	return DefaultSendAfter
}
