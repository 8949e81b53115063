package knownerror

import (
	"encoding/json"
	"testing"
)

func TestSignatureMatching(t *testing.T) {
	labels := json.RawMessage(`{"labels":{"alertname":"DiskFull","instance":"db1:9100","replicas":3}}`)
	cases := []struct {
		name    string
		sig     KnownError
		service string
		summary string
		details json.RawMessage
		want    bool
	}{
		{"substring, any case", KnownError{SummaryMatch: "disk full"}, "db", "DISK FULL on db1", nil, true},
		{"substring missing", KnownError{SummaryMatch: "disk full"}, "db", "disk nearly full", nil, false},
		{"regexp as written", KnownError{SummaryMatch: "/^disk .* full$/"}, "db", "disk /var full", nil, true},
		{"regexp is case-sensitive", KnownError{SummaryMatch: "/^disk .* full$/"}, "db", "Disk /var full", nil, false},
		{"regexp with (?i)", KnownError{SummaryMatch: "/(?i)^disk .* full$/"}, "db", "Disk /var FULL", nil, true},
		{"a lone slash is a substring", KnownError{SummaryMatch: "/"}, "db", "disk /var", nil, true},
		{"other service", KnownError{Service: "web", SummaryMatch: "disk"}, "db", "disk full", nil, false},
		{"same service", KnownError{Service: "db", SummaryMatch: "disk"}, "db", "disk full", nil, true},
		{"labels all present", KnownError{Labels: map[string]string{"alertname": "DiskFull", "instance": "db1:9100"}}, "db", "x", labels, true},
		{"a label differs", KnownError{Labels: map[string]string{"alertname": "DiskFull", "instance": "db2:9100"}}, "db", "x", labels, false},
		{"a label missing", KnownError{Labels: map[string]string{"team": "dba"}}, "db", "x", labels, false},
		{"a number label as JSON text", KnownError{Labels: map[string]string{"replicas": "3"}}, "db", "x", labels, true},
		{"labels without details", KnownError{Labels: map[string]string{"alertname": "DiskFull"}}, "db", "x", nil, false},
		{"labels and summary both needed", KnownError{SummaryMatch: "cpu", Labels: map[string]string{"alertname": "DiskFull"}}, "db", "disk", labels, false},
		{"details that are not JSON", KnownError{Labels: map[string]string{"a": "b"}}, "db", "x", json.RawMessage(`nope`), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k, err := compile(c.sig)
			if err != nil {
				t.Fatal(err)
			}
			if got := k.matches(c.service, c.summary, Labels(c.details)); got != c.want {
				t.Fatalf("matches = %v, want %v", got, c.want)
			}
		})
	}
}

func TestBestMatch(t *testing.T) {
	mk := func(id int64, service, match string) compiled {
		c, err := compile(KnownError{ID: id, Title: "t", Service: service, SummaryMatch: match})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	cands := []compiled{mk(5, "", "disk"), mk(3, "", "disk"), mk(9, "db", "disk"), mk(7, "db", "disk")}
	k, ok := best(cands, "db", "disk full", nil)
	if !ok || k.ID != 7 {
		t.Fatalf("best for db = %d, %v; want 7 (names the service, oldest)", k.ID, ok)
	}
	k, ok = best(cands, "web", "disk full", nil)
	if !ok || k.ID != 3 {
		t.Fatalf("best for web = %d, %v; want 3 (oldest for any service)", k.ID, ok)
	}
	if _, ok := best(cands, "web", "cpu", nil); ok {
		t.Fatal("matched nothing expected")
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name string
		in   Input
		path string
	}{
		{"bad regexp", Input{Title: "t", SummaryMatch: "/a(/", Workaround: "w"}, "summary_match"},
		{"no signature", Input{Title: "t", Workaround: "w"}, "summary_match"},
		{"no title", Input{SummaryMatch: "x", Workaround: "w"}, "title"},
		{"blank workaround", Input{Title: "t", SummaryMatch: "x", Workaround: "  "}, "workaround"},
		{"bad label name", Input{Title: "t", Labels: map[string]string{"1x": "y"}, Workaround: "w"}, "labels.1x"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.in.Validate()
			if err == nil || !containsPath(err, c.path) {
				t.Fatalf("Validate = %v, want a problem at %s", err, c.path)
			}
		})
	}
	ok := Input{Title: " Disk full ", SummaryMatch: "/disk/", Workaround: "w"}
	if err := ok.Validate(); err != nil || ok.Title != "Disk full" || ok.Labels == nil {
		t.Fatalf("valid input: %v %+v", err, ok)
	}
}

func FuzzCompileMatch(f *testing.F) {
	for _, s := range []string{"", "/", "//", "/a(/", "disk", "/(?i)x/"} {
		f.Add(s, "Disk full")
	}
	f.Fuzz(func(t *testing.T, match, summary string) {
		m, err := compileMatch(match)
		if err == nil {
			m(summary)
		}
	})
}
