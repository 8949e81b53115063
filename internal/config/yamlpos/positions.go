package yamlpos

import "strconv"

// Positions maps a field path to where it stood in the file. Validation that
// runs after decoding (an unknown calendar, a dependency on a missing
// service) uses it to report its findings at the right line and column.
type Positions struct {
	m map[string]position
}

type position struct{ line, col int }

func newPositions() *Positions {
	return &Positions{m: make(map[string]position)}
}

func (p *Positions) set(path string, line, col int) {
	p.m[path] = position{line, col}
}

// Lookup returns the line and column of path. A path that was not in the
// file (a required key the user left out, say) falls back to its nearest
// present parent, so "services[0].objective.hours" gives the position of
// "services[0].objective"; ok says whether the exact path was found. When
// neither the path nor any parent was present, line and col are 0. A nil
// Positions finds nothing.
func (p *Positions) Lookup(path string) (line, col int, ok bool) {
	if p == nil {
		return 0, 0, false
	}
	exact := true
	for {
		if pos, found := p.m[path]; found {
			return pos.line, pos.col, exact
		}
		parent, has := parentPath(path)
		if !has {
			return 0, 0, false
		}
		path, exact = parent, false
	}
}

// At builds an Error for path at the path's position, or at its nearest
// present parent's, so a validator can report by path alone.
func (p *Positions) At(path, msg string) Error {
	line, col, _ := p.Lookup(path)
	return Error{Line: line, Column: col, Path: path, Msg: msg}
}

// keyPath appends a mapping key to a path.
func keyPath(parent, key string) string {
	if !plainKey(key) {
		return parent + "[" + strconv.Quote(key) + "]"
	}
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// indexPath appends a sequence index to a path.
func indexPath(parent string, i int) string {
	return parent + "[" + strconv.Itoa(i) + "]"
}

// plainKey reports whether key can be written bare in a path without being
// confused with the separators.
func plainKey(key string) bool {
	if key == "" {
		return false
	}
	for _, r := range key {
		ok := r == '_' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
		if !ok {
			return false
		}
	}
	return true
}

// parentPath removes the last segment of path. It understands the quoted
// bracket form of keys, so a '.' or '[' inside quotes does not split. The
// empty path (the document) has no parent.
func parentPath(path string) (string, bool) {
	if path == "" {
		return "", false
	}
	last := 0
	inQuote := false
	for i := 0; i < len(path); i++ {
		c := path[i]
		switch {
		case inQuote && c == '\\':
			i++ // skip the escaped byte
		case c == '"':
			inQuote = !inQuote
		case !inQuote && (c == '.' || c == '['):
			last = i
		}
	}
	return path[:last], true
}
