package condition

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sextant-ops/sextant/internal/duration"
)

// SyntaxError is what Parse returns for a condition it cannot accept. It
// carries the column so an editor can point at the mistake, and its text
// names the column so a config error log does too.
type SyntaxError struct {
	// Column is the 1-based position, in characters, of the mistake.
	Column int
	// Message says what was expected and what was found.
	Message string
}

// Error returns "column N: message".
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("column %d: %s", e.Column, e.Message)
}

// maxLength bounds the conditions Parse accepts; a real one fits on a
// line, and the bound keeps hostile input from costing much.
const maxLength = 4096

// Parse reads a condition such as "[STATUS] == 200" or
// "len([BODY].items) > 0". The grammar is
//
//	condition = left op right
//	left      = subject | ("len" | "has") "(" subject ")"
//	subject   = "[" NAME "]" path          (a path only after [BODY])
//	path      = { "." KEY | "[" INDEX "]" | "[" STRING "]" }
//	op        = "==" | "!=" | "<" | "<=" | ">" | ">="
//	right     = value | "pat(" (STRING | RAW) ")" | "any(" value { "," value } ")"
//	value     = STRING | WORD
//
// with free whitespace between tokens but none inside a subject. Names
// and function names are case-insensitive. Whether the right side suits
// the left (a number for [STATUS], a duration for
// [CERTIFICATE_EXPIRATION], true or false for [CONNECTED], no < or >
// between texts) is checked here, so a mistake is reported when the
// check is configured, not when it first runs. Errors are *SyntaxError.
func Parse(s string) (*Condition, error) {
	if len(s) > maxLength {
		return nil, &SyntaxError{Column: 1, Message: fmt.Sprintf("condition is too long (more than %d bytes)", maxLength)}
	}
	if !utf8.ValidString(s) {
		i := 0
		for i < len(s) {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				break
			}
			i += n
		}
		return nil, &SyntaxError{Column: utf8.RuneCountInString(s[:i]) + 1, Message: "invalid UTF-8"}
	}
	p := &parser{src: s}
	c, err := p.condition()
	if err != nil {
		return nil, err
	}
	return c, nil
}

// parser reads one condition; pos is a byte offset into src.
type parser struct {
	src string
	pos int
}

// errorf builds a SyntaxError at byte offset pos.
func (p *parser) errorf(pos int, format string, args ...any) *SyntaxError {
	return &SyntaxError{Column: utf8.RuneCountInString(p.src[:pos]) + 1, Message: fmt.Sprintf(format, args...)}
}

// peek returns the rune at pos and its width, or (-1, 0) at the end.
func (p *parser) peek() (rune, int) {
	if p.pos >= len(p.src) {
		return -1, 0
	}
	return utf8.DecodeRuneInString(p.src[p.pos:])
}

func (p *parser) skipSpace() {
	for {
		r, n := p.peek()
		if n == 0 || !unicode.IsSpace(r) {
			return
		}
		p.pos += n
	}
}

// found describes what stands at pos for an error message: the next run
// of non-space characters, shortened, or the end.
func (p *parser) found() string {
	if p.pos >= len(p.src) {
		return "the end of the condition"
	}
	if r, _ := p.peek(); unicode.IsSpace(r) {
		return "a space"
	}
	rest := p.src[p.pos:]
	end := strings.IndexFunc(rest, unicode.IsSpace)
	if end < 0 {
		end = len(rest)
	}
	tok := rest[:end]
	if utf8.RuneCountInString(tok) > 20 {
		tok = string([]rune(tok)[:20]) + "…"
	}
	return strconv.Quote(tok)
}

func (p *parser) condition() (*Condition, error) {
	c := &Condition{}
	p.skipSpace()
	if p.pos >= len(p.src) {
		return nil, p.errorf(p.pos, "empty condition; expected a placeholder such as [STATUS]")
	}
	if err := p.left(c); err != nil {
		return nil, err
	}
	p.skipSpace()
	opCol := utf8.RuneCountInString(p.src[:p.pos]) + 1
	if err := p.operator(c); err != nil {
		return nil, err
	}
	p.skipSpace()
	rightCol := utf8.RuneCountInString(p.src[:p.pos]) + 1
	if err := p.right(c); err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos < len(p.src) {
		hint := ""
		if c.right.kind == rightLiteral && !c.right.lit.quoted {
			hint = " (quote a value that contains spaces)"
		}
		return nil, p.errorf(p.pos, "unexpected %s after the value%s", p.found(), hint)
	}
	if err := c.check(opCol, rightCol); err != nil {
		return nil, err
	}
	return c, nil
}

