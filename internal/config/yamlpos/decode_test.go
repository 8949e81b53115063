package yamlpos

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The types below stand in for Sextant's configuration: nested structs,
// sequences of structs, pointers, maps and free-form values.

type testConfig struct {
	Server   testServer        `yaml:"server"`
	Services []testService     `yaml:"services"`
	Labels   map[string]string `yaml:"labels"`
	Extra    any               `yaml:"extra"`
	Ignored  string            `yaml:"-"`
}

type testServer struct {
	Listen  string `yaml:"listen"`
	Port    uint16 `yaml:"port"`
	Debug   bool   `yaml:"debug"`
	Timeout string `yaml:"timeout,omitempty"`
}

type testService struct {
	Name      string           `yaml:"name"`
	Tier      string           `yaml:"tier"`
	Objective *testObjective   `yaml:"objective"`
	DependsOn []testDependency `yaml:"depends_on"`
	Weight    int8             `yaml:"weight"`
}

type testObjective struct {
	Availability float64 `yaml:"availability"`
	Hours        string  `yaml:"hours"`
}

type testDependency struct {
	Service string `yaml:"service"`
}

// wantErr is an expected error, written as Error() prints it.
func errorStrings(err error) []string {
	if err == nil {
		return nil
	}
	var es Errors
	if !errors.As(err, &es) {
		return []string{"not an Errors: " + err.Error()}
	}
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Error()
	}
	return out
}

