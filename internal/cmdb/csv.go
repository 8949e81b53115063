package cmdb

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/csvsafe"
)

// The fixed columns of a class's CSV, before its attributes.
var csvFixed = []string{"name", "owner", "location", "lifecycle"}

// MaxCSVRows is the most rows one import takes.
const MaxCSVRows = 50000

// CSVHeader is the header of a class's CSV: name, owner, location,
// lifecycle, then the class's attributes in declared order.
func CSVHeader(c Class) []string {
	out := slices.Clone(csvFixed)
	for _, a := range c.Attributes {
		out = append(out, a.Name)
	}
	return out
}

// CSVError is one problem of an imported file: its line (of the file,
// counting the header as 1; a quoted cell may span lines) and column
// (the cell's position in its row, 1 for the first), with the column's
// name. Line 0 is about the file as a whole.
type CSVError struct {
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
	Field  string `json:"field,omitempty"`
	Msg    string `json:"detail"`
}

// CSVProblems is every problem of a refused import; nothing was written.
type CSVProblems struct {
	Errors []CSVError
}

func (p *CSVProblems) Error() string {
	var b strings.Builder
	for i, e := range p.Errors {
		if i > 0 {
			b.WriteString("; ")
		}
		if e.Line > 0 {
			fmt.Fprintf(&b, "line %d", e.Line)
			if e.Column > 0 {
				fmt.Fprintf(&b, ", column %d", e.Column)
			}
			if e.Field != "" {
				fmt.Fprintf(&b, " (%s)", e.Field)
			}
			b.WriteString(": ")
		}
		b.WriteString(e.Msg)
	}
	return b.String()
}

// ImportResult says what an import did, item names in file order.
type ImportResult struct {
	Created   []string `json:"created"`
	Updated   []string `json:"updated"`
	Unchanged []string `json:"unchanged"`
}

// class returns the running class of that name.
func (s *Store) class(name string) (Class, error) {
	for _, c := range s.Classes() {
		if c.Name == name {
			return c, nil
		}
	}
	return Class{}, apperr.NotFound("class %q", name)
}

// ExportCSV writes the items of a class as CSV (CSVHeader, then one row
// per item in name order), the format ImportCSV reads back. Every cell is
// guarded by csvsafe.Cell: a value a spreadsheet would run as a formula
// (=HYPERLINK(…), @SUM(…), -2+3) is written after a single quote, which
// ImportCSV strips again.
func (s *Store) ExportCSV(ctx context.Context, class string, w io.Writer) error {
	c, err := s.class(class)
	if err != nil {
		return err
	}
	l, err := s.load(ctx, s.db.Reader())
	if err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	header := CSVHeader(c)
	if err := cw.Write(csvsafe.Row(header)); err != nil {
		return err
	}
	for _, it := range l.set.Items {
		if it.Class != c.Name {
			continue
		}
		row := []string{it.Name, it.Owner, it.Location, it.Lifecycle}
		for _, a := range header[len(csvFixed):] {
			row = append(row, string(it.Attributes[a]))
		}
		if err := cw.Write(csvsafe.Row(row)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// csvRow is one parsed row: its cells by column, and where each starts.
type csvRow struct {
	cells []string
	lines []int
	line  int
}

// parseCSV reads the header and rows, returning the columns named by the
// header (index by name), the rows, and the problems found without
// looking at the CMDB.
func parseCSV(c Class, r io.Reader) (map[string]int, []csvRow, []CSVError) {
	var problems []CSVError
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil, []CSVError{{Msg: fmt.Sprintf("the file is empty: the first line must be the header (%s)", strings.Join(CSVHeader(c), ","))}}
	}
	if err != nil {
		return nil, nil, []CSVError{csvSyntax(err)}
	}
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff") // a byte-order mark, as spreadsheets write
	}
	known := map[string]bool{}
	for _, h := range CSVHeader(c) {
		known[h] = true
	}
	cols := map[string]int{}
	for i, h := range header {
		h = importCell(h)
		switch {
		case h == "":
			problems = append(problems, CSVError{Line: 1, Column: i + 1, Msg: "the header names no column here"})
		case !known[h]:
			problems = append(problems, CSVError{Line: 1, Column: i + 1, Field: h,
				Msg: fmt.Sprintf("class %s has no attribute %q (columns: %s)", c.Name, h, strings.Join(CSVHeader(c), ", "))})
		default:
			if j, dup := cols[h]; dup {
				problems = append(problems, CSVError{Line: 1, Column: i + 1, Field: h, Msg: fmt.Sprintf("column %q is already column %d", h, j+1)})
				continue
			}
			cols[h] = i
		}
	}
	if _, ok := cols["name"]; !ok {
		problems = append(problems, CSVError{Line: 1, Msg: "the header has no name column: every row names its item"})
	}
	if len(problems) > 0 {
		return nil, nil, problems
	}
	var rows []csvRow
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			problems = append(problems, csvSyntax(err))
			var pe *csv.ParseError
			if errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrFieldCount) {
				continue
			}
			break // a quote left open: the rest cannot be read
		}
		line, _ := cr.FieldPos(0)
		if len(rows) == MaxCSVRows {
			problems = append(problems, CSVError{Line: line, Msg: fmt.Sprintf("more than %d rows: split the file", MaxCSVRows)})
			break
		}
		if len(rec) != len(header) {
			problems = append(problems, CSVError{Line: line, Column: min(len(rec), len(header)) + 1,
				Msg: fmt.Sprintf("the row has %d cells, the header %d", len(rec), len(header))})
			continue
		}
		row := csvRow{line: line}
		for i, cell := range rec {
			l, _ := cr.FieldPos(i)
			row.cells = append(row.cells, importCell(cell))
			row.lines = append(row.lines, l)
		}
		rows = append(rows, row)
	}
	return cols, rows, problems
}

