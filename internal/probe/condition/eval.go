package condition

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sextant-ops/sextant/internal/duration"
)

// maxShown is how many characters of a value a reason shows before
// shortening it with "…": enough to recognise a body, short enough for a
// notification.
const maxShown = 64

// observed is what Eval found for the left side of a condition.
type observed struct {
	// absent, when set, is why there is no value to compare ("not
	// measured", "not JSON", "missing"); the condition then fails.
	absent string
	// text is the value as text, for == and != against words and for pat().
	text string
	// isNum and num hold the value as a number when it reads as one.
	isNum bool
	num   float64
	// isDur and dur hold [CERTIFICATE_EXPIRATION].
	isDur bool
	dur   time.Duration
	// shown is what the reason displays in place of text, when set.
	shown string
	// problem, when set, makes the condition fail even though a value
	// was found ("a number has no length").
	problem string
}

// Eval judges the condition against what a probe observed. The reason
// reads back the condition with the actual value in parentheses after the
// left side, "[STATUS] (503) == 200", whether or not it held, so callers
// may show it either way. A value the probe did not measure, a body that
// is not JSON when a path needs it, or a missing path fails the condition
// (even with !=) with that said in place of the value. Eval never panics.
func (c *Condition) Eval(v Values) (ok bool, reason string) {
	if c == nil {
		return false, "no condition"
	}
	o := c.observe(v)
	say := func(shown string) string {
		return c.leftString() + " (" + shown + ") " + operatorText[c.op] + " " + c.rightString()
	}
	if o.absent != "" {
		return false, say(o.absent)
	}
	shown := o.shown
	if shown == "" {
		shown = shorten(o.text, maxShown)
	}
	if o.problem != "" {
		return false, say(shown + ", " + o.problem)
	}
	ok, problem := c.compare(o)
	if problem != "" {
		return false, say(shown + ", " + problem)
	}
	return ok, say(shown)
}

// observe fetches the value the left side names.
func (c *Condition) observe(v Values) observed {
	switch c.ph {
	case phStatus:
		if !v.HasStatus {
			return observed{absent: "not measured"}
		}
		return numberValue(int64(v.Status))
	case phResponseTime:
		return numberValue(v.ResponseTime.Milliseconds())
	case phCertificateExpiration:
		if v.CertificateExpiration == nil {
			return observed{absent: "not measured"}
		}
		d := *v.CertificateExpiration
		return observed{isDur: true, dur: d, text: duration.Format(d)}
	case phConnected:
		return observed{text: strconv.FormatBool(v.Connected)}
	case phDNSRcode:
		return c.textValue(v.DNSRcode)
	case phIP:
		return c.textValue(v.IP)
	default:
		return c.observeBody(v.Body)
	}
}

// numberValue is an integer observation.
func numberValue(n int64) observed {
	return observed{text: strconv.FormatInt(n, 10), isNum: true, num: float64(n)}
}

// textValue is a string observation, or its length under len(); an empty
// string means the probe did not measure it.
func (c *Condition) textValue(s string) observed {
	if s == "" {
		return observed{absent: "not measured"}
	}
	if c.fn == fnLen {
		return numberValue(int64(utf8.RuneCountInString(s)))
	}
	o := observed{text: s}
	o.num, o.isNum = parseNumber(s)
	return o
}

// observeBody fetches [BODY], a JSON path into it, or len()/has() of them.
func (c *Condition) observeBody(body []byte) observed {
	if body == nil {
		return observed{absent: "not measured"}
	}
	if len(c.path) == 0 {
		if c.fn == fnLen {
			// A JSON array, object or string body has a length in
			// its own terms; any other body is measured as text.
			if doc, ok := decodeJSON(body); ok {
				if n, ok := jsonLength(doc); ok {
					return numberValue(int64(n))
				}
			}
			return numberValue(int64(utf8.RuneCount(body)))
		}
		o := observed{text: string(body)}
		o.num, o.isNum = parseNumber(strings.TrimSpace(o.text))
		return o
	}
	doc, ok := decodeJSON(body)
	if !ok {
		return observed{absent: "not JSON"}
	}
	val, missing := walk(doc, c.path)
	switch c.fn {
	case fnHas:
		return observed{text: strconv.FormatBool(missing == "")}
	case fnLen:
		if missing != "" {
			return observed{absent: missing}
		}
		n, ok := jsonLength(val)
		if !ok {
			o := jsonValue(val)
			o.isNum = false
			o.problem = "a " + jsonType(val) + " has no length"
			return o
		}
		return numberValue(int64(n))
	default:
		if missing != "" {
			return observed{absent: missing}
		}
		return jsonValue(val)
	}
}

// decodeJSON parses a whole body as one JSON value, keeping numbers as
// written so large integers and decimals compare as the service sent them.
func decodeJSON(body []byte) (any, bool) {
	if !json.Valid(body) {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, false
	}
	return doc, true
}

