package postmortem

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

// hostile is text that arrives from outside: an event's summary, a note,
// a label, a name.
var hostile = []string{
	"<script>alert(1)</script>",
	"<img src=x onerror=alert(1)>",
	"[x](javascript:alert(1))",
	"<javascript:alert(1)>",
	"a | b\n## Injected heading\n| x | y |",
	"![pixel](data:image/png;base64,AAAA) `code` **bold** ~~gone~~ &lt;b&gt;",
}

// unescapedLink finds a link whose ] was not escaped.
var unescapedLink = regexp.MustCompile(`(^|[^\\])\]\(`)

// TestMarkdownKeepsOutsideTextAsText puts hostile text in every field that
// comes from outside and checks that none of it becomes HTML, a link, a
// heading or a table cell of its own.
func TestMarkdownKeepsOutsideTextAsText(t *testing.T) {
	for i, h := range hostile {
		t.Run(h, func(t *testing.T) {
			p := Postmortem{ID: 1, IncidentID: 7, Service: h, Title: "Post-mortem: " + h, Status: Draft, CreatedBy: h,
				Impact:      Impact{Service: h, Affected: []Affected{{Service: h, Effect: EffectDown, Via: []string{h, h}}}},
				Timeline:    []Entry{{Kind: h, Actor: h, Message: h}, {Kind: "note", Actor: "user:alice", Message: "line one\nline two | " + h}},
				ActionItems: []Item{{ID: 3, Title: h, Owner: h, Due: h, State: Open}}}
			md := Markdown(p, "https://sextant.example")
			for _, bad := range []string{"<script", "<img", "<javascript", "\n## Injected", "**bold**", "`code`", "~~gone~~", "&lt;b&gt;"} {
				if strings.Contains(md, bad) {
					t.Errorf("%q survives:\n%s", bad, md)
				}
			}
			if links := unescapedLink.FindAllString(md, -1); len(links) != 1 { // the incident's own link
				t.Errorf("%d links, want only the incident's:\n%s", len(links), md)
			}
			var headings []string
			for _, l := range strings.Split(md, "\n") {
				if strings.HasPrefix(l, "#") {
					headings = append(headings, strings.SplitN(l, " ", 2)[0]+" "+strings.SplitN(l, " ", 3)[1])
				}
				if strings.HasPrefix(l, "| ") && !strings.HasPrefix(l, "|---") {
					if n := len(regexp.MustCompile(`(^|[^\\])\|`).FindAllString(l, -1)); n != 5 && n != 6 {
						t.Errorf("row with %d cell borders: %s", n, l)
					}
				}
			}
			want := []string{"# Post-mortem:", "## Impact", "## Summary", "## Timeline", "## Root", "## Contributing", "## Lessons", "## Action"}
			if !slices.Equal(headings, want) {
				t.Errorf("headings %q, want %q", headings, want)
			}
			if i == 0 && !strings.Contains(md, `| &lt;script&gt;alert(1)&lt;/script&gt; |`) {
				t.Errorf("the summary is not shown as written:\n%s", md)
			}
		})
	}
}

