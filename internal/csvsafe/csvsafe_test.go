package csvsafe

import (
	"bytes"
	"encoding/csv"
	"slices"
	"testing"
)

func TestCell(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"=1+1", "'=1+1"},
		{"-0.5", "-0.5"},
		{"-12", "-12"},
		{"+3", "+3"},
		{"-1e-3", "-1e-3"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"},
		{`=HYPERLINK("http://x")`, `'=HYPERLINK("http://x")`},
		{"-2+3", "'-2+3"},
		{"-", "'-"},
		{"-Inf", "'-Inf"},     // ParseFloat takes it; a spreadsheet evaluates it
		{"-0x1p4", "'-0x1p4"}, // likewise a hex float
		{"\t=x", "'\t=x"},
		{"\r=x", "'\r=x"},
		{"hello", "hello"},
		{"", ""},
		{"a=b", "a=b"},
		{"'hello", "'hello"},
		{"'=x", "''=x"}, // so that the import gives back the value's own quote
		{"'-5", "''-5"},
		{"'", "'"},
	} {
		if got := Cell(tc.in); got != tc.want {
			t.Errorf("Cell(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if got := Unguard(Cell(tc.in)); got != tc.in {
			t.Errorf("Unguard(Cell(%q)) = %q", tc.in, got)
		}
	}
}

// TestUnguard: only a quote Cell could have added is stripped.
func TestUnguard(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"'=1+1", "=1+1"},
		{"''=1+1", "'=1+1"},
		{"'-5", "'-5"},
		{"'hello", "'hello"},
		{"'", "'"},
		{"=1+1", "=1+1"},
		{"-0.5", "-0.5"},
	} {
		if got := Unguard(tc.in); got != tc.want {
			t.Errorf("Unguard(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestRowThroughCSV(t *testing.T) {
	in := []string{"name", "=cmd", "-3", "@x"}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	if err := w.Write(Row(in)); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	if got := b.String(); got != "name,'=cmd,-3,'@x\n" {
		t.Fatalf("written %q", got)
	}
	if in[1] != "=cmd" {
		t.Error("Row changed its argument")
	}
	rec, err := csv.NewReader(&b).Read()
	if err != nil {
		t.Fatal(err)
	}
	for i := range rec {
		rec[i] = Unguard(rec[i])
	}
	if !slices.Equal(rec, in) {
		t.Errorf("read back %q, want %q", rec, in)
	}
}

// FuzzRoundTrip: whatever the value, Unguard gives back what Cell guarded,
// and no guarded cell starts with a formula character.
func FuzzRoundTrip(f *testing.F) {
	for _, s := range []string{"=1", "-0.5", "'=x", "''-5", "\t", "hello"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := Cell(s)
		if got := Unguard(c); got != s {
			t.Fatalf("Unguard(Cell(%q)) = %q", s, got)
		}
		if c != "" && (c[0] == '=' || c[0] == '+' || c[0] == '-' || c[0] == '@' || c[0] == '\t' || c[0] == '\r') && !plainNumber(c) {
			t.Fatalf("Cell(%q) = %q still starts a formula", s, c)
		}
	})
}
