package postmortem

import (
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Markdown renders a post-mortem as one complete document: title, status,
// a link to the incident (under baseURL, the server's address; "" leaves
// the link relative), the impact table, the timeline, the written sections
// and the action items. Tables are GitHub-flavoured Markdown. Text that
// came from outside (summaries, sources and notes copied from events,
// names, action items) is escaped as plain text; the written sections are
// the authors' own Markdown, kept so but stripped of raw HTML and script
// links (see inline and authored).
func Markdown(p Postmortem, baseURL string) string {
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	line("# %s", inline(p.Title))
	line("")
	line("- **Status:** %s", StatusLabel(p.Status))
	line("- **Incident:** [#%d](%s/incidents/%d) on %s", p.IncidentID, strings.TrimRight(baseURL, "/"), p.IncidentID, inline(p.Service))
	line("- **Span:** %s to %s (%s)", mdTime(p.Impact.From), mdTime(p.Impact.To), FormatDuration(p.Impact.To.Sub(p.Impact.From)))
	line("- **Started by:** %s on %s", inline(p.CreatedBy), mdTime(p.CreatedAt))
	if p.PublishedAt != nil {
		line("- **Published:** %s", mdTime(*p.PublishedAt))
	}
	line("")
	line("## Impact")
	line("")
	line("Counted downtime of %s over the incident's span: %s, costing %s.", inline(p.Impact.Service), FormatDuration(p.Impact.Downtime.Duration()), Money(p.Impact.DowntimeCost))
	line("")
	line("| Service | Effect | Through | Counted downtime | Downtime cost |")
	line("|---|---|---|---:|---:|")
	for _, a := range p.Impact.Affected {
		through := "the incident's service"
		if len(a.Via) > 0 {
			through = inline(strings.Join(a.Via, " → "))
		}
		line("| %s | %s | %s | %s | %s |", inline(a.Service), inline(a.Effect), through, FormatDuration(a.Downtime.Duration()), Money(a.DowntimeCost))
	}
	line("")
	line("Measured %s.", mdTime(p.Impact.ComputedAt))
	line("")
	section(&b, "Summary", p.Summary)
	line("## Timeline")
	line("")
	if len(p.Timeline) == 0 {
		line("_Nothing was recorded._")
	} else {
		line("| Time (UTC) | Kind | By | What |")
		line("|---|---|---|---|")
		for _, e := range p.Timeline {
			line("| %s | %s | %s | %s |", mdTime(e.At), inline(e.Kind), inline(e.Actor), inline(e.Message))
		}
	}
	line("")
	section(&b, "Root cause", p.RootCause)
	section(&b, "Contributing factors", p.ContributingFactors)
	section(&b, "Lessons learned", p.Lessons)
	line("## Action items")
	line("")
	if len(p.ActionItems) == 0 {
		line("_None._")
	} else {
		line("| # | Action | Owner | Due | State |")
		line("|---:|---|---|---|---|")
		for _, it := range p.ActionItems {
			due := inline(it.Due)
			if due == "" {
				due = "—"
			}
			owner := inline(it.Owner)
			if owner == "" {
				owner = "—"
			}
			line("| %d | %s | %s | %s | %s |", it.ID, inline(it.Title), owner, due, ItemStateLabel(it.State))
		}
	}
	return b.String()
}

// section writes a heading and the authors' text, or a placeholder. The
// text stays the authors' Markdown, made safe to render: see authored.
func section(b *strings.Builder, heading, text string) {
	fmt.Fprintf(b, "## %s\n\n", heading)
	text = strings.TrimSpace(strings.ReplaceAll(text, "\r\n", "\n"))
	if text == "" {
		text = "_Not written yet._"
	}
	b.WriteString(authored(text))
	b.WriteString("\n\n")
}

// inline makes text that came from outside (an event's summary, a note, a
// label, a name) plain text in the middle of a Markdown line: one line, so
// it cannot start a heading or end a table row; HTML's < > & written as
// entities, so no tag survives; and the characters that make emphasis,
// code, links, strike-through or table cells escaped with a backslash, so
// "[x](javascript:…)" is shown, never followed. Any CommonMark or GitHub
// renderer shows the text exactly as it was sent.
func inline(s string) string {
	var b strings.Builder
	for _, r := range oneLine(s) {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '\\', '`', '*', '_', '[', ']', '|', '~', '#':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// oneLine joins the lines of s with spaces.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// SafeMarkdown is authored for Markdown written elsewhere than in a
// post-mortem (the knowledge base's articles): the same sanitiser, so one
// set of rules keeps people's Markdown from carrying HTML or script links.
func SafeMarkdown(text string) string { return authored(text) }

// authored makes the authors' Markdown safe to render while keeping it
// Markdown: outside code, every < is written &lt; (no raw HTML, no
// <javascript:…> autolink), and a link or link definition whose destination
// has a scheme other than http, https or mailto has its ] escaped, so
// "[x](javascript:alert(1))" shows as text. Headings are moved two levels
// down and setext underlines cut off from the line above, so that a section
// cannot pose as one of the document's own; a code fence left open is
// closed, so that it cannot swallow the sections after it.
func authored(text string) string {
	var out []string
	var fence string // the opening fence while inside a fenced code block
	fenceIndent := 0
	prevBlank := true
	for _, l := range strings.Split(text, "\n") {
		trimmed := strings.TrimLeft(l, " ")
		indent := len(l) - len(trimmed)
		blank := strings.TrimSpace(l) == ""
		if fence != "" && !blank && indent < fenceIndent {
			// A fence inside a list item ends with the item; treating the
			// rest as outside the fence errs on the side of escaping.
			fence = ""
		}
		if fence != "" {
			out = append(out, l)
			if indent < 4 && closesFence(trimmed, fence) {
				fence = ""
			}
			prevBlank = blank
			continue
		}
		if indent < 4 {
			if f := openingFence(trimmed); f != "" {
				fence, fenceIndent = f, indent
				out = append(out, l)
				prevBlank = false
				continue
			}
			if n := headingLevel(trimmed); n > 0 {
				l = strings.Repeat(" ", indent) + strings.Repeat("#", min(n+2, 6)) + trimmed[n:]
			} else if !prevBlank && isSetextUnderline(trimmed) {
				out = append(out, "")
			}
		}
		out = append(out, neutralise(l))
		prevBlank = blank
	}
	if fence != "" {
		out = append(out, fence[:1]+fence)
	}
	return strings.Join(out, "\n")
}

// openingFence returns the fence a line opens (three or more backticks or
// tildes), or "".
func openingFence(l string) string {
	for _, c := range []byte{'`', '~'} {
		n := 0
		for n < len(l) && l[n] == c {
			n++
		}
		if n >= 3 && (c == '~' || !strings.Contains(l[n:], "`")) {
			return l[:n]
		}
	}
	return ""
}

// closesFence reports whether a line closes fence: the same character, at
// least as many, and nothing after but spaces.
func closesFence(l, fence string) bool {
	n := 0
	for n < len(l) && l[n] == fence[0] {
		n++
	}
	return n >= len(fence) && strings.TrimRight(l[n:], " \t") == ""
}

// headingLevel returns the level of an ATX heading line, or 0.
func headingLevel(l string) int {
	n := 0
	for n < len(l) && l[n] == '#' {
		n++
	}
	if n == 0 || n > 6 || (n < len(l) && l[n] != ' ' && l[n] != '\t') {
		return 0
	}
	return n
}

// isSetextUnderline reports whether a line would turn the line above into
// a heading: only = or only - (with trailing spaces).
func isSetextUnderline(l string) bool {
	l = strings.TrimRight(l, " \t")
	return l != "" && (strings.Trim(l, "=") == "" || strings.Trim(l, "-") == "")
}

// neutralise escapes one line of authored Markdown outside its code spans:
// < as &lt;, and the ] of a link whose destination is unsafe.
func neutralise(l string) string {
	var b strings.Builder
	for i := 0; i < len(l); i++ {
		c := l[i]
		switch {
		case c == '\\' && i+1 < len(l) && l[i+1] == '<':
			// Not every renderer knows \< as an escape: the entity is safe in all.
			b.WriteString("&lt;")
			i++
		case c == '\\' && i+1 < len(l):
			// A backslash escape is kept as it is, with what it escapes.
			b.WriteString(l[i : i+2])
			i++
		case c == '`':
			n := 1
			for i+n < len(l) && l[i+n] == '`' {
				n++
			}
			if end := closingTicks(l, i+n, n); end >= 0 {
				b.WriteString(l[i:end]) // a code span shows its text as it is
				i = end - 1
			} else {
				b.WriteString(l[i : i+n])
				i += n - 1
			}
		case c == '<':
			b.WriteString("&lt;")
		case c == ']' && i+1 < len(l) && (l[i+1] == '(' || l[i+1] == ':') && unsafeDestination(l[i+2:]):
			b.WriteString(`\]`)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// closingTicks returns the index just past a run of exactly n backticks
// at or after from, or -1.
func closingTicks(l string, from, n int) int {
	for i := from; i < len(l); {
		if l[i] != '`' {
			i++
			continue
		}
		j := i
		for j < len(l) && l[j] == '`' {
			j++
		}
		if j-i == n {
			return j
		}
		i = j
	}
	return -1
}

// unsafeDestination reports whether a link destination (the text after
// "](" or "]:") would run a script or carry data rather than point to a
// page: it has a scheme other than http, https or mailto, once entities,
// backslashes and the blanks browsers drop are taken out. An empty one (a
// definition continued on the next line) counts as unsafe too.
func unsafeDestination(rest string) bool {
	rest = strings.TrimLeft(rest, " \t")
	rest = strings.TrimPrefix(rest, "<")
	if end := strings.IndexAny(rest, " )>"); end >= 0 {
		rest = rest[:end]
	}
	if rest == "" {
		return true
	}
	var b strings.Builder
	for _, r := range html.UnescapeString(rest) {
		if r > ' ' && r != '\\' && r != 0x7f {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	d := b.String()
	colon := strings.IndexByte(d, ':')
	if colon < 0 || strings.ContainsAny(d[:colon], "/?#") {
		return false // relative: no scheme
	}
	switch d[:colon] {
	case "http", "https", "mailto":
		return false
	}
	return true
}

func mdTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// Money writes a cost rounded to cents, without trailing zeros: 600,
// 12.5.
func Money(f float64) string {
	return strconv.FormatFloat(math.Round(f*100)/100, 'f', -1, 64)
}
