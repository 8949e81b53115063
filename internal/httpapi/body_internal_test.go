package httpapi

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/monitor"
)

// embedded has a promoted field, a hidden one and an ignored one, to check
// that field lookup follows encoding/json.
type embedded struct {
	Inner
	Name    string            `json:"name"`
	Skip    string            `json:"-"`
	Dash    string            `json:"-,"`
	Any     any               `json:"any"`
	Raw     json.RawMessage   `json:"raw"`
	Labels  map[string]string `json:"labels"`
	Numbers [2]int            `json:"numbers"`
	Ptr     *uint8            `json:"ptr"`
}

// Inner is embedded in embedded.
type Inner struct {
	Name  string `json:"inner_name"`
	Depth int    `json:"depth"`
}

func TestDecodeValue(t *testing.T) {
	cases := []struct {
		name, body string
		want       []string // "pointer: detail fragment"
	}{
		{"every kind of field", `{"inner_name":"i","depth":2,"name":"n","-":"d","any":{"a":[1]},"raw":{"x":1},"labels":{"a/b":"c"},"numbers":[1,2],"ptr":7}`, nil},
		{"case-insensitive like encoding/json", `{"NAME":"n","Depth":1}`, nil},
		{"ignored field is unknown", `{"Skip":"x"}`, []string{"/Skip: unknown field"}},
		{"pointer escapes", `{"labels":{"a/b~c":5}}`, []string{"/labels/a~1b~0c: expected a string"}},
		{"array length", `{"numbers":[1]}`, []string{"/numbers: 2 items"}},
		{"uint range", `{"ptr":300}`, []string{"/ptr: from 0 to 255"}},
		{"negative uint", `{"ptr":-1}`, []string{"/ptr: whole number, got -1"}},
		{"every problem, in order", `{"depth":"x","name":1,"labels":[],"numbers":{},"bogus":1}`,
			[]string{"/depth: whole number", "/name: a string", "/labels: an object", "/numbers: an array", "/bogus: unknown field"}},
		{"null leaves fields alone", `{"name":null,"labels":null,"ptr":null}`, nil},
		{"a duplicate in a map", `{"labels":{"a":"1","a":"2"}}`, []string{"/labels/a: duplicate key"}},
		{"trailing data", `{} x`, []string{": single JSON value"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var v embedded
			var got []string
			for _, p := range decodeValue([]byte(c.body), &v) {
				got = append(got, p.Pointer+": "+p.Detail)
			}
			if len(got) != len(c.want) {
				t.Fatalf("problems %q, want %q", got, c.want)
			}
			for i, w := range c.want {
				ptr, frag, _ := strings.Cut(w, ": ")
				if !strings.HasPrefix(got[i], ptr+": ") || !strings.Contains(got[i], frag) {
					t.Fatalf("problem %d = %q, want %q", i, got[i], w)
				}
			}
		})
	}
	var v embedded
	if p := decodeValue([]byte(`{"inner_name":"i","depth":2,"name":"n","ptr":7}`), &v); len(p) > 0 || v.Inner.Name != "i" || v.Depth != 2 || v.Name != "n" || *v.Ptr != 7 {
		t.Fatalf("decoded %+v, problems %v", v, p)
	}
}

// FuzzDecodeValue checks the decoder against encoding/json: it never
// panics, and a body it accepts whole decodes to exactly what a strict
// encoding/json decoder makes of it.
func FuzzDecodeValue(f *testing.F) {
	for _, s := range []string{
		`{"name":"payroll","tier":2,"depends_on":[{"service":"db","kind":"hard"}],"objective":{"availability":"99.5%","max_outages":3,"degraded":0.5,"downtime_cost":1200}}`,
		`{"name":"x","objective":{"availability":99.9,"budget":1e3}}`,
		`{"name":"web","type":"http","url":"https://x","fail_after":3,"headers":{"a":"b"},"conditions":["[STATUS] == 200",{"condition":"x","degraded":true}]}`,
		`{"name":"a\u0000"}`, "{\"name\":\"\xff\"}", `{"tier":1.5}`, `{"a":1,"a":2}`, `[]`, `null`, `{"maintenance":[{"start":1}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, newValue := range []func() any{func() any { return new(catalog.Service) }, func() any { return new(monitor.Check) }} {
			got := newValue()
			if len(decodeValue(data, got)) > 0 {
				continue
			}
			want := newValue()
			dec := json.NewDecoder(bytes.NewReader(data))
			dec.DisallowUnknownFields()
			if err := dec.Decode(want); err != nil {
				t.Fatalf("accepted %q, which encoding/json refuses: %v", data, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%q decoded to %+v, encoding/json makes %+v", data, got, want)
			}
		}
	})
}

// FuzzTextProblems checks textProblems' shortcut against the parse it
// skips: the same answer for every body.
func FuzzTextProblems(f *testing.F) {
	for _, s := range []string{
		`{"routing_key":"k","event_action":"trigger","payload":{"summary":"a","source":"b","severity":"info"}}`,
		`{"a":"x\u0000"}`, `{"a\u0000":1}`, `{"a":"\\u0000"}`, "{\"a\":\"\xff\"}", "{\"\xc3\x28\":1}", "\xff{}", `{"a":"\ud800"}`,
		`[1,"\u0000"]`, `{"a":{"b":["c","d\u0000e"]}}`, "{\"a\":\"\x00\"}", `not json \u0000`, `{"a":1,"a":2}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, want := textProblems(data), parsedTextProblems(data)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: textProblems %+v, the parse %+v", data, got, want)
		}
	})
}
