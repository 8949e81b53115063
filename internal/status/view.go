package status

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/timeline"
)

const (
	// Days is how many daily bars a service shows.
	Days = 90
	// maintenanceAhead is how far ahead scheduled maintenance is listed.
	maintenanceAhead = 14 * 24 * time.Hour
	// feedWindow is how far back feeds list incidents.
	feedWindow = 30 * 24 * time.Hour
	// perService bounds the incidents read per service for one view.
	perService = 50
)

// pageView is everything a page and its feeds show. It holds public
// information only: display names, states, figures, and the public part
// of incidents.
type pageView struct {
	Name, Title, Description string
	Path                     string // where the page is served: /status or /status/NAME
	FeedPath                 string // /status/NAME, the feeds' prefix
	CSS                      string
	Now                      time.Time
	Banner                   banner
	Groups                   []groupView
	Active                   []incidentView // open incidents
	Recent                   []incidentView // incidents of the last 30 days, for feeds
	Maintenance              []maintenanceView
	DaysShown                int
	// Subscribe shows the e-mail subscription form (the server keeps
	// subscriptions); SubscribeForm is its data.
	Subscribe     bool
	SubscribeForm subscribeView
	// Feedback is the rating form, nil when visitors may not rate.
	Feedback *feedbackView
}

type banner struct{ Class, Text string }

type groupView struct {
	Title    string
	Services []serviceView
}

type serviceView struct {
	Name, Display string
	State         availability.State
	StateText     string
	InMaintenance bool
	Bars          []bar
	Percent       string // over the 90 days; "" when it has no service hours
}

// bar is one day. X is its position in the SVG.
type bar struct {
	X            int
	Date         string
	Class, Label string
}

type incidentView struct {
	Ref       string // a stable anchor that reveals no internal id
	Display   string
	Status    string // Investigating, Acknowledged, Resolved
	Impact    string
	Started   time.Time
	Updated   time.Time
	Resolved  bool
	Updates   []update // newest first
	ServiceID string
}

type update struct {
	At   time.Time
	Text string
}

type maintenanceView struct {
	Ref        string
	Display    string
	Title      string
	service    string
	Start, End time.Time
	InProgress bool
}

// stateText says a state in words, so that colour never carries it alone.
func stateText(s availability.State) string {
	switch s {
	case availability.Up:
		return "Operational"
	case availability.Degraded:
		return "Degraded performance"
	case availability.Down:
		return "Major outage"
	}
	return "Unknown"
}

// bannerFor sums up the current states of a page's services.
func bannerFor(states []availability.State) banner {
	var down, degraded, unknown int
	for _, s := range states {
		switch s {
		case availability.Down:
			down++
		case availability.Degraded:
			degraded++
		case availability.Unknown:
			unknown++
		}
	}
	switch {
	case down > 0 && down == len(states):
		return banner{"down", "Major outage"}
	case down > 0:
		return banner{"partial", "Partial outage"}
	case degraded > 0:
		return banner{"degraded", "Degraded performance"}
	case unknown > 0:
		return banner{"unknown", "Some systems' state is unknown"}
	}
	return banner{"up", "All systems operational"}
}

// displayName is what a page calls a service.
func displayName(p *Page, svc catalog.Service) string {
	if d := p.DisplayNames[svc.Name]; d != "" {
		return d
	}
	if svc.Title != "" {
		return svc.Title
	}
	return svc.Name
}

// current is the service's state at the snapshot's now. The timeline ends
// at now (exclusive), so the last instant before it is read.
func current(s *timeline.Snapshot, name string) availability.State {
	st, _ := s.Timeline(name).At(s.Now.Add(-time.Nanosecond))
	return st
}

