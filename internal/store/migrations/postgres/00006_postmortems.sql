-- +goose Up
-- Known errors: a problem signature (a service, or '' for any; a match on
-- the summary and/or on alert labels) with its workaround. New incidents
-- that match carry the known error's id.
CREATE TABLE known_errors (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title         TEXT NOT NULL,
    service       TEXT NOT NULL,
    summary_match TEXT NOT NULL,
    labels        TEXT NOT NULL,
    workaround    TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);

-- No foreign key: ingest matches from a cache, and a known error deleted a
-- moment before must not fail an alert's transaction. Deleting a known
-- error clears the column in the same transaction.
ALTER TABLE incidents ADD COLUMN known_error_id BIGINT;

-- Post-mortems: one per resolved incident. impact and timeline are JSON,
-- filled in when the post-mortem is started.
CREATE TABLE postmortems (
    id                   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    incident_id          BIGINT NOT NULL UNIQUE REFERENCES incidents(id) ON DELETE CASCADE,
    service              TEXT NOT NULL,
    title                TEXT NOT NULL,
    status               TEXT NOT NULL,
    summary              TEXT NOT NULL,
    root_cause           TEXT NOT NULL,
    contributing_factors TEXT NOT NULL,
    lessons              TEXT NOT NULL,
    impact               TEXT NOT NULL,
    timeline             TEXT NOT NULL,
    created_by           TEXT NOT NULL,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL,
    published_at         BIGINT
);
CREATE INDEX postmortems_status ON postmortems(status, id);

-- A post-mortem's follow-up work. due is a calendar date (YYYY-MM-DD) or ''.
CREATE TABLE postmortem_action_items (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    postmortem_id BIGINT NOT NULL REFERENCES postmortems(id) ON DELETE CASCADE,
    title         TEXT NOT NULL,
    owner         TEXT NOT NULL,
    due           TEXT NOT NULL,
    state         TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX postmortem_action_items_pm ON postmortem_action_items(postmortem_id, id);

-- +goose Down
DROP TABLE postmortem_action_items;
DROP TABLE postmortems;
ALTER TABLE incidents DROP COLUMN known_error_id;
DROP TABLE known_errors;