func TestDecodeReportsEveryMistakeInOrder(t *testing.T) {
	src := `server:
  listen: ":8080"
  prot: 9000
services:
  - name: web
    objective:
      availability: abc
    name: web2
  - name: db
    weight: 300
labels: [a]
`
	var cfg testConfig
	_, err := Decode([]byte(src), &cfg, Options{})
	want := []string{
		`3:3: server: unknown key "prot" (did you mean "port"?)`,
		`7:21: services[0].objective.availability: expected a number, got "abc"`,
		`8:5: services[0]: duplicate key "name" (first at 5:5)`,
		`10:13: services[1].weight: number 300 is out of range (-128 to 127)`,
		`11:9: labels: expected a mapping, got a sequence`,
	}
	if got := errorStrings(err); !reflect.DeepEqual(got, want) {
		t.Fatalf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Decoding went on around the mistakes.
	if cfg.Server.Listen != ":8080" || len(cfg.Services) != 2 || cfg.Services[1].Name != "db" {
		t.Errorf("partial result = %+v", cfg)
	}
}

func TestDecodeValues(t *testing.T) {
	cases := []struct {
		name string
		src  string
		want testConfig
	}{
		{
			name: "empty input gives the zero value",
			src:  "",
		},
		{
			name: "comments only",
			src:  "# nothing here\n",
		},
		{
			name: "scalars of every kind",
			src:  "server: {listen: localhost, port: 0x1F, debug: yes, timeout: 30s}",
			want: testConfig{Server: testServer{Listen: "localhost", Port: 31, Debug: true, Timeout: "30s"}},
		},
		{
			name: "a string field takes numbers as their text",
			src:  "services: [{name: 42, tier: 2}, {name: 99.5%, tier: true}]",
			want: testConfig{Services: []testService{{Name: "42", Tier: "2"}, {Name: "99.5%", Tier: "true"}}},
		},
		{
			name: "quoted numbers go into numeric fields",
			src:  `server: {port: "8080"}`,
			want: testConfig{Server: testServer{Port: 8080}},
		},
		{
			name: "pointer is allocated",
			src:  "services: [{objective: {availability: 99.9}}]",
			want: testConfig{Services: []testService{{Objective: &testObjective{Availability: 99.9}}}},
		},
		{
			name: "explicit null leaves a pointer nil",
			src:  "services: [{objective: null}]",
			want: testConfig{Services: []testService{{}}},
		},
		{
			name: "map with string keys",
			src:  "labels: {team: ops, \"cost.centre\": 12}",
			want: testConfig{Labels: map[string]string{"team": "ops", "cost.centre": "12"}},
		},
		{
			name: "generic value",
			src:  "extra: {a: [1, x, 2.5, true, ~], b: {c: d}}",
			want: testConfig{Extra: map[string]any{
				"a": []any{1, "x", 2.5, true, nil},
				"b": map[string]any{"c": "d"},
			}},
		},
		{
			name: "an anchor and its alias",
			src:  "services:\n  - name: web\n    depends_on: &deps [{service: db}]\n  - name: api\n    depends_on: *deps\n",
			want: testConfig{Services: []testService{
				{Name: "web", DependsOn: []testDependency{{Service: "db"}}},
				{Name: "api", DependsOn: []testDependency{{Service: "db"}}},
			}},
		},
		{
			name: "merge key; written keys win",
			src:  "services:\n  - &base {name: base, tier: gold, weight: 1}\n  - <<: *base\n    name: web\n",
			want: testConfig{Services: []testService{
				{Name: "base", Tier: "gold", Weight: 1},
				{Name: "web", Tier: "gold", Weight: 1},
			}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got testConfig
			if _, err := Decode([]byte(c.src), &got, Options{}); err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got  %#v\nwant %#v", got, c.want)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	cases := []struct {
		name string
		src  string
		want []string
	}{
		{
			name: "unknown key without a close match",
			src:  "server:\n  colour: red\n",
			want: []string{`2:3: server: unknown key "colour"`},
		},
		{
			name: "unknown key with a swapped pair of letters",
			src:  "services:\n  - name: a\n    objective: {availabiltiy: 1}\n",
			want: []string{`3:17: services[0].objective: unknown key "availabiltiy" (did you mean "availability"?)`},
		},
		{
			name: "ignored field is unknown",
			src:  "ignored: x",
			want: []string{`1:1: unknown key "ignored"`},
		},
		{
			name: "duplicate key at the second occurrence",
			src:  "server:\n  port: 1\n  port: 2\n",
			want: []string{`3:3: server: duplicate key "port" (first at 2:3)`},
		},
		{
			name: "scalar where a mapping is expected",
			src:  "server: x",
			want: []string{`1:9: server: expected a mapping, got a scalar "x"`},
		},
		{
			name: "mapping where a sequence is expected",
			src:  "services: {a: 1}",
			want: []string{`1:11: services: expected a sequence, got a mapping`},
		},
		{
			name: "mapping into a string",
			src:  "services: [{name: {first: a}}]",
			want: []string{`1:19: services[0].name: expected a string, got a mapping`},
		},
		{
			name: "not a bool",
			src:  "server: {debug: maybe}",
			want: []string{`1:17: server.debug: expected true or false, got "maybe"`},
		},
		{
			name: "fraction into an integer",
			src:  "server: {port: 1.5}",
			want: []string{`1:16: server.port: expected an integer, got "1.5"`},
		},
		{
			name: "negative into an unsigned integer",
			src:  "server: {port: -1}",
			want: []string{`1:16: server.port: number -1 is out of range (0 to 65535)`},
		},
		{
			name: "huge integer",
			src:  "services: [{weight: 99999999999999999999999}]",
			want: []string{`1:21: services[0].weight: number 99999999999999999999999 is out of range (-128 to 127)`},
		},
		{
			name: "percent sign in a number",
			src:  "services: [{objective: {availability: 99.5%}}]",
			want: []string{`1:39: services[0].objective.availability: expected a number, got "99.5%"`},
		},
		{
			name: "mapping key that is not a scalar",
			src:  "labels: {[a]: b}",
			want: []string{`1:10: labels: expected a scalar key, got a sequence`},
		},
		{
			name: "second document",
			src:  "server: {}\n---\nserver: {}\n",
			want: []string{`2:1: expected one YAML document, found another`},
		},
		{
			name: "syntax error carries the line",
			src:  "server:\n  port: 1\n  listen: a: b\n",
			want: []string{`3: mapping values are not allowed in this context`},
		},
		{
			name: "unknown anchor is located",
			src:  "server:\n  listen: *nowhere\n",
			want: []string{`2:11: unknown anchor 'nowhere' referenced`},
		},
		{
			name: "alias cycle",
			src:  "extra: &a [*a]\n",
			want: []string{`1:12: extra[0]: alias *a refers to a node that contains it`},
		},
		{
			name: "error inside an anchor is reported once",
			src:  "services:\n  - &s {name: a, weight: x}\n  - *s\n  - *s\n",
			want: []string{`2:26: services[0].weight: expected an integer, got "x"`},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var cfg testConfig
			_, err := Decode([]byte(c.src), &cfg, Options{})
			if got := errorStrings(err); !reflect.DeepEqual(got, c.want) {
				t.Fatalf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
		})
	}
}

func TestDecodeRefusesBillionLaughs(t *testing.T) {
	// Each builds ten levels of anchors, each level referring ten times to
	// the one before: 10^10 nodes if expanded.
	nested := func(first, level string) string {
		var b strings.Builder
		b.WriteString(first)
		for i := 1; i < 10; i++ {
			refs := strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*a%d, ", i-1), 10), ", ")
			fmt.Fprintf(&b, level, i, refs)
		}
		return b.String()
	}
	cases := []struct {
		name string
		src  string
	}{
		{
			name: "nested sequences",
			src:  nested("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n", "a%d: &a%[1]d [%s]\n"),
		},
		{
			name: "nested merge keys",
			src:  nested("- &a0 {name: x}\n", "- &a%d\n  <<: [%s]\n"),
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var v any
			_, err := Decode([]byte(c.src), &v, Options{})
			if err == nil || !strings.Contains(err.Error(), "too many alias expansions") {
				t.Fatalf("err = %v, want too many alias expansions", err)
			}
		})
	}
}

func TestDecodeEnv(t *testing.T) {
	env := map[string]string{"PORT": "8080", "HOST": "db.local", "EMPTY": "", "BAD": "eighty"}
	getenv := func(name string) (string, bool) {
		v, ok := env[name]
		return v, ok
	}
	cases := []struct {
		name    string
		src     string
		getenv  func(string) (string, bool)
		want    testServer
		wantErr []string
	}{
		{
			name:   "variable into a number",
			src:    "server:\n  port: ${PORT}\n  listen: \"${HOST}:${PORT}\"\n",
			getenv: getenv,
			want:   testServer{Port: 8080, Listen: "db.local:8080"},
		},
		{
			name:   "default when unset",
			src:    "server:\n  listen: ${NOPE:-0.0.0.0}\n",
			getenv: getenv,
			want:   testServer{Listen: "0.0.0.0"},
		},
		{
			name:   "default when empty",
			src:    "server:\n  listen: ${EMPTY:-here}\n",
			getenv: getenv,
			want:   testServer{Listen: "here"},
		},
		{
			name:   "double dollar is a literal",
			src:    "server:\n  listen: $${PORT}\n  timeout: a$b$$c\n",
			getenv: getenv,
			want:   testServer{Listen: "${PORT}", Timeout: "a$b$$c"},
		},
		{
			name: "no expansion without Getenv",
			src:  "server:\n  listen: ${PORT}\n",
			want: testServer{Listen: "${PORT}"},
		},
		{
			name:    "unset variable is an error at its scalar",
			src:     "server:\n  listen: x${NOPE}y\n",
			getenv:  getenv,
			wantErr: []string{`2:11: server.listen: environment variable "NOPE" is not set`},
		},
		{
			name:    "expanded value of the wrong type names both texts",
			src:     "server:\n  port: ${BAD}\n",
			getenv:  getenv,
			wantErr: []string{`2:9: server.port: expected an integer, got "eighty" (from "${BAD}")`},
		},
		{
			name:    "malformed references",
			src:     "server: {listen: \"${1X}\", timeout: \"${PORT\"}",
			getenv:  getenv,
			wantErr: []string{`1:18: server.listen: invalid environment variable name "1X"`, `1:36: server.timeout: unterminated "${" in "${PORT"`},
		},
		{
			name:    "keys are not expanded",
			src:     "server:\n  ${PORT}: 1\n",
			getenv:  getenv,
			wantErr: []string{`2:3: server: unknown key "${PORT}"`},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var cfg testConfig
			_, err := Decode([]byte(c.src), &cfg, Options{Getenv: c.getenv})
			if got := errorStrings(err); !reflect.DeepEqual(got, c.wantErr) {
				t.Fatalf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.wantErr, "\n"))
			}
			if c.wantErr == nil && cfg.Server != c.want {
				t.Fatalf("got %+v, want %+v", cfg.Server, c.want)
			}
		})
	}
}

