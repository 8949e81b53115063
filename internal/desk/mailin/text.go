package mailin

import (
	"mime"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/microcosm-cc/bluemonday"
	"golang.org/x/net/html"
)

// maxNameBytes bounds an attachment's name, well under the 255 bytes file
// systems allow, leaving room for a suffix the desk may add.
const maxNameBytes = 200

// SanitizeName makes an attachment's name safe to store and offer for
// download: the last path element only, no control characters or
// characters that Windows or a shell treat specially, no leading dots, at
// most 200 bytes with the extension kept. An empty result becomes
// "attachment-N" with an extension for the media type.
func SanitizeName(name, media string, n int) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		switch {
		case r == utf8.RuneError, unicode.IsControl(r), unicode.Is(unicode.Cf, r):
			return -1
		case strings.ContainsRune(`<>:"|?*`, r):
			return '_'
		}
		return r
	}, name)
	name = strings.TrimLeft(strings.TrimSpace(name), ".")
	name = strings.TrimRight(name, ". ")
	if len(name) > maxNameBytes {
		ext := ""
		if i := strings.LastIndexByte(name, '.'); i > 0 && len(name)-i <= 16 {
			ext = name[i:]
		}
		name = truncate(name[:len(name)-len(ext)], maxNameBytes-len(ext)) + ext
	}
	if name == "" {
		name = "attachment-" + strconv.Itoa(n)
		if exts, _ := mime.ExtensionsByType(media); len(exts) > 0 {
			name += exts[0]
		} else if media == "message/rfc822" {
			name += ".eml"
		}
	}
	return name
}

// truncate cuts s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// htmlPolicy keeps the formatting a person writes in mail — paragraphs,
// emphasis, lists, tables, quotes, links — and drops everything else:
// scripts, styles, event handlers, forms, frames, and images, which in
// mail are mostly remote and would tell the sender when, and by whom, the
// ticket was read (inline images arrive as attachments). Links open
// outside the page and tell the target nothing.
var htmlPolicy = func() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("p", "br", "div", "span", "b", "strong", "i", "em", "u", "s", "strike", "del", "ins", "sub", "sup",
		"small", "mark", "blockquote", "pre", "code", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "dl", "dt", "dd")
	p.AllowLists()
	p.AllowTables()
	p.AllowStandardURLs()
	p.AllowAttrs("href").OnElements("a")
	p.RequireNoFollowOnLinks(true)
	p.RequireNoReferrerOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true)
	return p
}()

func sanitizeHTML(s string) string { return strings.TrimSpace(htmlPolicy.Sanitize(s)) }

// htmlToText renders an HTML body as plain text: the text of the
// elements, a line break for each block and <br>, "- " before list items,
// a link's address after its text; script, style and head are left out.
func htmlToText(s string) string {
	z := html.NewTokenizer(strings.NewReader(s))
	var b strings.Builder
	skip := 0
	var href []string
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return tidyText(b.String())
		case html.TextToken:
			if skip == 0 {
				b.WriteString(spaces.ReplaceAllString(string(z.Text()), " "))
			}
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			tag := string(name)
			switch tag {
			case "script", "style", "head", "title", "template", "noscript":
				if tt == html.StartTagToken {
					skip++
				} else if tt == html.EndTagToken && skip > 0 {
					skip--
				}
				continue
			}
			if skip > 0 {
				continue
			}
			switch tag {
			case "br":
				b.WriteByte('\n')
			case "p", "div", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "ul", "ol", "hr":
				b.WriteByte('\n')
			case "li":
				if tt == html.StartTagToken {
					b.WriteString("\n- ")
				}
			case "td", "th":
				if tt == html.EndTagToken {
					b.WriteByte('\t')
				}
			case "a":
				if tt == html.StartTagToken {
					link := ""
					for hasAttr {
						var k, v []byte
						k, v, hasAttr = z.TagAttr()
						if string(k) == "href" {
							link = string(v)
						}
					}
					href = append(href, link)
				} else if tt == html.EndTagToken && len(href) > 0 {
					link := href[len(href)-1]
					href = href[:len(href)-1]
					if strings.HasPrefix(link, "http://") || strings.HasPrefix(link, "https://") {
						b.WriteString(" (" + link + ")")
					}
				}
			}
		}
	}
}

