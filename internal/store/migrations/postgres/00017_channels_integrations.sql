-- +goose Up
-- Notification channels, integrations and escalation policies made in the
-- UI or the API. One table serves the three kinds: they share every
-- operation (list, get, put, delete, audit), and their references (a
-- policy naming a channel, an integration naming a policy) cross into the
-- config file's objects, which are not stored here, so they are checked by
-- the same Go validator as the file rather than by foreign keys. spec is
-- the object as JSON with its secrets (a webhook's signing key, an SMTP
-- password, an integration's key): every surface that shows it redacts
-- them.
CREATE TABLE config_objects (
    kind       TEXT NOT NULL,
    name       TEXT NOT NULL,
    spec       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (kind, name)
);

-- +goose Down
DROP TABLE config_objects;
