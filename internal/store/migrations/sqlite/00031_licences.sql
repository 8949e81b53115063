-- +goose Up
-- Licences of the CMDB assigned to people (from the people directory):
-- each assignment takes a seat, as each item the licence is installed on
-- does. They go with the licence item.
CREATE TABLE licence_assignments (
    licence    TEXT NOT NULL REFERENCES cmdb_items(name) ON DELETE CASCADE,
    person     TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (licence, person)
);

-- Expiry warnings sent, one per licence and expiry date, so that each is
-- sent once whatever the restarts and replicas; the text sent is kept for
-- the outbox, which reads it by id (kind "licence_expiring:ID").
CREATE TABLE licence_warnings (
    id         INTEGER PRIMARY KEY,
    licence    TEXT NOT NULL,
    expires    TEXT NOT NULL,
    summary    TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (licence, expires)
);

-- +goose Down
DROP TABLE licence_warnings;
DROP TABLE licence_assignments;
