-- +goose Up
-- Checks, their state per location and combined, and their results.
CREATE TABLE checks (
    name            TEXT PRIMARY KEY,
    service         TEXT NOT NULL REFERENCES services(name),
    spec            TEXT NOT NULL,
    source          TEXT NOT NULL,
    heartbeat_token TEXT UNIQUE,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX checks_service ON checks(service);

-- What each location last saw, with the counters fail_after and
-- recover_after are judged on.
CREATE TABLE check_locations (
    check_name     TEXT NOT NULL REFERENCES checks(name) ON DELETE CASCADE,
    location       TEXT NOT NULL,
    state          TEXT NOT NULL,
    failures       BIGINT NOT NULL,
    successes      BIGINT NOT NULL,
    last_result_at BIGINT NOT NULL,
    last_outcome   TEXT NOT NULL,
    last_reason    TEXT NOT NULL,
    last_latency   BIGINT NOT NULL,
    streak_start   BIGINT NOT NULL,
    PRIMARY KEY (check_name, location)
);

-- The check's combined state (by quorum), and heartbeat pings.
CREATE TABLE check_state (
    check_name   TEXT PRIMARY KEY REFERENCES checks(name) ON DELETE CASCADE,
    state        TEXT NOT NULL,
    since        BIGINT NOT NULL,
    reason       TEXT NOT NULL,
    last_ping_at BIGINT,
    started_at   BIGINT
);

-- Raw results (latency in microseconds), kept for a configured number of
-- days, then only as rollups.
CREATE TABLE check_results (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    check_name TEXT NOT NULL REFERENCES checks(name) ON DELETE CASCADE,
    location   TEXT NOT NULL,
    at         BIGINT NOT NULL,
    outcome    TEXT NOT NULL,
    latency    BIGINT NOT NULL,
    reason     TEXT NOT NULL
);
CREATE INDEX check_results_check_at ON check_results(check_name, at);
CREATE INDEX check_results_at ON check_results(at);

CREATE TABLE check_rollups (
    check_name  TEXT NOT NULL REFERENCES checks(name) ON DELETE CASCADE,
    location    TEXT NOT NULL,
    granularity TEXT NOT NULL,
    bucket      BIGINT NOT NULL,
    count       BIGINT NOT NULL,
    failures    BIGINT NOT NULL,
    degraded    BIGINT NOT NULL,
    latency_p50 BIGINT NOT NULL,
    latency_p95 BIGINT NOT NULL,
    latency_p99 BIGINT NOT NULL,
    latency_max BIGINT NOT NULL,
    PRIMARY KEY (check_name, location, granularity, bucket)
);

-- +goose Down
DROP TABLE check_rollups;
DROP TABLE check_results;
DROP TABLE check_state;
DROP TABLE check_locations;
DROP TABLE checks;
