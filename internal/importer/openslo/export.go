package openslo

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/sextant-ops/sextant/internal/catalog"
)

// Export writes each service with an objective as an OpenSLO v1 Service
// and SLO. Sextant measures time in service hours, so the SLO budgets by
// time slices of one minute, and what OpenSLO has no field for (service
// hours, max_outage, max_outages) travels in sextant.io/ annotations,
// which Import reads back.
func Export(services []catalog.Service) ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	for _, s := range services {
		if s.Objective == nil {
			continue
		}
		o, err := catalog.ParseTarget(string(s.Objective.Availability))
		if err != nil {
			return nil, fmt.Errorf("openslo: service %s: %w", s.Name, err)
		}
		svc := map[string]any{
			"apiVersion": "openslo/v1", "kind": "Service",
			"metadata": meta(s.Name, s.Title, nil),
			"spec":     map[string]any{"description": s.Description},
		}
		ann := map[string]string{}
		if s.Objective.Hours != "" && s.Objective.Hours != "24x7" {
			ann["sextant.io/hours"] = s.Objective.Hours
		}
		if s.Objective.MaxOutage != "" {
			ann["sextant.io/max_outage"] = s.Objective.MaxOutage
		}
		if s.Objective.MaxOutages != nil {
			ann["sextant.io/max_outages"] = strconv.Itoa(*s.Objective.MaxOutages)
		}
		window := map[string]any{"duration": "1M", "calendar": map[string]any{"startTime": "2020-01-01 00:00:00", "timeZone": "UTC"}}
		switch s.Objective.Period {
		case "week":
			window["duration"] = "1w"
		case "quarter":
			window["duration"] = "1Q"
		case "30d":
			window = map[string]any{"duration": "30d", "isRolling": true}
		}
		slo := map[string]any{
			"apiVersion": "openslo/v1", "kind": "SLO",
			"metadata": meta(s.Name+"-availability", title(metadata{Name: s.Name, DisplayName: s.Title})+" availability", ann),
			"spec": map[string]any{
				"service":         s.Name,
				"description":     "Share of " + hoursText(s.Objective.Hours) + " the service is up, as Sextant measures it from its checks, alerts and dependencies.",
				"budgetingMethod": "Timeslices",
				"timeWindow":      []any{window},
				"indicator": map[string]any{
					"metadata": map[string]any{"name": s.Name + "-up"},
					"spec": map[string]any{"thresholdMetric": map[string]any{"metricSource": map[string]any{
						"type": "Prometheus",
						"spec": map[string]any{"query": `sextant_service_availability_ratio{service="` + s.Name + `"}`},
					}}},
				},
				"objectives": []any{map[string]any{
					"displayName": "availability", "target": o,
					"timeSliceTarget": 1, "timeSliceWindow": "1m",
				}},
			},
		}
		for _, d := range []any{svc, slo} {
			if err := enc.Encode(d); err != nil {
				return nil, err
			}
		}
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func meta(name, display string, ann map[string]string) map[string]any {
	m := map[string]any{"name": name}
	if display != "" && display != name {
		m["displayName"] = display
	}
	if len(ann) > 0 {
		m["annotations"] = ann
	}
	return m
}

func hoursText(h string) string {
	if h == "" || h == "24x7" {
		return "all hours"
	}
	return "the " + strings.TrimSpace(h) + " service hours"
}