// left reads a subject, possibly wrapped in len() or has().
func (p *parser) left(c *Condition) error {
	r, _ := p.peek()
	if r == '[' {
		return p.subject(c)
	}
	if !unicode.IsLetter(r) {
		return p.errorf(p.pos, "expected a placeholder such as [STATUS], found %s", p.found())
	}
	start := p.pos
	for {
		r, n := p.peek()
		if n == 0 || !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_') {
			break
		}
		p.pos += n
	}
	name := p.src[start:p.pos]
	switch strings.ToLower(name) {
	case "len":
		c.fn = fnLen
	case "has":
		c.fn = fnHas
	default:
		if _, ok := lookupPlaceholder(name); ok {
			return p.errorf(start, "expected a placeholder in brackets, as in [%s]", strings.ToUpper(name))
		}
		p.pos = start
		return p.errorf(start, "expected a placeholder such as [STATUS] or len(…)/has(…), found %s", p.found())
	}
	p.skipSpace()
	if r, _ := p.peek(); r != '(' {
		return p.errorf(p.pos, "expected \"(\" after %s, found %s", strings.ToLower(name), p.found())
	}
	p.pos++
	p.skipSpace()
	subjectPos := p.pos
	if r, _ := p.peek(); r != '[' {
		return p.errorf(p.pos, "expected a placeholder such as [BODY] inside %s(), found %s", strings.ToLower(name), p.found())
	}
	if err := p.subject(c); err != nil {
		return err
	}
	p.skipSpace()
	if r, _ := p.peek(); r != ')' {
		return p.errorf(p.pos, "expected \")\" to close %s(, found %s", strings.ToLower(name), p.found())
	}
	p.pos++
	switch {
	case c.fn == fnHas && (c.ph != phBody || len(c.path) == 0):
		return p.errorf(subjectPos, "has() takes a JSON path into the body, as in has([BODY].field)")
	case c.fn == fnLen && c.ph != phBody && c.ph != phIP && c.ph != phDNSRcode:
		return p.errorf(subjectPos, "len() takes [BODY], a JSON path into it, [IP] or [DNS_RCODE], not [%s]", placeholderNames[c.ph])
	}
	return nil
}

// subject reads "[NAME]" and, after [BODY], a JSON path.
func (p *parser) subject(c *Condition) error {
	start := p.pos
	p.pos++ // '['
	end := strings.IndexByte(p.src[p.pos:], ']')
	if end < 0 {
		return p.errorf(start, "unterminated placeholder: missing \"]\"")
	}
	name := p.src[p.pos : p.pos+end]
	ph, ok := lookupPlaceholder(name)
	if !ok {
		return p.errorf(start, "unknown placeholder [%s] (use [STATUS], [RESPONSE_TIME], [BODY], [CERTIFICATE_EXPIRATION], [CONNECTED], [DNS_RCODE] or [IP])", shorten(name, 40))
	}
	c.ph = ph
	p.pos += end + 1
	if r, _ := p.peek(); r != '.' && r != '[' {
		return nil
	}
	if ph != phBody {
		return p.errorf(p.pos, "only [BODY] takes a JSON path; [%s] has no fields", placeholderNames[ph])
	}
	return p.path(c)
}

// path reads JSON path segments for as long as they follow.
func (p *parser) path(c *Condition) error {
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case '.':
			p.pos++
			start := p.pos
			for {
				r, n := p.peek()
				if n == 0 || !isBareKeyRune(r) {
					break
				}
				p.pos += n
			}
			if p.pos == start {
				return p.errorf(p.pos, "expected a key after \".\", found %s (write odd keys as [\"key\"])", p.found())
			}
			c.path = append(c.path, segment{key: p.src[start:p.pos]})
		case '[':
			open := p.pos
			p.pos++
			r, _ := p.peek()
			switch {
			case r == '"':
				key, err := p.quoted()
				if err != nil {
					return err
				}
				c.path = append(c.path, segment{key: key})
			case r >= '0' && r <= '9':
				start := p.pos
				for p.pos < len(p.src) && p.src[p.pos] >= '0' && p.src[p.pos] <= '9' {
					p.pos++
				}
				n, err := strconv.Atoi(p.src[start:p.pos])
				if err != nil {
					return p.errorf(start, "index %s is too large", shorten(p.src[start:p.pos], 20))
				}
				c.path = append(c.path, segment{index: n, isIndex: true})
			default:
				return p.errorf(p.pos, "expected an index such as [0] or a quoted key such as [\"key\"], found %s", p.found())
			}
			if r, _ := p.peek(); r != ']' {
				return p.errorf(p.pos, "expected \"]\" to close the \"[\" at column %d, found %s", utf8.RuneCountInString(p.src[:open])+1, p.found())
			}
			p.pos++
		default:
			return nil
		}
	}
	return nil
}

