package httpapi

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// API bodies are decoded in two steps so that one answer lists every
// mistake. First a token walk over the bytes builds a tree of JSON values,
// refusing what encoding/json would silently accept or fix up: duplicate
// keys (the config file refuses them too), strings holding a NUL byte or
// invalid UTF-8 (which encoding/json replaces with U+FFFD, and which
// PostgreSQL text cannot hold) and absurd nesting. Then the tree is laid
// onto the Go value field by field, so a value of the wrong type at one
// pointer leaves that field empty and reports it, and decoding goes on with
// the others. The YAML decoder of the config file is not used for this:
// it reads the yaml tags (which differ from the json ones), not the types'
// UnmarshalJSON methods, and it treats big integers, \u0000 and invalid
// UTF-8 differently from the JSON the API promises.

// maxDepth is the deepest nesting of arrays and objects an API body may
// have; maxForeignDepth that of another tool's format, checked only for its
// text (encoding/json's own limit), so that no string escapes the check.
const (
	maxDepth        = 64
	maxForeignDepth = 10000
)

// jsonNode is one value of a decoded body.
type jsonNode struct {
	kind  byte   // '{', '[', '"', 'n' (number), 'b' (true or false), '0' (null)
	raw   []byte // the value's own bytes, for types that decode themselves
	str   string // a string's value
	keys  []string
	items []*jsonNode // an object's values (in key order) or an array's items
}

// bodyProblems is a body that decoded with problems: the value as far as it
// decoded, and every problem found, each at its JSON pointer. The route
// wrapper adds what the body's validator finds in the parts that did
// decode, so that one answer lists every mistake.
type bodyProblems struct {
	value  any
	fields []ProblemField
}

func (b *bodyProblems) Error() string {
	var parts []string
	for _, f := range b.fields {
		parts = append(parts, f.Pointer+": "+f.Detail)
	}
	return "invalid body: " + strings.Join(parts, "; ")
}

// pointerJoin appends a key to a JSON pointer, escaping it as RFC 6901
// asks.
func pointerJoin(ptr, key string) string {
	return ptr + "/" + strings.ReplaceAll(strings.ReplaceAll(key, "~", "~0"), "/", "~1")
}

// parseBody reads data as exactly one JSON value. A syntax error ends the
// walk (nothing after it can be trusted) and is the only problem returned;
// otherwise every duplicate key and bad string is.
func parseBody(data []byte) (*jsonNode, []ProblemField) {
	return (&bodyParser{maxDepth: maxDepth}).parse(data)
}

func (p *bodyParser) parse(data []byte) (*jsonNode, []ProblemField) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	p.data, p.dec = data, dec
	root, err := p.value("", 0)
	if err == nil {
		if _, err2 := dec.Token(); !errors.Is(err2, io.EOF) {
			return nil, []ProblemField{{Detail: "the body must hold a single JSON value"}}
		}
	}
	if err != nil {
		return nil, []ProblemField{{Detail: syntaxDetail(err)}}
	}
	return root, p.problems
}

func syntaxDetail(err error) string {
	var syn *json.SyntaxError
	var deep tooDeep
	switch {
	case errors.As(err, &deep):
		return fmt.Sprintf("the body nests arrays and objects deeper than %d levels", maxDepth)
	case errors.Is(err, io.EOF):
		return "the body is empty; send a JSON object"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the body ends in the middle of a JSON value"
	case errors.As(err, &syn):
		return fmt.Sprintf("invalid JSON at byte %d: %v", syn.Offset, syn)
	}
	return "invalid JSON: " + err.Error()
}

type tooDeep struct{}

func (tooDeep) Error() string { return "too deep" }

type bodyParser struct {
	data     []byte
	dec      *json.Decoder
	problems []ProblemField
	// allowDuplicates keeps the last of duplicate keys, as the formats of
	// other tools that Sextant accepts unchanged do.
	allowDuplicates bool
	maxDepth        int
}

// token reads the next token and the bytes it came from (without the
// whitespace and separators before it).
func (p *bodyParser) token() (json.Token, []byte, error) {
	start := p.dec.InputOffset()
	tok, err := p.dec.Token()
	if err != nil {
		if errors.Is(err, io.EOF) && start > 0 {
			err = io.ErrUnexpectedEOF
		}
		return nil, nil, err
	}
	raw := bytes.TrimLeft(p.data[start:p.dec.InputOffset()], " \t\r\n,:")
	return tok, raw, nil
}

