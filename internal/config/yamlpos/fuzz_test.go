package yamlpos

import (
	"errors"
	"testing"
)

// FuzzDecode checks that no input makes Decode panic and that every problem
// in a non-empty input is placed on a line, since `sextant check` promises
// a place for each mistake.
func FuzzDecode(f *testing.F) {
	seeds := []string{
		"",
		"server: {listen: ':8080', port: 8080, debug: true}",
		"services:\n  - name: web\n    objective:\n      availability: 99.9\n    depends_on: [{service: db}]\n",
		"services:\n  - &s {name: a, weight: 1}\n  - <<: *s\n    name: b\n",
		"labels: {team: ops, \"a.b\": c}\nextra: [1, {x: ~}, 2.5, yes]\n",
		"server:\n  listen: ${HOST:-localhost}\n  port: ${PORT}\n  timeout: $${X}\n",
		"server:\n  prot: 1\n  port: 1\n  port: x\n",
		"a: &a [*a]\n",
		"extra: &x {a: *x}\n",
		"server: x\n---\nserver: y\n",
		"server:\n  listen: *nowhere\n",
		"\xff\xfe: 1",
		"services: [{weight: 99999999999999999999}]",
		"a: [",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	getenv := func(name string) (string, bool) {
		if name == "PORT" {
			return "8080", true
		}
		return "", false
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		var cfg testConfig
		pos, err := Decode(src, &cfg, Options{Getenv: getenv})
		if pos == nil {
			t.Fatal("Decode returned nil Positions")
		}
		if err == nil {
			return
		}
		var es Errors
		if !errors.As(err, &es) {
			t.Fatalf("error is %T, want Errors", err)
		}
		if len(es) == 0 {
			t.Fatal("non-nil error with no problems in it")
		}
		for _, e := range es {
			if len(src) > 0 && e.Line < 1 {
				t.Fatalf("error without a line: %#v", e)
			}
		}
		for i := 1; i < len(es); i++ {
			a, b := es[i-1], es[i]
			if a.Line > b.Line || a.Line == b.Line && a.Column > b.Column {
				t.Fatalf("errors out of order: %v before %v", a, b)
			}
		}
	})
}