// quoted reads a double-quoted string with Go's escapes at pos.
func (p *parser) quoted() (string, error) {
	start := p.pos
	i := p.pos + 1
	for i < len(p.src) {
		switch p.src[i] {
		case '\\':
			i += 2
			continue
		case '"':
			s, err := strconv.Unquote(p.src[start : i+1])
			if err != nil {
				return "", p.errorf(start, "invalid quoted string (check its escapes)")
			}
			p.pos = i + 1
			return s, nil
		}
		i++
	}
	return "", p.errorf(start, "unterminated quoted string")
}

// operator reads one of the six operators. It takes the whole run of
// operator characters so "=>" or "===" is reported as one bad operator.
func (p *parser) operator(c *Condition) error {
	start := p.pos
	end := p.pos
	for end < len(p.src) && isOperatorRune(rune(p.src[end])) {
		end++
	}
	tok := p.src[start:end]
	for op, text := range operatorText {
		if tok == text {
			c.op = operator(op)
			p.pos = end
			return nil
		}
	}
	if tok == "" {
		return p.errorf(start, "expected an operator (==, !=, <, <=, >, >=), found %s", p.found())
	}
	return p.errorf(start, "expected an operator (==, !=, <, <=, >, >=), found %q", tok)
}

// right reads the right-hand side: a value, pat(…) or any(…).
func (p *parser) right(c *Condition) error {
	if p.pos >= len(p.src) {
		return p.errorf(p.pos, "expected a value after %s", operatorText[c.op])
	}
	start := p.pos
	r, _ := p.peek()
	switch {
	case r == '[':
		return p.errorf(start, "expected a value, found %s; placeholders go on the left only", p.found())
	case r == '"':
		l, err := p.value()
		if err != nil {
			return err
		}
		c.right = right{kind: rightLiteral, lit: l}
		return nil
	case !isBareWordRune(r) || isOperatorRune(r):
		return p.errorf(start, "expected a value, found %s", p.found())
	}
	l, err := p.value()
	if err != nil {
		return err
	}
	if r, _ := p.peek(); r != '(' {
		c.right = right{kind: rightLiteral, lit: l}
		return nil
	}
	switch strings.ToLower(l.text) {
	case "pat":
		p.pos++
		pat, err := p.patternArg()
		if err != nil {
			return err
		}
		c.right = right{kind: rightPattern, pattern: pat}
		return nil
	case "any":
		p.pos++
		items, err := p.anyArgs()
		if err != nil {
			return err
		}
		c.right = right{kind: rightAny, items: items}
		return nil
	}
	return p.errorf(start, "unknown function %s( on the right (use pat(…) or any(…))", shorten(l.text, 20))
}

// value reads one quoted string or bare word and works out what it means
// as a number and as a duration.
func (p *parser) value() (literal, error) {
	start := p.pos
	l := literal{col: utf8.RuneCountInString(p.src[:start]) + 1}
	if r, _ := p.peek(); r == '"' {
		s, err := p.quoted()
		if err != nil {
			return l, err
		}
		l.text, l.quoted = s, true
	} else {
		for {
			r, n := p.peek()
			if n == 0 || !isBareWordRune(r) {
				break
			}
			p.pos += n
		}
		if p.pos == start {
			return l, p.errorf(start, "expected a value, found %s", p.found())
		}
		l.text = p.src[start:p.pos]
	}
	l.num, l.isNum = parseNumber(l.text)
	if !l.quoted {
		if d, err := duration.Parse(l.text); err == nil {
			l.dur, l.isDur = d, true
		}
	}
	return l, nil
}

// patternArg reads the argument of pat( after its "(": a quoted string or
// raw text up to the closing ")", trimmed.
func (p *parser) patternArg() (string, error) {
	p.skipSpace()
	if r, _ := p.peek(); r == '"' {
		s, err := p.quoted()
		if err != nil {
			return "", err
		}
		p.skipSpace()
		if r, _ := p.peek(); r != ')' {
			return "", p.errorf(p.pos, "expected \")\" to close pat(, found %s", p.found())
		}
		p.pos++
		return s, nil
	}
	start := p.pos
	end := strings.IndexByte(p.src[p.pos:], ')')
	if end < 0 {
		return "", p.errorf(start, "expected \")\" to close pat(")
	}
	pat := strings.TrimFunc(p.src[start:start+end], unicode.IsSpace)
	if pat == "" {
		return "", p.errorf(start, "pat() needs a pattern, as in pat(*ok*); write pat(\"\") for an empty one")
	}
	p.pos = start + end + 1
	return pat, nil
}

