package config

import (
	"errors"
	"strings"
	"testing"
)

func TestIssueExampleIsValid(t *testing.T) {
	cfg, err := Load("testdata/issue-example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Catalog.Calendars) != 1 || len(cfg.Catalog.Services) != 2 {
		t.Fatalf("catalog = %+v", cfg.Catalog)
	}
	p := cfg.Catalog.Services[0]
	if p.Objective.Availability != "99.5%" || p.Objective.Degraded != "0.5" || *p.Objective.DowntimeCost != 1200 || p.Tier != 2 {
		t.Fatalf("payroll = %+v", p.Objective)
	}
}

func TestDemoIsValid(t *testing.T) {
	cfg, err := Parse(Demo, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Catalog.Services) < 5 {
		t.Fatalf("demo has %d services", len(cfg.Catalog.Services))
	}
}

// TestEveryMistakeWithLineAndColumn is the contract of `sextant check`.
func TestEveryMistakeWithLineAndColumn(t *testing.T) {
	_, err := Load("testdata/mistakes.yaml")
	var p *Problems
	if !errors.As(err, &p) {
		t.Fatalf("Load = %v, want *Problems", err)
	}
	want := []string{
		"testdata/mistakes.yaml:3:15: calendars.office.timezone: unknown time zone \"Europe/Berlim\"",
		"testdata/mistakes.yaml:8:11: services[0].tier: ",
		"testdata/mistakes.yaml:12:14: services[0].objective.hours: unknown calendar \"offic\"",
		"testdata/mistakes.yaml:13:7: services[0].objective: unknown key \"availabilty\"",
		"testdata/mistakes.yaml:14:21: services[0].objective.availability: \"120%\" is outside",
		"testdata/mistakes.yaml:15:19: services[0].objective.max_outage: ",
		"testdata/mistakes.yaml:17:17: services[0].maintenance[0].rrule: ",
		"testdata/mistakes.yaml:10:19: services[0].depends_on[0].service: dependency cycle: payroll → database → payroll",
	}
	lines := strings.Split(p.Error(), "\n")
	for _, w := range want {
		found := false
		for _, l := range lines {
			if strings.HasPrefix(l, w) {
				found = true
			}
		}
		if !found {
			t.Errorf("missing %q in:\n%s", w, p.Error())
		}
	}
	if len(lines) != len(want) {
		t.Errorf("%d problems, want %d:\n%s", len(lines), len(want), p.Error())
	}
}