func TestDecodeGenericEnvResolvesExpandedText(t *testing.T) {
	var v map[string]any
	getenv := func(string) (string, bool) { return "8080", true }
	if _, err := Decode([]byte("plain: ${P}\nquoted: \"${P}\"\n"), &v, Options{Getenv: getenv}); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"plain": 8080, "quoted": "8080"}
	if !reflect.DeepEqual(v, want) {
		t.Fatalf("got %#v, want %#v", v, want)
	}
}

func TestPositions(t *testing.T) {
	src := `services:
  - name: web
    objective:
      availability: 99.9
    depends_on:
      - service: db
labels:
  "a.b": x
`
	var cfg testConfig
	pos, err := Decode([]byte(src), &cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		path      string
		line, col int
		exact     bool
	}{
		{path: "", line: 1, col: 1, exact: true},
		{path: "services", line: 2, col: 3, exact: true},
		{path: "services[0]", line: 2, col: 5, exact: true},
		{path: "services[0].name", line: 2, col: 11, exact: true},
		{path: "services[0].objective", line: 4, col: 7, exact: true},
		{path: "services[0].objective.availability", line: 4, col: 21, exact: true},
		{path: "services[0].objective.hours", line: 4, col: 7, exact: false},
		{path: "services[0].depends_on[0].service", line: 6, col: 18, exact: true},
		{path: "services[0].depends_on[3].service", line: 6, col: 7, exact: false},
		{path: "services[7].name", line: 2, col: 3, exact: false},
		{path: `labels["a.b"]`, line: 8, col: 10, exact: true},
		{path: `labels["a.b"].deeper`, line: 8, col: 10, exact: false},
		{path: "nowhere", line: 1, col: 1, exact: false},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			line, col, exact := pos.Lookup(c.path)
			if line != c.line || col != c.col || exact != c.exact {
				t.Fatalf("Lookup(%q) = %d, %d, %v; want %d, %d, %v", c.path, line, col, exact, c.line, c.col, c.exact)
			}
		})
	}

	t.Run("At builds an error at the nearest position", func(t *testing.T) {
		got := pos.At("services[0].depends_on[0].service", `unknown service "db"`).Error()
		want := `6:18: services[0].depends_on[0].service: unknown service "db"`
		if got != want {
			t.Fatalf("At = %q, want %q", got, want)
		}
	})
	t.Run("empty input has no positions", func(t *testing.T) {
		pos, _ := Decode(nil, &cfg, Options{})
		if line, col, ok := pos.Lookup(""); line != 0 || col != 0 || ok {
			t.Fatalf("Lookup = %d, %d, %v", line, col, ok)
		}
	})
}

