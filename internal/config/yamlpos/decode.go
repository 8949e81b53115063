package yamlpos

import (
	"bytes"
	"encoding"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Options adjusts how Decode reads a file.
type Options struct {
	// Getenv expands ${NAME} and ${NAME:-default} inside scalar values (not
	// keys) before they are converted, so secrets and per-host settings can
	// stay out of the file. nil means no expansion at all: os.Getenv is
	// never consulted behind the caller's back. A reference to an unset
	// variable without a default is an error at that scalar's position;
	// "$${X}" is a literal "${X}", and a '$' not followed by '{' is kept.
	Getenv func(string) (string, bool)
}

// Limits on alias expansion. Aliases let a small file describe a huge tree
// (the "billion laughs" attack); a configuration file has no business doing
// that, so decoding stops with an error once either limit is passed.
const (
	maxAliasResolutions = 10_000
	maxAliasedNodes     = 1_000_000
)

// Decode reads src into out, which must be a non-nil pointer (normally to a
// struct), strictly: unknown and duplicate keys, values of the wrong type
// and unset environment variables are all errors. It does not stop at the
// first problem; the returned error, when not nil, is an Errors holding
// every problem in file order.
//
// Keys absent from the file leave their fields untouched, so a caller may
// fill in defaults before decoding. An explicit null sets pointers, slices,
// maps and interfaces to nil and leaves other fields untouched. Empty input
// is not an error.
//
// The returned Positions is never nil, even on error, so that a caller can
// go on reporting by path.
func Decode(src []byte, out any, opts Options) (*Positions, error) {
	pos := newPositions()
	rv := reflect.ValueOf(out)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return pos, Errors{{Msg: fmt.Sprintf("yamlpos: Decode needs a non-nil pointer, got %T", out)}}
	}

	dec := yaml.NewDecoder(bytes.NewReader(src))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return pos, nil
		}
		return pos, Errors{syntaxError(src, err)}
	}

	d := &decoder{
		opts:   opts,
		pos:    pos,
		active: make(map[*yaml.Node]bool),
		fields: make(map[reflect.Type]*structFields),
	}
	if len(doc.Content) > 0 {
		d.decode(doc.Content[0], rv.Elem(), "")
	}

	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		d.errs = append(d.errs, syntaxError(src, err))
	default:
		d.errs = append(d.errs, Error{Line: next.Line, Column: next.Column, Msg: "expected one YAML document, found another"})
	}

	if len(d.errs) > 0 {
		return pos, d.errs.sorted()
	}
	return pos, nil
}

// syntaxError turns the YAML library's message ("yaml: line 3: mapping
// values are not allowed in this context") into an Error. The library gives
// no column, and for a few problems no line either; those are located here
// where that can be done reliably, and otherwise put on line 1 so that the
// user at least gets a place to start from.
func syntaxError(src []byte, err error) Error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, after, ok := strings.Cut(rest, ": "); ok {
			if line, convErr := strconv.Atoi(num); convErr == nil && line > 0 {
				return Error{Line: line, Msg: after}
			}
		}
	}
	e := Error{Line: 1, Msg: msg}
	if line, col, ok := invalidUTF8(src); ok {
		e.Line, e.Column = line, col
	} else if name, ok := unknownAnchor(msg); ok {
		if line, col, ok := findAlias(src, name); ok {
			e.Line, e.Column = line, col
		}
	}
	return e
}

