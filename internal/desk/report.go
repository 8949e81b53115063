package desk

import (
	"context"
	"fmt"
	"time"

	"github.com/sextant-ops/sextant/internal/store"
)

// Report is a service's desk figures over a period. Times to respond and
// to resolve are business time on each ticket's SLA calendar; the
// backlog's age is wall time.
type Report struct {
	Service  string    `json:"service"`
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	Opened   int       `json:"opened"`
	Resolved int       `json:"resolved"`
	// WithinSLA is the share of tickets resolved in the period whose
	// resolution clock did not breach; null when none had a target.
	WithinSLA *float64 `json:"within_sla"`
	// MeanFirstResponseSeconds and MeanResolutionSeconds average the
	// clocks of the tickets first answered (resolved) in the period; null
	// when there were none.
	MeanFirstResponseSeconds *int64 `json:"mean_first_response_seconds"`
	MeanResolutionSeconds    *int64 `json:"mean_resolution_seconds"`
	// Backlog is the tickets open at the period's end; their mean and
	// oldest ages at that instant.
	Backlog                 int    `json:"backlog"`
	BacklogMeanAgeSeconds   *int64 `json:"backlog_mean_age_seconds"`
	BacklogOldestAgeSeconds *int64 `json:"backlog_oldest_age_seconds"`
}

// Report computes a service's figures for [from, to). Tickets are judged as
// of to (or now, when to is later): a ticket resolved and reopened counts
// by its latest resolution.
func (s *Store) Report(ctx context.Context, service string, from, to time.Time) (Report, error) {
	rep := Report{Service: service, From: from.UTC(), To: to.UTC()}
	at := to
	if now := s.now(); now.Before(at) {
		at = now
	}
	ts, err := s.load(ctx, `SELECT `+ticketColumns+` FROM tickets WHERE service = $1 AND opened_at < $2 AND (resolved_at IS NULL OR resolved_at >= $3) ORDER BY id`,
		service, store.Millis(to), store.Millis(from))
	if err != nil {
		return rep, fmt.Errorf("desk: report: %w", err)
	}
	in := func(t *time.Time) bool { return t != nil && !t.Before(from) && t.Before(to) }
	var met, judged int
	var respSum, respN, resSum, resN, ageSum, oldest int64
	for i := range ts {
		t := &ts[i].Ticket
		ts[i].clocks.apply(t, at, 0)
		if !t.OpenedAt.Before(from) {
			rep.Opened++
		}
		if in(t.FirstResponseAt) && t.SLA.FirstResponse != nil {
			respSum += t.SLA.FirstResponse.ElapsedSeconds
			respN++
		}
		switch {
		case in(t.ResolvedAt):
			rep.Resolved++
			if f := t.SLA.Resolution; f != nil {
				judged++
				resSum += f.ElapsedSeconds
				resN++
				if !f.Breached {
					met++
				}
			}
		case t.ResolvedAt == nil || !t.ResolvedAt.Before(to):
			rep.Backlog++
			age := int64(at.Sub(t.OpenedAt) / time.Second)
			ageSum += age
			oldest = max(oldest, age)
		}
	}
	if judged > 0 {
		v := float64(met) / float64(judged)
		rep.WithinSLA = &v
	}
	mean := func(sum, n int64) *int64 {
		if n == 0 {
			return nil
		}
		v := sum / n
		return &v
	}
	rep.MeanFirstResponseSeconds = mean(respSum, respN)
	rep.MeanResolutionSeconds = mean(resSum, resN)
	if rep.Backlog > 0 {
		rep.BacklogMeanAgeSeconds = mean(ageSum, int64(rep.Backlog))
		rep.BacklogOldestAgeSeconds = &oldest
	}
	return rep, nil
}
