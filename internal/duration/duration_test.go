package duration

import (
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	cases := []struct {
		in   string
		want time.Duration
		bad  bool
	}{
		{in: "0", want: 0},
		{in: "30s", want: 30 * time.Second},
		{in: "30m", want: 30 * time.Minute},
		{in: "1h30m", want: 90 * time.Minute},
		{in: "7d", want: 7 * Day},
		{in: "2w3d", want: 17 * Day},
		{in: "1.5h", want: 90 * time.Minute},
		{in: "250ms", want: 250 * time.Millisecond},
		{in: "", bad: true},
		{in: "5", bad: true},
		{in: "5y", bad: true},
		{in: "-5m", bad: true},
		{in: "m", bad: true},
		{in: "99999999999w", bad: true},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			got, err := Parse(c.in)
			if c.bad {
				if err == nil {
					t.Fatalf("Parse(%q) = %v, want an error", c.in, got)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("Parse(%q) = %v, %v; want %v", c.in, got, err, c.want)
			}
		})
	}
}

func TestFormat(t *testing.T) {
	cases := map[time.Duration]string{
		30 * time.Minute:        "30m",
		24 * time.Hour:          "1d",
		90 * time.Minute:        "1h30m",
		14 * Day:                "2w",
		0:                       "0s",
		1500 * time.Millisecond: "1s500ms",
	}
	for d, want := range cases {
		if got := Format(d); got != want {
			t.Errorf("Format(%v) = %q, want %q", d, got, want)
		}
	}
}

func FuzzRoundTrip(f *testing.F) {
	for _, s := range []string{"30m", "1d2h", "2w", "1.5h", "0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := Parse(s)
		if err != nil {
			return
		}
		if d < 0 {
			t.Fatalf("Parse(%q) = %v: negative", s, d)
		}
		back, err := Parse(Format(d))
		if err != nil || back != d {
			t.Fatalf("Parse(Format(%v)) = %v, %v", d, back, err)
		}
	})
}
