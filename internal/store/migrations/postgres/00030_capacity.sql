-- +goose Up
-- Team capacity: each person's working week, team and skills; their time
-- off; projects, the people allocated to them, and the hours logged.
-- Days are whole days since the Unix epoch (a calendar date, read in the
-- person's zone); instants are milliseconds as everywhere.
CREATE TABLE capacity_profiles (
    person     TEXT PRIMARY KEY,
    team       TEXT NOT NULL DEFAULT '',
    zone       TEXT NOT NULL DEFAULT 'UTC',
    hours      TEXT NOT NULL,
    calendar   TEXT NOT NULL DEFAULT '',
    skills     TEXT NOT NULL DEFAULT '[]',
    desk       TEXT NOT NULL DEFAULT '[]',
    updated_at BIGINT NOT NULL
);
CREATE INDEX capacity_profiles_team ON capacity_profiles(team);

CREATE TABLE capacity_time_off (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    person     TEXT NOT NULL,
    from_day   BIGINT NOT NULL,
    to_day     BIGINT NOT NULL,
    hours      DOUBLE PRECISION NOT NULL DEFAULT 0,
    approved   BIGINT NOT NULL DEFAULT 0,
    note       TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX capacity_time_off_person ON capacity_time_off(person, to_day);

CREATE TABLE projects (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    title        TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL,
    start_day    BIGINT NOT NULL,
    end_day      BIGINT NOT NULL,
    budget_hours DOUBLE PRECISION NOT NULL DEFAULT 0,
    budget_money DOUBLE PRECISION NOT NULL DEFAULT 0,
    owner        TEXT NOT NULL DEFAULT '',
    services     TEXT NOT NULL DEFAULT '[]',
    skills       TEXT NOT NULL DEFAULT '[]',
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);

CREATE TABLE allocations (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id    BIGINT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    person        TEXT NOT NULL,
    from_day      BIGINT NOT NULL,
    to_day        BIGINT NOT NULL,
    hours_per_day DOUBLE PRECISION NOT NULL DEFAULT 0,
    share         DOUBLE PRECISION NOT NULL DEFAULT 0,
    tentative     BIGINT NOT NULL DEFAULT 0,
    created_by    TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX allocations_person ON allocations(person, to_day);
CREATE INDEX allocations_project ON allocations(project_id);

CREATE TABLE time_entries (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id BIGINT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    person     TEXT NOT NULL,
    day        BIGINT NOT NULL,
    hours      DOUBLE PRECISION NOT NULL,
    note       TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX time_entries_project ON time_entries(project_id, day);

-- +goose Down
DROP TABLE time_entries;
DROP TABLE allocations;
DROP TABLE projects;
DROP TABLE capacity_time_off;
DROP TABLE capacity_profiles;
