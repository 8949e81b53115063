package store_test

import (
	"encoding/base64"
	"errors"
	"testing"

	"github.com/sextant-ops/sextant/internal/store"
)

func TestPageAfter(t *testing.T) {
	enc := base64.RawURLEncoding.EncodeToString
	cases := []struct {
		name, cursor, want string
		bad                bool
	}{
		{"first page", "", "", false},
		{"a cursor handed out", store.Cursor("payroll"), "payroll", false},
		{"a numeric key", store.Cursor("42"), "42", false},
		{"not base64", "%%", "", true},
		{"empty key", enc(nil) + "=", "", true},
		{"NUL in the key", enc([]byte("a\x00b")), "", true},
		{"invalid UTF-8 in the key", enc([]byte{0xff, 0xfe}), "", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := store.Page{Cursor: c.cursor}.After()
			if c.bad {
				if !errors.Is(err, store.ErrBadCursor) {
					t.Fatalf("After() = %q, %v; want ErrBadCursor", got, err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("After() = %q, %v; want %q", got, err, c.want)
			}
		})
	}
}
