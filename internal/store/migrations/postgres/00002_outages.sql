-- +goose Up
-- Outages recorded by hand: history, and outages seen outside Sextant.
CREATE TABLE outages (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    service    TEXT NOT NULL REFERENCES services(name) ON DELETE CASCADE,
    start_at   BIGINT NOT NULL,
    end_at     BIGINT NOT NULL,
    state      TEXT NOT NULL,
    note       TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    CHECK (end_at > start_at)
);
CREATE INDEX outages_service ON outages(service, start_at);

-- +goose Down
DROP TABLE outages;
