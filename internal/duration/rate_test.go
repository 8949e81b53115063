package duration

import (
	"strings"
	"testing"
	"time"
)

func TestParseRate(t *testing.T) {
	cases := []struct {
		in   string
		want Rate
		err  string
	}{
		{in: "100/s", want: Rate{100, time.Second}},
		{in: "30/m", want: Rate{30, time.Minute}},
		{in: " 50 / 10s ", want: Rate{50, 10 * time.Second}},
		{in: "2/1d", want: Rate{2, Day}},
		{in: "30", err: "expected events per time"},
		{in: "0/m", err: "whole number of events"},
		{in: "x/m", err: "whole number of events"},
		{in: "5/0s", err: "expected a time after the slash"},
		{in: "5/soon", err: "expected a time after the slash"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseRate(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("ParseRate(%q) = %v, %v; want error %q", tc.in, got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ParseRate(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
		})
	}
}
