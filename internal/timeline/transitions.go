package timeline

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/store"
)

// Transition is one stored state change of one input of a service.
type Transition struct {
	Service string
	// Input names what reported the state, e.g. "check:payroll-web"; a
	// service's inputs are combined, the worst state winning.
	Input  string
	At     time.Time
	State  availability.State
	Source string
}

// Append stores state changes. The table is append-only: history is never
// rewritten, a later transition supersedes an earlier one from its instant
// on. Monitoring and incidents write here as they change state.
func (s *Store) Append(ctx context.Context, q store.Querier, ts ...Transition) error {
	if q == nil {
		q = s.db.Writer()
	}
	for _, t := range ts {
		if t.Input == "" {
			return fmt.Errorf("timeline: transition of %q without an input", t.Service)
		}
		if _, err := q.ExecContext(ctx, `INSERT INTO state_transitions (service, input, at, state, source) VALUES ($1, $2, $3, $4, $5)`,
			t.Service, t.Input, store.Millis(t.At), t.State.String(), t.Source); err != nil {
			return fmt.Errorf("timeline: append transition: %w", err)
		}
	}
	return nil
}

// transitions loads the stored transitions of the given services, grouped
// by service and input, in the order they were recorded.
func (s *Store) transitions(ctx context.Context, services []string) (map[string]map[string][]availability.Transition, error) {
	out := map[string]map[string][]availability.Transition{}
	if len(services) == 0 {
		return out, nil
	}
	ph := make([]string, len(services))
	args := make([]any, len(services))
	for i, name := range services {
		ph[i] = "$" + strconv.Itoa(i+1)
		args[i] = name
	}
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT service, input, at, state, source FROM state_transitions
		WHERE service IN (`+strings.Join(ph, ", ")+`) ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("timeline: load transitions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var svc, input, state, source string
		var at int64
		if err := rows.Scan(&svc, &input, &at, &state, &source); err != nil {
			return nil, fmt.Errorf("timeline: load transitions: %w", err)
		}
		st, err := availability.ParseState(state)
		if err != nil {
			return nil, fmt.Errorf("timeline: transition of %q: %w", svc, err)
		}
		if out[svc] == nil {
			out[svc] = map[string][]availability.Transition{}
		}
		if source == "" {
			source = input
		}
		out[svc][input] = append(out[svc][input], availability.Transition{At: store.FromMillis(at), State: st, Source: source})
	}
	return out, rows.Err()
}

// inputTimeline turns one input's transitions into a timeline that is up
// before the input's first transition: before a check existed, it is no
// evidence against the service, and the service's other inputs decide.
func inputTimeline(ts []availability.Transition, now time.Time) availability.Timeline {
	if len(ts) == 0 {
		return nil
	}
	first := ts[0].At
	for _, t := range ts {
		if t.At.Before(first) {
			first = t.At
		}
	}
	tl := availability.FromTransitions(ts, now)
	if !epoch.Before(first) {
		return tl
	}
	return availability.NewTimeline(append([]availability.Segment{{Interval: availability.Interval{Start: epoch, End: first}, State: availability.Up}}, tl...))
}

// InputTransitions returns the stored transitions of one input of a
// service (for example "check:payroll-web"), in the order they were
// recorded, for a page that shows that input alone.
func (s *Store) InputTransitions(ctx context.Context, service, input string) ([]availability.Transition, error) {
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT at, state, source FROM state_transitions
		WHERE service = $1 AND input = $2 ORDER BY id`, service, input)
	if err != nil {
		return nil, fmt.Errorf("timeline: load transitions of %s: %w", input, err)
	}
	defer rows.Close()
	var out []availability.Transition
	for rows.Next() {
		var state, source string
		var at int64
		if err := rows.Scan(&at, &state, &source); err != nil {
			return nil, fmt.Errorf("timeline: load transitions of %s: %w", input, err)
		}
		st, err := availability.ParseState(state)
		if err != nil {
			return nil, fmt.Errorf("timeline: transition of %s: %w", input, err)
		}
		if source == "" {
			source = input
		}
		out = append(out, availability.Transition{At: store.FromMillis(at), State: st, Source: source})
	}
	return out, rows.Err()
}