// TestMarkdownAuthoredSections: the written sections stay Markdown, but
// raw HTML, script links and headings that pose as the document's own do
// not survive.
func TestMarkdownAuthoredSections(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string // in the section
		not        []string
	}{
		{"markdown kept", "We **rolled back** the `release`; see [the runbook](https://wiki.example/rb) and [the incident](/incidents/7).\n\n- one\n- two",
			[]string{"**rolled back**", "`release`", "[the runbook](https://wiki.example/rb)", "[the incident](/incidents/7)", "- one\n- two"}, nil},
		{"raw html", "Saw <script>alert(1)</script> and <img src=x onerror=alert(1)>", []string{"&lt;script>alert(1)&lt;/script>", "&lt;img src=x"}, []string{"<script", "<img"}},
		{"html block", "<div onmouseover=\"alert(1)\">\nhover\n</div>", []string{"&lt;div"}, []string{"<div", "</div"}},
		{"javascript link", "[x](javascript:alert(1))", []string{`[x\](javascript:alert(1))`}, []string{"[x](javascript"}},
		{"mixed-case scheme", "[x](JaVaScRiPt:alert(1))", []string{`[x\](JaVaScRiPt`}, nil},
		{"entity in scheme", "[x](&#106;avascript:alert(1))", []string{`[x\](&#106;avascript`}, nil},
		{"tab in scheme", "[x](<java\tscript:alert(1)>)", []string{`\](`}, nil},
		{"data link", "![x](data:text/html;base64,PHNjcmlwdD4=)", []string{`![x\](data:`}, nil},
		{"autolink", "<javascript:alert(1)>", []string{"&lt;javascript:alert(1)>"}, []string{"<javascript"}},
		{"reference definition", "[x]\n\n[x]: javascript:alert(1)", []string{`[x\]: javascript`}, nil},
		{"definition on the next line", "[x]:\n  javascript:alert(1)", []string{`[x\]:`}, nil},
		{"code span keeps its text", "The `<div>` and `` a ` <b> ``", []string{"`<div>`", "`` a ` <b> ``"}, nil},
		{"escaped <", `\<script>alert(1)\</script>`, []string{"&lt;script>alert(1)&lt;/script>"}, []string{"<script", `\<`}},
		{"escaped backtick is no code span", "\\`<img src=x onerror=alert(1)>\\`", []string{"\\`&lt;img"}, []string{"<img"}},
		{"fenced code keeps its text", "```html\n<b>bold</b>\n```\nafter <i>", []string{"```html\n<b>bold</b>\n```\nafter &lt;i>"}, nil},
		{"fence ended by a list item's end", "- item\n  ```\n  x\n<script>alert(1)</script>", []string{"&lt;script>"}, []string{"<script"}},
		{"heading demoted", "## Action items\n# Big\n###### Small", []string{"#### Action items", "### Big", "###### Small"}, []string{"\n## Action items"}},
		{"setext heading cut off", "Root cause\n==========\nText\n---", []string{"Root cause\n\n==========", "Text\n\n---"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			md := Markdown(Postmortem{ID: 1, IncidentID: 7, Service: "shop", Title: "t", Status: Draft, RootCause: tt.text}, "")
			start := strings.Index(md, "## Root cause\n\n") + len("## Root cause\n\n")
			got := md[start:strings.Index(md, "## Contributing factors")]
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("section lacks %q:\n%s", w, got)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(got, n) {
					t.Errorf("section has %q:\n%s", n, got)
				}
			}
		})
	}
	t.Run("unclosed fence is closed", func(t *testing.T) {
		md := Markdown(Postmortem{ID: 1, IncidentID: 7, Service: "shop", Title: "t", Status: Draft, Summary: "```\n<b>"}, "")
		if !strings.Contains(md, "```\n<b>\n````\n\n## Timeline") {
			t.Errorf("the fence swallows what follows:\n%s", md)
		}
	})
}

// FuzzMarkdownOutsideText: whatever an event says, the export keeps its
// shape (the same lines, the same cell borders) and holds no tag.
func FuzzMarkdownOutsideText(f *testing.F) {
	for _, h := range hostile {
		f.Add(h)
	}
	doc := func(s string) string {
		return Markdown(Postmortem{ID: 1, IncidentID: 7, Service: "shop", Title: s, Status: Draft,
			Timeline: []Entry{{Kind: "note", Actor: s, Message: s}}, ActionItems: []Item{{ID: 1, Title: s, Owner: s, State: Open}}}, "")
	}
	border := regexp.MustCompile(`(^|[^\\])(\\\\)*\|`)
	base := doc("x")
	f.Fuzz(func(t *testing.T, s string) {
		md := doc(s)
		if strings.Contains(md, "<") {
			t.Fatalf("a < survives:\n%s", md)
		}
		got, want := strings.Split(md, "\n"), strings.Split(base, "\n")
		if len(got) != len(want) {
			t.Fatalf("%d lines, want %d:\n%s", len(got), len(want), md)
		}
		for i := range got {
			if a, b := len(border.FindAllString(got[i], -1)), len(border.FindAllString(want[i], -1)); a != b {
				t.Fatalf("line %d has %d cell borders, want %d: %q", i, a, b, got[i])
			}
		}
	})
}