// invalidUTF8 finds the first byte that is not valid UTF-8, which the YAML
// reader refuses without saying where.
func invalidUTF8(src []byte) (line, col int, ok bool) {
	line, col = 1, 1
	for i := 0; i < len(src); {
		r, size := utf8.DecodeRune(src[i:])
		if r == utf8.RuneError && size <= 1 {
			return line, col, true
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
		i += size
	}
	return 0, 0, false
}

// unknownAnchor extracts the name from the library's "unknown anchor 'x'
// referenced" message.
func unknownAnchor(msg string) (string, bool) {
	rest, ok := strings.CutPrefix(msg, "unknown anchor '")
	if !ok {
		return "", false
	}
	name, ok := strings.CutSuffix(rest, "' referenced")
	return name, ok && name != ""
}

// findAlias finds the first "*name" that is not followed by more name
// characters.
func findAlias(src []byte, name string) (line, col int, ok bool) {
	needle := []byte("*" + name)
	for off := 0; off < len(src); {
		i := bytes.Index(src[off:], needle)
		if i < 0 {
			return 0, 0, false
		}
		start := off + i
		end := start + len(needle)
		if end == len(src) || strings.IndexByte(" \t\r\n,]}", src[end]) >= 0 {
			before := src[:start]
			line = bytes.Count(before, []byte("\n")) + 1
			col = utf8.RuneCount(before[bytes.LastIndexByte(before, '\n')+1:]) + 1
			return line, col, true
		}
		off = start + 1
	}
	return 0, 0, false
}

var (
	unmarshalerType     = reflect.TypeFor[yaml.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	nodeType            = reflect.TypeFor[yaml.Node]()
)

// decoder holds the state of one Decode call.
type decoder struct {
	opts Options
	pos  *Positions
	errs Errors

	// active holds the anchored nodes being expanded through an alias, to
	// refuse an alias that refers to one of its own ancestors.
	active      map[*yaml.Node]bool
	aliasDepth  int
	resolutions int
	aliasNodes  int
	aborted     bool

	fields map[reflect.Type]*structFields
}

func (d *decoder) errorf(n *yaml.Node, path, format string, args ...any) {
	d.errs = append(d.errs, Error{Line: n.Line, Column: n.Column, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// enter resolves an alias node to the node it refers to and accounts for
// it. The caller must call the returned leave function when done with the
// subtree. ok is false when the alias may not be followed: a cycle, or the
// expansion limits are exhausted (an error has then been recorded).
func (d *decoder) enter(n *yaml.Node, path string) (target *yaml.Node, leave func(), ok bool) {
	if n.Kind != yaml.AliasNode {
		if d.aliasDepth > 0 {
			d.aliasNodes++
			if d.aliasNodes > maxAliasedNodes {
				d.abort(n, path)
				return nil, nil, false
			}
		}
		if n.Anchor == "" || d.active[n] {
			return n, func() {}, true
		}
		// An anchored node is "being expanded" from where it is written
		// too, so an alias inside it to itself is caught at once.
		d.active[n] = true
		return n, func() { delete(d.active, n) }, true
	}
	target = n.Alias
	if target == nil {
		d.errorf(n, path, "alias *%s refers to no anchor", n.Value)
		return nil, nil, false
	}
	if d.active[target] {
		d.errorf(n, path, "alias *%s refers to a node that contains it", n.Value)
		return nil, nil, false
	}
	d.resolutions++
	if d.resolutions > maxAliasResolutions {
		d.abort(n, path)
		return nil, nil, false
	}
	d.active[target] = true
	d.aliasDepth++
	return target, func() {
		d.aliasDepth--
		delete(d.active, target)
	}, true
}

func (d *decoder) abort(n *yaml.Node, path string) {
	if !d.aborted {
		d.errorf(n, path, "too many alias expansions (more than %d aliases or %d nodes); refusing to go on", maxAliasResolutions, maxAliasedNodes)
	}
	d.aborted = true
}

// decode decodes n into v and records n's position for path. v must be
// settable.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	if d.aborted {
		return
	}
	d.pos.set(path, n.Line, n.Column)
	n, leave, ok := d.enter(n, path)
	if !ok {
		return
	}
	defer leave()
	d.decodeValue(n, v, path)
}

// decodeValue decodes a node that is not an alias.
func (d *decoder) decodeValue(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		switch v.Kind() {
		case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface:
			v.SetZero()
		}
		return
	}
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.decodeValue(n, v.Elem(), path)
		return
	}
	if v.Type() == nodeType {
		if c := d.cloneNode(n, path); c != nil {
			v.Set(reflect.ValueOf(*c))
		}
		return
	}
	if v.CanAddr() {
		addr := v.Addr()
		if addr.Type().Implements(unmarshalerType) {
			d.callUnmarshaler(n, addr.Interface().(yaml.Unmarshaler), path)
			return
		}
		if addr.Type().Implements(textUnmarshalerType) {
			text, ok := d.scalar(n, path, "a scalar")
			if !ok {
				return
			}
			if err := addr.Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(text)); err != nil {
				d.errorf(n, path, "%v", err)
			}
			return
		}
	}

	switch v.Kind() {
	case reflect.Interface:
		if v.NumMethod() > 0 {
			d.errorf(n, path, "cannot decode into Go type %s", v.Type())
			return
		}
		if g, ok := d.generic(n, path); ok {
			if g == nil {
				v.SetZero()
			} else {
				v.Set(reflect.ValueOf(g))
			}
		}
	case reflect.String:
		if text, ok := d.scalar(n, path, "a string"); ok {
			v.SetString(text)
		}
	case reflect.Bool:
		d.decodeBool(n, v, path)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		d.decodeInt(n, v, path)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		d.decodeUint(n, v, path)
	case reflect.Float32, reflect.Float64:
		d.decodeFloat(n, v, path)
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	case reflect.Map:
		d.decodeMap(n, v, path)
	case reflect.Slice:
		d.decodeSlice(n, v, path)
	case reflect.Array:
		d.decodeArray(n, v, path)
	default:
		d.errorf(n, path, "cannot decode into Go type %s", v.Type())
	}
}