// buildView gathers a page's data from the snapshot and the incident store.
func (h *Handler) buildView(ctx context.Context, s *timeline.Snapshot, p *Page, first bool) (*pageView, error) {
	v := &pageView{Name: p.Name, Title: p.Title, Description: p.Description, Path: "/status/" + p.Name, FeedPath: "/status/" + p.Name,
		CSS: h.css.url, Now: s.Now, DaysShown: Days}
	if h.opts.Subscriptions != nil && h.opts.Subscriptions.Enabled() {
		v.Subscribe, v.SubscribeForm = true, subscribeView{Path: "/status/" + p.Name}
	}
	if first {
		v.Path = "/status"
	}
	display := map[string]string{}
	var states []availability.State
	for _, g := range p.Groups {
		gv := groupView{Title: g.Title}
		for _, name := range g.Services {
			svc, ok := s.Services[name]
			if !ok {
				// Deleted since the config was read: as good as private.
				continue
			}
			sv, err := serviceRow(s, p, svc)
			if err != nil {
				return nil, err
			}
			display[name] = sv.Display
			states = append(states, sv.State)
			gv.Services = append(gv.Services, sv)
		}
		v.Groups = append(v.Groups, gv)
	}
	v.Banner = bannerFor(states)
	v.Feedback = h.feedbackFor(p, display)
	var err error
	if v.Active, v.Recent, err = h.incidents(ctx, p, display, s.Now); err != nil {
		return nil, err
	}
	v.Maintenance = maintenance(s, p, display)
	for gi := range v.Groups {
		for si := range v.Groups[gi].Services {
			sv := &v.Groups[gi].Services[si]
			for _, m := range v.Maintenance {
				if m.InProgress && m.service == sv.Name {
					sv.InMaintenance = true
				}
			}
		}
	}
	return v, nil
}

// serviceRow computes a service's state, its daily bars and its 90-day
// figure. Days are cut at midnight in the service's own zone and measured
// in its own service hours, so a weekday service's weekend is "no service
// hours" rather than a perfect day.
func serviceRow(s *timeline.Snapshot, p *Page, svc catalog.Service) (serviceView, error) {
	sv := serviceView{Name: svc.Name, Display: displayName(p, svc), State: current(s, svc.Name)}
	sv.StateText = stateText(sv.State)
	zone := s.Zone(svc.Name)
	local := s.Now.In(zone)
	today := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, zone)
	start := today.AddDate(0, 0, -(Days - 1))
	for i := range Days {
		from, to := start.AddDate(0, 0, i), start.AddDate(0, 0, i+1)
		rep, err := s.Report(svc.Name, timeline.Range{From: from, To: to})
		if err != nil {
			return sv, err
		}
		b := bar{X: i * 4, Date: from.Format("Mon 2 Jan 2006")}
		switch a := rep.Availability; {
		case a == nil:
			b.Class, b.Label = "none", "no service hours"
		case rep.Downtime == 0:
			b.Class, b.Label = "ok", percent(*a)
		case *a >= 0.99:
			b.Class, b.Label = "minor", percent(*a)
		default:
			b.Class, b.Label = "major", percent(*a)
		}
		sv.Bars = append(sv.Bars, b)
	}
	rep, err := s.Report(svc.Name, timeline.Range{From: start, To: today.AddDate(0, 0, 1)})
	if err != nil {
		return sv, err
	}
	if rep.Availability != nil {
		sv.Percent = percent(*rep.Availability)
	}
	return sv, nil
}

// percent writes a fraction as every surface of Sextant does.
func percent(f float64) string { return availability.Percent(f) }

// ref names an incident or a window in anchors and feed ids without its
// database id, which would tell how many incidents other services had.
func ref(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:8])
}

// incidents reads the page's open incidents and those of the last 30 days.
func (h *Handler) incidents(ctx context.Context, p *Page, display map[string]string, now time.Time) (active, recent []incidentView, err error) {
	since := now.Add(-feedWindow)
	for _, name := range p.Services() {
		d, ok := display[name]
		if !ok {
			continue
		}
		seen := map[int64]bool{}
		add := func(i incident.Incident) error {
			if seen[i.ID] {
				return nil
			}
			seen[i.ID] = true
			_, log, err := h.opts.Incidents.Get(ctx, i.ID)
			if err != nil {
				return err
			}
			iv := publicIncident(i, log, d)
			if !i.CreatedAt.Before(since) || i.Status != incident.Resolved {
				recent = append(recent, iv)
			}
			if i.Status != incident.Resolved {
				active = append(active, iv)
			}
			return nil
		}
		open, _, err := h.opts.Incidents.List(ctx, incident.Filter{Service: name, Status: "open"}, store.Page{Limit: perService})
		if err != nil {
			return nil, nil, err
		}
		for _, i := range open {
			if err := add(i); err != nil {
				return nil, nil, err
			}
		}
		latest, _, err := h.opts.Incidents.List(ctx, incident.Filter{Service: name}, store.Page{Limit: perService})
		if err != nil {
			return nil, nil, err
		}
		for _, i := range latest {
			if i.CreatedAt.Before(since) {
				break // newest first: the rest are older still
			}
			if err := add(i); err != nil {
				return nil, nil, err
			}
		}
	}
	byStart := func(a, b incidentView) int { return b.Started.Compare(a.Started) }
	slices.SortStableFunc(active, byStart)
	slices.SortStableFunc(recent, byStart)
	return active, recent, nil
}

