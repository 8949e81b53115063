-- +goose Up
-- The requester portal: a requester's organisation, the portal facts of a
-- ticket (the organisation it was opened for and whether it is shared
-- with it, the catalog item and its submitted fields, the approvals
-- needed), the approvals of requests, and the knowledge base.
ALTER TABLE users ADD COLUMN organisation TEXT NOT NULL DEFAULT '';

-- One row per ticket opened from the portal or the request catalog.
-- fields is the submitted form as a JSON object; quorum is how many
-- approvals the request needs (0: none); approval is '' (none needed),
-- pending, approved or rejected.
CREATE TABLE ticket_portal (
    ticket_id    BIGINT PRIMARY KEY REFERENCES tickets(id) ON DELETE CASCADE,
    organisation TEXT NOT NULL DEFAULT '',
    shared       BOOLEAN NOT NULL DEFAULT FALSE,
    item         TEXT NOT NULL DEFAULT '',
    fields       TEXT NOT NULL DEFAULT '{}',
    quorum       BIGINT NOT NULL DEFAULT 0,
    approval     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX ticket_portal_shared ON ticket_portal(organisation) WHERE shared;

-- One row per approver asked. decision is '' while pending, approved or
-- rejected; via says where it was decided (link, ui, api). mailed_at is
-- set once the approval request has been handed to the mail server, so a
-- restart mails those still unsent.
CREATE TABLE ticket_approvals (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id     BIGINT NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    approver      TEXT NOT NULL,
    email         TEXT NOT NULL DEFAULT '',
    decision      TEXT NOT NULL DEFAULT '',
    reason        TEXT NOT NULL DEFAULT '',
    via           TEXT NOT NULL DEFAULT '',
    decided_at    BIGINT,
    mailed_at     BIGINT,
    mail_attempts BIGINT NOT NULL DEFAULT 0,
    mail_error    TEXT NOT NULL DEFAULT '',
    UNIQUE (ticket_id, approver)
);
CREATE INDEX ticket_approvals_unmailed ON ticket_approvals(id) WHERE mailed_at IS NULL;
CREATE INDEX ticket_approvals_approver ON ticket_approvals(approver, decision);

-- Knowledge base articles: Markdown, published per service ('' for every
-- service).
CREATE TABLE kb_articles (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,
    service    TEXT NOT NULL DEFAULT '',
    published  BOOLEAN NOT NULL DEFAULT FALSE,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX kb_articles_service ON kb_articles(service, published);

-- +goose Down
DROP TABLE kb_articles;
DROP TABLE ticket_approvals;
DROP TABLE ticket_portal;
ALTER TABLE users DROP COLUMN organisation;