// describe names what a node is, for "expected X, got Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a sequence"
	case yaml.ScalarNode:
		return "a scalar " + quote(n.Value)
	case yaml.AliasNode:
		return "an alias"
	case yaml.DocumentNode:
		return "a document"
	}
	return "an unknown node"
}

// quote quotes a value for a message, shortened so that one mistake stays
// one readable line even when the value is a long text block.
func quote(s string) string {
	const max = 60
	if utf8.RuneCountInString(s) > max {
		s = string([]rune(s)[:max-3]) + "..."
	}
	return strconv.Quote(s)
}

// scalar returns the text of a scalar node after environment expansion, or
// records an error naming want when n is not a scalar.
func (d *decoder) scalar(n *yaml.Node, path, want string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		d.errorf(n, path, "expected %s, got %s", want, describe(n))
		return "", false
	}
	if d.opts.Getenv == nil {
		return n.Value, true
	}
	text, problems := expandEnv(n.Value, d.opts.Getenv)
	for _, p := range problems {
		d.errorf(n, path, "%s", p)
	}
	return text, len(problems) == 0
}

// shown is how a converted scalar is named in an error: its text, and
// where environment expansion changed it, the text it came from.
func shown(n *yaml.Node, text string) string {
	if text == n.Value {
		return quote(text)
	}
	return quote(text) + " (from " + quote(n.Value) + ")"
}

func (d *decoder) decodeBool(n *yaml.Node, v reflect.Value, path string) {
	text, ok := d.scalar(n, path, "true or false")
	if !ok {
		return
	}
	switch text {
	case "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON":
		v.SetBool(true)
	case "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF":
		v.SetBool(false)
	default:
		d.errorf(n, path, "expected true or false, got %s", shown(n, text))
	}
}

// number resolves text the way YAML resolves a plain scalar (so 0x1F, 0o17,
// 1_000 and .inf all work), whatever quoting the user chose: a quoted
// number in a numeric field is unambiguous, and ${PORT} is often quoted.
// It returns an int64, a uint64 (above MaxInt64) or a float64.
func number(text string) (any, bool) {
	var out any
	n := &yaml.Node{Kind: yaml.ScalarNode, Value: text}
	if n.ShortTag() != "!!int" && n.ShortTag() != "!!float" {
		return nil, false
	}
	if err := n.Decode(&out); err != nil {
		return nil, false
	}
	switch x := out.(type) {
	case int:
		return int64(x), true
	case int64, uint64, float64:
		return x, true
	}
	return nil, false
}

// integer converts a resolved number to an integer when it is one exactly.
// A negative value comes back in neg with mag its magnitude, so that both
// the signed and unsigned callers can check their range without losing
// values at the edges of int64 and uint64. tooBig reports a value beyond
// 64 bits altogether.
func integer(num any) (mag uint64, neg, tooBig, ok bool) {
	switch x := num.(type) {
	case int64:
		if x < 0 {
			return uint64(-(x + 1)) + 1, true, false, true
		}
		return uint64(x), false, false, true
	case uint64:
		return x, false, false, true
	case float64:
		if x != math.Trunc(x) || math.IsInf(x, 0) || math.IsNaN(x) {
			return 0, false, false, false
		}
		neg = x < 0
		x = math.Abs(x)
		if x >= 1<<64 {
			return 0, neg, true, true
		}
		return uint64(x), neg, false, true
	}
	return 0, false, false, false
}

