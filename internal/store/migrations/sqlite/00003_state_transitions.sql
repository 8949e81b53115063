-- +goose Up
-- State changes of a service's inputs (a check, an alert, an incident),
-- append-only: a state holds from `at` until the input's next transition.
CREATE TABLE state_transitions (
    id      INTEGER PRIMARY KEY,
    service TEXT NOT NULL REFERENCES services(name) ON DELETE CASCADE,
    input   TEXT NOT NULL,
    at      INTEGER NOT NULL,
    state   TEXT NOT NULL,
    source  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX state_transitions_service ON state_transitions(service, input, at);

-- +goose Down
DROP TABLE state_transitions;
