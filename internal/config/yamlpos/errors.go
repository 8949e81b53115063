// Package yamlpos decodes Sextant's YAML configuration into Go structs
// strictly, and reports every problem it finds with its line, column and
// field path rather than stopping at the first one.
//
// It exists because `sextant check FILE` must list all mistakes in a file in
// one run, and because validation done later (after decoding) must still be
// able to point at the place in the file a value came from: Decode returns a
// Positions that maps each field path to its line and column.
//
// Paths are written with YAML key names joined by dots and sequence indexes in
// brackets, as in "services[0].objective.availability". A map key that is
// not made only of letters, digits, '_' and '-' is written quoted in brackets,
// as in `labels["team.name"]`, so that every path splits back unambiguously.
package yamlpos

import (
	"fmt"
	"sort"
	"strings"
)

// Error is one problem at a place in the file. It carries the position and
// the path separately so that a command-line checker can print them and an
// API can return them as structured data.
type Error struct {
	Line, Column int    // 1-based; 0 when unknown
	Path         string // e.g. "services[0].objective.availability"; "" for the document
	Msg          string // e.g. `unknown key "availabilty"`
}

// Error formats the problem as "line:column: path: message", leaving out
// the parts that are unknown, so it reads like a compiler diagnostic.
func (e Error) Error() string {
	var b strings.Builder
	switch {
	case e.Line > 0 && e.Column > 0:
		fmt.Fprintf(&b, "%d:%d: ", e.Line, e.Column)
	case e.Line > 0:
		fmt.Fprintf(&b, "%d: ", e.Line)
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is a list of problems, sorted by line then column. It implements
// error so that a whole list can travel through ordinary error returns and
// still be unpacked with errors.As by a caller that wants the details.
type Errors []Error

// Error formats one problem per line, in file order.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// sorted returns the errors in file order with exact repeats removed. A
// repeat happens when an anchored node is decoded once for the anchor and
// again for each alias to it: the user has one mistake to fix, at one place,
// and the first report (the anchor's own path) is the one to keep.
func (es Errors) sorted() Errors {
	sort.SliceStable(es, func(i, j int) bool {
		if es[i].Line != es[j].Line {
			return es[i].Line < es[j].Line
		}
		return es[i].Column < es[j].Column
	})
	type key struct {
		line, col int
		msg       string
	}
	seen := make(map[key]bool, len(es))
	out := es[:0]
	for _, e := range es {
		k := key{e.Line, e.Column, e.Msg}
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, e)
	}
	return out
}