func (d *decoder) decodeInt(n *yaml.Node, v reflect.Value, path string) {
	text, ok := d.scalar(n, path, "an integer")
	if !ok {
		return
	}
	num, ok := number(text)
	mag, neg, tooBig, isInt := integer(num)
	if !ok || !isInt {
		d.errorf(n, path, "expected an integer, got %s", shown(n, text))
		return
	}
	bits := v.Type().Bits()
	limit := uint64(1) << (bits - 1) // |min|; max is limit-1
	var i int64
	inRange := !tooBig && (neg && mag <= limit || !neg && mag < limit)
	if inRange {
		if neg {
			i = -int64(mag-1) - 1
		} else {
			i = int64(mag)
		}
	}
	if !inRange {
		d.errorf(n, path, "number %s is out of range (%d to %d)", text, -int64(limit-1)-1, int64(limit-1))
		return
	}
	v.SetInt(i)
}

func (d *decoder) decodeUint(n *yaml.Node, v reflect.Value, path string) {
	text, ok := d.scalar(n, path, "an integer")
	if !ok {
		return
	}
	num, ok := number(text)
	mag, neg, tooBig, isInt := integer(num)
	if !ok || !isInt {
		d.errorf(n, path, "expected an integer, got %s", shown(n, text))
		return
	}
	if tooBig || neg && mag != 0 || v.OverflowUint(mag) {
		d.errorf(n, path, "number %s is out of range (0 to %d)", text, uint64(math.MaxUint64)>>(64-v.Type().Bits()))
		return
	}
	v.SetUint(mag)
}

func (d *decoder) decodeFloat(n *yaml.Node, v reflect.Value, path string) {
	text, ok := d.scalar(n, path, "a number")
	if !ok {
		return
	}
	num, ok := number(text)
	if !ok {
		d.errorf(n, path, "expected a number, got %s", shown(n, text))
		return
	}
	var f float64
	switch x := num.(type) {
	case int64:
		f = float64(x)
	case uint64:
		f = float64(x)
	case float64:
		f = x
	}
	if v.OverflowFloat(f) {
		d.errorf(n, path, "number %s is out of range for %s", text, v.Kind())
		return
	}
	v.SetFloat(f)
}

// entry is one key and value of a mapping, after merge keys are applied.
type entry struct {
	key  *yaml.Node // the key as written (its position is the key's)
	name string
	val  *yaml.Node
}

// entries lists the keys and values of the mapping n, reporting keys that
// are not scalars and keys given twice. Merge keys ("<<: *defaults") are
// expanded: explicitly written keys win over merged ones, and among merged
// mappings the earlier wins, as the YAML merge specification says.
func (d *decoder) entries(n *yaml.Node, path string) []entry {
	var own, merged []entry
	seen := make(map[string]*yaml.Node, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			merged = append(merged, d.merge(val, path)...)
			continue
		}
		name, ok := d.keyName(k, path)
		if !ok {
			continue
		}
		if first, dup := seen[name]; dup {
			d.errorf(k, path, "duplicate key %s (first at %d:%d)", quote(name), first.Line, first.Column)
			continue
		}
		seen[name] = k
		own = append(own, entry{key: k, name: name, val: val})
	}
	for _, e := range merged {
		if _, dup := seen[e.name]; dup {
			continue
		}
		seen[e.name] = e.key
		own = append(own, e)
	}
	return own
}

// keyName returns the text of a mapping key. Keys are never expanded from
// the environment: the shape of the file must not depend on it.
func (d *decoder) keyName(k *yaml.Node, path string) (string, bool) {
	target, leave, ok := d.enter(k, path)
	if !ok {
		return "", false
	}
	defer leave()
	if target.Kind != yaml.ScalarNode {
		d.errorf(k, path, "expected a scalar key, got %s", describe(target))
		return "", false
	}
	return target.Value, true
}

