-- +goose Up
-- Where each incident's escalation stands: the next step and when it is
-- due. Steps are taken by compare-and-set on next_at, in the transaction
-- that enqueues their notifications, so a restart neither loses nor doubles
-- a step.
CREATE TABLE escalations (
    incident_id INTEGER PRIMARY KEY REFERENCES incidents(id) ON DELETE CASCADE,
    policy      TEXT NOT NULL,
    level       INTEGER NOT NULL,
    round       INTEGER NOT NULL,
    status      TEXT NOT NULL,
    next_at     INTEGER NOT NULL,
    reason      TEXT NOT NULL,
    assigned_to TEXT NOT NULL DEFAULT '',
    updated_at  INTEGER NOT NULL
);
CREATE INDEX escalations_due ON escalations(status, next_at);

-- Secrets of calendar feeds, for calendar apps that cannot send a token:
-- stored as digests, revocable.
CREATE TABLE feed_secrets (
    feed        TEXT PRIMARY KEY,
    secret_hash TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

-- +goose Down
DROP TABLE feed_secrets;
DROP TABLE escalations;
