package app

import (
	"context"
	"sort"
	"time"

	"github.com/sextant-ops/sextant/internal/capacity"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/desk"
)

// capacitySources gives the capacity figures what they read from the rest
// of the server, from the config in force: the directory's people and
// their shifts, the incidents they worked, the calendars' holidays and the
// on-call weight.
func (a *App) capacitySources() capacity.Sources {
	d := a.oncall.dir()
	var cfg capacity.Config
	var queues []desk.Queue
	if c := a.fileCfg.Load(); c != nil {
		cfg = c.Capacity
		if c.Desk != nil {
			queues = c.Desk.Queues
		}
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
		// A desk queue with a calendar needs its business hours staffed.
		Queues: func(w capacity.Week) []capacity.QueueNeed {
			var out []capacity.QueueNeed
			for _, q := range queues {
				if q.Calendar == "" {
					continue
				}
				c, err := a.catalog.GetCalendar(context.Background(), q.Calendar)
				if err != nil {
					continue
				}
				cal, problems := catalog.CompileCalendar(c.CalendarSpec)
				if len(problems) > 0 {
					continue
				}
				loc := cal.Location()
				from, to := w.Monday.Start(loc), w.Monday.AddDays(7).Start(loc)
				out = append(out, capacity.QueueNeed{Queue: q.Name, Hours: capacity.Round(cal.Hours(from, to).Duration().Hours())})
			}
			return out
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
		Service: a.services.known,
		Queue: func(name string) bool {
			if c := a.fileCfg.Load(); c != nil && c.Desk != nil {
				for _, q := range c.Desk.Queues {
					if q.Name == name {
						return true
					}
				}
			}
			return false
		},
		Calendar: func(name string) bool { _, err := a.catalog.GetCalendar(ctx, name); return err == nil },
	}
}
