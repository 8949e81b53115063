package mailin

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"unicode/utf8"
)

// FuzzParse checks that no input makes Parse panic, that its answer is the
// same for the same input, that an ignored message always says why and an
// accepted one never does, and that what it returns is valid UTF-8 within
// the limits.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.eml")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("From: a@b.c\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x--"))
	f.Add([]byte("From: a@b.c\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!!"))
	limits := Limits{MaxMessageBytes: 1 << 16, MaxAttachmentBytes: 1 << 12, MaxAttachments: 4}
	f.Fuzz(func(t *testing.T, raw []byte) {
		m1, v1, err1 := Parse(bytes.NewReader(raw), limits)
		m2, v2, err2 := Parse(bytes.NewReader(raw), limits)
		if (err1 == nil) != (err2 == nil) || v1 != v2 || !reflect.DeepEqual(m1, m2) {
			t.Fatalf("two parses differ: %+v %v / %+v %v", v1, err1, v2, err2)
		}
		if err1 != nil {
			return
		}
		if v1.Ignored() != (v1.Reason != "") {
			t.Fatalf("verdict %+v: an ignored message names its reason, an accepted one none", v1)
		}
		for _, s := range []string{m1.From, m1.Subject, m1.Text, m1.Quoted, m1.HTML, m1.FromName} {
			if !utf8.ValidString(s) {
				t.Fatalf("invalid UTF-8 in %q", s)
			}
		}
		if len(m1.Attachments) > limits.MaxAttachments {
			t.Fatalf("%d attachments kept, limit %d", len(m1.Attachments), limits.MaxAttachments)
		}
		for _, a := range m1.Attachments {
			if int64(len(a.Data)) > limits.MaxAttachmentBytes || a.Name == "" || len(a.Name) > maxNameBytes || bytes.ContainsAny([]byte(a.Name), "/\\\x00") {
				t.Fatalf("attachment %q (%d bytes) breaks the limits", a.Name, len(a.Data))
			}
		}
	})
}
