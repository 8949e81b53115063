// Package search finds services, checks, incidents and people by a few
// letters of their names, for the search box on every page and for
// GET /api/v1/search.
package search

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/cmdb"
	"github.com/sextant-ops/sextant/internal/escalation"
	"github.com/sextant-ops/sextant/internal/monitor"
	"github.com/sextant-ops/sextant/internal/store"
)

// The kinds of thing a search finds, in the order the answer lists them.
const (
	KindServices  = "services"
	KindChecks    = "checks"
	KindIncidents = "incidents"
	KindPeople    = "people"
	KindItems     = "items"
)

// Kinds lists every kind, in the order the answer groups them.
var Kinds = []string{KindServices, KindChecks, KindIncidents, KindPeople, KindItems}

// DefaultLimit is how many hits of each kind an answer holds unless asked
// for more; MaxLimit is the most it holds.
const (
	DefaultLimit = 5
	MaxLimit     = 50
)

// MaxQuery is the longest query accepted, in characters.
const MaxQuery = 200

// Hit is one thing found: what it is called, a line saying more about it,
// and where its page is.
type Hit struct {
	Name   string `json:"name"`
	Detail string `json:"detail,omitempty"`
	URL    string `json:"url"`
}

// Group is the hits of one kind; More says there are more than it holds.
type Group struct {
	Kind string `json:"kind"`
	Hits []Hit  `json:"hits"`
	More bool   `json:"more"`
}

// Label names the group for people.
func (g Group) Label() string {
	switch g.Kind {
	case KindServices:
		return "Services"
	case KindChecks:
		return "Checks"
	case KindIncidents:
		return "Incidents"
	case KindItems:
		return "Configuration items"
	}
	return "People"
}

// Result is a search's answer: one group per kind searched, empty ones
// included, so a reader sees what was looked through.
type Result struct {
	Query  string  `json:"query"`
	Groups []Group `json:"groups"`
}

// Total counts the hits of every group.
func (r Result) Total() int {
	n := 0
	for _, g := range r.Groups {
		n += len(g.Hits)
	}
	return n
}

// Query is what to search for: Text (matched anywhere, ignoring case),
// Kind ("" for all) and Limit hits of each kind (0 for DefaultLimit).
type Query struct {
	Text  string
	Kind  string
	Limit int
}

// Searcher searches the stores. People, when set, is the on-call
// directory's people (kept in memory).
type Searcher struct {
	DB      *store.DB
	Catalog *catalog.Store
	Checks  *monitor.Store
	People  func() []escalation.Person
	// Items, when set, is the CMDB.
	Items *cmdb.Store
}

// Validate checks a query, naming the field and the reason.
func (q Query) Validate() error {
	var fields []apperr.Field
	text := strings.TrimSpace(q.Text)
	switch {
	case text == "":
		fields = append(fields, apperr.Field{Path: "q", Msg: "type what to look for"})
	case utf8.RuneCountInString(text) > MaxQuery:
		fields = append(fields, apperr.Field{Path: "q", Msg: fmt.Sprintf("is longer than %d characters", MaxQuery)})
	}
	if q.Kind != "" && !validKind(q.Kind) {
		fields = append(fields, apperr.Field{Path: "kind", Msg: fmt.Sprintf("must be one of %s, not %q", strings.Join(Kinds, ", "), q.Kind)})
	}
	if q.Limit < 0 || q.Limit > MaxLimit {
		fields = append(fields, apperr.Field{Path: "limit", Msg: fmt.Sprintf("must be between 1 and %d", MaxLimit)})
	}
	if len(fields) > 0 {
		return &apperr.Invalid{Fields: fields}
	}
	return nil
}

func validKind(k string) bool {
	for _, x := range Kinds {
		if x == k {
			return true
		}
	}
	return false
}

// Search finds what matches q, grouped by kind.
func (s *Searcher) Search(ctx context.Context, q Query) (Result, error) {
	if err := q.Validate(); err != nil {
		return Result{}, err
	}
	text := strings.TrimSpace(q.Text)
	limit := q.Limit
	if limit == 0 {
		limit = DefaultLimit
	}
	res := Result{Query: text}
	for _, kind := range Kinds {
		if q.Kind != "" && q.Kind != kind {
			continue
		}
		var hits []Hit
		var err error
		switch kind {
		case KindServices:
			hits, err = s.services(ctx, text, limit+1)
		case KindChecks:
			hits, err = s.checks(ctx, text, limit+1)
		case KindIncidents:
			hits, err = s.incidents(ctx, text, limit+1)
		case KindPeople:
			hits = s.people(text, limit+1)
		case KindItems:
			hits, err = s.items(ctx, text, limit+1)
		}
		if err != nil {
			return Result{}, err
		}
		g := Group{Kind: kind, Hits: hits}
		if g.Hits == nil {
			g.Hits = []Hit{}
		}
		if len(g.Hits) > limit {
			g.Hits, g.More = g.Hits[:limit], true
		}
		res.Groups = append(res.Groups, g)
	}
	return res, nil
}