func TestEnvExpansion(t *testing.T) {
	src := []byte("services:\n  - name: ${SVC}\n    owner: ${OWNER:-ops}\n")
	env := map[string]string{"SVC": "payroll"}
	cfg, err := Parse(src, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	if s := cfg.Catalog.Services[0]; s.Name != "payroll" || s.Owner != "ops" {
		t.Fatalf("service = %+v", s)
	}
	_, err = Parse([]byte("services:\n  - name: ${MISSING}\n"), func(string) (string, bool) { return "", false })
	if err == nil || !strings.Contains(err.Error(), "2:11") || !strings.Contains(err.Error(), "MISSING") {
		t.Fatalf("unset variable: %v", err)
	}
}

func TestSyntaxError(t *testing.T) {
	_, err := Parse([]byte("services:\n  - name: a\n   bad indent: [\n"), nil)
	var p *Problems
	if !errors.As(err, &p) || p.Errors[0].Line == 0 {
		t.Fatalf("syntax error = %v", err)
	}
}

func TestStatusPages(t *testing.T) {
	base := "services:\n  - name: shop\n  - name: payments\nstatus_pages:\n  - name: main\n    title: Example Corp status\n    groups:\n"
	t.Run("valid", func(t *testing.T) {
		cfg, err := Parse([]byte(base+"      - {title: Customer-facing, services: [shop, payments]}\n    display_names: {shop: Web shop}\n"), nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(cfg.StatusPages) != 1 || cfg.StatusPages[0].Groups[0].Services[1] != "payments" || cfg.StatusPages[0].DisplayNames["shop"] != "Web shop" {
			t.Fatalf("status pages = %+v", cfg.StatusPages)
		}
	})
	t.Run("unknown service", func(t *testing.T) {
		_, err := Parse([]byte(base+"      - {title: Customer-facing, services: [shop, paymnts]}\n"), nil)
		want := `8:51: status_pages[0].groups[0].services[1]: unknown service "paymnts"`
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Fatalf("err = %v, want %s…", err, want)
		}
	})
	t.Run("unknown key", func(t *testing.T) {
		_, err := Parse([]byte(base+"      - {title: A, services: [shop]}\n    colour: red\n"), nil)
		if err == nil || !strings.Contains(err.Error(), "9:5") || !strings.Contains(err.Error(), "colour") {
			t.Fatalf("err = %v", err)
		}
	})
}

// TestLittleLanguagesThatCannotBeHonoured: an RRULE that RFC 5545 forbids
// and a cron expression that never fires are refused at their line and
// column, naming the part at fault.
func TestLittleLanguagesThatCannotBeHonoured(t *testing.T) {
	src := `services:
  - name: backups
    maintenance:
      - {rrule: "FREQ=WEEKLY;INTERVAL=0;BYDAY=SU", duration: 2h}
      - {rrule: "FREQ=MONTHLY;BYSETPOS=1", duration: 2h}
checks:
  - name: nightly
    service: backups
    type: heartbeat
    cron: "0 0 30 2 *"
`
	_, err := Parse([]byte(src), nil)
	var p *Problems
	if !errors.As(err, &p) {
		t.Fatalf("Parse = %v, want *Problems", err)
	}
	tests := []struct{ name, want string }{
		{"rrule with INTERVAL=0", `4:17: services[0].maintenance[0].rrule: invalid recurrence rule "FREQ=WEEKLY;INTERVAL=0;BYDAY=SU": INTERVAL must be a whole number of at least 1`},
		{"rrule with BYSETPOS alone", `5:17: services[0].maintenance[1].rrule: invalid recurrence rule "FREQ=MONTHLY;BYSETPOS=1": BYSETPOS needs another BYxxx part`},
		{"cron that never fires", `10:11: checks[0].cron: "0 0 30 2 *" never fires`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(p.Error(), tt.want) {
				t.Errorf("missing %q in:\n%s", tt.want, p.Error())
			}
		})
	}
	if n := len(strings.Split(p.Error(), "\n")); n != len(tests) {
		t.Errorf("%d problems, want %d:\n%s", n, len(tests), p.Error())
	}
}

func TestChannelPacingMistakes(t *testing.T) {
	src := `services:
  - name: shop
    objective: {availability: 99.9%}
channels:
  - {name: ops-hook, type: webhook, url: "https://hooks.example/x", rate_limit: 30/m, digest_after: 20}
  - name: chat
    type: slack
    url: "https://hooks.slack.example/T/B/C"
    rate_limit: fast
    digest_after: -2
`
	_, err := Parse([]byte(src), nil)
	var p *Problems
	if !errors.As(err, &p) {
		t.Fatalf("Parse = %v, want *Problems", err)
	}
	want := "9:17: channels[1].rate_limit: expected events per time, e.g. 100/s, got \"fast\"\n" +
		"10:19: channels[1].digest_after: must be at least 1 (the default is 10)"
	if got := p.Error(); got != want {
		t.Fatalf("problems:\n%s\nwant:\n%s", got, want)
	}
}

func TestCurrency(t *testing.T) {
	for _, tc := range []struct {
		name, line string
		want       string // the currency, or the problem with its position
	}{
		{"none is plain numbers", "", ""},
		{"an ISO 4217 code", "currency: EUR\n", "EUR"},
		{"lower case names the capitals", "currency: eur\n", `1:11: currency: expected an ISO 4217 code in capitals, "EUR", got "eur"`},
		{"a symbol is refused", "currency: €\n", `1:11: currency: expected a three-letter ISO 4217 currency code such as EUR or USD, got "€"`},
		{"too long", "currency: EURO\n", `1:11: currency: expected a three-letter ISO 4217 currency code such as EUR or USD, got "EURO"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse([]byte(tc.line+"services:\n  - {name: web}\n"), nil)
			if err != nil {
				if got := err.Error(); got != tc.want {
					t.Errorf("error %q, want %q", got, tc.want)
				}
				return
			}
			if cfg.Currency != tc.want {
				t.Errorf("currency %q, want %q", cfg.Currency, tc.want)
			}
		})
	}
}
