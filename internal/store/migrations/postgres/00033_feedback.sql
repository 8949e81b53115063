-- +goose Up
-- Satisfaction: one survey per resolved ticket (who resolved it, on which
-- service and queue, when it was sent) with the requester's answer once
-- given; and feedback on services, from people signed in or from visitors
-- of a public status page. A comment's sentiment is VADER's compound score
-- in [-1, 1], NULL without a comment. Instants are milliseconds.
CREATE TABLE surveys (
    ticket_id   BIGINT PRIMARY KEY REFERENCES tickets(id) ON DELETE CASCADE,
    service     TEXT NOT NULL DEFAULT '',
    queue       TEXT NOT NULL DEFAULT '',
    agent       TEXT NOT NULL DEFAULT '',
    requester   TEXT NOT NULL,
    sent_at     BIGINT NOT NULL,
    score       BIGINT,
    comment     TEXT NOT NULL DEFAULT '',
    sentiment   DOUBLE PRECISION,
    answered_at BIGINT,
    updated_at  BIGINT
);
CREATE INDEX surveys_sent ON surveys(sent_at);
CREATE INDEX surveys_service ON surveys(service, sent_at);

CREATE TABLE service_feedback (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    service   TEXT NOT NULL,
    score     BIGINT NOT NULL,
    comment   TEXT NOT NULL DEFAULT '',
    sentiment DOUBLE PRECISION,
    author    TEXT NOT NULL,
    page      TEXT NOT NULL DEFAULT '',
    at        BIGINT NOT NULL
);
CREATE INDEX service_feedback_service ON service_feedback(service, at);

-- +goose Down
DROP TABLE service_feedback;
DROP TABLE surveys;
