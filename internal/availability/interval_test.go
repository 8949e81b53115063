package availability

import (
	"testing"
	"time"
)

func TestSetOperations(t *testing.T) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	iv := func(a, b int) Interval {
		return Interval{base.Add(time.Duration(a) * time.Hour), base.Add(time.Duration(b) * time.Hour)}
	}
	s := Normalize([]Interval{iv(5, 7), iv(0, 2), iv(1, 3), iv(3, 4), iv(9, 9), iv(12, 10)})
	a := Set{iv(0, 4), iv(5, 7)}
	b := Set{iv(2, 6), iv(8, 9)}
	tests := []struct {
		name string
		got  Set
		want Set
	}{
		{"normalize merges overlaps and touches, drops empty and reversed", s, Set{iv(0, 4), iv(5, 7)}},
		{"union", a.Union(b), Set{iv(0, 7), iv(8, 9)}},
		{"intersect", a.Intersect(b), Set{iv(2, 4), iv(5, 6)}},
		{"subtract", a.Subtract(b), Set{iv(0, 2), iv(6, 7)}},
		{"subtract everything", a.Subtract(Set{iv(-1, 10)}), Set{}},
		{"clip", a.Clip(base.Add(3*time.Hour), base.Add(6*time.Hour)), Set{iv(3, 4), iv(5, 6)}},
		{"clip reversed", a.Clip(base.Add(6*time.Hour), base.Add(3*time.Hour)), Set{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.got) != len(tt.want) {
				t.Fatalf("got %v, want %v", tt.got, tt.want)
			}
			for i := range tt.got {
				if !tt.got[i].Start.Equal(tt.want[i].Start) || !tt.got[i].End.Equal(tt.want[i].End) {
					t.Fatalf("got %v, want %v", tt.got, tt.want)
				}
			}
		})
	}
	if d := a.Duration(); d != 6*time.Hour {
		t.Errorf("Duration = %v, want 6h", d)
	}
	if d := a.overlap(b); d != 3*time.Hour {
		t.Errorf("overlap = %v, want 3h", d)
	}
}
