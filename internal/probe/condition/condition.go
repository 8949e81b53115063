package condition

import (
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Condition is one parsed condition, "LEFT OP RIGHT". It is immutable once
// parsed, so one value may be shared by every run of a check and judged
// from several goroutines at once.
type Condition struct {
	fn    function
	ph    placeholder
	path  []segment
	op    operator
	right right
}

// function is the optional wrapper around the placeholder: len() or has().
type function int

const (
	fnNone function = iota
	fnLen
	fnHas
)

// placeholder names the value a condition is about.
type placeholder int

const (
	phStatus placeholder = iota
	phResponseTime
	phBody
	phCertificateExpiration
	phConnected
	phDNSRcode
	phIP
)

// placeholderNames are the upper-case names users write between brackets,
// indexed by placeholder.
var placeholderNames = [...]string{
	phStatus:                "STATUS",
	phResponseTime:          "RESPONSE_TIME",
	phBody:                  "BODY",
	phCertificateExpiration: "CERTIFICATE_EXPIRATION",
	phConnected:             "CONNECTED",
	phDNSRcode:              "DNS_RCODE",
	phIP:                    "IP",
}

// lookupPlaceholder finds a placeholder by name, ignoring case.
func lookupPlaceholder(name string) (placeholder, bool) {
	for i, n := range placeholderNames {
		if strings.EqualFold(n, name) {
			return placeholder(i), true
		}
	}
	return 0, false
}

// segment is one step of a JSON path: an object key or an array index.
type segment struct {
	key     string
	index   int
	isIndex bool
}

// operator is one of the six comparison operators.
type operator int

const (
	opEq operator = iota
	opNe
	opLt
	opLe
	opGt
	opGe
)

var operatorText = [...]string{opEq: "==", opNe: "!=", opLt: "<", opLe: "<=", opGt: ">", opGe: ">="}

// ordering reports whether the operator compares magnitudes rather than
// equality, which only numbers and durations have.
func (o operator) ordering() bool { return o >= opLt }

// rightKind says which form the right-hand side took.
type rightKind int

const (
	rightLiteral rightKind = iota
	rightPattern
	rightAny
)

// right is the parsed right-hand side.
type right struct {
	kind    rightKind
	lit     literal   // rightLiteral
	pattern string    // rightPattern
	items   []literal // rightAny
}

// literal is one value written by the user, keeping its text so String
// gives it back as written, with what it means as a number or a duration
// worked out once at Parse time.
type literal struct {
	text   string
	quoted bool
	col    int
	isNum  bool
	num    float64
	isDur  bool
	dur    time.Duration
}

// Placeholder returns the upper-case name of the value the condition is
// about ("STATUS", "BODY", …); for len() and has() it is the placeholder
// inside. Callers use it to refuse a condition a check type cannot
// measure, such as [STATUS] on a TCP check.
func (c *Condition) Placeholder() string {
	if c == nil {
		return ""
	}
	return placeholderNames[c.ph]
}

// String returns the condition in canonical form, "[STATUS] == 200": names
// upper-case, one space around the operator, quoting only where needed.
// Parse(c.String()) gives back an equal condition, so the canonical form
// is what Sextant stores and shows.
func (c *Condition) String() string {
	if c == nil {
		return ""
	}
	return c.leftString() + " " + operatorText[c.op] + " " + c.rightString()
}

// leftString writes the left-hand side canonically.
func (c *Condition) leftString() string {
	var b strings.Builder
	switch c.fn {
	case fnLen:
		b.WriteString("len(")
	case fnHas:
		b.WriteString("has(")
	}
	b.WriteByte('[')
	b.WriteString(placeholderNames[c.ph])
	b.WriteByte(']')
	b.WriteString(pathString(c.path))
	if c.fn != fnNone {
		b.WriteByte(')')
	}
	return b.String()
}

// pathString writes a JSON path canonically: ".key" where the key can be
// written bare, `["key"]` where it cannot, "[n]" for indexes.
func pathString(path []segment) string {
	var b strings.Builder
	for _, s := range path {
		switch {
		case s.isIndex:
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(s.index))
			b.WriteByte(']')
		case isBareKey(s.key):
			b.WriteByte('.')
			b.WriteString(s.key)
		default:
			b.WriteByte('[')
			b.WriteString(strconv.Quote(s.key))
			b.WriteByte(']')
		}
	}
	return b.String()
}

