package portal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/audit"
	"github.com/sextant-ops/sextant/internal/postmortem"
	"github.com/sextant-ops/sextant/internal/store"
)

// The limits of an article.
const (
	MaxArticleTitle = 200
	MaxArticleBody  = 50000
)

// Article is a knowledge base article: Markdown, published on one service
// ("" for every service). Requesters see only published articles.
type Article struct {
	ID        int64     `json:"id"`
	Title     string    `json:"title"`
	Body      string    `json:"body"`
	Service   string    `json:"service,omitempty"`
	Published bool      `json:"published"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedBy string    `json:"updated_by"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Safe is the article's Markdown made safe to render by the post-mortems'
// sanitiser: no raw HTML, no script links.
func (a Article) Safe() string { return postmortem.SafeMarkdown(a.Body) }

// ArticleInput is an article as agents write it.
type ArticleInput struct {
	Title     string `json:"title"`
	Body      string `json:"body"`
	Service   string `json:"service,omitempty"`
	Published bool   `json:"published"`
}

// Validate names every problem of an article that needs no stored state.
func (in *ArticleInput) Validate() error {
	var inv apperr.Invalid
	switch {
	case strings.TrimSpace(in.Title) == "":
		inv.Add("title", "is required")
	case len(in.Title) > MaxArticleTitle:
		inv.Add("title", "is %d bytes long; at most %d", len(in.Title), MaxArticleTitle)
	case strings.ContainsAny(in.Title, "\r\n"):
		inv.Add("title", "must be one line")
	}
	switch {
	case strings.TrimSpace(in.Body) == "":
		inv.Add("body", "is required")
	case len(in.Body) > MaxArticleBody:
		inv.Add("body", "is %d bytes long; at most %d", len(in.Body), MaxArticleBody)
	}
	return inv.Err()
}

func (s *Store) checkArticle(ctx context.Context, in *ArticleInput) error {
	inv := &apperr.Invalid{}
	if err := in.Validate(); err != nil {
		if !errors.As(err, &inv) {
			return err
		}
	}
	if in.Service != "" && s.Catalog != nil {
		if _, err := s.Catalog.GetService(ctx, in.Service); errors.Is(err, apperr.ErrNotFound) {
			inv.Add("service", "unknown service %q", in.Service)
		} else if err != nil {
			return err
		}
	}
	return inv.Err()
}

const articleColumns = `id, title, body, service, published, created_by, created_at, updated_by, updated_at`

func scanArticle(sc interface{ Scan(...any) error }) (Article, error) {
	var a Article
	var c, u int64
	err := sc.Scan(&a.ID, &a.Title, &a.Body, &a.Service, &a.Published, &a.CreatedBy, &c, &a.UpdatedBy, &u)
	a.CreatedAt, a.UpdatedAt = store.FromMillis(c), store.FromMillis(u)
	return a, err
}

// CreateArticle adds an article.
func (s *Store) CreateArticle(ctx context.Context, actor string, in ArticleInput) (Article, error) {
	if err := s.checkArticle(ctx, &in); err != nil {
		return Article{}, err
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	a := Article{Title: strings.TrimSpace(in.Title), Body: in.Body, Service: in.Service, Published: in.Published, CreatedBy: actor, CreatedAt: now, UpdatedBy: actor, UpdatedAt: now}
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO kb_articles (title, body, service, published, created_by, created_at, updated_by, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $5, $6) RETURNING id`, a.Title, a.Body, a.Service, a.Published, actor, store.Millis(now)).Scan(&a.ID); err != nil {
			return fmt.Errorf("portal: create article: %w", err)
		}
		return audit.Record(ctx, tx, now, actor, audit.Create, "kb-article", strconv.FormatInt(a.ID, 10), nil, a)
	})
	return a, err
}

// UpdateArticle replaces an article.
func (s *Store) UpdateArticle(ctx context.Context, actor string, id int64, in ArticleInput) (Article, error) {
	if err := s.checkArticle(ctx, &in); err != nil {
		return Article{}, err
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	var a Article
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		before, err := article(ctx, tx, id)
		if err != nil {
			return err
		}
		a = before
		a.Title, a.Body, a.Service, a.Published, a.UpdatedBy, a.UpdatedAt = strings.TrimSpace(in.Title), in.Body, in.Service, in.Published, actor, now
		if _, err := tx.ExecContext(ctx, `UPDATE kb_articles SET title = $2, body = $3, service = $4, published = $5, updated_by = $6, updated_at = $7 WHERE id = $1`,
			id, a.Title, a.Body, a.Service, a.Published, actor, store.Millis(now)); err != nil {
			return fmt.Errorf("portal: update article: %w", err)
		}
		return audit.Record(ctx, tx, now, actor, audit.Update, "kb-article", strconv.FormatInt(id, 10), before, a)
	})
	return a, err
}

// DeleteArticle removes an article.
func (s *Store) DeleteArticle(ctx context.Context, actor string, id int64) error {
	now := s.now()
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		before, err := article(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM kb_articles WHERE id = $1`, id); err != nil {
			return fmt.Errorf("portal: delete article: %w", err)
		}
		return audit.Record(ctx, tx, now, actor, audit.Delete, "kb-article", strconv.FormatInt(id, 10), before, nil)
	})
}

func article(ctx context.Context, q store.Querier, id int64) (Article, error) {
	a, err := scanArticle(q.QueryRowContext(ctx, `SELECT `+articleColumns+` FROM kb_articles WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return a, apperr.NotFound("article %d", id)
	}
	if err != nil {
		return a, fmt.Errorf("portal: read article: %w", err)
	}
	return a, nil
}

// Article returns one article; with publishedOnly, a draft is not found.
func (s *Store) Article(ctx context.Context, id int64, publishedOnly bool) (Article, error) {
	a, err := article(ctx, s.DB.Reader(), id)
	if err == nil && publishedOnly && !a.Published {
		return Article{}, apperr.NotFound("article %d", id)
	}
	return a, err
}

// ArticleFilter narrows the article list.
type ArticleFilter struct {
	Service       string
	PublishedOnly bool
}

// Articles returns one page of articles, newest first.
func (s *Store) Articles(ctx context.Context, f ArticleFilter, page store.Page) ([]Article, string, error) {
	before, err := page.BeforeID()
	if err != nil {
		return nil, "", err
	}
	limit := page.Size()
	q := `SELECT ` + articleColumns + ` FROM kb_articles WHERE id < $1 AND ($2 = '' OR service = $2) AND (published = TRUE OR $3 = FALSE) ORDER BY id DESC LIMIT $4`
	rows, err := s.DB.Reader().QueryContext(ctx, q, before, f.Service, f.PublishedOnly, limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("portal: list articles: %w", err)
	}
	defer rows.Close()
	out := []Article{}
	for rows.Next() {
		a, err := scanArticle(rows)
		if err != nil {
			return nil, "", err
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = store.IDCursor(out[limit-1].ID)
	}
	return out, next, nil
}
