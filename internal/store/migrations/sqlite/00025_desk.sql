-- +goose Up
-- The service desk: tickets, their conversation, attachments, links,
-- history and pauses. Instants are milliseconds since the epoch. due_at is
-- the earliest due instant of the ticket's running SLA clocks, recomputed
-- at every change, so the queue sorts by it with an index; NULL while
-- every clock is paused or stopped. warn_at is when the next SLA warning
-- (75 % or 100 %) falls due and warned the last level sent.
CREATE TABLE tickets (
    id                INTEGER PRIMARY KEY,
    type              TEXT NOT NULL,
    title             TEXT NOT NULL,
    description       TEXT NOT NULL DEFAULT '',
    service           TEXT NOT NULL DEFAULT '',
    requester         TEXT NOT NULL DEFAULT '',
    queue             TEXT NOT NULL,
    assignee          TEXT NOT NULL DEFAULT '',
    impact            TEXT NOT NULL,
    urgency           TEXT NOT NULL,
    priority          INTEGER NOT NULL,
    status            TEXT NOT NULL,
    waiting_on        TEXT NOT NULL DEFAULT '',
    third_party       TEXT NOT NULL DEFAULT '',
    opened_at         INTEGER NOT NULL,
    first_response_at INTEGER,
    resolved_at       INTEGER,
    updated_at        INTEGER NOT NULL,
    created_by        TEXT NOT NULL,
    due_at            INTEGER,
    breached          BOOLEAN NOT NULL DEFAULT FALSE,
    warn_at           INTEGER,
    warned            INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX tickets_due ON tickets(due_at, id);
CREATE INDEX tickets_status ON tickets(status);
CREATE INDEX tickets_warn ON tickets(warn_at) WHERE warn_at IS NOT NULL;
CREATE INDEX tickets_service ON tickets(service, opened_at);

CREATE TABLE ticket_comments (
    id             INTEGER PRIMARY KEY,
    ticket_id      INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    author         TEXT NOT NULL,
    public         BOOLEAN NOT NULL,
    from_requester BOOLEAN NOT NULL DEFAULT FALSE,
    body           TEXT NOT NULL,
    at             INTEGER NOT NULL
);
CREATE INDEX ticket_comments_ticket ON ticket_comments(ticket_id, id);

CREATE TABLE ticket_attachments (
    id           INTEGER PRIMARY KEY,
    ticket_id    INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    data         BLOB NOT NULL,
    author       TEXT NOT NULL,
    at           INTEGER NOT NULL
);
CREATE INDEX ticket_attachments_ticket ON ticket_attachments(ticket_id, id);

CREATE TABLE ticket_links (
    id        INTEGER PRIMARY KEY,
    ticket_id INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    kind      TEXT NOT NULL,
    target_id INTEGER NOT NULL,
    actor     TEXT NOT NULL,
    at        INTEGER NOT NULL,
    UNIQUE (ticket_id, kind, target_id)
);
CREATE INDEX ticket_links_target ON ticket_links(kind, target_id);

CREATE TABLE ticket_history (
    id        INTEGER PRIMARY KEY,
    ticket_id INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    at        INTEGER NOT NULL,
    actor     TEXT NOT NULL,
    field     TEXT NOT NULL,
    before    TEXT NOT NULL,
    after     TEXT NOT NULL
);
CREATE INDEX ticket_history_ticket ON ticket_history(ticket_id, id);

-- reason is requester or third_party (waiting, counted as paused) or
-- resolved (the resolution clock stopped until a reopening).
CREATE TABLE ticket_pauses (
    id          INTEGER PRIMARY KEY,
    ticket_id   INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    reason      TEXT NOT NULL,
    third_party TEXT NOT NULL DEFAULT '',
    started_at  INTEGER NOT NULL,
    ended_at    INTEGER
);
CREATE INDEX ticket_pauses_ticket ON ticket_pauses(ticket_id, started_at);

-- The Message-IDs of the mails of each ticket, sent and received, so that a
-- reply threads onto its ticket by In-Reply-To or References.
CREATE TABLE ticket_messages (
    message_id TEXT PRIMARY KEY,
    ticket_id  INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE
);

-- +goose Down
DROP TABLE ticket_messages;
DROP TABLE ticket_pauses;
DROP TABLE ticket_history;
DROP TABLE ticket_links;
DROP TABLE ticket_attachments;
DROP TABLE ticket_comments;
DROP TABLE tickets;
