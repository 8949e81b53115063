// Package catalog is Sextant's service catalog: business services, the
// calendars that say when they are needed, their objectives and their
// maintenance windows. It validates what users declare — in the config file
// or through the API — with one set of rules, stores it, and compiles an
// objective into the form the availability engine evaluates.
package catalog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Source says where a stored object came from. Objects from the config file
// are overwritten from the file on every reload ("the file wins").
type Source string

// The sources of catalog objects.
const (
	SourceFile Source = "file"
	SourceAPI  Source = "api"
)

// Calendar is a named set of service hours: weekly wall-clock windows in a
// time zone, minus whole-day holidays.
type Calendar struct {
	Name string `json:"name" yaml:"-"`
	CalendarSpec
}

// CalendarSpec is a calendar's content, as written under
// `calendars: {NAME: …}` in the config file.
type CalendarSpec struct {
	Timezone string         `json:"timezone" yaml:"timezone"`
	Weekly   []WeeklyWindow `json:"weekly" yaml:"weekly"`
	Holidays []string       `json:"holidays,omitempty" yaml:"holidays"`
}

// WeeklyWindow is one recurring stretch of service hours, e.g. days
// "mon-fri" from "09:00" to "17:00" (a "to" before "from" runs past
// midnight).
type WeeklyWindow struct {
	Days string `json:"days" yaml:"days"`
	From string `json:"from" yaml:"from"`
	To   string `json:"to" yaml:"to"`
}

// Service is a business service as the user declares it.
type Service struct {
	Name        string              `json:"name" yaml:"name"`
	Title       string              `json:"title,omitempty" yaml:"title"`
	Description string              `json:"description,omitempty" yaml:"description"`
	Owner       string              `json:"owner,omitempty" yaml:"owner"`
	Tier        int                 `json:"tier,omitempty" yaml:"tier"`
	DependsOn   []Dependency        `json:"depends_on,omitempty" yaml:"depends_on"`
	Objective   *Objective          `json:"objective,omitempty" yaml:"objective"`
	Maintenance []MaintenanceWindow `json:"maintenance,omitempty" yaml:"maintenance"`
}

// Dependency says that a service needs another one, or a configuration
// item of the CMDB (CI, exactly one of the two). A hard dependency takes
// the service down with it; a soft one only degrades it.
type Dependency struct {
	Service string `json:"service,omitempty" yaml:"service"`
	CI      string `json:"ci,omitempty" yaml:"ci"`
	Kind    string `json:"kind,omitempty" yaml:"kind"`
}

// The dependency kinds.
const (
	Hard = "hard"
	Soft = "soft"
)

// Objective is what the business asks of a service, as written by the user.
// Values keep the user's spelling ("99.5%", "30m") so that what is shown
// back is what was declared; Compile turns them into numbers.
type Objective struct {
	Hours        string   `json:"hours,omitempty" yaml:"hours"`
	Period       string   `json:"period,omitempty" yaml:"period"`
	Availability Scalar   `json:"availability" yaml:"availability"`
	MaxOutage    string   `json:"max_outage,omitempty" yaml:"max_outage"`
	MaxOutages   *int     `json:"max_outages,omitempty" yaml:"max_outages"`
	Degraded     Scalar   `json:"degraded,omitempty" yaml:"degraded"`
	Unknown      string   `json:"unknown,omitempty" yaml:"unknown"`
	MergeGap     string   `json:"merge_gap,omitempty" yaml:"merge_gap"`
	MinOutage    string   `json:"min_outage,omitempty" yaml:"min_outage"`
	DowntimeCost *float64 `json:"downtime_cost,omitempty" yaml:"downtime_cost"`
	Budget       *float64 `json:"budget,omitempty" yaml:"budget"`
	// Page is "always" (default) or "in_hours": an incident outside the
	// service hours is recorded at once but pages nobody until they begin,
	// unless its severity is at least PageAlwaysFrom.
	Page           string `json:"page,omitempty" yaml:"page"`
	PageAlwaysFrom string `json:"page_always_from,omitempty" yaml:"page_always_from"`
}

// MaintenanceWindow is planned downtime: either one-off (start and end) or
// recurring (an RFC 5545 RRULE, a duration and a time zone).
type MaintenanceWindow struct {
	Title    string `json:"title,omitempty" yaml:"title"`
	Start    string `json:"start,omitempty" yaml:"start"`
	End      string `json:"end,omitempty" yaml:"end"`
	RRule    string `json:"rrule,omitempty" yaml:"rrule"`
	Duration string `json:"duration,omitempty" yaml:"duration"`
	Timezone string `json:"timezone,omitempty" yaml:"timezone"`
}

// Scalar is a value users may write as a number or as a string ("99.5%",
// 0.5, "down"). It keeps the text; it is a JSON number on output when it is
// one, and a string otherwise.
type Scalar string

// UnmarshalJSON accepts a JSON string or number.
func (s *Scalar) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var str string
		if err := json.Unmarshal(b, &str); err != nil {
			return err
		}
		*s = Scalar(str)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("expected a number or a string")
	}
	*s = Scalar(n.String())
	return nil
}

// MarshalJSON writes a number as a number and anything else as a string.
func (s Scalar) MarshalJSON() ([]byte, error) {
	if _, err := strconv.ParseFloat(string(s), 64); err == nil && json.Valid([]byte(s)) {
		return []byte(s), nil
	}
	return json.Marshal(string(s))
}

// StoredService is a service as the catalog holds it.
type StoredService struct {
	Service
	Source    Source    `json:"source"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// StoredCalendar is a calendar as the catalog holds it.
type StoredCalendar struct {
	Calendar
	Source    Source    `json:"source"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Catalog is a whole set of declarations, as the config file gives them or
// as the store holds them; it is what validation looks at, since a
// dependency or a calendar reference is only right or wrong in context.
type Catalog struct {
	Calendars []Calendar
	Services  []Service
}
