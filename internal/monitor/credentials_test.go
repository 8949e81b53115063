package monitor

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestSensitiveHeader(t *testing.T) {
	for _, c := range []struct {
		name string
		want bool
	}{
		{"Authorization", true}, {"authorization", true}, {"Proxy-Authorization", true}, {"Cookie", true},
		{"X-Api-Key", true}, {"X-Auth-Token", true}, {"X-Client-Secret", true}, {"X-Session-Id", true}, {"X-Password", true},
		{"Accept", false}, {"User-Agent", false}, {"Host", false}, {"X-Request-Id", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := SensitiveHeader(c.name); got != c.want {
				t.Fatalf("SensitiveHeader(%q) = %v", c.name, got)
			}
		})
	}
}

func ptr(s string) *string { return &s }

func TestKeepCredentials(t *testing.T) {
	stored := Check{Headers: map[string]string{"Authorization": "Bearer s3cr3t", "X-Api-Key": "k3y", "Accept": "text/plain"},
		BasicAuth: &BasicAuth{Username: "probe", Password: ptr("pw")}}
	for _, c := range []struct {
		name      string
		in        Check
		old       *Check
		want      Check
		wantField string
	}{
		{name: "left out keeps sensitive headers and basic auth; other headers go",
			in: Check{}, old: &stored,
			want: Check{Headers: map[string]string{"Authorization": "Bearer s3cr3t", "X-Api-Key": "k3y"}, BasicAuth: &BasicAuth{Username: "probe", Password: ptr("pw")}}},
		{name: "the marker keeps, whatever the header's case",
			in: Check{Headers: map[string]string{"authorization": SetMarker, "Accept": "a"}, BasicAuth: &BasicAuth{Username: "probe", Password: ptr(SetMarker)}}, old: &stored,
			want: Check{Headers: map[string]string{"authorization": "Bearer s3cr3t", "X-Api-Key": "k3y", "Accept": "a"}, BasicAuth: &BasicAuth{Username: "probe", Password: ptr("pw")}}},
		{name: "a value replaces, empty removes",
			in: Check{Headers: map[string]string{"Authorization": "", "X-Api-Key": "new"}, BasicAuth: &BasicAuth{Username: "other", Password: ptr("")}}, old: &stored,
			want: Check{Headers: map[string]string{"X-Api-Key": "new"}, BasicAuth: &BasicAuth{Username: "other"}}},
		{name: "an empty user name removes basic auth",
			in: Check{BasicAuth: &BasicAuth{}}, old: &stored,
			want: Check{Headers: map[string]string{"Authorization": "Bearer s3cr3t", "X-Api-Key": "k3y"}}},
		{name: "the marker with nothing stored is a problem",
			in: Check{Headers: map[string]string{"X-Api-Key": SetMarker}}, wantField: "headers.X-Api-Key"},
		{name: "a password marker with nothing stored is a problem",
			in: Check{BasicAuth: &BasicAuth{Username: "u", Password: ptr(SetMarker)}}, wantField: "basic_auth.password"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, problems := KeepCredentials(c.in, c.old)
			if c.wantField != "" {
				if len(problems) != 1 || problems[0].Path != c.wantField {
					t.Fatalf("problems %v, want one at %s", problems, c.wantField)
				}
				return
			}
			if len(problems) > 0 {
				t.Fatalf("problems: %v", problems)
			}
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(c.want)
			if string(g) != string(w) {
				t.Fatalf("got  %s\nwant %s", g, w)
			}
		})
	}
}

func TestRedactedAndAudit(t *testing.T) {
	old := Check{Name: "c", Headers: map[string]string{"X-Api-Key": "k3y", "Cookie": "a=b", "Accept": "x"}, BasicAuth: &BasicAuth{Username: "u", Password: ptr("pw")}}
	next := Check{Name: "c", Headers: map[string]string{"X-Api-Key": "rotated", "Cookie": "a=b", "Accept": "x"}, BasicAuth: &BasicAuth{Username: "u", Password: ptr("pw")}}
	b, a := AuditPair(&old, &next)
	bj, _ := json.Marshal(b)
	aj, _ := json.Marshal(a)
	for _, s := range []string{"k3y", "rotated", "a=b", "pw\""} {
		if strings.Contains(string(bj)+string(aj), s) {
			t.Errorf("audit shows %q: %s %s", s, bj, aj)
		}
	}
	if !strings.Contains(string(aj), `"X-Api-Key":"[changed]"`) || !strings.Contains(string(aj), `"Cookie":"[set]"`) || !strings.Contains(string(aj), `"password":"[set]"`) {
		t.Errorf("after: %s", aj)
	}
	// Redacted copies: the original keeps its values.
	if r := old.Redacted(); r.Headers["X-Api-Key"] != SetMarker || old.Headers["X-Api-Key"] != "k3y" || *old.BasicAuth.Password != "pw" {
		t.Errorf("Redacted changed the original or did not redact: %+v %+v", r.Headers, old.Headers)
	}
}

func TestCompileCredentials(t *testing.T) {
	base := func() Check { return Check{Name: "c", Service: "s", Type: TypeHTTP, URL: "https://a.example/"} }
	for _, c := range []struct {
		name  string
		edit  func(*Check)
		field string // "" means valid
	}{
		{"headers and basic auth", func(c *Check) {
			c.Headers = map[string]string{"X-Api-Key": "k"}
			c.BasicAuth = &BasicAuth{Username: "u", Password: ptr("p")}
		}, ""},
		{"a password in the URL", func(c *Check) { c.URL = "https://u:p@a.example/" }, "url"},
		{"basic auth and an Authorization header", func(c *Check) {
			c.Headers = map[string]string{"authorization": "x"}
			c.BasicAuth = &BasicAuth{Username: "u"}
		}, "basic_auth"},
		{"basic auth without a user name", func(c *Check) { c.BasicAuth = &BasicAuth{Password: ptr("p")} }, "basic_auth.username"},
		{"a header value on two lines", func(c *Check) { c.Headers = map[string]string{"X-Api-Key": "a\r\nb"} }, "headers.X-Api-Key"},
		{"a bad header name", func(c *Check) { c.Headers = map[string]string{"X Key": "a"} }, "headers.X Key"},
		{"headers on a tcp check", func(c *Check) { c.Type, c.Host, c.Port, c.Headers = TypeTCP, "a", 1, map[string]string{"A": "b"} }, "headers"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ch := base()
			c.edit(&ch)
			_, problems := Compile(ch, nil)
			if c.field == "" {
				if len(problems) > 0 {
					t.Fatalf("problems: %v", problems)
				}
				return
			}
			if len(problems) == 0 || problems[0].Path != c.field {
				t.Fatalf("problems %v, want one at %s", problems, c.field)
			}
			for _, p := range problems {
				if strings.Contains(p.Msg, "a\r\nb") || strings.Contains(p.Msg, ":p@") {
					t.Errorf("problem shows the value: %s", p.Msg)
				}
			}
		})
	}
}

func TestLiftURLPassword(t *testing.T) {
	c := Check{URL: "https://probe:pw@a.example/health"}
	liftURLPassword(&c)
	if c.URL != "https://a.example/health" || c.BasicAuth == nil || c.BasicAuth.Username != "probe" || c.BasicAuth.password() != "pw" {
		t.Fatalf("%+v %+v", c, c.BasicAuth)
	}
	h := requestHeaders(c)
	if h["Authorization"] != "Basic cHJvYmU6cHc=" {
		t.Fatalf("headers %v", h)
	}
}
