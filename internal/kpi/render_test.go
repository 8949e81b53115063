package kpi

import (
	"bytes"
	"encoding/csv"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestCSVFormulaGuard: a name users chose (here a desk queue) that a
// spreadsheet would run as a formula is written after a single quote,
// while every figure, negative ones included, stays a number.
func TestCSVFormulaGuard(t *testing.T) {
	const evil = `=HYPERLINK("http://x")`
	in := handInputs()
	for i := range in.Tickets {
		if in.Tickets[i].Queue == "q1" {
			in.Tickets[i].Queue = evil
		}
	}
	for i := range in.Ratings {
		if in.Ratings[i].Sentiment != nil {
			in.Ratings[i].Sentiment = ptr(-0.5) // every polarity negative
		}
	}
	r := Assemble(Month{2026, time.November}, "", []*Inputs{in}, Options{}, at("2026-12-02T00:00:00Z"))
	var buf bytes.Buffer
	if err := WriteCSV(&buf, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"'=HYPERLINK(""http://x"")"`) {
		t.Fatalf("the queue is not guarded:\n%s", buf.String())
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	guarded, negative := 0, 0
	for _, row := range rows {
		for _, cell := range row {
			if cell == evil {
				t.Errorf("unguarded cell in %q", row)
			}
			if cell == "'"+evil {
				guarded++
			}
		}
		if v := row[5]; v != "" && row[0] != "record" {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Errorf("value %q of %q is not a number", v, row)
			}
			if f < 0 {
				negative++
				if strings.HasPrefix(row[6], "'") {
					t.Errorf("the display of a negative figure is guarded: %q", row)
				}
			}
		}
	}
	if guarded == 0 {
		t.Error("no row names the queue")
	}
	if negative == 0 {
		t.Error("no negative figure to show they stay numbers")
	}
}
