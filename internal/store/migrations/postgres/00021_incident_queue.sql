-- +goose Up
-- Who works an incident: a person of the on-call directory or a user's
-- name; empty while nobody has taken it.
ALTER TABLE incidents ADD COLUMN assignee TEXT NOT NULL DEFAULT '';
CREATE INDEX incidents_assignee ON incidents(assignee);

-- +goose Down
DROP INDEX incidents_assignee;
ALTER TABLE incidents DROP COLUMN assignee;
