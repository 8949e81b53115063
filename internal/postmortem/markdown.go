package postmortem

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Markdown renders a post-mortem as one complete document: title, status,
// a link to the incident (under baseURL, the server's address; "" leaves
// the link relative), the impact table, the timeline, the written sections
// and the action items. Tables are GitHub-flavoured Markdown; the text
// sections are the authors' own Markdown, included as written.
func Markdown(p Postmortem, baseURL string) string {
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	line("# %s", oneLine(p.Title))
	line("")
	line("- **Status:** %s", StatusLabel(p.Status))
	line("- **Incident:** [#%d](%s/incidents/%d) on %s", p.IncidentID, strings.TrimRight(baseURL, "/"), p.IncidentID, cell(p.Service))
	line("- **Span:** %s to %s (%s)", mdTime(p.Impact.From), mdTime(p.Impact.To), FormatDuration(p.Impact.To.Sub(p.Impact.From)))
	line("- **Started by:** %s on %s", cell(p.CreatedBy), mdTime(p.CreatedAt))
	if p.PublishedAt != nil {
		line("- **Published:** %s", mdTime(*p.PublishedAt))
	}
	line("")
	line("## Impact")
	line("")
	line("Counted downtime of %s over the incident's span: %s, costing %s.", cell(p.Impact.Service), FormatDuration(p.Impact.Downtime.Duration()), Money(p.Impact.DowntimeCost))
	line("")
	line("| Service | Effect | Through | Counted downtime | Downtime cost |")
	line("|---|---|---|---:|---:|")
	for _, a := range p.Impact.Affected {
		through := "the incident's service"
		if len(a.Via) > 0 {
			through = cell(strings.Join(a.Via, " → "))
		}
		line("| %s | %s | %s | %s | %s |", cell(a.Service), a.Effect, through, FormatDuration(a.Downtime.Duration()), Money(a.DowntimeCost))
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
			line("| %s | %s | %s | %s |", mdTime(e.At), cell(e.Kind), cell(e.Actor), cell(e.Message))
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
			due := it.Due
			if due == "" {
				due = "—"
			}
			owner := cell(it.Owner)
			if owner == "" {
				owner = "—"
			}
			line("| %d | %s | %s | %s | %s |", it.ID, cell(it.Title), owner, due, ItemStateLabel(it.State))
		}
	}
	return b.String()
}

// section writes a heading and the authors' text, or a placeholder.
func section(b *strings.Builder, heading, text string) {
	fmt.Fprintf(b, "## %s\n\n", heading)
	text = strings.TrimSpace(strings.ReplaceAll(text, "\r\n", "\n"))
	if text == "" {
		text = "_Not written yet._"
	}
	b.WriteString(text)
	b.WriteString("\n\n")
}

// cell makes text safe inside a table cell: one line, pipes escaped.
func cell(s string) string {
	return strings.ReplaceAll(oneLine(s), "|", `\|`)
}

// oneLine joins the lines of s with spaces.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
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
