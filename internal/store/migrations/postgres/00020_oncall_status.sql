-- +goose Up
-- Overrides made in the UI and the API: someone takes a schedule's shift
-- for a span. They are laid over the config file's overrides when the
-- schedule answers who is on call.
CREATE TABLE schedule_overrides (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    schedule   TEXT NOT NULL,
    user_name  TEXT NOT NULL,
    start_at   BIGINT NOT NULL,
    end_at     BIGINT NOT NULL,
    note       TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX schedule_overrides_schedule ON schedule_overrides(schedule, end_at);

-- Subscribers of a public status page, sent each public update of an
-- incident on a service the page lists, through the outbox: e-mail
-- addresses (pending until the signed confirmation link is followed) and
-- webhook URLs added by operators (with the secret that signs deliveries).
CREATE TABLE status_subscribers (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    page         TEXT NOT NULL,
    kind         TEXT NOT NULL DEFAULT 'email',
    address      TEXT NOT NULL,
    secret       TEXT NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL,
    confirmed_at BIGINT,
    UNIQUE (page, address)
);

-- +goose Down
DROP TABLE status_subscribers;
DROP TABLE schedule_overrides;