// publicIncident keeps what may be shown to anyone: status changes in
// plain words and people's notes. Summaries (which carry check output,
// host names and addresses), dedup keys, integrations, the people who
// acted and every other log line stay inside.
func publicIncident(i incident.Incident, log []incident.LogEntry, display string) incidentView {
	iv := incidentView{Ref: ref("incident", strconv.FormatInt(i.ID, 10), i.Service, i.DedupKey, i.Summary), Display: display,
		Started: i.CreatedAt, Updated: i.CreatedAt, Resolved: i.Status == incident.Resolved, ServiceID: i.Service}
	switch i.ServiceState {
	case "down":
		iv.Impact = "Major outage"
	case "degraded":
		iv.Impact = "Degraded performance"
	default:
		iv.Impact = "Service disruption"
	}
	iv.Status = "Investigating"
	for _, e := range log {
		var text string
		switch {
		case e.Kind == "status" && strings.HasPrefix(e.Message, "triggered"):
			text = "Investigating"
		case e.Kind == "status" && e.Message == "acknowledged":
			text = "Acknowledged"
		case e.Kind == "status" && e.Message == "resolved":
			text = "Resolved"
		case e.Kind == "note":
			// Only notes written for the public ("Public: …") are published;
			// every other note stays internal.
			text, ok := PublicNote(e.Message)
			if !ok {
				continue
			}
			iv.Updates = append(iv.Updates, update{At: e.At, Text: text})
			iv.Updated = later(iv.Updated, e.At)
			continue
		default:
			continue
		}
		iv.Status = text
		iv.Updates = append(iv.Updates, update{At: e.At, Text: text})
		iv.Updated = later(iv.Updated, e.At)
	}
	if iv.Resolved {
		iv.Status = "Resolved"
	}
	slices.Reverse(iv.Updates)
	return iv
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// maintenance lists the page's planned windows that are under way or
// start within the next 14 days.
func maintenance(s *timeline.Snapshot, p *Page, display map[string]string) []maintenanceView {
	var out []maintenanceView
	from, to := s.Now.Add(-48*time.Hour), s.Now.Add(maintenanceAhead)
	for _, name := range p.Services() {
		d, ok := display[name]
		if !ok {
			continue
		}
		for _, o := range catalog.ServiceOccurrences(s.Services[name], s.Zone(name), from, to, s.Now) {
			title := o.Title
			if title == "" {
				title = "Scheduled maintenance"
			}
			out = append(out, maintenanceView{Ref: ref("maintenance", name, title, o.Start.String()), Display: d, Title: title, service: name,
				Start: o.Start, End: o.End, InProgress: o.InProgress})
		}
	}
	slices.SortStableFunc(out, func(a, b maintenanceView) int {
		return cmp.Or(a.Start.Compare(b.Start), cmp.Compare(a.Display, b.Display))
	})
	return out
}

// span writes a window's times for people anywhere: in UTC, saying so.
func span(a, b time.Time) string {
	a, b = a.UTC(), b.UTC()
	if a.YearDay() == b.YearDay() && a.Year() == b.Year() {
		return fmt.Sprintf("%s–%s UTC", a.Format("Mon 2 Jan 2006, 15:04"), b.Format("15:04"))
	}
	return fmt.Sprintf("%s – %s UTC", a.Format("Mon 2 Jan 2006, 15:04"), b.Format("Mon 2 Jan 2006, 15:04"))
}

// BannerText is the banner's words for a set of current states.
func BannerText(states []availability.State) string { return bannerFor(states).Text }

// PublicNote reports whether an incident note is meant for the status page
// — it starts with "Public:" — and returns its text without the prefix.
func PublicNote(note string) (string, bool) {
	const prefix = "public:"
	if len(note) < len(prefix) || !strings.EqualFold(note[:len(prefix)], prefix) {
		return "", false
	}
	return strings.TrimSpace(note[len(prefix):]), true
}
