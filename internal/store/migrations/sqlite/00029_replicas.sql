-- +goose Up
-- The servers sharing one database: each registers itself and beats every
-- few seconds; one that misses its beats is taken for dead and its checks
-- move to the others.
CREATE TABLE replicas (
    id           TEXT PRIMARY KEY,
    host         TEXT NOT NULL,
    started_at   BIGINT NOT NULL,
    heartbeat_at BIGINT NOT NULL
);

-- The last run of each check taken by a replica, by its due instant: a run
-- is taken by moving the instant forward (compare-and-set), so no check
-- runs twice for the same instant whichever replicas believe they own it.
CREATE TABLE check_claims (
    check_name TEXT PRIMARY KEY REFERENCES checks(name) ON DELETE CASCADE,
    due        BIGINT NOT NULL,
    replica    TEXT NOT NULL
);

-- Background work done once per period across the replicas
-- (housekeeping): the replica that moves last_run forward does it.
CREATE TABLE replica_jobs (
    name     TEXT PRIMARY KEY,
    last_run BIGINT NOT NULL,
    replica  TEXT NOT NULL
);

-- The failed-login buckets, shared by the replicas so that N of them do
-- not grant N times the attempts: tokens left at the last attempt.
CREATE TABLE login_limits (
    key    TEXT PRIMARY KEY,
    tokens REAL NOT NULL,
    at     BIGINT NOT NULL
);

-- +goose Down
DROP TABLE login_limits;
DROP TABLE replica_jobs;
DROP TABLE check_claims;
DROP TABLE replicas;
