-- +goose Up
-- Changes reported on a service (PagerDuty change events today): what
-- happened just before an outage, kept beside the service's timeline.
CREATE TABLE changes (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    service     TEXT NOT NULL REFERENCES services(name) ON DELETE CASCADE,
    integration TEXT NOT NULL,
    summary     TEXT NOT NULL,
    source      TEXT NOT NULL DEFAULT '',
    at          BIGINT NOT NULL,
    details     TEXT,
    links       TEXT,
    received_at BIGINT NOT NULL
);
CREATE INDEX changes_service ON changes(service, at);

-- +goose Down
DROP TABLE changes;