// checkString files a problem for a string that cannot be stored as text.
// The raw bytes are checked for invalid UTF-8, since decoding has already
// replaced it; the decoded value for NUL, which arrives escaped.
func (p *bodyParser) checkString(ptr, what string, raw []byte, s string) {
	switch {
	case !utf8.Valid(raw):
		p.problems = append(p.problems, ProblemField{Pointer: ptr, Detail: what + " is not valid UTF-8"})
	case strings.IndexByte(s, 0) >= 0:
		p.problems = append(p.problems, ProblemField{Pointer: ptr, Detail: what + " holds a NUL byte"})
	}
}

func (p *bodyParser) value(ptr string, depth int) (*jsonNode, error) {
	tok, raw, err := p.token()
	if err != nil {
		return nil, err
	}
	return p.node(ptr, depth, tok, raw)
}

func (p *bodyParser) node(ptr string, depth int, tok json.Token, raw []byte) (*jsonNode, error) {
	start := p.dec.InputOffset() - int64(len(raw))
	switch t := tok.(type) {
	case string:
		p.checkString(ptr, "the string", raw, t)
		return &jsonNode{kind: '"', raw: raw, str: t}, nil
	case json.Number:
		return &jsonNode{kind: 'n', raw: raw}, nil
	case bool:
		return &jsonNode{kind: 'b', raw: raw}, nil
	case nil:
		return &jsonNode{kind: '0', raw: raw}, nil
	}
	if depth >= p.maxDepth {
		return nil, tooDeep{}
	}
	n := &jsonNode{kind: '['}
	if tok == json.Delim('{') {
		n.kind = '{'
		seen := map[string]bool{}
		for p.dec.More() {
			ktok, kraw, err := p.token()
			if err != nil {
				return nil, err
			}
			key, _ := ktok.(string)
			kptr := pointerJoin(ptr, key)
			p.checkString(kptr, "the key", kraw, key)
			v, err := p.value(kptr, depth+1)
			if err != nil {
				return nil, err
			}
			if seen[key] && !p.allowDuplicates {
				p.problems = append(p.problems, ProblemField{Pointer: kptr, Detail: fmt.Sprintf("duplicate key %q: each key may appear once", key)})
				continue
			}
			seen[key] = true
			n.keys = append(n.keys, key)
			n.items = append(n.items, v)
		}
	} else {
		for i := 0; p.dec.More(); i++ {
			v, err := p.value(ptr+"/"+strconv.Itoa(i), depth+1)
			if err != nil {
				return nil, err
			}
			n.items = append(n.items, v)
		}
	}
	if _, err := p.dec.Token(); err != nil { // the closing delimiter
		return nil, err
	}
	n.raw = p.data[start:p.dec.InputOffset()]
	return n, nil
}