var (
	blankLines = regexp.MustCompile(`\n{3,}`)
	spaces     = regexp.MustCompile(`\s+`)
)

// tidyText trims each line's trailing blanks and folds runs of blank lines.
func tidyText(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(strings.TrimLeft(l, " "), " \t")
		lines[i] = strings.ReplaceAll(lines[i], "  ", " ")
	}
	return strings.TrimSpace(blankLines.ReplaceAllString(strings.Join(lines, "\n"), "\n\n"))
}

// SplitQuoted sets apart the quoted part of a reply: from an attribution
// line ("On Mon, 1 Dec 2026, Ann <ann@example.com> wrote:", "Am … schrieb
// …:", also wrapped over two lines), an Outlook "-----Original
// Message-----" or "From: … Sent: …" header, or a trailing block of "> "
// lines, to the end. Quotes interleaved with new text are answers in line
// and stay in the text.
func SplitQuoted(s string) (text, quoted string) {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	lines := strings.Split(s, "\n")
	cut := len(lines)
	for i := range lines {
		if quoteStart(lines, i) {
			cut = i
			// Outlook draws a line of underscores above its header.
			if cut > 0 && strings.Trim(strings.TrimSpace(lines[cut-1]), "_") == "" && strings.Contains(lines[cut-1], "__") {
				cut--
			}
			break
		}
	}
	// A trailing block of quoted lines (blank lines between them count
	// with the block) with no attribution before it.
	if cut == len(lines) {
		j := len(lines)
		for j > 0 && (strings.HasPrefix(lines[j-1], ">") || strings.TrimSpace(lines[j-1]) == "") {
			j--
		}
		for k := j; k < len(lines); k++ {
			if strings.HasPrefix(lines[k], ">") {
				cut = j
				break
			}
		}
	}
	text = strings.TrimRight(strings.Join(lines[:cut], "\n"), " \t\n")
	quoted = strings.TrimSpace(strings.Join(lines[cut:], "\n"))
	return strings.TrimLeft(text, "\n"), quoted
}

var (
	attribution  = regexp.MustCompile(`(?i)^\s*(on|am|le|el|il|op)\s.*(wrote|schrieb(\s.+)?|a écrit|escribió|ha scritto|schreef)\s*:\s*$`)
	separator    = regexp.MustCompile(`(?i)^\s*-{2,}\s*(original message|ursprüngliche nachricht|message d'origine|mensaje original)\s*-{2,}\s*$`)
	outlookFrom  = regexp.MustCompile(`(?i)^\s*\*?(from|von|de)\s*:\*?\s+\S`)
	wrappedStart = regexp.MustCompile(`(?i)^\s*(on|am)\s`)
	outlookSent  = regexp.MustCompile(`(?i)^\s*\*?(sent|gesendet|envoyé|enviado|date)\s*:\*?\s+\S`)
)

// maxAttribution is the longest attribution line looked at; a longer
// line ending in "wrote:" is a sentence, not a header.
const maxAttribution = 400

func quoteStart(lines []string, i int) bool {
	l := strings.TrimSpace(lines[i])
	// Cheap tests first: an attribution ends with a colon, a separator
	// starts with dashes, an Outlook header holds a colon. Most lines are
	// none of these and never reach a regular expression.
	if strings.HasSuffix(l, ":") && len(l) <= maxAttribution && attribution.MatchString(l) {
		return true
	}
	if strings.HasPrefix(l, "--") && separator.MatchString(l) {
		return true
	}
	// An attribution wrapped after the date or the address.
	if i+1 < len(lines) {
		next := strings.TrimSpace(lines[i+1])
		if strings.HasSuffix(next, ":") && len(l)+len(next) < maxAttribution && wrappedStart.MatchString(l) && attribution.MatchString(l+" "+next) {
			return true
		}
	}
	// Outlook's reply header: "From: …" followed within two lines by
	// "Sent: …", often after a line of underscores.
	if strings.Contains(l, ":") && outlookFrom.MatchString(l) {
		for k := i + 1; k < len(lines) && k <= i+2; k++ {
			if outlookSent.MatchString(lines[k]) {
				return true
			}
		}
	}
	return false
}
