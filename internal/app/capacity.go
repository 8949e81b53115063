package app

import (
	"context"
	"sort"
	"time"

	"github.com/sextant-ops/sextant/internal/capacity"
)

// capacitySources gives the capacity figures what they read from the rest
// of the server, from the config in force: the directory's people and
// their shifts, the incidents they worked, the calendars' holidays and the
// on-call weight.
func (a *App) capacitySources() capacity.Sources {
	d := a.oncall.dir()
	var cfg capacity.Config
	if c := a.fileCfg.Load(); c != nil {
		cfg = c.Capacity
	}
	return capacity.Sources{
		OnCallWeight: cfg.Weight(),
		People: func() []string {
			out := make([]string, 0, len(d.people))
			for n := range d.people {
				out = append(out, n)
			}
			sort.Strings(out)
			return out
		},
		OnCall: func(from, to time.Time) map[string][]capacity.Span {
			out := map[string][]capacity.Span{}
			for _, s := range d.schedules {
				for _, sh := range s.Shifts(from, to) {
					out[sh.User] = append(out[sh.User], capacity.Span{Start: sh.Start, End: sh.End})
				}
			}
			return out
		},
		Incidents: func(ctx context.Context, from, to time.Time) (map[string][]capacity.Span, error) {
			ws, err := a.incidents.WorkedBetween(ctx, from, to, a.opts.Now())
			if err != nil {
				return nil, err
			}
			out := map[string][]capacity.Span{}
			for _, w := range ws {
				out[w.Person] = append(out[w.Person], capacity.Span{Start: w.Start, End: w.End})
			}
			return out, nil
		},
		Holidays: func(name string) []capacity.Day {
			if name == "" {
				name = cfg.Calendar
			}
			if name == "" {
				return nil
			}
			c, err := a.catalog.GetCalendar(context.Background(), name)
			if err != nil {
				return nil
			}
			var out []capacity.Day
			for _, h := range c.Holidays {
				if d, err := capacity.ParseDay(h); err == nil {
					out = append(out, d)
				}
			}
			return out
		},
	}
}

func (a *App) capacityDeps() *capacity.Deps {
	return &capacity.Deps{Store: &capacity.Store{DB: a.db, Now: a.opts.Now}, Sources: a.capacitySources, Known: a.capacityKnown}
}

// capacityKnown answers capacity's validation: a person is someone in the
// on-call directory or a user; services and calendars are the catalog's.
func (a *App) capacityKnown(ctx context.Context) capacity.Known {
	return capacity.Known{
		Person: func(name string) bool {
			if _, ok := a.oncall.Person(name); ok {
				return true
			}
			_, err := a.auth.GetUser(ctx, name)
			return err == nil
		},
		Service:  a.services.known,
		Calendar: func(name string) bool { _, err := a.catalog.GetCalendar(ctx, name); return err == nil },
	}
}
