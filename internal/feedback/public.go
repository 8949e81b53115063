package feedback

import (
	"context"
	"sync"
	"time"

	"github.com/sextant-ops/sextant/internal/desk/mailin"
	"github.com/sextant-ops/sextant/internal/status"
)

// Public takes the ratings visitors of the status pages give, without
// signing in (it is the pages' status.Ratings): allowed per page by the
// page's own `feedback.public`, else by the file's, and limited per IP
// address to Config.Limit an hour.
type Public struct {
	Store *Store
	// Config returns the running config's feedback section.
	Config func() Config

	mu    sync.Mutex
	perIP mailin.Limiter // the sliding window the desk counts new tickets with
}

// Public says whether visitors of p may rate its services.
func (p *Public) Public(pg *status.Page) bool {
	if pg.Feedback != nil {
		return pg.Feedback.Public
	}
	return p.Config != nil && p.Config().Public
}

// Rate records a visitor's rating of service on page, counted against ip.
func (p *Public) Rate(ctx context.Context, page, service string, score int, comment, ip string) error {
	if !p.allow(ip) {
		return status.ErrTooManyRequests
	}
	_, err := p.Store.Rate(ctx, "public", page, service, Input{Score: score, Comment: comment})
	return err
}

// allow takes one rating from ip's hourly allowance.
func (p *Public) allow(ip string) bool {
	limit := DefaultPerIP
	if p.Config != nil {
		limit = p.Config().Limit()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.perIP.Max, p.perIP.Window = limit, time.Hour
	return p.perIP.Allow(ip, p.Store.Now())
}