// anyArgs reads the comma-separated values of any( after its "(".
func (p *parser) anyArgs() ([]literal, error) {
	var items []literal
	for {
		p.skipSpace()
		r, _ := p.peek()
		if r == ')' && len(items) == 0 {
			return nil, p.errorf(p.pos, "any() needs at least one value, as in any(200, 204)")
		}
		if r != '"' && (!isBareWordRune(r) || isOperatorRune(r)) {
			return nil, p.errorf(p.pos, "expected a value in any(, found %s", p.found())
		}
		l, err := p.value()
		if err != nil {
			return nil, err
		}
		items = append(items, l)
		p.skipSpace()
		switch r, _ := p.peek(); r {
		case ',':
			p.pos++
		case ')':
			p.pos++
			return items, nil
		default:
			return nil, p.errorf(p.pos, "expected \",\" or \")\" in any(, found %s", p.found())
		}
	}
}

// check refuses right-hand sides that cannot suit the left, at the column
// of the offending value or, for a misplaced <, of the operator.
func (c *Condition) check(opCol, rightCol int) error {
	lits := []literal{c.right.lit}
	if c.right.kind == rightAny {
		lits = c.right.items
	}
	column := rightCol
	fail := func(col int, format string, args ...any) error {
		return &SyntaxError{Column: col, Message: fmt.Sprintf(format, args...)}
	}
	left := c.leftString()
	op := operatorText[c.op]
	if c.right.kind != rightLiteral && c.op.ordering() {
		return fail(opCol, "%s works only with == and !=, not %s", map[rightKind]string{rightPattern: "pat()", rightAny: "any()"}[c.right.kind], op)
	}

	switch {
	case c.fn == fnHas || c.ph == phConnected:
		if c.op.ordering() {
			return fail(opCol, "%s is true or false; compare it with == or !=, not %s", left, op)
		}
		if c.right.kind != rightLiteral {
			return fail(column, "%s is true or false; compare it with true or false", left)
		}
		l := &c.right.lit
		if l.quoted || (!strings.EqualFold(l.text, "true") && !strings.EqualFold(l.text, "false")) {
			return fail(l.col, "%s is true or false; expected true or false, found %s", left, shorten(l.String(), 20))
		}
		l.text = strings.ToLower(l.text)

	case c.ph == phCertificateExpiration:
		if c.right.kind != rightLiteral {
			return fail(column, "%s compares with a duration such as 72h or 7d", left)
		}
		l := c.right.lit
		if !l.isDur {
			msg := "expected a duration such as 72h, 7d or 30m"
			if !l.quoted {
				if _, err := duration.Parse(l.text); err != nil {
					msg += " (" + err.Error() + ")"
				}
			}
			return fail(l.col, "%s compares with a duration: %s", left, msg)
		}

	case c.ph == phStatus || c.ph == phResponseTime || c.fn == fnLen:
		if c.right.kind == rightPattern {
			return nil
		}
		for i := range lits {
			l := &lits[i]
			if l.isNum {
				continue
			}
			if c.ph == phResponseTime && c.fn == fnNone && l.isDur {
				// "[RESPONSE_TIME] < 1.5s" means what it says.
				l.num, l.isNum = float64(l.dur)/float64(time.Millisecond), true
				continue
			}
			what := "a number"
			if c.ph == phResponseTime && c.fn == fnNone {
				what = "a number of milliseconds or a duration such as 500ms"
			}
			return fail(l.col, "%s compares with %s, found %s", left, what, shorten(l.String(), 20))
		}
		if c.right.kind == rightLiteral {
			c.right.lit = lits[0]
		}

	case c.ph == phDNSRcode || c.ph == phIP:
		if c.op.ordering() {
			return fail(opCol, "%s is text; compare it with == or !=, not %s", left, op)
		}

	default: // [BODY] and JSON paths: anything for == and !=, numbers for ordering.
		if c.op.ordering() && !c.right.lit.isNum {
			return fail(column, "%s compares numbers; %s is not a number", op, shorten(c.right.lit.String(), 20))
		}
	}
	return nil
}
