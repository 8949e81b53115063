-- +goose Up
-- A backup job's last data point and whether it is beyond its RPO, kept
-- with the check's state so that a restart neither forgets a breach nor
-- opens it twice.
ALTER TABLE check_state ADD COLUMN backup_point BIGINT;
ALTER TABLE check_state ADD COLUMN rpo_breached INTEGER NOT NULL DEFAULT 0;

-- What backup jobs report: start, fail, success with the data point the
-- copy reached (NULL: the ping's own time) and its size.
CREATE TABLE backup_runs (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    check_name TEXT NOT NULL REFERENCES checks(name) ON DELETE CASCADE,
    at         BIGINT NOT NULL,
    outcome    TEXT NOT NULL,
    data_point BIGINT,
    bytes      BIGINT
);
CREATE INDEX backup_runs_check ON backup_runs(check_name, at);

-- Restore tests of a backup job: when, what was restored, whether the
-- result was verified, how long it took.
CREATE TABLE restore_tests (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    check_name  TEXT NOT NULL REFERENCES checks(name) ON DELETE CASCADE,
    at          BIGINT NOT NULL,
    what        TEXT NOT NULL,
    verified    INTEGER NOT NULL,
    duration_ms BIGINT NOT NULL,
    notes       TEXT NOT NULL DEFAULT '',
    actor       TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX restore_tests_check ON restore_tests(check_name, at);

-- DR plans, as their JSON spec (the user's spelling kept).
CREATE TABLE dr_plans (
    name       TEXT PRIMARY KEY,
    service    TEXT NOT NULL REFERENCES services(name) ON DELETE CASCADE,
    source     TEXT NOT NULL,
    spec       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Drills and real recoveries. The plan's rto and rpo are copied in, so a
-- recovery stays judged against the plan it followed, and it outlives the
-- plan.
CREATE TABLE dr_drills (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    plan        TEXT NOT NULL,
    service     TEXT NOT NULL,
    kind        TEXT NOT NULL,
    started_at  BIGINT NOT NULL,
    restored_at BIGINT NOT NULL,
    data_point  BIGINT NOT NULL,
    plan_rto_ms BIGINT NOT NULL,
    plan_rpo_ms BIGINT NOT NULL,
    notes       TEXT NOT NULL DEFAULT '',
    steps       TEXT NOT NULL DEFAULT '[]',
    actor       TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX dr_drills_plan ON dr_drills(plan, started_at);
CREATE INDEX dr_drills_started ON dr_drills(started_at);

-- +goose Down
DROP TABLE dr_drills;
DROP TABLE dr_plans;
DROP TABLE restore_tests;
DROP TABLE backup_runs;
ALTER TABLE check_state DROP COLUMN rpo_breached;
ALTER TABLE check_state DROP COLUMN backup_point;