// merge returns the entries a merge key's value contributes.
func (d *decoder) merge(val *yaml.Node, path string) []entry {
	target, leave, ok := d.enter(val, path)
	if !ok {
		return nil
	}
	defer leave()
	switch target.Kind {
	case yaml.MappingNode:
		return d.entries(target, path)
	case yaml.SequenceNode:
		var out []entry
		seen := make(map[string]bool)
		for _, item := range target.Content {
			m, leaveItem, ok := d.enter(item, path)
			if !ok {
				continue
			}
			if m.Kind != yaml.MappingNode {
				d.errorf(item, path, "a merge key needs mappings, got %s", describe(m))
				leaveItem()
				continue
			}
			for _, e := range d.entries(m, path) {
				if !seen[e.name] {
					seen[e.name] = true
					out = append(out, e)
				}
			}
			leaveItem()
		}
		return out
	}
	d.errorf(val, path, "a merge key needs a mapping or a sequence of mappings, got %s", describe(target))
	return nil
}

// structFields describes how a struct type's fields map to keys.
type structFields struct {
	byName map[string][]int
	names  []string // in declaration order, for suggestions
}

// fieldsOf returns the key mapping of struct type t, built once per Decode.
func (d *decoder) fieldsOf(t reflect.Type) *structFields {
	if sf, ok := d.fields[t]; ok {
		return sf
	}
	type candidate struct {
		name  string
		index []int
	}
	var all []candidate
	var walk func(t reflect.Type, prefix []int)
	walk = func(t reflect.Type, prefix []int) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag := f.Tag.Get("yaml")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			index := append(append([]int(nil), prefix...), i)
			// An unexported named field cannot be set through reflection;
			// an unexported embedded one can, as encoding/json relies on.
			inline := f.Type.Kind() == reflect.Struct && hasOption(opts, "inline") && (f.IsExported() || f.Anonymous)
			if inline {
				walk(f.Type, index)
				continue
			}
			if !f.IsExported() {
				continue
			}
			if name == "" {
				name = strings.ToLower(f.Name)
			}
			all = append(all, candidate{name, index})
		}
	}
	walk(t, nil)

	// With inlining, two fields can claim a name; as in encoding/json, the
	// shallower one wins, and among equals the one declared first.
	sf := &structFields{byName: make(map[string][]int)}
	for _, c := range all {
		if prev, ok := sf.byName[c.name]; ok && len(prev) <= len(c.index) {
			continue
		} else if !ok {
			sf.names = append(sf.names, c.name)
		}
		sf.byName[c.name] = c.index
	}
	d.fields[t] = sf
	return sf
}

func hasOption(opts, want string) bool {
	for opts != "" {
		var o string
		o, opts, _ = strings.Cut(opts, ",")
		if o == want {
			return true
		}
	}
	return false
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "expected a mapping, got %s", describe(n))
		return
	}
	sf := d.fieldsOf(v.Type())
	for _, e := range d.entries(n, path) {
		index, ok := sf.byName[e.name]
		if !ok {
			msg := "unknown key " + quote(e.name)
			if s, ok := suggest(e.name, sf.names); ok {
				msg += fmt.Sprintf(" (did you mean %s?)", quote(s))
			}
			d.errorf(e.key, path, "%s", msg)
			continue
		}
		d.decode(e.val, v.FieldByIndex(index), keyPath(path, e.name))
	}
}

func (d *decoder) decodeMap(n *yaml.Node, v reflect.Value, path string) {
	t := v.Type()
	if t.Key().Kind() != reflect.String {
		d.errorf(n, path, "cannot decode into Go type %s: map keys must be strings", t)
		return
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "expected a mapping, got %s", describe(n))
		return
	}
	if v.IsNil() {
		v.Set(reflect.MakeMap(t))
	}
	for _, e := range d.entries(n, path) {
		elem := reflect.New(t.Elem()).Elem()
		d.decode(e.val, elem, keyPath(path, e.name))
		v.SetMapIndex(reflect.ValueOf(e.name).Convert(t.Key()), elem)
	}
}