// walk follows path through doc. It returns the value found or, when the
// path leads nowhere, a description starting with "missing".
func walk(doc any, path []segment) (any, string) {
	cur := doc
	for i, s := range path {
		where := "the body"
		if i > 0 {
			where = pathString(path[:i])
		}
		switch node := cur.(type) {
		case map[string]any:
			if s.isIndex {
				return nil, fmt.Sprintf("missing: %s is an object, not an array", where)
			}
			next, ok := node[s.key]
			if !ok {
				return nil, "missing"
			}
			cur = next
		case []any:
			if !s.isIndex {
				return nil, fmt.Sprintf("missing: %s is an array, not an object", where)
			}
			if s.index >= len(node) {
				return nil, fmt.Sprintf("missing: %s has %d elements", where, len(node))
			}
			cur = node[s.index]
		default:
			want := "an object"
			if s.isIndex {
				want = "an array"
			}
			return nil, fmt.Sprintf("missing: %s is %s, not %s", where, article(jsonType(cur)), want)
		}
	}
	return cur, ""
}

// jsonType names the kind of a decoded JSON value.
func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case json.Number:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	default:
		return "object"
	}
}

// article puts "a" or "an" before a JSON type name.
func article(typ string) string {
	switch typ {
	case "array", "object":
		return "an " + typ
	case "null":
		return typ
	default:
		return "a " + typ
	}
}

// jsonLength is the length of a string (in characters), an array or an
// object; other values have none.
func jsonLength(v any) (int, bool) {
	switch x := v.(type) {
	case string:
		return utf8.RuneCountInString(x), true
	case []any:
		return len(x), true
	case map[string]any:
		return len(x), true
	}
	return 0, false
}

// jsonValue turns a decoded JSON value into an observation: strings
// unquoted, numbers as written, true, false and null as their words,
// arrays and objects as compact JSON.
func jsonValue(v any) observed {
	switch x := v.(type) {
	case nil:
		return observed{text: "null"}
	case bool:
		return observed{text: strconv.FormatBool(x)}
	case json.Number:
		o := observed{text: x.String()}
		o.num, o.isNum = parseNumber(o.text)
		return o
	case string:
		o := observed{text: x}
		o.num, o.isNum = parseNumber(x)
		return o
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return observed{text: fmt.Sprint(x)}
		}
		return observed{text: string(b)}
	}
}

// compare applies the operator to an observation. problem is set when the
// two sides cannot be compared at all.
func (c *Condition) compare(o observed) (ok bool, problem string) {
	if c.op.ordering() {
		l := c.right.lit
		var cmp int
		switch {
		case o.isDur:
			cmp = compareOrdered(o.dur, l.dur)
		case !o.isNum:
			return false, "not a number"
		default:
			cmp = compareOrdered(o.num, l.num)
		}
		switch c.op {
		case opLt:
			return cmp < 0, ""
		case opLe:
			return cmp <= 0, ""
		case opGt:
			return cmp > 0, ""
		default:
			return cmp >= 0, ""
		}
	}
	var eq bool
	switch c.right.kind {
	case rightPattern:
		eq = matchPattern(c.right.pattern, o.text)
	case rightAny:
		for _, l := range c.right.items {
			if equal(o, l) {
				eq = true
				break
			}
		}
	default:
		eq = equal(o, c.right.lit)
	}
	if c.op == opNe {
		return !eq, ""
	}
	return eq, ""
}

// compareOrdered returns -1, 0 or +1.
func compareOrdered[T int64 | float64 | time.Duration](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// equal decides ==: durations as durations, a bare number against a
// value that reads as a number numerically (so 200.0 equals 200 and the
// JSON string "42" equals 42), everything else as exact text. A quoted
// value always compares as text: quoting is how a user asks for that.
func equal(o observed, l literal) bool {
	switch {
	case o.isDur:
		return l.isDur && o.dur == l.dur
	case !l.quoted && l.isNum && o.isNum:
		return o.num == l.num
	}
	return o.text == l.text
}

// matchPattern reports whether s matches a shell-style pattern in which
// "*" stands for any run of characters and "?" for exactly one; every
// other character stands for itself. It backtracks only to the last "*",
// so it runs in time proportional to len(pattern)·len(s) at worst.
func matchPattern(pattern, s string) bool {
	px, sx := 0, 0
	starPx, starSx := -1, -1
	for px < len(pattern) || sx < len(s) {
		if px < len(pattern) {
			c, n := utf8.DecodeRuneInString(pattern[px:])
			switch {
			case c == '*':
				starPx, starSx = px, sx
				px += n
				continue
			case c == '?' && sx < len(s):
				_, m := utf8.DecodeRuneInString(s[sx:])
				px += n
				sx += m
				continue
			case c != '?' && sx+n <= len(s) && s[sx:sx+n] == pattern[px:px+n]:
				px += n
				sx += n
				continue
			}
		}
		if starPx >= 0 && starSx < len(s) {
			_, m := utf8.DecodeRuneInString(s[starSx:])
			starSx += m
			px, sx = starPx+1, starSx
			continue
		}
		return false
	}
	return true
}

// shorten prepares a value for a reason or an error message: control
// characters escaped so it stays on one line, invalid UTF-8 replaced, and
// anything past max characters cut off with "…".
func shorten(s string, max int) string {
	var b strings.Builder
	count := 0
	for i, r := range s {
		if count == max {
			b.WriteString("…")
			return b.String()
		}
		count++
		switch {
		case r == utf8.RuneError:
			if _, n := utf8.DecodeRuneInString(s[i:]); n == 1 {
				b.WriteRune(unicode.ReplacementChar)
				continue
			}
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case !unicode.IsPrint(r) && r != ' ':
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
