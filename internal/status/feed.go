package status

import (
	"cmp"
	"encoding/xml"
	"fmt"
	"html"
	"net/http"
	"slices"
	"strings"
	"time"
)

// feedKind is the format of a feed.
type feedKind int

const (
	atomFeed feedKind = iota
	rssFeed
)

// feedItem is one incident or maintenance window, whatever the format.
type feedItem struct {
	id, title, link, text string
	published, updated    time.Time
}

// feed serves a page's feed. The view behind it is the page's cached one;
// only the XML is written per request, because its links are absolute and
// follow the address the reader used.
func (h *Handler) feed(kind feedKind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, ok := h.page(r.PathValue("page"))
		if !ok || r.PathValue("page") == "" {
			notFound(w)
			return
		}
		c, err := h.cachedView(r.Context(), p)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		base := h.baseURL(r)
		v := c.view
		pageURL := base + v.FeedPath
		var items []feedItem
		for _, i := range v.Recent {
			var b strings.Builder
			fmt.Fprintf(&b, "%s — %s.", i.Impact, i.Status)
			for _, u := range i.Updates {
				fmt.Fprintf(&b, "\n%s: %s", u.At.UTC().Format("2 Jan 2006 15:04 UTC"), u.Text)
			}
			items = append(items, feedItem{id: pageURL + "#incident-" + i.Ref, title: fmt.Sprintf("%s: %s (%s)", i.Display, i.Impact, strings.ToLower(i.Status)),
				link: pageURL + "#incident-" + i.Ref, text: b.String(), published: i.Started, updated: i.Updated})
		}
		for _, m := range v.Maintenance {
			// A window is news from the day it enters the 14 days ahead: a
			// date in the past that does not move between requests.
			announced := m.Start.Add(-maintenanceAhead)
			items = append(items, feedItem{id: pageURL + "#maintenance-" + m.Ref, title: fmt.Sprintf("%s: %s", m.Display, m.Title),
				link: pageURL + "#maintenance-" + m.Ref, text: "Scheduled maintenance, " + span(m.Start, m.End) + ".",
				published: announced, updated: announced})
		}
		slices.SortStableFunc(items, func(a, b feedItem) int { return cmp.Or(b.updated.Compare(a.updated), strings.Compare(a.id, b.id)) })
		var body any
		ct := "application/atom+xml; charset=utf-8"
		if kind == atomFeed {
			body = atom(v, pageURL, items)
		} else {
			body = rss(v, pageURL, items)
			ct = "application/rss+xml; charset=utf-8"
		}
		out, err := xml.MarshalIndent(body, "", "  ")
		if err != nil {
			h.fail(w, r, err)
			return
		}
		w.Header().Set("Content-Type", ct)
		w.Header().Set("Cache-Control", "public, max-age=60")
		if r.Method == http.MethodHead {
			return
		}
		_, _ = w.Write([]byte(xml.Header))
		_, _ = w.Write(out)
	}
}

// Atom 1.0 (RFC 4287).
type atomDoc struct {
	XMLName  xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Title    string      `xml:"title"`
	Subtitle string      `xml:"subtitle"`
	ID       string      `xml:"id"`
	Updated  string      `xml:"updated"`
	Author   atomPerson  `xml:"author"`
	Links    []atomLink  `xml:"link"`
	Entries  []atomEntry `xml:"entry"`
}

type atomPerson struct {
	Name string `xml:"name"`
}

type atomLink struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
}

type atomEntry struct {
	Title     string   `xml:"title"`
	ID        string   `xml:"id"`
	Published string   `xml:"published"`
	Updated   string   `xml:"updated"`
	Link      atomLink `xml:"link"`
	Content   atomText `xml:"content"`
}

type atomText struct {
	Type string `xml:"type,attr"`
	Body string `xml:",chardata"`
}

func atom(v *pageView, pageURL string, items []feedItem) atomDoc {
	// The feed changed when its newest entry did; only an empty feed says
	// "now".
	updated := v.Now
	if len(items) > 0 {
		updated = items[0].updated
	}
	d := atomDoc{Title: v.Title, Subtitle: feedDescription(v), ID: pageURL, Updated: updated.UTC().Format(time.RFC3339), Author: atomPerson{Name: v.Title},
		Links: []atomLink{{Href: pageURL + "/feed.atom", Rel: "self", Type: "application/atom+xml"}, {Href: pageURL, Rel: "alternate", Type: "text/html"}}}
	for _, it := range items {
		d.Entries = append(d.Entries, atomEntry{Title: it.title, ID: it.id, Published: it.published.UTC().Format(time.RFC3339),
			Updated: it.updated.UTC().Format(time.RFC3339), Link: atomLink{Href: it.link, Rel: "alternate", Type: "text/html"},
			Content: atomText{Type: "text", Body: it.text}})
	}
	return d
}

// RSS 2.0.
type rssDoc struct {
	XMLName xml.Name   `xml:"rss"`
	Version string     `xml:"version,attr"`
	Channel rssChannel `xml:"channel"`
}

type rssChannel struct {
	Title         string    `xml:"title"`
	Link          string    `xml:"link"`
	Description   string    `xml:"description"`
	LastBuildDate string    `xml:"lastBuildDate"`
	Items         []rssItem `xml:"item"`
}

type rssItem struct {
	Title       string  `xml:"title"`
	Link        string  `xml:"link"`
	GUID        rssGUID `xml:"guid"`
	PubDate     string  `xml:"pubDate"`
	Description string  `xml:"description"`
}

type rssGUID struct {
	IsPermaLink string `xml:"isPermaLink,attr"`
	Value       string `xml:",chardata"`
}

func rss(v *pageView, pageURL string, items []feedItem) rssDoc {
	d := rssDoc{Version: "2.0", Channel: rssChannel{Title: v.Title, Link: pageURL, Description: feedDescription(v), LastBuildDate: v.Now.UTC().Format(time.RFC1123Z)}}
	for _, it := range items {
		d.Channel.Items = append(d.Channel.Items, rssItem{Title: it.title, Link: it.link, GUID: rssGUID{IsPermaLink: "false", Value: it.id},
			PubDate: it.updated.UTC().Format(time.RFC1123Z), Description: textHTML(it.text)})
	}
	return d
}

// feedDescription is what a feed says it is: the page's description, or
// one made from its title.
func feedDescription(v *pageView) string {
	if v.Description != "" {
		return v.Description
	}
	return "Incidents and scheduled maintenance of " + v.Title
}

// textHTML turns plain text into the HTML an RSS <description> holds, which
// readers render: markup in the text (a note's <a> or <img>) is escaped so
// it shows as written, and line breaks become <br>. The XML encoder then
// escapes the whole once more, as every RSS description is.
func textHTML(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	for i, l := range lines {
		lines[i] = html.EscapeString(l)
	}
	return strings.Join(lines, "<br>\n")
}
