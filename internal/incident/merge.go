package incident

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/store"
)

// MaxMerge is the most incidents merged into one at once.
const MaxMerge = 50

// Merge folds sources into target, in one transaction: each source is
// resolved as "merged into #target" (its escalation stops, nobody is told
// it resolved: the target carries on), its events then belong to the
// target and its notes are copied onto the target's timeline, and its
// open key (service and dedup key) routes later events to the target for
// as long as the target is open. Both timelines say so.
//
// Refused, changing nothing, with the reason named: no sources, too many,
// a repeated one, the target among them, a source that does not exist or
// is resolved (each as its sources[n] field); a target that does not
// exist, is resolved, or is an Alertmanager group's (its alerts follow the
// group, so an incident cannot join it), and a source that is a group's
// (its alerts would keep arriving by group, not by key).
func (s *Store) Merge(ctx context.Context, target int64, sources []int64, actor string) (Incident, error) {
	if err := validMerge(target, sources); err != nil {
		return Incident{}, err
	}
	return s.act(ctx, target, func(tx *stmts, r row, t Incident, now time.Time) (bool, error) {
		if t.Status == Resolved {
			return false, apperr.Conflict("incident %d is resolved: merge into an open incident", target)
		}
		if group, err := isGroup(ctx, tx, target); err != nil || group {
			if err != nil {
				return false, err
			}
			return false, apperr.Conflict("incident %d is an Alertmanager group's: its alerts follow the group, so other incidents cannot be merged into it", target)
		}
		var fields []apperr.Field
		var srcs []Incident
		for n, id := range sources {
			src, err := scanIncident(tx.QueryRowContext(ctx, `SELECT `+incidentColumns+` FROM incidents WHERE id = $1`, id))
			path := fmt.Sprintf("sources[%d]", n)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				fields = append(fields, apperr.Field{Path: path, Msg: fmt.Sprintf("there is no incident %d", id)})
				continue
			case err != nil:
				return false, fmt.Errorf("incident: merge: %w", err)
			case src.Status == Resolved:
				fields = append(fields, apperr.Field{Path: path, Msg: fmt.Sprintf("incident %d is already resolved", id)})
				continue
			}
			group, err := isGroup(ctx, tx, id)
			if err != nil {
				return false, err
			}
			if group {
				fields = append(fields, apperr.Field{Path: path, Msg: fmt.Sprintf("incident %d is an Alertmanager group's: its alerts keep arriving by group, so it cannot be merged", id)})
				continue
			}
			srcs = append(srcs, src)
		}
		if len(fields) > 0 {
			return false, &apperr.Invalid{Fields: fields}
		}
		events, last := t.EventCount, t.LastEventAt
		var merged []string
		for _, src := range srcs {
			if err := s.mergeOne(ctx, tx, t, src, actor, now); err != nil {
				return false, err
			}
			events += src.EventCount
			if src.LastEventAt.After(last) {
				last = src.LastEventAt
			}
			merged = append(merged, fmt.Sprintf("#%d (%s; dedup key %s)", src.ID, clip(src.Summary, 200), src.DedupKey))
		}
		if _, err := tx.ExecContext(ctx, `UPDATE incidents SET event_count = $2, last_event_at = $3 WHERE id = $1`, target, events, store.Millis(last)); err != nil {
			return false, fmt.Errorf("incident: merge: %w", err)
		}
		msg := "merged in " + strings.Join(merged, ", ") + ": their events and notes are listed here, and later events with their keys come here while this incident is open"
		return false, logEntry(ctx, tx, target, now, "status", actor, msg)
	})
}

// mergeOne folds one checked source into target inside tx.
func (s *Store) mergeOne(ctx context.Context, tx *stmts, target, src Incident, actor string, now time.Time) error {
	r := row{id: src.ID, status: src.Status, severity: src.Severity, state: src.ServiceState, escal: src.Escalation, maint: src.InMaintenance}
	msg := fmt.Sprintf("merged into #%d by %s: resolved here; later events with this incident's key go to #%d while it is open", target.ID, actor, target.ID)
	if err := s.Engine.close(ctx, tx, r, src.Service, actor, fmt.Sprintf("merged into #%d by %s", target.ID, actor), msg, target.ID, now); err != nil {
		return err
	}
	// Keys merged into the source before follow it into the target, and
	// the source's own key joins them.
	if _, err := tx.ExecContext(ctx, `UPDATE incident_merges SET target_id = $2 WHERE target_id = $1`, src.ID, target.ID); err != nil {
		return fmt.Errorf("incident: merge keys: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO incident_merges (open_key, target_id, source_id, merged_at, merged_by) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (open_key) DO UPDATE SET target_id = excluded.target_id, source_id = excluded.source_id, merged_at = excluded.merged_at, merged_by = excluded.merged_by`,
		openKey(src.Service, src.DedupKey), target.ID, src.ID, store.Millis(now), actor); err != nil {
		return fmt.Errorf("incident: merge key: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE events SET incident_id = $2 WHERE incident_id = $1`, src.ID, target.ID); err != nil {
		return fmt.Errorf("incident: merge events: %w", err)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO incident_log (incident_id, at, kind, actor, message)
		SELECT $2, at, kind, actor, $3 || message FROM incident_log WHERE incident_id = $1 AND kind = 'note' ORDER BY id`,
		src.ID, target.ID, fmt.Sprintf("from #%d: ", src.ID))
	if err != nil {
		return fmt.Errorf("incident: merge notes: %w", err)
	}
	return nil
}

// isGroup says whether an incident is an Alertmanager group's.
func isGroup(ctx context.Context, tx *stmts, id int64) (bool, error) {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM incident_alerts WHERE incident_id = $1 LIMIT 1`, id).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("incident: merge: %w", err)
	}
	return true, nil
}

func validMerge(target int64, sources []int64) error {
	if fields := idProblems("sources", sources, MaxMerge, "choose at least one incident to merge", target); len(fields) > 0 {
		return &apperr.Invalid{Fields: fields}
	}
	return nil
}