// importCell is a cell's value as the import takes it: without the
// surrounding spaces, and without the one leading single quote the export
// puts before a value a spreadsheet would take as a formula ('=x is =x;
// csvsafe.Unguard says exactly which quotes are the export's), so that an
// exported file reads back unchanged.
func importCell(cell string) string {
	return strings.TrimSpace(csvsafe.Unguard(strings.TrimSpace(cell)))
}

func csvSyntax(err error) CSVError {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return CSVError{Line: pe.Line, Msg: "the CSV cannot be read: " + pe.Err.Error()}
	}
	return CSVError{Msg: "the CSV cannot be read: " + err.Error()}
}

// ImportCSV creates and updates items of a class from CSV in the format
// ExportCSV writes. Columns the header leaves out are kept as they are on
// existing items; an empty cell clears a value. The whole CMDB is
// validated as it would be, and on any problem (each named with its line
// and column) nothing is written; otherwise every created and updated
// item is audited as an API edit, all in one transaction.
func (s *Store) ImportCSV(ctx context.Context, actor, class string, r io.Reader) (ImportResult, error) {
	res := ImportResult{Created: []string{}, Updated: []string{}, Unchanged: []string{}}
	c, err := s.class(class)
	if err != nil {
		return res, err
	}
	cols, rows, problems := parseCSV(c, r)
	if cols == nil {
		return res, &CSVProblems{Errors: problems}
	}
	header := make([]string, len(cols))
	for name, i := range cols {
		header[i] = name
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.db.Serialize(ctx, tx, "cmdb"); err != nil {
			return err
		}
		l, err := s.load(ctx, tx)
		if err != nil {
			return err
		}
		type entry struct {
			row csvRow
			it  Item
			old *StoredItem
		}
		var entries []entry
		seen := map[string]int{}      // line of each name in the file
		imported := map[string]bool{} // the names of entries
		at := func(row csvRow, col string) CSVError {
			i := cols[col]
			return CSVError{Line: row.lines[i], Column: i + 1, Field: col}
		}
		for _, row := range rows {
			name := row.cells[cols["name"]]
			e := at(row, "name")
			switch prev, dup := seen[name]; {
			case name == "":
				e.Msg = "is required: every row names its item"
			case dup:
				e.Msg = fmt.Sprintf("item %q is already on line %d", name, prev)
			}
			if e.Msg != "" {
				problems = append(problems, e)
				continue
			}
			seen[name] = row.line
			var it Item
			var old *StoredItem
			if st, ok := l.items[name]; ok {
				if st.Class != c.Name {
					e.Msg = fmt.Sprintf("%q is a %s; this file writes items of class %s", name, st.Class, c.Name)
					problems = append(problems, e)
					continue
				}
				old = &st
				it = st.Item
				attrs := make(map[string]Value, len(it.Attributes))
				for k, v := range it.Attributes {
					attrs[k] = v
				}
				it.Attributes = attrs
			} else {
				it = Item{Name: name, Class: c.Name}
			}
			for i, col := range header {
				v := row.cells[i]
				switch col {
				case "name":
				case "owner":
					it.Owner = v
				case "location":
					it.Location = v
				case "lifecycle":
					it.Lifecycle = v
				default:
					if v == "" {
						delete(it.Attributes, col)
						continue
					}
					if it.Attributes == nil {
						it.Attributes = map[string]Value{}
					}
					it.Attributes[col] = Value(v)
				}
			}
			if len(it.Attributes) == 0 {
				it.Attributes = nil
			}
			imported[name] = true
			entries = append(entries, entry{row: row, it: it, old: old})
		}
		// The imported items go last, so that a clash of unique values is
		// reported at the file's row rather than at the item it clashes
		// with.
		set := Set{Classes: s.declared(), Relations: l.set.Relations}
		for _, x := range l.set.Items {
			if !imported[x.Name] {
				set.Items = append(set.Items, x)
			}
		}
		base := len(set.Items)
		for _, e := range entries {
			set.Items = append(set.Items, e.it)
		}
		for _, f := range Validate(set) {
			problems = append(problems, csvProblem(f, base, func(k int) (csvRow, bool) {
				if k < 0 || k >= len(entries) {
					return csvRow{}, false
				}
				return entries[k].row, true
			}, cols))
		}
		if len(problems) > 0 {
			slices.SortStableFunc(problems, func(a, b CSVError) int {
				if a.Line != b.Line {
					return a.Line - b.Line
				}
				return a.Column - b.Column
			})
			return &CSVProblems{Errors: problems}
		}
		now := s.now().UTC().Truncate(time.Millisecond)
		for _, e := range entries {
			if e.old != nil {
				was, _ := json.Marshal(e.old.Item)
				is, _ := json.Marshal(e.it)
				if bytes.Equal(was, is) {
					res.Unchanged = append(res.Unchanged, e.it.Name)
					continue
				}
			}
			if _, err := writeItem(ctx, tx, now, actor, e.it, e.old, SourceAPI); err != nil {
				return err
			}
			if e.old != nil {
				res.Updated = append(res.Updated, e.it.Name)
			} else {
				res.Created = append(res.Created, e.it.Name)
			}
		}
		return nil
	})
	if err != nil {
		return ImportResult{Created: []string{}, Updated: []string{}, Unchanged: []string{}}, err
	}
	return res, nil
}

// csvProblem places a validation problem of the set in the file: a path
// under items[base+k] is row k's, at the column its field is in.
func csvProblem(f apperr.Field, base int, row func(k int) (csvRow, bool), cols map[string]int) CSVError {
	rest, ok := strings.CutPrefix(f.Path, "items[")
	if !ok {
		return CSVError{Msg: strings.TrimPrefix(f.Path+": ", ": ") + f.Msg}
	}
	idx, field, _ := strings.Cut(rest, "]")
	k, err := strconv.Atoi(idx)
	r, found := row(k - base)
	if err != nil || !found {
		return CSVError{Msg: f.Path + ": " + f.Msg}
	}
	field = strings.TrimPrefix(strings.TrimPrefix(field, "."), "attributes.")
	out := CSVError{Line: r.line, Field: field, Msg: f.Msg}
	if i, ok := cols[field]; ok {
		out.Line, out.Column = r.lines[i], i+1
	}
	return out
}