// kindName names a JSON value's kind in a problem.
func kindName(k byte) string {
	switch k {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 'n':
		return "a number"
	case 'b':
		return "true or false"
	}
	return "null"
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// assign lays n onto v (settable), filing a problem for each value that
// does not fit and leaving that field as it was.
func assign(n *jsonNode, v reflect.Value, ptr string, problems *[]ProblemField) {
	bad := func(format string, args ...any) {
		*problems = append(*problems, ProblemField{Pointer: ptr, Detail: fmt.Sprintf(format, args...)})
	}
	if n.kind == '0' {
		switch v.Kind() {
		case reflect.Pointer, reflect.Interface, reflect.Slice, reflect.Map:
			v.SetZero()
		}
		return
	}
	if v.Kind() != reflect.Pointer && v.CanAddr() {
		if pt := v.Addr().Type(); pt.Implements(jsonUnmarshaler) || pt.Implements(textUnmarshaler) {
			if err := json.Unmarshal(n.raw, v.Addr().Interface()); err != nil {
				bad("%s", unmarshalDetail(err, n))
			}
			return
		}
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		assign(n, v.Elem(), ptr, problems)
	case reflect.Interface:
		if err := json.Unmarshal(n.raw, v.Addr().Interface()); err != nil {
			bad("%s", unmarshalDetail(err, n))
		}
	case reflect.Struct:
		if n.kind != '{' {
			bad("expected an object, got %s", kindName(n.kind))
			return
		}
		fields := fieldsOf(v.Type())
		for i, key := range n.keys {
			f, ok := fields.find(key)
			if !ok {
				*problems = append(*problems, ProblemField{Pointer: pointerJoin(ptr, key), Detail: fmt.Sprintf("unknown field %q", key)})
				continue
			}
			fv, ok := fieldByIndex(v, f)
			if !ok {
				continue
			}
			assign(n.items[i], fv, pointerJoin(ptr, key), problems)
		}
	case reflect.Map:
		if n.kind != '{' {
			bad("expected an object, got %s", kindName(n.kind))
			return
		}
		if v.Type().Key().Kind() != reflect.String {
			if err := json.Unmarshal(n.raw, v.Addr().Interface()); err != nil {
				bad("%s", unmarshalDetail(err, n))
			}
			return
		}
		if v.IsNil() {
			v.Set(reflect.MakeMap(v.Type()))
		}
		for i, key := range n.keys {
			ev := reflect.New(v.Type().Elem()).Elem()
			before := len(*problems)
			assign(n.items[i], ev, pointerJoin(ptr, key), problems)
			if len(*problems) == before {
				v.SetMapIndex(reflect.ValueOf(key).Convert(v.Type().Key()), ev)
			}
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			if err := json.Unmarshal(n.raw, v.Addr().Interface()); err != nil {
				bad("%s", unmarshalDetail(err, n))
			}
			return
		}
		if n.kind != '[' {
			bad("expected an array, got %s", kindName(n.kind))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.items), len(n.items))
		for i, it := range n.items {
			assign(it, s.Index(i), ptr+"/"+strconv.Itoa(i), problems)
		}
		v.Set(s)
	case reflect.Array:
		if n.kind != '[' {
			bad("expected an array, got %s", kindName(n.kind))
			return
		}
		if len(n.items) != v.Len() {
			bad("expected an array of %d items, got %d", v.Len(), len(n.items))
			return
		}
		for i, it := range n.items {
			assign(it, v.Index(i), ptr+"/"+strconv.Itoa(i), problems)
		}
	case reflect.String:
		if n.kind != '"' {
			bad("expected a string, got %s", kindName(n.kind))
			return
		}
		v.SetString(n.str)
	case reflect.Bool:
		if n.kind != 'b' {
			bad("expected true or false, got %s", kindName(n.kind))
			return
		}
		v.SetBool(string(n.raw) == "true")
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if n.kind != 'n' || bytes.ContainsAny(n.raw, ".eE") {
			bad("expected a whole number, got %s", wholeGot(n))
			return
		}
		i, err := strconv.ParseInt(string(n.raw), 10, v.Type().Bits())
		if err != nil {
			bad("expected a whole number from %d to %d, got %s", int64(-1)<<(v.Type().Bits()-1), int64(uint64(1)<<(v.Type().Bits()-1)-1), clip(n.raw))
			return
		}
		v.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if n.kind != 'n' || bytes.ContainsAny(n.raw, ".eE-") {
			bad("expected a whole number, got %s", wholeGot(n))
			return
		}
		u, err := strconv.ParseUint(string(n.raw), 10, v.Type().Bits())
		if err != nil {
			bad("expected a whole number from 0 to %d, got %s", uint64(1)<<(v.Type().Bits()-1)*2-1, clip(n.raw))
			return
		}
		v.SetUint(u)
	case reflect.Float32, reflect.Float64:
		if n.kind != 'n' {
			bad("expected a number, got %s", kindName(n.kind))
			return
		}
		f, err := strconv.ParseFloat(string(n.raw), v.Type().Bits())
		if err != nil {
			bad("the number %s is out of range", clip(n.raw))
			return
		}
		v.SetFloat(f)
	default:
		bad("cannot be set from JSON")
	}
}

// wholeGot says what came instead of a whole number.
func wholeGot(n *jsonNode) string {
	if n.kind == 'n' {
		return clip(n.raw)
	}
	return kindName(n.kind)
}

// clip shortens a value quoted back in a problem.
func clip(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "…"
	}
	return string(b)
}

