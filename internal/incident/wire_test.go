package incident

import (
	"encoding/json"
	"testing"
)

// TestToEventDetails: the details ToEvent keeps are exactly what the map
// it used to marshal gave (keys in name order, empty fields and null left
// out, raw JSON compacted and HTML-escaped), so stored incidents read the
// same before and after.
func TestToEventDetails(t *testing.T) {
	asMap := func(e PDEvent) []byte {
		d := map[string]any{}
		for k, v := range map[string]string{"component": e.Payload.Component, "group": e.Payload.Group, "class": e.Payload.Class, "timestamp": e.Payload.Timestamp,
			"client": e.Client, "client_url": e.ClientURL} {
			if v != "" {
				d[k] = v
			}
		}
		for k, v := range map[string]json.RawMessage{"custom_details": e.Payload.CustomDetails, "links": e.Links, "images": e.Images} {
			if len(v) > 0 && string(v) != "null" {
				d[k] = v
			}
		}
		b, _ := json.Marshal(d)
		return b
	}
	cases := []struct {
		name string
		ev   PDEvent
	}{
		{"nothing but the summary", PDEvent{Payload: &PDPayload{Summary: "s"}}},
		{"every field", PDEvent{Client: "Grafana", ClientURL: "https://g.example/d?a=1&b=<2>", Links: json.RawMessage(`[ {"href": "https://x"} ]`),
			Images: json.RawMessage(`[]`), Payload: &PDPayload{Summary: "s", Component: "db", Group: "prod", Class: "disk", Timestamp: "2026-12-03T06:00:00Z",
				CustomDetails: json.RawMessage("{\"free\": \"2%\",\n \"html\": \"<b>&amp;</b>\", \"ls\": \"\u2028\"}")}}},
		{"null raw fields", PDEvent{Links: json.RawMessage(`null`), Images: json.RawMessage(`null`), Payload: &PDPayload{Summary: "s", CustomDetails: json.RawMessage(`null`)}}},
		{"a string custom detail", PDEvent{Payload: &PDPayload{Summary: "s", CustomDetails: json.RawMessage(`"just text"`), Group: "é\"q"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := c.ev.ToEvent(&Integration{Name: "prom", Service: "payroll"}, nil).Details
			if want := asMap(c.ev); string(got) != string(want) {
				t.Errorf("details\n got %s\nwant %s", got, want)
			}
		})
	}
}
