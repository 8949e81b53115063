package secret

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestSecretNeverShows(t *testing.T) {
	s := New("hunter2-very-secret")
	var logs bytes.Buffer
	slog.New(slog.NewTextHandler(&logs, nil)).Info("x", "key", s)
	j, _ := json.Marshal(struct{ K Secret }{s})
	for _, shown := range []string{s.String(), fmt.Sprint(s), fmt.Sprintf("%v %+v %#v %s", s, s, s, s), string(j), logs.String()} {
		if strings.Contains(shown, "hunter2") {
			t.Fatalf("secret shown: %s", shown)
		}
	}
	if s.Reveal() != "hunter2-very-secret" {
		t.Fatal("Reveal lost the value")
	}
	var back struct{ K Secret }
	if err := json.Unmarshal([]byte(`{"K":"abc"}`), &back); err != nil || back.K.Reveal() != "abc" {
		t.Fatalf("unmarshal: %v %q", err, back.K.Reveal())
	}
}