// unmarshalDetail words the error of a type that decodes itself.
func unmarshalDetail(err error, n *jsonNode) string {
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		return fmt.Sprintf("expected %s, got %s", typeName(typ.Type.Kind().String()), kindName(n.kind))
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// structField is one JSON field of a struct: its name and where it sits
// (through embedded structs).
type structField struct {
	name  string
	index []int
}

type structFields struct {
	byName map[string]structField
	list   []structField
}

// find looks a key up as encoding/json does: the exact name first, then
// one that differs only in case.
func (s *structFields) find(key string) (structField, bool) {
	if f, ok := s.byName[key]; ok {
		return f, true
	}
	for _, f := range s.list {
		if strings.EqualFold(f.name, key) {
			return f, true
		}
	}
	return structField{}, false
}

var fieldCache sync.Map // reflect.Type → *structFields

// fieldsOf lists the JSON fields of struct type t, promoting those of
// embedded structs without a name of their own; a shallower field hides a
// deeper one of the same name.
func fieldsOf(t reflect.Type) *structFields {
	if c, ok := fieldCache.Load(t); ok {
		return c.(*structFields)
	}
	out := &structFields{byName: map[string]structField{}}
	var walk func(t reflect.Type, index []int)
	type pending struct {
		t     reflect.Type
		index []int
	}
	var embedded []pending
	walk = func(t reflect.Type, index []int) {
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			name, _, _ := strings.Cut(tag, ",")
			if name == "-" && !strings.HasPrefix(tag, "-,") {
				continue
			}
			idx := append(append([]int(nil), index...), i)
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if f.Anonymous && name == "" && ft.Kind() == reflect.Struct {
				embedded = append(embedded, pending{ft, idx})
				continue
			}
			if !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			if _, taken := out.byName[name]; taken {
				continue
			}
			sf := structField{name: name, index: idx}
			out.byName[name] = sf
			out.list = append(out.list, sf)
		}
	}
	walk(t, nil)
	for len(embedded) > 0 {
		next := embedded
		embedded = nil
		for _, e := range next {
			walk(e.t, e.index)
		}
	}
	fieldCache.Store(t, out)
	return out
}

// fieldByIndex finds a field through embedded structs, allocating embedded
// pointers on the way; ok is false for an unexported embedded pointer.
func fieldByIndex(v reflect.Value, f structField) (reflect.Value, bool) {
	for i, x := range f.index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				if !v.CanSet() {
					return reflect.Value{}, false
				}
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v, v.CanSet()
}

// decodeValue decodes a whole body into v (a non-nil pointer) and returns
// every problem found, in the order of the body.
func decodeValue(data []byte, v any) []ProblemField {
	root, problems := parseBody(data)
	if root == nil {
		return problems
	}
	rv := reflect.ValueOf(v).Elem()
	if rv.Kind() == reflect.Struct && root.kind != '{' {
		return append(problems, ProblemField{Detail: fmt.Sprintf("expected a JSON object, got %s", kindName(root.kind))})
	}
	assign(root, rv, "", &problems)
	return problems
}

// textProblems is a 400 naming each string (value or key) of a JSON body
// that holds a NUL byte or invalid UTF-8, or nil when there is none or the
// body is not JSON (its handler reports that in its own words). It serves
// the routes that take other tools' formats as they are, duplicates and
// all, but must not pass text to the database that it cannot store.
func textProblems(body []byte) *Problem {
	// Most bodies have nothing to name, and a pass over their bytes shows
	// it without parsing them (the parse was a tenth of an event's CPU):
	// a body that is valid UTF-8 throughout has no string that is not, and
	// a decoded string holds NUL only from the escape \u0000 (a raw NUL
	// is not JSON, which the handler reports).
	if utf8.Valid(body) && !bytes.Contains(body, []byte(`\u0000`)) {
		return nil
	}
	return parsedTextProblems(body)
}

// parsedTextProblems is textProblems by a parse of the whole body.
func parsedTextProblems(body []byte) *Problem {
	root, problems := (&bodyParser{allowDuplicates: true, maxDepth: maxForeignDepth}).parse(body)
	if root == nil || len(problems) == 0 {
		return nil
	}
	p := newProblem(http.StatusBadRequest, "the body has text that cannot be stored")
	p.Type, p.Errors = TypeValidation, problems
	return p
}

// lines words each field problem on one line, for answers in another
// tool's format.
func (p *Problem) lines() []string {
	var out []string
	for _, f := range p.Errors {
		out = append(out, strings.TrimPrefix(f.Pointer+": ", ": ")+f.Detail)
	}
	return out
}
