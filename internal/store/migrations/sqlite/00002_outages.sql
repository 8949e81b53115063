-- +goose Up
-- Outages recorded by hand: history, and outages seen outside Sextant.
CREATE TABLE outages (
    id         INTEGER PRIMARY KEY,
    service    TEXT NOT NULL REFERENCES services(name) ON DELETE CASCADE,
    start_at   INTEGER NOT NULL,
    end_at     INTEGER NOT NULL,
    state      TEXT NOT NULL,
    note       TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    CHECK (end_at > start_at)
);
CREATE INDEX outages_service ON outages(service, start_at);

-- +goose Down
DROP TABLE outages;
