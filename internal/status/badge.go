package status

import (
	"fmt"
	"html"
	"net/http"
	"strconv"

	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/timeline"
)

// badgeKind says which badge is drawn.
type badgeKind int

const (
	stateBadge badgeKind = iota
	availabilityBadge
)

// Badge colours, as shields.io uses them.
const (
	green  = "#4c1"
	yellow = "#dfb317"
	red    = "#e05d44"
	grey   = "#9f9f9f"
)

// badge serves a public service's badge; a private or unknown service gets
// the same 404 as any unknown path.
func (h *Handler) badge(kind badgeKind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("service")
		if !h.public(name) {
			notFound(w)
			return
		}
		label, value, colour, found, err := h.badgeText(r, kind, name)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if !found {
			notFound(w)
			return
		}
		body := drawBadge(label, value, colour)
		w.Header().Set("Content-Type", "image/svg+xml")
		w.Header().Set("Cache-Control", "public, max-age=60")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		if r.Method != http.MethodHead {
			_, _ = w.Write(body)
		}
	}
}

// badgeText works out a badge from the shared snapshot.
func (h *Handler) badgeText(r *http.Request, kind badgeKind, name string) (label, value, colour string, found bool, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s, err := h.snapshotLocked(r.Context(), h.now())
	if err != nil {
		return "", "", "", false, err
	}
	if _, ok := s.Services[name]; !ok {
		return "", "", "", false, nil
	}
	if kind == stateBadge {
		st := current(s, name)
		colour := map[availability.State]string{availability.Up: green, availability.Degraded: yellow, availability.Down: red}[st]
		if colour == "" {
			colour = grey
		}
		return "status", st.String(), colour, true, nil
	}
	rep, err := s.Report(name, timeline.Range{Period: "current"})
	if err != nil {
		return "", "", "", false, err
	}
	switch {
	case rep.Availability == nil:
		return "availability", "no service hours", grey, true, nil
	case !rep.Compliance.Met:
		return "availability", percent(*rep.Availability), red, true, nil
	case rep.Compliance.AtRisk:
		return "availability", percent(*rep.Availability), yellow, true, nil
	}
	return "availability", percent(*rep.Availability), green, true, nil
}

// textWidth estimates the width in pixels of s in 11 px Verdana, the font
// of flat badges, from per-character classes: good enough to centre text
// without measuring it.
func textWidth(s string) int {
	w := 0.0
	for _, c := range s {
		switch {
		case c == ' ' || c == 'i' || c == 'l' || c == 'j' || c == '.' || c == ',' || c == ':' || c == '|' || c == '!' || c == '\'':
			w += 3.9
		case c == 'f' || c == 't' || c == 'r' || c == 'I':
			w += 4.9
		case c == 'm' || c == 'w' || c == 'M' || c == 'W' || c == '%':
			w += 10.7
		case c >= 'A' && c <= 'Z':
			w += 7.6
		case c >= '0' && c <= '9':
			w += 7.0
		default:
			w += 6.8
		}
	}
	return int(w + 0.5)
}

// drawBadge draws a shields.io-like flat badge: a grey label and a
// coloured value, each padded by 5 px, with a text shadow.
func drawBadge(label, value, colour string) []byte {
	lw, vw := textWidth(label)+10, textWidth(value)+10
	total := lw + vw
	l, v := html.EscapeString(label), html.EscapeString(value)
	return fmt.Appendf(nil, `<svg xmlns="http://www.w3.org/2000/svg" width="%[1]d" height="20" role="img" aria-label="%[4]s: %[5]s">`+
		`<title>%[4]s: %[5]s</title>`+
		`<linearGradient id="s" x2="0" y2="100%%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>`+
		`<clipPath id="r"><rect width="%[1]d" height="20" rx="3" fill="#fff"/></clipPath>`+
		`<g clip-path="url(#r)"><rect width="%[2]d" height="20" fill="#555"/><rect x="%[2]d" width="%[3]d" height="20" fill="%[6]s"/><rect width="%[1]d" height="20" fill="url(#s)"/></g>`+
		`<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">`+
		`<text x="%[7]d" y="15" fill="#010101" fill-opacity=".3">%[4]s</text><text x="%[7]d" y="14">%[4]s</text>`+
		`<text x="%[8]d" y="15" fill="#010101" fill-opacity=".3">%[5]s</text><text x="%[8]d" y="14">%[5]s</text></g></svg>`,
		total, lw, vw, l, v, colour, lw/2, lw+vw/2)
}
