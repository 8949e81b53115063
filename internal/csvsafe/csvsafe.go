// Package csvsafe guards the cells of the CSV files Sextant exports
// against spreadsheet formula injection (OWASP "CSV injection"): a cell
// whose text starts with =, +, -, @, a tab or a carriage return is taken
// by Excel, LibreOffice and Google Sheets as a formula, so an item name or
// an attribute value such as =HYPERLINK("http://x") would run in the
// spreadsheet of whoever opens the export. Such a cell is written with a
// leading single quote, which spreadsheets read as "this cell is text"
// and do not show.
//
// A plain decimal number (-0.5, -12, +3, 1e-3) is left as it is, so that
// figures stay figures.
package csvsafe

import (
	"strconv"
	"strings"
)

// prefix is what a spreadsheet reads as "the rest is text".
const prefix = "'"

// Cell returns s as it is safe to write in a CSV cell: with a leading
// single quote when a spreadsheet would take it as a formula.
//
// A value that already starts with quotes before such a character (”=x)
// gets one more, so that Unguard gives back exactly what was exported:
// without it, the import would strip the value's own quote.
func Cell(s string) string {
	if guarded(s) {
		return prefix + s
	}
	return s
}

// Row returns the cells of a record guarded by Cell, in a new slice.
func Row(cells []string) []string {
	out := make([]string, len(cells))
	for i, c := range cells {
		out[i] = Cell(c)
	}
	return out
}

// Unguard undoes Cell: it strips exactly one leading single quote from a
// cell when what follows is a value Cell would have guarded (it starts
// with =, +, -, @, a tab or a carriage return, possibly after more
// quotes, and is not a plain number). Any other cell, a quote-led one
// included ('hello, '-5), is returned as it is, so Unguard(Cell(s)) == s
// for every s.
func Unguard(c string) string {
	if rest, ok := strings.CutPrefix(c, prefix); ok && guarded(rest) {
		return rest
	}
	return c
}

// guarded reports whether Cell quotes s: s is any number of quotes then
// text that starts with a formula character and is not a plain number.
func guarded(s string) bool {
	rest := strings.TrimLeft(s, prefix)
	if rest == "" || !strings.ContainsRune("=+-@\t\r", rune(rest[0])) {
		return false
	}
	return rest != s || !plainNumber(rest)
}

// plainNumber reports whether s is a decimal number a spreadsheet reads
// as one. strconv.ParseFloat alone would also take "-Inf", "+NaN" and hex
// floats ("-0x1p4"), which a spreadsheet evaluates as formulas, so only
// digits, a sign, a point and an exponent are allowed.
func plainNumber(s string) bool {
	for _, r := range s {
		if !strings.ContainsRune("0123456789+-.eE", r) {
			return false
		}
	}
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}
