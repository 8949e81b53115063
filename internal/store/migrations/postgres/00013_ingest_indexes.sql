-- +goose Up
-- Indexes every event paid for and no query reads: events are never looked
-- up by dedup key (an event's incident is found by the incident's open_key,
-- its events by incident_id), and the incident list's dedup-key filter
-- walks incidents newest first by id. Each was one more B-tree written per
-- event, in the commit every waiting sender waits for.
DROP INDEX events_dedup;
DROP INDEX incidents_dedup;

-- +goose Down
CREATE INDEX incidents_dedup ON incidents(dedup_key);
CREATE INDEX events_dedup ON events(integration, dedup_key);
