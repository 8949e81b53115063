-- +goose Up
-- Change requests: standard, normal and emergency changes with their plans,
-- planned window, risk, state and outcome. Services and configuration
-- items are JSON lists of names; instants are milliseconds.
CREATE TABLE change_requests (
    id             INTEGER PRIMARY KEY,
    type           TEXT NOT NULL,
    template       TEXT NOT NULL DEFAULT '',
    title          TEXT NOT NULL,
    description    TEXT NOT NULL DEFAULT '',
    services       TEXT NOT NULL DEFAULT '[]',
    items          TEXT NOT NULL DEFAULT '[]',
    implementation TEXT NOT NULL DEFAULT '',
    backout        TEXT NOT NULL DEFAULT '',
    planned_start  INTEGER NOT NULL,
    planned_end    INTEGER NOT NULL,
    outage         INTEGER NOT NULL DEFAULT 0,
    state          TEXT NOT NULL,
    outcome        TEXT NOT NULL DEFAULT '',
    started_at     INTEGER,
    ended_at       INTEGER,
    risk           TEXT NOT NULL DEFAULT '{}',
    requester      TEXT NOT NULL,
    override       TEXT NOT NULL DEFAULT '',
    maintenance    TEXT NOT NULL DEFAULT '',
    event_id       INTEGER,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE INDEX change_requests_state ON change_requests(state, planned_start);
CREATE INDEX change_requests_ended ON change_requests(ended_at);

-- Every transition of a change, with who made it and when.
CREATE TABLE change_history (
    id         INTEGER PRIMARY KEY,
    change_id  INTEGER NOT NULL REFERENCES change_requests(id) ON DELETE CASCADE,
    at         INTEGER NOT NULL,
    actor      TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state   TEXT NOT NULL,
    note       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX change_history_change ON change_history(change_id, id);

-- Approvers' decisions; one per approver and change.
CREATE TABLE change_approvals (
    id         INTEGER PRIMARY KEY,
    change_id  INTEGER NOT NULL REFERENCES change_requests(id) ON DELETE CASCADE,
    approver   TEXT NOT NULL,
    group_names TEXT NOT NULL DEFAULT '[]',
    decision   TEXT NOT NULL,
    comment    TEXT NOT NULL DEFAULT '',
    via        TEXT NOT NULL,
    at         INTEGER NOT NULL,
    UNIQUE (change_id, approver)
);

-- Incidents a person linked to a change: the change failed.
CREATE TABLE change_incidents (
    change_id   INTEGER NOT NULL REFERENCES change_requests(id) ON DELETE CASCADE,
    incident_id INTEGER NOT NULL,
    linked_by   TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    at          INTEGER NOT NULL,
    PRIMARY KEY (change_id, incident_id)
);

-- Freeze periods made through the API (the config file declares others):
-- normal changes are refused inside them.
CREATE TABLE change_freezes (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    start_at   INTEGER NOT NULL,
    end_at     INTEGER NOT NULL,
    services   TEXT NOT NULL DEFAULT '[]',
    reason     TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

-- +goose Down
DROP TABLE change_freezes;
DROP TABLE change_incidents;
DROP TABLE change_approvals;
DROP TABLE change_history;
DROP TABLE change_requests;
