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

-- Notices of maintenance to status-page subscribers: one row per one-off
-- window occurrence and kind (scheduled, started), written with the
-- outbox rows that carry it, so each subscriber hears of it once.
CREATE TABLE maintenance_notices (
    id         INTEGER PRIMARY KEY,
    service    TEXT NOT NULL,
    window_ref TEXT NOT NULL,
    title      TEXT NOT NULL,
    kind       TEXT NOT NULL,
    start_at   INTEGER NOT NULL,
    end_at     INTEGER NOT NULL,
    timezone   TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (service, window_ref, start_at, kind)
);

-- Outbox rows that are about no incident (maintenance notices) have no
-- incident_id. SQLite cannot drop a NOT NULL, so the table is rebuilt with
-- its rows and indexes.
CREATE TABLE outbox_new (
    id            INTEGER PRIMARY KEY,
    incident_id   INTEGER REFERENCES incidents(id) ON DELETE CASCADE,
    channel       TEXT NOT NULL,
    kind          TEXT NOT NULL,
    status        TEXT NOT NULL,
    attempts      INTEGER NOT NULL,
    next_attempt  INTEGER NOT NULL,
    claimed_until INTEGER NOT NULL,
    last_error    TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    sent_at       INTEGER,
    note          TEXT NOT NULL DEFAULT ''
);
INSERT INTO outbox_new (id, incident_id, channel, kind, status, attempts, next_attempt, claimed_until, last_error, created_at, sent_at, note)
    SELECT id, incident_id, channel, kind, status, attempts, next_attempt, claimed_until, last_error, created_at, sent_at, note FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_due ON outbox(status, next_attempt);
CREATE INDEX outbox_incident_channel ON outbox(incident_id, channel, id);

-- +goose Down
DELETE FROM outbox WHERE incident_id IS NULL;
CREATE TABLE outbox_old (
    id            INTEGER PRIMARY KEY,
    incident_id   INTEGER NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    channel       TEXT NOT NULL,
    kind          TEXT NOT NULL,
    status        TEXT NOT NULL,
    attempts      INTEGER NOT NULL,
    next_attempt  INTEGER NOT NULL,
    claimed_until INTEGER NOT NULL,
    last_error    TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    sent_at       INTEGER,
    note          TEXT NOT NULL DEFAULT ''
);
INSERT INTO outbox_old SELECT id, incident_id, channel, kind, status, attempts, next_attempt, claimed_until, last_error, created_at, sent_at, note FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_old RENAME TO outbox;
CREATE INDEX outbox_due ON outbox(status, next_attempt);
CREATE INDEX outbox_incident_channel ON outbox(incident_id, channel, id);
DROP TABLE maintenance_notices;
DROP TABLE incident_merges;
ALTER TABLE incidents DROP COLUMN merged_into;
ALTER TABLE incidents DROP COLUMN snoozed_until;
