package portal

import (
	"context"
	"slices"
	"strings"
	"unicode"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/knownerror"
	"github.com/sextant-ops/sextant/internal/store"
)

// The kinds of search hit.
const (
	KindArticle    = "article"
	KindKnownError = "known_error"
)

// Doc is something the portal's search looks through: a published article
// or a known error's workaround.
type Doc struct {
	Kind    string
	ID      int64
	Title   string
	Body    string
	Service string
}

// Hit is a document found, with the words around its first match.
type Hit struct {
	Kind    string `json:"kind"`
	ID      int64  `json:"id"`
	Title   string `json:"title"`
	Service string `json:"service,omitempty"`
	Snippet string `json:"snippet"`
	Score   int    `json:"score"`
}

// stopWords are left out of a query: they match nearly everything.
var stopWords = map[string]bool{"the": true, "and": true, "for": true, "not": true, "can": true, "cannot": true, "with": true,
	"does": true, "doesn": true, "don": true, "from": true, "this": true, "that": true, "have": true, "has": true, "are": true,
	"was": true, "when": true, "what": true, "why": true, "how": true, "any": true, "all": true, "but": true, "you": true, "your": true,
	"our": true, "its": true, "into": true, "onto": true, "there": true, "their": true, "will": true, "would": true, "should": true}

// Terms are the words of a query that count: lower-cased runs of letters
// and digits, at least three long, stop words left out, each once.
func Terms(query string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(strings.ToLower(query), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if len([]rune(w)) >= 3 && !stopWords[w] && !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	return out
}

// Rank scores docs against a query and returns the best limit of them:
// each term found in a title counts 3, in the body 1; a document on
// another service than service (when given) is left out, one on every
// service ("") kept. Ties go to known errors, then to the newer.
func Rank(query, service string, docs []Doc, limit int) []Hit {
	terms := Terms(query)
	if len(terms) == 0 {
		return []Hit{}
	}
	hits := []Hit{}
	for _, d := range docs {
		if service != "" && d.Service != "" && d.Service != service {
			continue
		}
		title, body := strings.ToLower(d.Title), strings.ToLower(d.Body)
		score, first := 0, -1
		for _, t := range terms {
			if strings.Contains(title, t) {
				score += 3
			}
			if i := strings.Index(body, t); i >= 0 {
				score++
				if first < 0 || i < first {
					first = i
				}
			}
		}
		if score == 0 {
			continue
		}
		hits = append(hits, Hit{Kind: d.Kind, ID: d.ID, Title: d.Title, Service: d.Service, Snippet: snippet(d.Body, first), Score: score})
	}
	slices.SortStableFunc(hits, func(a, b Hit) int {
		switch {
		case a.Score != b.Score:
			return b.Score - a.Score
		case a.Kind != b.Kind:
			if a.Kind == KindKnownError {
				return -1
			}
			return 1
		case a.ID != b.ID:
			if a.ID > b.ID {
				return -1
			}
			return 1
		}
		return 0
	})
	if len(hits) > limit {
		hits = hits[:limit]
	}
	return hits
}

// snippetLen is about how many bytes of text a hit shows.
const snippetLen = 200

// snippet is about snippetLen bytes of body around byte at (its start
// when at < 0), cut at spaces, on one line.
func snippet(body string, at int) string {
	text := body
	if at > 60 {
		start := strings.LastIndexByte(body[:at-40], ' ')
		if start < 0 {
			start = at - 40
		}
		text = "…" + body[start+1:]
	}
	if len(text) > snippetLen {
		cut := strings.LastIndexByte(text[:snippetLen], ' ')
		if cut < snippetLen/2 {
			cut = snippetLen
		}
		text = strings.ToValidUTF8(text[:cut], "") + "…"
	}
	return strings.Join(strings.Fields(text), " ")
}

// SearchLimit is how many hits the portal shows.
const SearchLimit = 8

// searchScope bounds how many articles and known errors a search reads:
// the knowledge base is small, and it is ranked in memory.
const searchScope = 2000

// Search finds published articles and known errors' workarounds for a
// query, on service when given ("these may help").
func (s *Store) Search(ctx context.Context, query, service string) ([]Hit, error) {
	if len(Terms(query)) == 0 {
		return []Hit{}, nil
	}
	var docs []Doc
	arts, _, err := s.Articles(ctx, ArticleFilter{PublishedOnly: true}, store.Page{Limit: store.MaxLimit})
	if err != nil {
		return nil, err
	}
	for _, a := range arts {
		docs = append(docs, Doc{Kind: KindArticle, ID: a.ID, Title: a.Title, Body: a.Body, Service: a.Service})
	}
	if s.KnownErrors != nil {
		page := store.Page{Limit: store.MaxLimit}
		for len(docs) < searchScope {
			kes, next, err := s.KnownErrors.List(ctx, page)
			if err != nil {
				return nil, err
			}
			for _, k := range kes {
				docs = append(docs, Doc{Kind: KindKnownError, ID: k.ID, Title: k.Title, Body: k.Workaround, Service: k.Service})
			}
			if next == "" {
				break
			}
			page.Cursor = next
		}
	}
	return Rank(query, service, docs, SearchLimit), nil
}

// KnownError returns a known error for the portal's workaround page.
func (s *Store) KnownError(ctx context.Context, id int64) (knownerror.KnownError, error) {
	if s.KnownErrors == nil {
		return knownerror.KnownError{}, apperr.NotFound("known error %d", id)
	}
	return s.KnownErrors.Get(ctx, id)
}
