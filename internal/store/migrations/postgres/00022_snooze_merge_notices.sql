-- +goose Up
-- An acknowledged incident may be snoozed: until snoozed_until nobody is
-- paged, and then, if it is still open, its escalation starts over (the
-- escalation row keeps status 'snoozed' with next_at at the same instant,
-- so the worker's compare-and-set takes the wake-up exactly once).
ALTER TABLE incidents ADD COLUMN snoozed_until BIGINT;
-- A merged incident is resolved into another: merged_into names it.
ALTER TABLE incidents ADD COLUMN merged_into BIGINT;

-- The open keys (service/dedup key) of incidents merged into another:
-- while the target is open, later events with such a key go to it.
CREATE TABLE incident_merges (
    open_key   TEXT PRIMARY KEY,
    target_id  BIGINT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    source_id  BIGINT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    merged_at  BIGINT NOT NULL,
    merged_by  TEXT NOT NULL
);
CREATE INDEX incident_merges_target ON incident_merges(target_id);

-- Notices of maintenance to status-page subscribers: one row per one-off
-- window occurrence and kind (scheduled, started), written with the
-- outbox rows that carry it, so each subscriber hears of it once.
CREATE TABLE maintenance_notices (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    service    TEXT NOT NULL,
    window_ref TEXT NOT NULL,
    title      TEXT NOT NULL,
    kind       TEXT NOT NULL,
    start_at   BIGINT NOT NULL,
    end_at     BIGINT NOT NULL,
    timezone   TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (service, window_ref, start_at, kind)
);

-- Outbox rows that are about no incident (maintenance notices) have no
-- incident_id.
ALTER TABLE outbox ALTER COLUMN incident_id DROP NOT NULL;

-- +goose Down
DELETE FROM outbox WHERE incident_id IS NULL;
ALTER TABLE outbox ALTER COLUMN incident_id SET NOT NULL;
DROP TABLE maintenance_notices;
DROP TABLE incident_merges;
ALTER TABLE incidents DROP COLUMN merged_into;
ALTER TABLE incidents DROP COLUMN snoozed_until;
