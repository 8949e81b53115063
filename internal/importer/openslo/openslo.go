// Package openslo reads and writes OpenSLO documents (v1, and v1alpha as
// Sloth and older tools write it). Importing, a Service becomes a Sextant
// service and an SLO its objective: the target becomes the availability,
// the time window the period. Exporting writes each service with an
// objective as a Service and an SLO, so tools that read OpenSLO see the
// same targets Sextant measures.
package openslo

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/importer"
)

// CheckAnnotation on an SLO (or its SLI) names the Sextant check that
// measures it.
const CheckAnnotation = "sextant.io/check"

type metadata struct {
	Name        string            `yaml:"name"`
	DisplayName string            `yaml:"displayName"`
	Labels      map[string]any    `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

type document struct {
	APIVersion string    `yaml:"apiVersion"`
	Kind       string    `yaml:"kind"`
	Metadata   metadata  `yaml:"metadata"`
	Spec       yaml.Node `yaml:"spec"`
}

type timeWindow struct {
	// v1
	Duration  string `yaml:"duration"`
	IsRolling bool   `yaml:"isRolling"`
	Calendar  *struct {
		StartTime string `yaml:"startTime"`
		TimeZone  string `yaml:"timeZone"`
	} `yaml:"calendar"`
	// v1alpha
	Unit  string `yaml:"unit"`
	Count int    `yaml:"count"`
}

type objective struct {
	DisplayName   string   `yaml:"displayName"`
	Target        *float64 `yaml:"target"`
	TargetPercent *float64 `yaml:"targetPercent"`
}

type sloSpec struct {
	Description     string       `yaml:"description"`
	Service         string       `yaml:"service"`
	Indicator       *document    `yaml:"indicator"`
	IndicatorRef    string       `yaml:"indicatorRef"`
	TimeWindow      []timeWindow `yaml:"timeWindow"`
	TimeWindows     []timeWindow `yaml:"timeWindows"`
	BudgetingMethod string       `yaml:"budgetingMethod"`
	Objectives      []objective  `yaml:"objectives"`
}

// ImportPath reads a file of OpenSLO documents.
func ImportPath(path string) (*importer.Result, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Import(path, src)
}

type node struct {
	doc document
	pos string
}

// Import maps the documents in src; file names it in positions.
func Import(file string, src []byte) (*importer.Result, error) {
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var docs []node
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		if len(n.Content) == 0 {
			continue
		}
		var d document
		if err := n.Content[0].Decode(&d); err != nil {
			return nil, fmt.Errorf("%s:%d:%d: %w", file, n.Content[0].Line, n.Content[0].Column, err)
		}
		docs = append(docs, node{doc: d, pos: importer.Pos(file, n.Content[0])})
	}
	if len(docs) == 0 {
		return nil, fmt.Errorf("openslo: %s holds no documents", file)
	}
	res := &importer.Result{}
	var names importer.Namer
	services := map[string]int{} // OpenSLO service name → index
	slis := map[string]document{}
	service := func(name, title, desc, pos string) int {
		if i, ok := services[name]; ok {
			return i
		}
		s := catalog.Service{Name: names.Name(name, "service"), Title: title, Description: desc}
		services[name] = len(res.Config.Services)
		res.Config.Services = append(res.Config.Services, s)
		res.Map(pos, fmt.Sprintf("service %q", name), "service %s", s.Name)
		return services[name]
	}
	for _, d := range docs {
		if !strings.HasPrefix(d.doc.APIVersion, "openslo/") {
			res.Skip(d.pos, fmt.Sprintf("%s %q", d.doc.Kind, d.doc.Metadata.Name), "apiVersion %q is not OpenSLO", d.doc.APIVersion)
			continue
		}
		switch d.doc.Kind {
		case "Service":
			var spec struct {
				Description string `yaml:"description"`
			}
			_ = d.doc.Spec.Decode(&spec)
			service(d.doc.Metadata.Name, title(d.doc.Metadata), spec.Description, d.pos)
		case "SLI":
			slis[d.doc.Metadata.Name] = d.doc
		}
	}
	for _, d := range docs {
		what := fmt.Sprintf("%s %q", d.doc.Kind, d.doc.Metadata.Name)
		switch d.doc.Kind {
		case "Service", "SLI":
		case "SLO":
			var spec sloSpec
			if err := d.doc.Spec.Decode(&spec); err != nil {
				res.Skip(d.pos, what, "cannot read its spec: %v", err)
				continue
			}
			if spec.Service == "" {
				res.Skip(d.pos, what, "names no service")
				continue
			}
			i := service(spec.Service, spec.Service, "", d.pos)
			s := &res.Config.Services[i]
			if s.Objective != nil {
				res.Skip(d.pos, what, "service %s already has an objective from an earlier SLO; a Sextant service has one", s.Name)
				continue
			}
			obj, err := objectiveOf(spec, d.pos, what, res)
			if err != nil {
				res.Skip(d.pos, what, "%v", err)
				continue
			}
			annotations(obj, d.doc.Metadata.Annotations, d.pos, what, res)
			s.Objective = obj
			if s.Description == "" {
				s.Description = spec.Description
			}
			res.Map(d.pos, what, "objective of service %s: %s over %s", s.Name, string(obj.Availability), periodText(obj.Period))
			// What measures it: a check named in an annotation, on the
			// SLO or on its SLI.
			check := d.doc.Metadata.Annotations[CheckAnnotation]
			sliName := spec.IndicatorRef
			var sli *document
			if spec.Indicator != nil {
				sli = spec.Indicator
				sliName = spec.Indicator.Metadata.Name
			} else if s, ok := slis[spec.IndicatorRef]; ok {
				sli = &s
			}
			if check == "" && sli != nil {
				check = sli.Metadata.Annotations[CheckAnnotation]
			}
			switch {
			case check == "" && sliName == "":
				res.Skip(d.pos, what+" indicator", "it names none; Sextant measures the service's own timeline from its checks and alerts — add checks to service %s", s.Name)
			case check != "":
				res.Map(d.pos, what+" indicator", "measured by check %s: give that check service: %s", check, s.Name)
			default:
				res.Skip(d.pos, fmt.Sprintf("SLI %q", sliName), "a metric query Sextant does not run; Sextant measures the service's own timeline — name a check in the %s annotation, or add checks to service %s", CheckAnnotation, s.Name)
			}
		case "AlertPolicy", "AlertCondition", "AlertNotificationTarget":
			res.Skip(d.pos, what, "Sextant pages by escalation policy, error budget and at-risk projection; declare escalation_policies instead")
		case "DataSource":
			res.Skip(d.pos, what, "Sextant measures with its own checks and ingested alerts, not a metrics data source")
		default:
			res.Skip(d.pos, what, "unknown OpenSLO kind")
		}
	}
	return res, nil
}

func title(m metadata) string {
	if m.DisplayName != "" {
		return m.DisplayName
	}
	return m.Name
}

func periodText(p string) string {
	if p == "" {
		return "month"
	}
	return p
}

var durationRE = regexp.MustCompile(`^([0-9]+)([mhdwMQY])$`)

// objectiveOf turns an SLO's first objective and time window into a
// Sextant objective.
func objectiveOf(spec sloSpec, pos, what string, res *importer.Result) (*catalog.Objective, error) {
	if len(spec.Objectives) == 0 {
		return nil, errors.New("has no objectives")
	}
	o := spec.Objectives[0]
	for _, extra := range spec.Objectives[1:] {
		res.Skip(pos, what+" objective "+strconv.Quote(extra.DisplayName), "a Sextant service has one availability target; the first objective was taken")
	}
	var target float64
	switch {
	case o.Target != nil:
		target = *o.Target
	case o.TargetPercent != nil:
		target = *o.TargetPercent / 100
	default:
		return nil, errors.New("its objective has neither target nor targetPercent")
	}
	if target <= 0 || target >= 1 {
		return nil, fmt.Errorf("target %v is not between 0 and 1 (exclusive)", target)
	}
	if spec.BudgetingMethod != "" && spec.BudgetingMethod != "Timeslices" && spec.BudgetingMethod != "RatioTimeslices" {
		res.Skip(pos, what+" budgetingMethod", "%s counts events; Sextant measures time (%s of the service hours up)", spec.BudgetingMethod, percent(target))
	}
	windows := spec.TimeWindow
	if len(windows) == 0 {
		windows = spec.TimeWindows
	}
	obj := &catalog.Objective{Availability: catalog.Scalar(percent(target))}
	if len(windows) == 0 {
		res.Skip(pos, what+" timeWindow", "none given; Sextant's default period, the calendar month, is used")
		return obj, nil
	}
	w := windows[0]
	n, unit := 0, ""
	if w.Duration != "" {
		m := durationRE.FindStringSubmatch(w.Duration)
		if m == nil {
			return nil, fmt.Errorf("timeWindow duration %q is not a number with a unit (m h d w M Q Y)", w.Duration)
		}
		n, _ = strconv.Atoi(m[1])
		unit = m[2]
	} else {
		n = w.Count
		unit = map[string]string{"Second": "s", "Minute": "m", "Hour": "h", "Day": "d", "Week": "w", "Month": "M", "Quarter": "Q", "Year": "Y"}[w.Unit]
	}
	rolling := w.IsRolling || (w.Calendar == nil && w.Duration == "" && w.Unit != "")
	switch {
	case rolling && ((unit == "d" && n == 30) || (unit == "M" && n == 1)):
		obj.Period = "30d"
	case rolling:
		obj.Period = "30d"
		res.Skip(pos, what+" timeWindow", "a rolling %d%s window is not a Sextant period (rolling 30d, or calendar week, month, quarter); 30d is used", n, unit)
	case (unit == "w" && n == 1) || (unit == "d" && n == 7):
		obj.Period = "week"
	case unit == "M" && n == 1:
		obj.Period = "month"
	case (unit == "Q" && n == 1) || (unit == "M" && n == 3):
		obj.Period = "quarter"
	default:
		obj.Period = "month"
		res.Skip(pos, what+" timeWindow", "a calendar %d%s window is not a Sextant period (week, month, quarter); month is used", n, unit)
	}
	if w.Calendar != nil && w.Calendar.TimeZone != "" && w.Calendar.TimeZone != "UTC" && w.Calendar.TimeZone != "Etc/UTC" {
		res.Skip(pos, what+" calendar timeZone", "periods of a 24x7 objective run in UTC; to start them at midnight %s, declare a calendar in that zone and set it as the objective's hours", w.Calendar.TimeZone)
	}
	return obj, nil
}

// percent writes a fraction as the percent users write: 0.999 → "99.9%".
func percent(f float64) string {
	p := strconv.FormatFloat(math.Round(f*100*1e9)/1e9, 'f', -1, 64)
	return p + "%"
}

// annotations reads back what Export keeps in sextant.io/ annotations.
func annotations(obj *catalog.Objective, ann map[string]string, pos, what string, res *importer.Result) {
	if v := ann["sextant.io/max_outage"]; v != "" {
		obj.MaxOutage = v
	}
	if v := ann["sextant.io/max_outages"]; v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			obj.MaxOutages = &n
		} else {
			res.Skip(pos, what+" sextant.io/max_outages", "%q is not a whole number", v)
		}
	}
	if v := ann["sextant.io/hours"]; v != "" {
		res.Skip(pos, what+" sextant.io/hours", "the calendar %q is not in the file; declare it under calendars: and set the objective's hours to it", v)
	}
}
