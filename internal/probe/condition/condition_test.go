package condition

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	cases := []struct {
		name, in, want, placeholder string
	}{
		{"status", "[STATUS] == 200", "[STATUS] == 200", "STATUS"},
		{"no spaces", "[STATUS]==200", "[STATUS] == 200", "STATUS"},
		{"lower-case name", "[status] != 503", "[STATUS] != 503", "STATUS"},
		{"much whitespace", " \t[STATUS]   <\n400  ", "[STATUS] < 400", "STATUS"},
		{"status pattern", "[STATUS] == pat(2*)", "[STATUS] == pat(2*)", "STATUS"},
		{"status any", "[STATUS] == any(200,201 , 204)", "[STATUS] == any(200, 201, 204)", "STATUS"},
		{"status quoted number", `[STATUS] == "200"`, `[STATUS] == "200"`, "STATUS"},
		{"response time", "[RESPONSE_TIME] < 500", "[RESPONSE_TIME] < 500", "RESPONSE_TIME"},
		{"response time duration", "[Response_Time] <= 1.5s", "[RESPONSE_TIME] <= 1.5s", "RESPONSE_TIME"},
		{"response time decimal", "[RESPONSE_TIME] >= 0.5", "[RESPONSE_TIME] >= 0.5", "RESPONSE_TIME"},
		{"body", "[BODY] == OK", "[BODY] == OK", "BODY"},
		{"body pattern", "[BODY] == pat(*\"ok\"*)", "[BODY] == pat(*\"ok\"*)", "BODY"},
		{"body pattern with spaces", "[BODY] == pat(  *all is well*  )", "[BODY] == pat(*all is well*)", "BODY"},
		{"body quoted pattern", `[BODY] != pat(" *)* ")`, `[BODY] != pat(" *)* ")`, "BODY"},
		{"empty quoted pattern", `[BODY] == pat("")`, `[BODY] == pat("")`, "BODY"},
		{"json path", "[BODY].status == UP", "[BODY].status == UP", "BODY"},
		{"nested path", "[BODY].a.b.c == 1", "[BODY].a.b.c == 1", "BODY"},
		{"array index", "[BODY][0] == x", "[BODY][0] == x", "BODY"},
		{"path with index", "[BODY].items[2].name == disk", "[BODY].items[2].name == disk", "BODY"},
		{"quoted key", `[BODY]["odd.key"] == 1`, `[BODY]["odd.key"] == 1`, "BODY"},
		{"quoted plain key", `[BODY]["plain"] == 1`, "[BODY].plain == 1", "BODY"},
		{"leading zero index", "[BODY][007] == 1", "[BODY][7] == 1", "BODY"},
		{"key with dash and dollar", "[BODY].$meta.x-y_z == 1", "[BODY].$meta.x-y_z == 1", "BODY"},
		{"unicode key", "[BODY].état == prêt", "[BODY].état == prêt", "BODY"},
		{"quoted string", `[BODY].msg == "all good"`, `[BODY].msg == "all good"`, "BODY"},
		{"quoted escapes", `[BODY].msg == "a\"b\\c\n"`, `[BODY].msg == "a\"b\\c\n"`, "BODY"},
		{"body number ordering", "[BODY].load < 0.75", "[BODY].load < 0.75", "BODY"},
		{"negative number", "[BODY].delta > -3", "[BODY].delta > -3", "BODY"},
		{"exponent", "[BODY].n >= 1e3", "[BODY].n >= 1e3", "BODY"},
		{"null", "[BODY].error == null", "[BODY].error == null", "BODY"},
		{"bool word", "[BODY].ok == true", "[BODY].ok == true", "BODY"},
		{"body any", `[BODY].state == any(UP, "up", 1)`, `[BODY].state == any(UP, "up", 1)`, "BODY"},
		{"word with inner operator", "[BODY].eq == a=b", "[BODY].eq == a=b", "BODY"},
		{"certificate", "[CERTIFICATE_EXPIRATION] > 72h", "[CERTIFICATE_EXPIRATION] > 72h", "CERTIFICATE_EXPIRATION"},
		{"certificate days", "[certificate_expiration] >= 7d", "[CERTIFICATE_EXPIRATION] >= 7d", "CERTIFICATE_EXPIRATION"},
		{"certificate zero", "[CERTIFICATE_EXPIRATION] > 0", "[CERTIFICATE_EXPIRATION] > 0", "CERTIFICATE_EXPIRATION"},
		{"connected", "[CONNECTED] == true", "[CONNECTED] == true", "CONNECTED"},
		{"connected upper-case word", "[CONNECTED] != FALSE", "[CONNECTED] != false", "CONNECTED"},
		{"dns rcode", "[DNS_RCODE] == NOERROR", "[DNS_RCODE] == NOERROR", "DNS_RCODE"},
		{"dns rcode any", "[DNS_RCODE] == any(NOERROR, NXDOMAIN)", "[DNS_RCODE] == any(NOERROR, NXDOMAIN)", "DNS_RCODE"},
		{"ip", "[IP] == 10.0.0.1", "[IP] == 10.0.0.1", "IP"},
		{"ip pattern", "[IP] == pat(10.*)", "[IP] == pat(10.*)", "IP"},
		{"ipv6", "[IP] != ::1", "[IP] != ::1", "IP"},
		{"len body", "len([BODY]) > 0", "len([BODY]) > 0", "BODY"},
		{"len path", "LEN( [BODY].items ) == 3", "len([BODY].items) == 3", "BODY"},
		{"len ip", "len([IP]) > 6", "len([IP]) > 6", "IP"},
		{"has", "has([BODY].errors) == false", "has([BODY].errors) == false", "BODY"},
		{"has upper-case", "HAS([BODY].data[0]) != false", "has([BODY].data[0]) != false", "BODY"},
		{"pat as plain word", "[BODY] == pat", "[BODY] == pat", "BODY"},
		{"function names ignore case", "[BODY] == PAT(x*)", "[BODY] == pat(x*)", "BODY"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse(tc.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.in, err)
			}
			if got := c.String(); got != tc.want {
				t.Errorf("String() = %q, want %q", got, tc.want)
			}
			if got := c.Placeholder(); got != tc.placeholder {
				t.Errorf("Placeholder() = %q, want %q", got, tc.placeholder)
			}
			again, err := Parse(c.String())
			if err != nil || again.String() != c.String() {
				t.Errorf("Parse(String()) = %v, %v; want %q", again, err, c.String())
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{"empty", "", "column 1: empty condition; expected a placeholder such as [STATUS]"},
		{"blank", "   ", "column 4: empty condition; expected a placeholder such as [STATUS]"},
		{"bad operator", "[STATUS] => 200", `column 10: expected an operator (==, !=, <, <=, >, >=), found "=>"`},
		{"bad operator after path", "[BODY].status => UP", `column 15: expected an operator (==, !=, <, <=, >, >=), found "=>"`},
		{"triple equals", "[STATUS] === 200", `column 10: expected an operator (==, !=, <, <=, >, >=), found "==="`},
		{"single equals", "[STATUS] = 200", `column 10: expected an operator (==, !=, <, <=, >, >=), found "="`},
		{"diamond", "[STATUS] <> 200", `column 10: expected an operator (==, !=, <, <=, >, >=), found "<>"`},
		{"missing operator", "[STATUS] 200", `column 10: expected an operator (==, !=, <, <=, >, >=), found "200"`},
		{"only placeholder", "[STATUS]", "column 9: expected an operator (==, !=, <, <=, >, >=), found the end of the condition"},
		{"missing value", "[STATUS] ==", "column 12: expected a value after =="},
		{"missing value with space", "[STATUS] == ", "column 13: expected a value after =="},
		{"no brackets", "STATUS == 200", "column 1: expected a placeholder in brackets, as in [STATUS]"},
		{"not a placeholder", "200 == [STATUS]", `column 1: expected a placeholder such as [STATUS], found "200"`},
		{"unknown word", "foo == 1", `column 1: expected a placeholder such as [STATUS] or len(…)/has(…), found "foo"`},
		{"unknown placeholder", "[STATU] == 200", "column 1: unknown placeholder [STATU] (use [STATUS], [RESPONSE_TIME], [BODY], [CERTIFICATE_EXPIRATION], [CONNECTED], [DNS_RCODE] or [IP])"},
		{"unterminated placeholder", "[STATUS == 200", `column 1: unterminated placeholder: missing "]"`},
		{"path on status", "[STATUS].code == 200", "column 9: only [BODY] takes a JSON path; [STATUS] has no fields"},
		{"empty key", "[BODY]. == 1", `column 8: expected a key after ".", found a space (write odd keys as ["key"])`},
		{"double dot", "[BODY].a..b == 1", `column 10: expected a key after ".", found ".b" (write odd keys as ["key"])`},
		{"bad index", "[BODY][x] == 1", `column 8: expected an index such as [0] or a quoted key such as ["key"], found "x]"`},
		{"negative index", "[BODY][-1] == 1", `column 8: expected an index such as [0] or a quoted key such as ["key"], found "-1]"`},
		{"unclosed index", "[BODY][0 == 1", `column 9: expected "]" to close the "[" at column 7, found a space`},
		{"huge index", "[BODY][99999999999999999999] == 1", "column 8: index 99999999999999999999 is too large"},
		{"unterminated quoted key", `[BODY]["abc == 1`, "column 8: unterminated quoted string"},
		{"bad escape", `[BODY].a == "\q"`, "column 13: invalid quoted string (check its escapes)"},
		{"unterminated string", `[BODY].a == "abc`, "column 13: unterminated quoted string"},
		{"two words", "[BODY].msg == hello world", `column 21: unexpected "world" after the value (quote a value that contains spaces)`},
		{"after quoted", `[BODY].msg == "a" b`, `column 19: unexpected "b" after the value`},
		{"placeholder on the right", "[STATUS] == [BODY]", `column 13: expected a value, found "[BODY]"; placeholders go on the left only`},
		{"status word", "[STATUS] == OK", "column 13: [STATUS] compares with a number, found OK"},
		{"status any word", "[STATUS] == any(200, OK)", "column 22: [STATUS] compares with a number, found OK"},
		{"response time word", "[RESPONSE_TIME] < fast", "column 19: [RESPONSE_TIME] compares with a number of milliseconds or a duration such as 500ms, found fast"},
		{"ordering on text", "[IP] < 5", "column 6: [IP] is text; compare it with == or !=, not <"},
		{"ordering on rcode", "[DNS_RCODE] >= NOERROR", "column 13: [DNS_RCODE] is text; compare it with == or !=, not >="},
		{"ordering on word", "[BODY].status > UP", "column 17: > compares numbers; UP is not a number"},
		{"ordering on quoted word", `[BODY] < "a"`, `column 10: < compares numbers; "a" is not a number`},
		{"ordering with pattern", "[BODY] < pat(1*)", "column 8: pat() works only with == and !=, not <"},
		{"ordering with any", "[STATUS] > any(1, 2)", "column 10: any() works only with == and !=, not >"},
		{"connected word", "[CONNECTED] == yes", "column 16: [CONNECTED] is true or false; expected true or false, found yes"},
		{"connected ordering", "[CONNECTED] < true", "column 13: [CONNECTED] is true or false; compare it with == or !=, not <"},
		{"connected quoted", `[CONNECTED] == "true"`, `column 16: [CONNECTED] is true or false; expected true or false, found "true"`},
		{"connected any", "[CONNECTED] == any(true, false)", "column 16: [CONNECTED] is true or false; compare it with true or false"},
		{"certificate number", "[CERTIFICATE_EXPIRATION] > 72", `column 28: [CERTIFICATE_EXPIRATION] compares with a duration: expected a duration such as 72h, 7d or 30m ("72": missing unit after 72 (use s, m, h, d or w))`},
		{"certificate bad unit", "[CERTIFICATE_EXPIRATION] > 3y", `column 28: [CERTIFICATE_EXPIRATION] compares with a duration: expected a duration such as 72h, 7d or 30m ("3y": unknown unit "y" (use s, m, h, d or w))`},
		{"certificate pattern", "[CERTIFICATE_EXPIRATION] == pat(1*)", "column 29: [CERTIFICATE_EXPIRATION] compares with a duration such as 72h or 7d"},
		{"has without path", "has([BODY]) == true", "column 5: has() takes a JSON path into the body, as in has([BODY].field)"},
		{"has on status", "has([STATUS]) == true", "column 5: has() takes a JSON path into the body, as in has([BODY].field)"},
		{"has word", "has([BODY].a) == maybe", "column 18: has([BODY].a) is true or false; expected true or false, found maybe"},
		{"len on status", "len([STATUS]) > 1", "column 5: len() takes [BODY], a JSON path into it, [IP] or [DNS_RCODE], not [STATUS]"},
		{"len word", "len([BODY]) == many", "column 16: len([BODY]) compares with a number, found many"},
		{"len unclosed", "len([BODY] > 1", `column 12: expected ")" to close len(, found ">"`},
		{"len without paren", "len [BODY] > 1", `column 5: expected "(" after len, found "[BODY]"`},
		{"len of nothing", "len() > 1", `column 5: expected a placeholder such as [BODY] inside len(), found ")"`},
		{"unknown function", "[BODY] == glob(*x*)", "column 11: unknown function glob( on the right (use pat(…) or any(…))"},
		{"empty pattern", "[BODY] == pat()", `column 15: pat() needs a pattern, as in pat(*ok*); write pat("") for an empty one`},
		{"unclosed pattern", "[BODY] == pat(*x*", `column 15: expected ")" to close pat(`},
		{"quoted pattern unclosed", `[BODY] == pat("x" y)`, `column 19: expected ")" to close pat(, found "y)"`},
		{"empty any", "[BODY] == any()", "column 15: any() needs at least one value, as in any(200, 204)"},
		{"any trailing comma", "[BODY] == any(a,)", `column 17: expected a value in any(, found ")"`},
		{"any unclosed", "[BODY] == any(a, b", `column 19: expected "," or ")" in any(, found the end of the condition`},
		{"any missing comma", "[BODY] == any(a b)", `column 17: expected "," or ")" in any(, found "b)"`},
		{"value starting with operator", "[BODY] == =x", `column 11: expected a value, found "=x"`},
		{"stray paren", "[BODY] == )", `column 11: expected a value, found ")"`},
		{"invalid utf-8", "[BODY] == \xff", "column 11: invalid UTF-8"},
		{"too long", "[BODY] == " + strings.Repeat("x", maxLength), "column 1: condition is too long (more than 4096 bytes)"},
		{"column counts characters", "[BODY].été => 1", `column 12: expected an operator (==, !=, <, <=, >, >=), found "=>"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse(tc.in)
			if err == nil {
				t.Fatalf("Parse(%q) = %q, want an error", tc.in, c)
			}
			if err.Error() != tc.want {
				t.Errorf("Parse(%q) error\n got: %s\nwant: %s", tc.in, err, tc.want)
			}
			var se *SyntaxError
			if !errors.As(err, &se) || se.Column < 1 {
				t.Errorf("error %v is not a *SyntaxError with a column", err)
			}
		})
	}
}

// dur is a convenience for the *time.Duration in Values.
func dur(d time.Duration) *time.Duration { return &d }

func TestEval(t *testing.T) {
	http := Values{
		Connected:    true,
		HasStatus:    true,
		Status:       503,
		ResponseTime: 812 * time.Millisecond,
		Body: []byte(`{"status":"DOWN","version":"1.10","count":3,"ratio":0.5,"big":12345678901234567890,
			"ok":true,"nothing":null,"items":[{"name":"disk","free":"42"},{"name":"cpu"}],
			"odd.key":{"x y":"z"},"empty":"","nested":{"a":{"b":[10,20,[30]]}},"word":"true","héllo":"wörld"}`),
		CertificateExpiration: dur(47 * time.Hour),
		IP:                    "192.0.2.10",
	}
	dns := Values{Connected: true, DNSRcode: "NXDOMAIN", IP: "192.0.2.1,192.0.2.2", ResponseTime: 3 * time.Millisecond}
	text := Values{Connected: true, HasStatus: true, Status: 200, Body: []byte("Service is OK\n")}
	number := Values{Body: []byte(" 42\n")}
	arrayBody := Values{Body: []byte(`[1, 2, 3]`)}
	long := Values{Body: []byte(strings.Repeat("abcdefghij", 10))}
	nothing := Values{}

	cases := []struct {
		name   string
		cond   string
		v      Values
		ok     bool
		reason string
	}{
		// [STATUS]
		{"status equal fails", "[STATUS] == 200", http, false, "[STATUS] (503) == 200"},
		{"status equal holds", "[STATUS] == 200", text, true, "[STATUS] (200) == 200"},
		{"status not equal", "[STATUS] != 200", http, true, "[STATUS] (503) != 200"},
		{"status less", "[STATUS] < 500", http, false, "[STATUS] (503) < 500"},
		{"status less or equal", "[STATUS] <= 503", http, true, "[STATUS] (503) <= 503"},
		{"status greater", "[STATUS] > 499", http, true, "[STATUS] (503) > 499"},
		{"status greater or equal", "[STATUS] >= 504", http, false, "[STATUS] (503) >= 504"},
		{"status decimal literal", "[STATUS] == 503.0", http, true, "[STATUS] (503) == 503.0"},
		{"status quoted", `[STATUS] == "503"`, http, true, `[STATUS] (503) == "503"`},
		{"status pattern", "[STATUS] == pat(5*)", http, true, "[STATUS] (503) == pat(5*)"},
		{"status pattern fails", "[STATUS] == pat(2??)", http, false, "[STATUS] (503) == pat(2??)"},
		{"status any", "[STATUS] == any(200, 503)", http, true, "[STATUS] (503) == any(200, 503)"},
		{"status not any", "[STATUS] != any(200, 204)", http, true, "[STATUS] (503) != any(200, 204)"},
		{"status not measured", "[STATUS] == 200", dns, false, "[STATUS] (not measured) == 200"},
		{"status not measured with !=", "[STATUS] != 200", dns, false, "[STATUS] (not measured) != 200"},

		// [RESPONSE_TIME]
		{"response time", "[RESPONSE_TIME] < 500", http, false, "[RESPONSE_TIME] (812) < 500"},
		{"response time holds", "[RESPONSE_TIME] < 1000", http, true, "[RESPONSE_TIME] (812) < 1000"},
		{"response time duration", "[RESPONSE_TIME] < 1s", http, true, "[RESPONSE_TIME] (812) < 1s"},
		{"response time duration fails", "[RESPONSE_TIME] <= 0.5s", http, false, "[RESPONSE_TIME] (812) <= 0.5s"},
		{"response time equal", "[RESPONSE_TIME] == 3", dns, true, "[RESPONSE_TIME] (3) == 3"},

		// [BODY]
		{"body text", "[BODY] == OK", text, false, `[BODY] (Service is OK\n) == OK`},
		{"body quoted text", `[BODY] == "Service is OK\n"`, text, true, `[BODY] (Service is OK\n) == "Service is OK\n"`},
		{"body pattern", "[BODY] == pat(*is OK*)", text, true, `[BODY] (Service is OK\n) == pat(*is OK*)`},
		{"body pattern no match", "[BODY] != pat(*error*)", text, true, `[BODY] (Service is OK\n) != pat(*error*)`},
		{"body pattern question mark", "[BODY] == pat(Serv?ce*)", text, true, `[BODY] (Service is OK\n) == pat(Serv?ce*)`},
		{"body number", "[BODY] > 40", number, true, `[BODY] ( 42\n) > 40`},
		{"body number equal", "[BODY] == 42", number, true, `[BODY] ( 42\n) == 42`},
		{"body not a number", "[BODY] > 40", text, false, `[BODY] (Service is OK\n, not a number) > 40`},
		{"body shortened", "[BODY] == x", long, false, "[BODY] (" + strings.Repeat("abcdefghij", 6) + "abcd…) == x"},
		{"body not measured", "[BODY] == x", nothing, false, "[BODY] (not measured) == x"},

		// JSON paths
		{"path string", "[BODY].status == UP", http, false, "[BODY].status (DOWN) == UP"},
		{"path string holds", "[BODY].status == DOWN", http, true, "[BODY].status (DOWN) == DOWN"},
		{"path string quoted", `[BODY].status != "UP"`, http, true, `[BODY].status (DOWN) != "UP"`},
		{"path missing", "[BODY].state == UP", http, false, "[BODY].state (missing) == UP"},
		{"path missing with !=", "[BODY].state != UP", http, false, "[BODY].state (missing) != UP"},
		{"path nested", "[BODY].nested.a.b[1] == 20", http, true, "[BODY].nested.a.b[1] (20) == 20"},
		{"path nested array", "[BODY].nested.a.b[2][0] >= 30", http, true, "[BODY].nested.a.b[2][0] (30) >= 30"},
		{"path array element", "[BODY].items[1].name == cpu", http, true, "[BODY].items[1].name (cpu) == cpu"},
		{"path index out of range", "[BODY].items[5].name == cpu", http, false, "[BODY].items[5].name (missing: .items has 2 elements) == cpu"},
		{"path key on array", "[BODY].items.name == cpu", http, false, "[BODY].items.name (missing: .items is an array, not an object) == cpu"},
		{"path index on object", "[BODY].nested[0] == 1", http, false, "[BODY].nested[0] (missing: .nested is an object, not an array) == 1"},
		{"path through string", "[BODY].status.code == 1", http, false, "[BODY].status.code (missing: .status is a string, not an object) == 1"},
		{"path through null", "[BODY].nothing.x == 1", http, false, "[BODY].nothing.x (missing: .nothing is null, not an object) == 1"},
		{"path index on object body", "[BODY][0] == 1", http, false, "[BODY][0] (missing: the body is an object, not an array) == 1"},
		{"path index on array body", "[BODY][2] == 3", arrayBody, true, "[BODY][2] (3) == 3"},
		{"quoted keys", `[BODY]["odd.key"]["x y"] == z`, http, true, `[BODY]["odd.key"]["x y"] (z) == z`},
		{"unicode key", "[BODY].héllo == wörld", http, true, "[BODY].héllo (wörld) == wörld"},
		{"not JSON", "[BODY].status == UP", text, false, "[BODY].status (not JSON) == UP"},
		{"path not measured", "[BODY].status == UP", nothing, false, "[BODY].status (not measured) == UP"},
		{"json number", "[BODY].count == 3", http, true, "[BODY].count (3) == 3"},
		{"json number ordering", "[BODY].ratio < 0.75", http, true, "[BODY].ratio (0.5) < 0.75"},
		{"json number as decimal", "[BODY].count == 3.00", http, true, "[BODY].count (3) == 3.00"},
		{"json number quoted is text", `[BODY].count == "3.0"`, http, false, `[BODY].count (3) == "3.0"`},
		{"json big number kept as written", "[BODY].big > 1e19", http, true, "[BODY].big (12345678901234567890) > 1e19"},
		{"json numeric string ordering", "[BODY].items[0].free > 40", http, true, "[BODY].items[0].free (42) > 40"},
		{"json numeric string equality", "[BODY].items[0].free == 42", http, true, "[BODY].items[0].free (42) == 42"},
		{"json version string numeric", "[BODY].version == 1.1", http, true, "[BODY].version (1.10) == 1.1"},
		{"json version string exact", `[BODY].version == "1.1"`, http, false, `[BODY].version (1.10) == "1.1"`},
		{"json string ordering not a number", "[BODY].status < 5", http, false, "[BODY].status (DOWN, not a number) < 5"},
		{"json true", "[BODY].ok == true", http, true, "[BODY].ok (true) == true"},
		{"json true vs false", "[BODY].ok == false", http, false, "[BODY].ok (true) == false"},
		{"json string true", "[BODY].word == true", http, true, "[BODY].word (true) == true"},
		{"json null", "[BODY].nothing == null", http, true, "[BODY].nothing (null) == null"},
		{"json null ordering", "[BODY].nothing > 0", http, false, "[BODY].nothing (null, not a number) > 0"},
		{"json empty string", `[BODY].empty == ""`, http, true, `[BODY].empty () == ""`},
		{"json object as text", `[BODY]["odd.key"] == pat(*"x y"*)`, http, true, `[BODY]["odd.key"] ({"x y":"z"}) == pat(*"x y"*)`},
		{"json any", "[BODY].status == any(UP, DOWN)", http, true, "[BODY].status (DOWN) == any(UP, DOWN)"},
		{"json any numbers", "[BODY].count == any(1, 2)", http, false, "[BODY].count (3) == any(1, 2)"},
		{"json pattern", "[BODY].items[0].name == pat(d*k)", http, true, "[BODY].items[0].name (disk) == pat(d*k)"},

		// len() and has()
		{"len array", "len([BODY].items) == 2", http, true, "len([BODY].items) (2) == 2"},
		{"len object", "len([BODY].nested) == 1", http, true, "len([BODY].nested) (1) == 1"},
		{"len string", "len([BODY].héllo) == 5", http, true, "len([BODY].héllo) (5) == 5"},
		{"len number", "len([BODY].count) > 0", http, false, "len([BODY].count) (3, a number has no length) > 0"},
		{"len missing", "len([BODY].nope) > 0", http, false, "len([BODY].nope) (missing) > 0"},
		{"len not JSON", "len([BODY].items) > 0", text, false, "len([BODY].items) (not JSON) > 0"},
		{"len text body", "len([BODY]) == 14", text, true, "len([BODY]) (14) == 14"},
		{"len array body", "len([BODY]) == 3", arrayBody, true, "len([BODY]) (3) == 3"},
		{"len body not measured", "len([BODY]) > 0", nothing, false, "len([BODY]) (not measured) > 0"},
		{"len ip", "len([IP]) > 7", dns, true, "len([IP]) (19) > 7"},
		{"has present", "has([BODY].status) == true", http, true, "has([BODY].status) (true) == true"},
		{"has null counts", "has([BODY].nothing) == true", http, true, "has([BODY].nothing) (true) == true"},
		{"has absent", "has([BODY].errors) == false", http, true, "has([BODY].errors) (false) == false"},
		{"has absent fails", "has([BODY].errors) == true", http, false, "has([BODY].errors) (false) == true"},
		{"has not equal", "has([BODY].items[1]) != false", http, true, "has([BODY].items[1]) (true) != false"},
		{"has not JSON", "has([BODY].errors) == false", text, false, "has([BODY].errors) (not JSON) == false"},

		// [CERTIFICATE_EXPIRATION]
		{"certificate too close", "[CERTIFICATE_EXPIRATION] > 72h", http, false, "[CERTIFICATE_EXPIRATION] (1d23h) > 72h"},
		{"certificate far enough", "[CERTIFICATE_EXPIRATION] > 1d", http, true, "[CERTIFICATE_EXPIRATION] (1d23h) > 1d"},
		{"certificate minutes", "[CERTIFICATE_EXPIRATION] >= 2820m", http, true, "[CERTIFICATE_EXPIRATION] (1d23h) >= 2820m"},
		{"certificate less", "[CERTIFICATE_EXPIRATION] < 7d", http, true, "[CERTIFICATE_EXPIRATION] (1d23h) < 7d"},
		{"certificate equal", "[CERTIFICATE_EXPIRATION] == 47h", http, true, "[CERTIFICATE_EXPIRATION] (1d23h) == 47h"},
		{"certificate not equal", "[CERTIFICATE_EXPIRATION] != 47h", http, false, "[CERTIFICATE_EXPIRATION] (1d23h) != 47h"},
		{"certificate expired", "[CERTIFICATE_EXPIRATION] > 0", Values{CertificateExpiration: dur(-2 * time.Hour)}, false, "[CERTIFICATE_EXPIRATION] (-2h) > 0"},
		{"certificate not measured", "[CERTIFICATE_EXPIRATION] > 72h", dns, false, "[CERTIFICATE_EXPIRATION] (not measured) > 72h"},

		// [CONNECTED], [DNS_RCODE], [IP]
		{"connected", "[CONNECTED] == true", http, true, "[CONNECTED] (true) == true"},
		{"not connected", "[CONNECTED] == true", nothing, false, "[CONNECTED] (false) == true"},
		{"connected not equal", "[CONNECTED] != false", nothing, false, "[CONNECTED] (false) != false"},
		{"rcode", "[DNS_RCODE] == NOERROR", dns, false, "[DNS_RCODE] (NXDOMAIN) == NOERROR"},
		{"rcode holds", "[DNS_RCODE] == NXDOMAIN", dns, true, "[DNS_RCODE] (NXDOMAIN) == NXDOMAIN"},
		{"rcode is exact", "[DNS_RCODE] == nxdomain", dns, false, "[DNS_RCODE] (NXDOMAIN) == nxdomain"},
		{"rcode any", "[DNS_RCODE] == any(NOERROR, NXDOMAIN)", dns, true, "[DNS_RCODE] (NXDOMAIN) == any(NOERROR, NXDOMAIN)"},
		{"rcode not measured", "[DNS_RCODE] == NOERROR", http, false, "[DNS_RCODE] (not measured) == NOERROR"},
		{"ip", "[IP] == 192.0.2.10", http, true, "[IP] (192.0.2.10) == 192.0.2.10"},
		{"ip not equal", "[IP] != 192.0.2.10", http, false, "[IP] (192.0.2.10) != 192.0.2.10"},
		{"ip pattern", "[IP] == pat(*192.0.2.2*)", dns, true, "[IP] (192.0.2.1,192.0.2.2) == pat(*192.0.2.2*)"},
		{"ip not measured", "[IP] == 10.0.0.1", nothing, false, "[IP] (not measured) == 10.0.0.1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse(tc.cond)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.cond, err)
			}
			ok, reason := c.Eval(tc.v)
			if ok != tc.ok || reason != tc.reason {
				t.Errorf("Eval(%q)\n got: %v %s\nwant: %v %s", tc.cond, ok, reason, tc.ok, tc.reason)
			}
		})
	}
}

func TestMatchPattern(t *testing.T) {
	cases := []struct {
		name, pattern, s string
		want             bool
	}{
		{"exact", "abc", "abc", true},
		{"exact differs", "abc", "abd", false},
		{"star matches empty", "a*c", "ac", true},
		{"star matches run", "a*c", "abbbc", true},
		{"star alone", "*", "", true},
		{"leading star", "*ok", "all ok", true},
		{"trailing text must match end", "*ok", "ok then", false},
		{"backtracking", "*ab*cd", "xabyabzcd", true},
		{"backtracking fails", "*ab*cd", "xabyabzc", false},
		{"question mark", "a?c", "abc", true},
		{"question mark needs one", "a?c", "ac", false},
		{"question mark is one character", "?", "é", true},
		{"unicode literal", "*wörld", "hello wörld", true},
		{"empty pattern", "", "", true},
		{"empty pattern non-empty text", "", "x", false},
		{"many stars", "**a**", "a", true},
		{"brackets are literal", "[a]", "[a]", true},
		{"brackets do not form a class", "[ab]", "a", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := matchPattern(tc.pattern, tc.s); got != tc.want {
				t.Errorf("matchPattern(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
			}
		})
	}
}

func TestNilCondition(t *testing.T) {
	var c *Condition
	if ok, reason := c.Eval(Values{}); ok || reason == "" {
		t.Errorf("nil Eval = %v, %q; want false with a reason", ok, reason)
	}
	if c.String() != "" || c.Placeholder() != "" {
		t.Errorf("nil String/Placeholder = %q, %q; want empty", c.String(), c.Placeholder())
	}
}

func FuzzParse(f *testing.F) {
	seeds := []string{
		"[STATUS] == 200", "[STATUS] => 200", "[RESPONSE_TIME] < 1.5s", "[BODY] == pat(*ok*)",
		`[BODY]["odd.key"][0].x != "a\tb"`, "len([BODY].items) > 0", "has([BODY].errors) == false",
		"[CERTIFICATE_EXPIRATION] > 72h", "[CONNECTED] == TRUE", "[DNS_RCODE] == any(NOERROR, \"x\")",
		"[IP] == pat( 10.* )", `[BODY] == pat(" a) ")`, "[BODY].a[1e3] == 1", "[BODY].n >= -1.5e-3",
		"", "[", "len(", "[BODY].", `[BODY][""] == ""`, "[BODY] == any(", "[BODY] == pat(",
	}
	for _, s := range seeds {
		f.Add(s, []byte(`{"a":[1,{"b":"x"}],"n":-2,"errors":null,"items":[]}`), 503, true, int64(812), int64(time.Hour), true, "NOERROR", "10.0.0.1", true)
	}
	f.Add("[BODY] == x", []byte("not json"), 0, false, int64(0), int64(-1), false, "", "", false)
	f.Fuzz(func(t *testing.T, s string, body []byte, status int, hasStatus bool, rtMs, certNs int64, hasCert bool, rcode, ip string, connected bool) {
		c, err := Parse(s)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Column < 1 || !strings.HasPrefix(err.Error(), "column ") {
				t.Fatalf("Parse(%q) error %v lacks a column", s, err)
			}
			return
		}
		canon := c.String()
		again, err := Parse(canon)
		if err != nil {
			t.Fatalf("Parse(%q) ok, but its String %q does not parse: %v", s, canon, err)
		}
		if again.String() != canon {
			t.Fatalf("String not stable: %q -> %q -> %q", s, canon, again.String())
		}
		v := Values{
			Connected: connected, HasStatus: hasStatus, Status: status,
			ResponseTime: time.Duration(rtMs) * time.Millisecond, Body: body,
			DNSRcode: rcode, IP: ip,
		}
		if hasCert {
			v.CertificateExpiration = dur(time.Duration(certNs))
		}
		ok1, r1 := c.Eval(v)
		ok2, r2 := again.Eval(v)
		if ok1 != ok2 || r1 != r2 {
			t.Fatalf("%q and its canonical form %q judge differently: %v %q vs %v %q", s, canon, ok1, r1, ok2, r2)
		}
		if !strings.HasPrefix(r1, c.leftString()+" (") {
			t.Fatalf("reason %q does not start with the left side", r1)
		}
	})
}
