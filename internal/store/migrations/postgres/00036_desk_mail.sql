-- +goose Up
-- The service desk's mail to requesters, written in the transaction of the
-- change that caused it and sent by the outbox worker (an outbox row on
-- channel "desk:mail" whose kind is "ticket-mail:<id>" points here), with
-- the threading headers decided when it was written.
CREATE TABLE ticket_mail (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id   BIGINT NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    to_addr     TEXT NOT NULL,
    from_addr   TEXT NOT NULL,
    subject     TEXT NOT NULL,
    message_id  TEXT NOT NULL,
    in_reply_to TEXT NOT NULL DEFAULT '',
    refs        TEXT NOT NULL DEFAULT '',
    body        TEXT NOT NULL,
    headers     TEXT NOT NULL DEFAULT '',
    -- outbox_id is the outbox row that sends it.
    outbox_id   BIGINT,
    created_at  BIGINT NOT NULL
);
CREATE INDEX ticket_mail_ticket ON ticket_mail(ticket_id, id);

-- When each Message-ID was seen and whether it came in from the requester,
-- so that a mail out answers the requester's latest (In-Reply-To) and
-- names the thread in order (References).
ALTER TABLE ticket_messages ADD COLUMN at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE ticket_messages ADD COLUMN inbound BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX ticket_messages_ticket ON ticket_messages(ticket_id, at);

-- +goose Down
DROP INDEX ticket_messages_ticket;
ALTER TABLE ticket_messages DROP COLUMN inbound;
ALTER TABLE ticket_messages DROP COLUMN at;
DROP TABLE ticket_mail;
