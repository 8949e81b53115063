-- +goose Up
-- What became of a notification beyond its status, for the delivery log:
-- "superseded by resolved", "sent as resolved", "sent in a digest of 40".
ALTER TABLE outbox ADD COLUMN note TEXT NOT NULL DEFAULT '';
-- Before sending a row the worker looks for a later row of the same
-- incident and channel, which supersedes it.
CREATE INDEX outbox_incident_channel ON outbox(incident_id, channel, id);

-- +goose Down
DROP INDEX outbox_incident_channel;
ALTER TABLE outbox DROP COLUMN note;
