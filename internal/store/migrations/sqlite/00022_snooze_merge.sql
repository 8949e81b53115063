-- +goose Up
-- An acknowledged incident may be snoozed: until snoozed_until nobody is
-- paged, and then, if it is still open, its escalation starts over (the
-- escalation row keeps status 'snoozed' with next_at at the same instant,
-- so the worker's compare-and-set takes the wake-up exactly once).
ALTER TABLE incidents ADD COLUMN snoozed_until INTEGER;
-- A merged incident is resolved into another: merged_into names it.
ALTER TABLE incidents ADD COLUMN merged_into INTEGER;

-- The open keys (service/dedup key) of incidents merged into another:
-- while the target is open, later events with such a key go to it.
CREATE TABLE incident_merges (
    open_key   TEXT PRIMARY KEY,
    target_id  INTEGER NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    source_id  INTEGER NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    merged_at  INTEGER NOT NULL,
    merged_by  TEXT NOT NULL
);
CREATE INDEX incident_merges_target ON incident_merges(target_id);

-- +goose Down
DROP TABLE incident_merges;
ALTER TABLE incidents DROP COLUMN merged_into;
ALTER TABLE incidents DROP COLUMN snoozed_until;
