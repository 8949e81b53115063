package status_test

import (
	"context"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// markupNote is a public note that carries markup and two lines: readers
// must show it as written, never as live links and images.
const markupNote = "Public: See <a href=\"https://evil.example/\">the fix</a> <img src=x onerror=alert(1)>\nSecond line & more"

// TestFeedsKeepTextAsText: the RSS description is HTML escaped once as XML
// text, so a note's markup arrives escaped (shown as "<a …", not a link)
// with its line breaks as <br>; Atom keeps text content and has a subtitle.
func TestFeedsKeepTextAsText(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		if _, err := f.incidents.Note(context.Background(), f.shopID, "alice", markupNote); err != nil {
			t.Fatal(err)
		}
		t.Run("rss description", func(t *testing.T) {
			_, _, body := f.get(t, "/status/main/feed.rss")
			var feed struct {
				Description string   `xml:"channel>description"`
				Items       []string `xml:"channel>item>description"`
			}
			if err := xml.Unmarshal([]byte(body), &feed); err != nil {
				t.Fatalf("RSS does not parse: %v\n%s", err, body)
			}
			if len(feed.Items) == 0 {
				t.Fatalf("no items:\n%s", body)
			}
			desc := feed.Items[0] // the HTML a reader renders
			for _, want := range []string{`See &lt;a href=&#34;https://evil.example/&#34;&gt;the fix&lt;/a&gt; &lt;img src=x onerror=alert(1)&gt;<br>`,
				"Second line &amp; more", "Major outage — Acknowledged.<br>"} {
				if !strings.Contains(desc, want) {
					t.Errorf("description lacks %q:\n%s", want, desc)
				}
			}
			if rest := strings.ReplaceAll(desc, "<br>", ""); strings.ContainsAny(rest, "<>") {
				t.Errorf("description holds markup other than <br>:\n%s", desc)
			}
			if feed.Description != "How our services are doing." {
				t.Errorf("channel description = %q", feed.Description)
			}
		})
		t.Run("atom subtitle and text content", func(t *testing.T) {
			for _, tt := range []struct{ page, subtitle string }{
				{"main", "How our services are doing."},
				{"staff", "Incidents and scheduled maintenance of Staff systems"},
			} {
				_, _, body := f.get(t, "/status/"+tt.page+"/feed.atom")
				var feed struct {
					Subtitle string `xml:"http://www.w3.org/2005/Atom subtitle"`
					Entries  []struct {
						Content struct {
							Type string `xml:"type,attr"`
							Body string `xml:",chardata"`
						} `xml:"content"`
					} `xml:"entry"`
				}
				if err := xml.Unmarshal([]byte(body), &feed); err != nil {
					t.Fatalf("Atom does not parse: %v\n%s", err, body)
				}
				if feed.Subtitle != tt.subtitle {
					t.Errorf("%s: subtitle = %q, want %q", tt.page, feed.Subtitle, tt.subtitle)
				}
				if tt.page != "main" {
					continue
				}
				if c := feed.Entries[0].Content; c.Type != "text" || !strings.Contains(c.Body, `See <a href="https://evil.example/">the fix</a>`) || !strings.Contains(c.Body, "\nSecond line & more") {
					t.Errorf("content = %+v, want the note as plain text", c)
				}
			}
		})
	})
}