func TestParentPath(t *testing.T) {
	cases := []struct {
		path, parent string
		ok           bool
	}{
		{"", "", false},
		{"a", "", true},
		{"a.b", "a", true},
		{"a[0]", "a", true},
		{"a[0].b", "a[0]", true},
		{"[0]", "", true},
		{`a["x.y[1]"]`, "a", true},
		{`a["q\".z"].c`, `a["q\".z"]`, true},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			parent, ok := parentPath(c.path)
			if parent != c.parent || ok != c.ok {
				t.Fatalf("parentPath(%q) = %q, %v; want %q, %v", c.path, parent, ok, c.parent, c.ok)
			}
		})
	}
}

// Types for the struct-mapping rules.

type inlineBase struct {
	ID   string `yaml:"id"`
	Note string `yaml:"note"`
}

type withInline struct {
	inlineBase `yaml:",inline"`
	Note       string // untagged: key "note" shadows the inlined one
	MaxItems   int    // untagged: key "maxitems"
	hidden     string
	private    inlineBase `yaml:",inline"` // unexported and not embedded: ignored
}

// level implements yaml.Unmarshaler to check that custom types are called
// and that their errors are reported at their node.
type level int

func (l *level) UnmarshalYAML(n *yaml.Node) error {
	switch n.Value {
	case "low":
		*l = 1
	case "high":
		*l = 2
	default:
		return fmt.Errorf("unknown level %q", n.Value)
	}
	return nil
}

// celsius implements encoding.TextUnmarshaler.
type celsius float64

func (c *celsius) UnmarshalText(b []byte) error {
	s, ok := strings.CutSuffix(string(b), "C")
	if !ok {
		return errors.New("temperature needs a C suffix")
	}
	f, err := strconv.ParseFloat(s, 64)
	*c = celsius(f)
	return err
}

type withCustom struct {
	Level  level            `yaml:"level"`
	Levels map[string]level `yaml:"levels"`
	Temp   *celsius         `yaml:"temp"`
	Raw    yaml.Node        `yaml:"raw"`
	Small  [2]int           `yaml:"small"`
	F32    float32          `yaml:"f32"`
	Bad    chan int         `yaml:"bad"`
}

