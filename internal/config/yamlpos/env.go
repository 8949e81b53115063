package yamlpos

import (
	"fmt"
	"strings"
)

// expandEnv replaces ${NAME} and ${NAME:-default} in s with values from
// getenv. "$${" stands for a literal "${", so a value that must contain the
// characters themselves can say so; any other '$' is left alone, so that
// passwords and regular expressions containing '$' survive unchanged. The
// default is used when the variable is unset or empty, as in the shell.
//
// It returns one message per problem (an unset variable, a malformed
// reference) so that all of them can be reported, not just the first.
func expandEnv(s string, getenv func(string) (string, bool)) (string, []string) {
	if !strings.Contains(s, "$") {
		return s, nil
	}
	var b strings.Builder
	var problems []string
	for i := 0; i < len(s); {
		if s[i] != '$' {
			b.WriteByte(s[i])
			i++
			continue
		}
		rest := s[i:]
		switch {
		case strings.HasPrefix(rest, "$${"):
			b.WriteString("${")
			i += 3
		case strings.HasPrefix(rest, "${"):
			end := strings.IndexByte(rest, '}')
			if end < 0 {
				problems = append(problems, fmt.Sprintf("unterminated %q in %s", "${", quote(s)))
				b.WriteString(rest)
				i = len(s)
				continue
			}
			inner := rest[2:end]
			name, def, hasDef := strings.Cut(inner, ":-")
			i += end + 1
			if !validEnvName(name) {
				problems = append(problems, fmt.Sprintf("invalid environment variable name %s", quote(name)))
				continue
			}
			val, ok := getenv(name)
			switch {
			case hasDef && (!ok || val == ""):
				val = def
			case !ok:
				problems = append(problems, fmt.Sprintf("environment variable %s is not set", quote(name)))
			}
			b.WriteString(val)
		default:
			b.WriteByte('$')
			i++
		}
	}
	return b.String(), problems
}

// validEnvName accepts the names a POSIX shell accepts: a letter or '_'
// followed by letters, digits and '_'.
func validEnvName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		letter := c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !letter && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return true
}