// rightString writes the right-hand side canonically.
func (c *Condition) rightString() string {
	switch c.right.kind {
	case rightPattern:
		if isRawPattern(c.right.pattern) {
			return "pat(" + c.right.pattern + ")"
		}
		return "pat(" + strconv.Quote(c.right.pattern) + ")"
	case rightAny:
		parts := make([]string, len(c.right.items))
		for i, l := range c.right.items {
			parts[i] = l.String()
		}
		return "any(" + strings.Join(parts, ", ") + ")"
	default:
		return c.right.lit.String()
	}
}

// String writes a literal back: bare words as written, quoted strings
// quoted again.
func (l literal) String() string {
	if l.quoted {
		return strconv.Quote(l.text)
	}
	return l.text
}

// isBareKeyRune reports whether r may appear in a JSON path key written
// after a dot. Brackets, dots, quotes, parentheses, commas and operator
// characters end a key; such keys are written as ["key"].
func isBareKeyRune(r rune) bool {
	if r == utf8.RuneError || unicode.IsSpace(r) || !unicode.IsPrint(r) {
		return false
	}
	return !strings.ContainsRune(`.[]()",=!<>`, r)
}

// isBareKey reports whether key can be written after a dot.
func isBareKey(key string) bool {
	if key == "" || !utf8.ValidString(key) {
		return false
	}
	for _, r := range key {
		if !isBareKeyRune(r) {
			return false
		}
	}
	return true
}

// isBareWordRune reports whether r may appear in an unquoted value.
func isBareWordRune(r rune) bool {
	if r == utf8.RuneError || unicode.IsSpace(r) || !unicode.IsPrint(r) {
		return false
	}
	return !strings.ContainsRune(`"()[],`, r)
}

// isOperatorRune reports whether r is one of the characters operators are
// made of; an unquoted value may not start with one, so "=== 200" is
// reported as a bad operator rather than compared with "= 200".
func isOperatorRune(r rune) bool { return strings.ContainsRune("=!<>", r) }

// isBareWord reports whether s can be written as an unquoted value.
func isBareWord(s string) bool {
	if s == "" || !utf8.ValidString(s) {
		return false
	}
	for i, r := range s {
		if !isBareWordRune(r) || (i == 0 && isOperatorRune(r)) {
			return false
		}
	}
	return true
}

// isRawPattern reports whether a pattern can be written unquoted inside
// pat(…) and read back unchanged.
func isRawPattern(p string) bool {
	if p == "" || !utf8.ValidString(p) || strings.HasPrefix(p, `"`) || strings.ContainsRune(p, ')') {
		return false
	}
	if strings.TrimFunc(p, unicode.IsSpace) != p {
		return false
	}
	for _, r := range p {
		if r != ' ' && !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// parseNumber reads s as a decimal number in JSON's syntax (an optional
// minus, digits, an optional fraction and exponent). Go's own float syntax
// is wider (hex, "inf", underscores) than anything a user means here.
func parseNumber(s string) (float64, bool) {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	start := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == start {
		return 0, false
	}
	if i < len(s) && s[i] == '.' {
		i++
		fs := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == fs {
			return 0, false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		es := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == es {
			return 0, false
		}
	}
	if i != len(s) {
		return 0, false
	}
	// A syntactically valid number out of float64's range comes back as
	// ±Inf with ErrRange, which still compares correctly.
	f, _ := strconv.ParseFloat(s, 64)
	return f, true
}