// matches says whether any of fields holds text, ignoring case. It
// compares plain strings, so "%" and "_" in a query mean themselves.
func matches(text string, fields ...string) bool {
	t := strings.ToLower(text)
	for _, f := range fields {
		if strings.Contains(strings.ToLower(f), t) {
			return true
		}
	}
	return false
}

// services searches the catalog (held whole, as every page that draws it
// does) by name, title and owner.
func (s *Searcher) services(ctx context.Context, text string, n int) ([]Hit, error) {
	cat, err := s.Catalog.Load(ctx)
	if err != nil {
		return nil, fmt.Errorf("search: services: %w", err)
	}
	var out []Hit
	for _, sv := range cat.Services {
		if len(out) == n {
			break
		}
		if matches(text, sv.Name, sv.Title, sv.Owner) {
			detail := sv.Title
			if sv.Owner != "" {
				detail = strings.TrimPrefix(detail+" · owner "+sv.Owner, " · ")
			}
			out = append(out, Hit{Name: sv.Name, Detail: detail, URL: "/services/" + url.PathEscape(sv.Name)})
		}
	}
	return out, nil
}

// items searches configuration items by name, class, owner, location
// and attribute values (a host name, an address, a serial number).
func (s *Searcher) items(ctx context.Context, text string, n int) ([]Hit, error) {
	if s.Items == nil {
		return nil, nil
	}
	set, err := s.Items.Load(ctx)
	if err != nil {
		return nil, fmt.Errorf("search: items: %w", err)
	}
	var out []Hit
	for _, it := range set.Items {
		if len(out) == n {
			break
		}
		fields := []string{it.Name, it.Class, it.Owner, it.Location}
		for _, v := range it.Attributes {
			fields = append(fields, string(v))
		}
		if matches(text, fields...) {
			detail := it.Class
			if it.Location != "" {
				detail += " · " + it.Location
			}
			out = append(out, Hit{Name: it.Name, Detail: detail, URL: "/cis/" + url.PathEscape(it.Name)})
		}
	}
	return out, nil
}

// target is what a check looks at, with any secret in its URL left out.
func target(c monitor.Check) string {
	if c.URL != "" {
		if u, err := url.Parse(c.URL); err == nil {
			u.User = nil
			u.RawQuery = ""
			return u.String()
		}
		return ""
	}
	if c.Host != "" && c.Port != 0 {
		return c.Host + ":" + strconv.Itoa(c.Port)
	}
	return c.Host
}

// checks searches checks by name and target.
func (s *Searcher) checks(ctx context.Context, text string, n int) ([]Hit, error) {
	list, err := s.Checks.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("search: checks: %w", err)
	}
	var out []Hit
	for _, c := range list {
		if len(out) == n {
			break
		}
		t := target(c.Check)
		if matches(text, c.Name, t) {
			detail := c.Type + " check of " + c.Service
			if t != "" {
				detail += " · " + t
			}
			out = append(out, Hit{Name: c.Name, Detail: detail, URL: "/checks/" + url.PathEscape(c.Name)})
		}
	}
	return out, nil
}

// likeEscaper makes a query match itself in LIKE: its wildcards and the
// escape character are escaped.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// incidents searches incidents, newest first, by id ("42" or "#42"),
// summary and dedup key. They may be many, so the database does it.
func (s *Searcher) incidents(ctx context.Context, text string, n int) ([]Hit, error) {
	pattern := "%" + likeEscaper.Replace(strings.ToLower(text)) + "%"
	id, err := strconv.ParseInt(strings.TrimPrefix(text, "#"), 10, 64)
	if err != nil {
		id = 0
	}
	rows, err := s.DB.Reader().QueryContext(ctx, `SELECT id, service, status, summary FROM incidents
		WHERE id = $1 OR LOWER(summary) LIKE $2 ESCAPE '\' OR LOWER(dedup_key) LIKE $2 ESCAPE '\'
		ORDER BY CASE WHEN id = $1 THEN 0 ELSE 1 END, id DESC LIMIT $3`, id, pattern, n)
	if err != nil {
		return nil, fmt.Errorf("search: incidents: %w", err)
	}
	defer rows.Close()
	var out []Hit
	for rows.Next() {
		var id int64
		var service, status, summary string
		if err := rows.Scan(&id, &service, &status, &summary); err != nil {
			return nil, fmt.Errorf("search: incidents: %w", err)
		}
		out = append(out, Hit{Name: "#" + strconv.FormatInt(id, 10) + " " + summary, Detail: status + " · " + service,
			URL: "/incidents/" + strconv.FormatInt(id, 10)})
	}
	return out, rows.Err()
}

// people searches the on-call directory by name, display name and e-mail.
func (s *Searcher) people(text string, n int) []Hit {
	if s.People == nil {
		return nil
	}
	var out []Hit
	for _, p := range s.People() {
		if len(out) == n {
			break
		}
		if matches(text, p.Name, p.DisplayName, p.Email) {
			name := p.Name
			if p.DisplayName != "" {
				name = p.DisplayName + " (" + p.Name + ")"
			}
			out = append(out, Hit{Name: name, Detail: p.Email, URL: "/oncall#person-" + url.PathEscape(p.Name)})
		}
	}
	return out
}