func (d *decoder) decodeSlice(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, path, "expected a sequence, got %s", describe(n))
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		d.decode(item, s.Index(i), indexPath(path, i))
	}
	v.Set(s)
}

func (d *decoder) decodeArray(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, path, "expected a sequence, got %s", describe(n))
		return
	}
	if len(n.Content) != v.Len() {
		d.errorf(n, path, "expected %d items, got %d", v.Len(), len(n.Content))
		return
	}
	for i, item := range n.Content {
		d.decode(item, v.Index(i), indexPath(path, i))
	}
}

// generic decodes n into the value an `any` field holds: map[string]any,
// []any, or a scalar resolved by YAML's rules (int, float64, bool, string,
// nil). It records positions like every other path.
func (d *decoder) generic(n *yaml.Node, path string) (any, bool) {
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for _, e := range d.entries(n, path) {
			var g any
			d.decode(e.val, reflect.ValueOf(&g).Elem(), keyPath(path, e.name))
			m[e.name] = g
		}
		return m, true
	case yaml.SequenceNode:
		s := make([]any, len(n.Content))
		for i, item := range n.Content {
			d.decode(item, reflect.ValueOf(&s[i]).Elem(), indexPath(path, i))
		}
		return s, true
	case yaml.ScalarNode:
		text, ok := d.scalar(n, path, "a scalar")
		if !ok {
			return nil, false
		}
		c := *n
		c.Value = text
		if text != n.Value && n.Style == 0 && n.Tag == "!!str" {
			// The implicit tag was resolved from the unexpanded text
			// ("${PORT}" is a string); resolve again from the value the
			// user meant, so PORT=8080 gives a number as if written so.
			c.Tag = ""
		}
		var out any
		if err := c.Decode(&out); err != nil {
			d.errorf(n, path, "invalid %s value %s", c.ShortTag(), shown(n, text))
			return nil, false
		}
		return out, true
	}
	d.errorf(n, path, "unexpected %s", describe(n))
	return nil, false
}

// cloneNode copies the subtree at n with aliases replaced by copies of what
// they refer to and scalars expanded from the environment, so that a
// custom unmarshaler sees the same values the rest of the file does. It
// returns nil when an error has been recorded.
func (d *decoder) cloneNode(n *yaml.Node, path string) *yaml.Node {
	target, leave, ok := d.enter(n, path)
	if !ok {
		return nil
	}
	defer leave()
	c := *target
	c.Alias = nil
	if target.Kind == yaml.ScalarNode && d.opts.Getenv != nil {
		text, problems := expandEnv(target.Value, d.opts.Getenv)
		for _, p := range problems {
			d.errorf(target, path, "%s", p)
		}
		if len(problems) > 0 {
			return nil
		}
		if text != c.Value && c.Style == 0 && c.Tag == "!!str" {
			c.Tag = ""
		}
		c.Value = text
	}
	if len(target.Content) > 0 {
		c.Content = make([]*yaml.Node, len(target.Content))
		for i, child := range target.Content {
			if c.Content[i] = d.cloneNode(child, path); c.Content[i] == nil {
				return nil
			}
		}
	}
	return &c
}

// callUnmarshaler hands n to a type's own UnmarshalYAML and reports what
// it returns at n's position.
func (d *decoder) callUnmarshaler(n *yaml.Node, u yaml.Unmarshaler, path string) {
	c := d.cloneNode(n, path)
	if c == nil {
		return
	}
	err := u.UnmarshalYAML(c)
	if err == nil {
		return
	}
	var te *yaml.TypeError
	if errors.As(err, &te) {
		// The library's messages begin "line N: "; keep the line it names.
		for _, msg := range te.Errors {
			e := Error{Line: n.Line, Column: n.Column, Path: path, Msg: msg}
			if rest, ok := strings.CutPrefix(msg, "line "); ok {
				if num, after, ok := strings.Cut(rest, ": "); ok {
					if line, err := strconv.Atoi(num); err == nil && line > 0 {
						if line != n.Line {
							e.Column = 0
						}
						e.Line, e.Msg = line, after
					}
				}
			}
			d.errs = append(d.errs, e)
		}
		return
	}
	d.errorf(n, path, "%v", err)
}
