package config

import "testing"

// The feedback section: public ratings on the status pages, the per-IP
// limit named with its position when out of range, a page's own setting.
func TestFeedbackSection(t *testing.T) {
	pages := "status_pages:\n  - {name: main, title: Main, groups: [{title: Apps, services: [web]}], feedback: {public: false}}\n"
	for _, tc := range []struct {
		name, yaml string
		public     bool
		limit      int
		err        string
	}{
		{"left out", "", false, 10, ""},
		{"public with a limit", "feedback: {public: true, per_ip: 3}\n", true, 3, ""},
		{"a negative limit", "feedback: {per_ip: -1}\n", false, 0, `1:20: feedback.per_ip: must be from 1 to 1000 ratings per hour (0 or left out: 10), not -1`},
		{"a typo is named", "feedback: {publik: true}\n", false, 0, `1:12: feedback: unknown key "publik" (did you mean "public"?)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse([]byte(tc.yaml+"services:\n  - {name: web}\n"+pages), nil)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Feedback.Public != tc.public || cfg.Feedback.Limit() != tc.limit {
				t.Errorf("feedback %+v", cfg.Feedback)
			}
			if f := cfg.StatusPages[0].Feedback; f == nil || f.Public {
				t.Errorf("the page's own setting: %+v", f)
			}
		})
	}
}
