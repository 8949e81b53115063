package incident

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/sextant-ops/sextant/internal/apperr"
)

// The bulk actions.
const (
	BulkAcknowledge = "acknowledge"
	BulkResolve     = "resolve"
)

// MaxBulk is the most incidents one bulk action takes, so that one request
// cannot hold the database for long.
const MaxBulk = 200

// BulkResult is what a bulk action did to one incident: Status is the
// incident's status afterwards when it changed, and Error says why it did
// not (already resolved, no such incident).
type BulkResult struct {
	ID     int64  `json:"id"`
	Status string `json:"status,omitempty"`
	Error  string `json:"error,omitempty"`
}

// Changed says whether the action changed the incident.
func (b BulkResult) Changed() bool { return b.Error == "" }

// Bulk acknowledges or resolves several incidents. Each incident changes
// in its own transaction, through the same Acknowledge or Resolve a single
// action takes, so its escalation stops and its notifications are queued
// exactly as they would be one by one; one that cannot change (already
// resolved, unknown) is reported in its result and does not hold back the
// others. Bad input (an unknown action, no ids, too many, a repeated or
// non-positive id) is refused as a whole and changes nothing.
func (s *Store) Bulk(ctx context.Context, action string, ids []int64, actor string) ([]BulkResult, error) {
	if err := validBulk(action, ids); err != nil {
		return nil, err
	}
	out := make([]BulkResult, 0, len(ids))
	for _, id := range ids {
		var i Incident
		var err error
		if action == BulkAcknowledge {
			i, err = s.Acknowledge(ctx, id, actor)
		} else {
			i, err = s.Resolve(ctx, id, actor)
		}
		switch {
		case err == nil:
			out = append(out, BulkResult{ID: id, Status: i.Status})
		case errors.Is(err, apperr.ErrConflict):
			out = append(out, BulkResult{ID: id, Error: strings.TrimSuffix(err.Error(), ": "+apperr.ErrConflict.Error())})
		case errors.Is(err, apperr.ErrNotFound):
			out = append(out, BulkResult{ID: id, Error: fmt.Sprintf("there is no incident %d", id)})
		default:
			return out, fmt.Errorf("incident: bulk %s of %d: %w", action, id, err)
		}
	}
	return out, nil
}

func validBulk(action string, ids []int64) error {
	var fields []apperr.Field
	if action != BulkAcknowledge && action != BulkResolve {
		fields = append(fields, apperr.Field{Path: "action", Msg: fmt.Sprintf("must be acknowledge or resolve, not %q", action)})
	}
	fields = append(fields, idProblems("ids", ids, MaxBulk, "choose at least one incident", 0)...)
	if len(fields) > 0 {
		return &apperr.Invalid{Fields: fields}
	}
	return nil
}

// idProblems names what is wrong with a list of incident ids at path: none
// (empty says what to do), more than most, one not positive, one repeated,
// or one that is self (when self is not 0: the incident acted on).
func idProblems(path string, ids []int64, most int, empty string, self int64) []apperr.Field {
	var fields []apperr.Field
	switch {
	case len(ids) == 0:
		fields = append(fields, apperr.Field{Path: path, Msg: empty})
	case len(ids) > most:
		fields = append(fields, apperr.Field{Path: path, Msg: fmt.Sprintf("holds %d incidents; at most %d at once", len(ids), most)})
	}
	for n, id := range ids {
		at := fmt.Sprintf("%s[%d]", path, n)
		switch {
		case id < 1:
			fields = append(fields, apperr.Field{Path: at, Msg: fmt.Sprintf("must be a positive incident id, not %d", id)})
		case id == self:
			fields = append(fields, apperr.Field{Path: at, Msg: fmt.Sprintf("incident %d is the target itself: an incident cannot be merged into itself", id)})
		case slices.Index(ids, id) < n:
			fields = append(fields, apperr.Field{Path: at, Msg: fmt.Sprintf("repeats incident %d", id)})
		}
	}
	return fields
}