func TestStructRules(t *testing.T) {
	t.Run("inline and untagged fields", func(t *testing.T) {
		var got withInline
		if _, err := Decode([]byte("id: x\nnote: outer\nmaxitems: 3\n"), &got, Options{}); err != nil {
			t.Fatal(err)
		}
		want := withInline{inlineBase: inlineBase{ID: "x"}, Note: "outer", MaxItems: 3}
		if got != want {
			t.Fatalf("got %+v, want %+v", got, want)
		}
	})
	t.Run("unexported fields are unknown keys", func(t *testing.T) {
		var got withInline
		_, err := Decode([]byte("hidden: x\n"), &got, Options{})
		if want := []string{`1:1: unknown key "hidden"`}; !reflect.DeepEqual(errorStrings(err), want) {
			t.Fatalf("errors = %q, want %q", errorStrings(err), want)
		}
	})
	t.Run("custom unmarshalers", func(t *testing.T) {
		var got withCustom
		src := "level: high\nlevels: {a: low}\ntemp: 21.5C\nraw: {k: [1, 2]}\nsmall: [3, 4]\nf32: 1.5\n"
		if _, err := Decode([]byte(src), &got, Options{}); err != nil {
			t.Fatal(err)
		}
		if got.Level != 2 || got.Levels["a"] != 1 || got.Temp == nil || *got.Temp != 21.5 ||
			got.Raw.Kind != yaml.MappingNode || got.Small != [2]int{3, 4} || got.F32 != 1.5 {
			t.Fatalf("got %+v", got)
		}
	})
	t.Run("custom unmarshaler errors at their node", func(t *testing.T) {
		var got withCustom
		src := "level: medium\ntemp: 20F\nsmall: [1]\nf32: 1e300\nbad: 1\n"
		_, err := Decode([]byte(src), &got, Options{})
		want := []string{
			`1:8: level: unknown level "medium"`,
			`2:7: temp: temperature needs a C suffix`,
			`3:8: small: expected 2 items, got 1`,
			`4:6: f32: number 1e300 is out of range for float32`,
			`5:6: bad: cannot decode into Go type chan int`,
		}
		if got := errorStrings(err); !reflect.DeepEqual(got, want) {
			t.Fatalf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})
	t.Run("custom unmarshaler sees expanded values", func(t *testing.T) {
		var got withCustom
		getenv := func(string) (string, bool) { return "low", true }
		if _, err := Decode([]byte("level: ${L}\n"), &got, Options{Getenv: getenv}); err != nil {
			t.Fatal(err)
		}
		if got.Level != 1 {
			t.Fatalf("Level = %d, want 1", got.Level)
		}
	})
}

func TestDecodeNeedsAPointer(t *testing.T) {
	cases := []struct {
		name string
		out  any
	}{
		{"nil", nil},
		{"struct value", testConfig{}},
		{"nil pointer", (*testConfig)(nil)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pos, err := Decode([]byte("a: 1"), c.out, Options{})
			if err == nil || pos == nil {
				t.Fatalf("Decode = %v, %v; want an error and positions", pos, err)
			}
		})
	}
}

func TestErrorFormat(t *testing.T) {
	cases := []struct {
		name string
		err  Error
		want string
	}{
		{"everything", Error{Line: 12, Column: 7, Path: "a.b", Msg: "m"}, "12:7: a.b: m"},
		{"no column", Error{Line: 3, Msg: "m"}, "3: m"},
		{"no position", Error{Path: "a", Msg: "m"}, "a: m"},
		{"document", Error{Line: 1, Column: 1, Msg: "m"}, "1:1: m"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.err.Error(); got != c.want {
				t.Fatalf("Error() = %q, want %q", got, c.want)
			}
		})
	}
	t.Run("list", func(t *testing.T) {
		es := Errors{{Line: 1, Msg: "a"}, {Line: 2, Msg: "b"}}
		if got := es.Error(); got != "1: a\n2: b" {
			t.Fatalf("Errors.Error() = %q", got)
		}
	})
}

func TestSuggest(t *testing.T) {
	names := []string{"name", "tier", "objective", "depends_on", "id"}
	cases := []struct {
		key, want string
	}{
		{"nmae", "name"},
		{"objectiv", "objective"},
		{"dependson", "depends_on"},
		{"ab", ""},
		{"completely", ""},
	}
	for _, c := range cases {
		t.Run(c.key, func(t *testing.T) {
			if got, _ := suggest(c.key, names); got != c.want {
				t.Fatalf("suggest(%q) = %q, want %q", c.key, got, c.want)
			}
		})
	}
}
