-- +goose Up
-- Every accepted event, as received: committed before its 202 is sent.
CREATE TABLE events (
    id          INTEGER PRIMARY KEY,
    integration TEXT NOT NULL,
    action      TEXT NOT NULL,
    dedup_key   TEXT NOT NULL,
    body        TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    incident_id INTEGER
);
CREATE INDEX events_dedup ON events(integration, dedup_key);

CREATE TABLE incidents (
    id               INTEGER PRIMARY KEY,
    service          TEXT NOT NULL REFERENCES services(name),
    dedup_key        TEXT NOT NULL,
    status           TEXT NOT NULL,
    severity         TEXT NOT NULL,
    summary          TEXT NOT NULL,
    source           TEXT NOT NULL,
    details          TEXT NOT NULL,
    integration      TEXT NOT NULL,
    escalation       TEXT NOT NULL,
    in_maintenance   INTEGER NOT NULL,
    service_state    TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    acknowledged_at  INTEGER,
    acknowledged_by  TEXT NOT NULL DEFAULT '',
    resolved_at      INTEGER,
    resolved_by      TEXT NOT NULL DEFAULT '',
    last_event_at    INTEGER NOT NULL,
    event_count      INTEGER NOT NULL,
    open_key         TEXT UNIQUE
);
CREATE INDEX incidents_service ON incidents(service, status);
CREATE INDEX incidents_dedup ON incidents(dedup_key);

-- The incident's timeline: events, state changes, notifications, notes.
CREATE TABLE incident_log (
    id          INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    at          INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    actor       TEXT NOT NULL,
    message     TEXT NOT NULL
);
CREATE INDEX incident_log_incident ON incident_log(incident_id, id);

-- Notifications to send: written in the transaction that decides them,
-- sent (at least once) by the outbox worker, retried with backoff.
CREATE TABLE outbox (
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
    sent_at       INTEGER
);
CREATE INDEX outbox_due ON outbox(status, next_attempt);

-- Server-wide secrets (the key that signs acknowledge links), made once.
CREATE TABLE secrets (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- +goose Down
DROP TABLE secrets;
DROP TABLE outbox;
DROP TABLE incident_log;
DROP TABLE incidents;
DROP TABLE events;
