package availability

import "testing"

func TestPercent(t *testing.T) {
	cases := map[float64]string{
		1: "100%", 0: "0%", 0.995: "99.5%", 0.99: "99%", 0.999: "99.9%", 0.998996: "99.899%",
		23.0 / 24: "95.833%", 22.0 / 24: "91.666%", 0.9999999: "99.999%", 0.5: "50%", 0.00001: "0.001%",
	}
	for f, want := range cases {
		if got := Percent(f); got != want {
			t.Errorf("Percent(%v) = %q, want %q", f, got, want)
		}
	}
}
