-- +goose Up
-- Each person's own time zone, in which the UI shows them times; empty
-- means the browser's (or UTC, named, until the browser says).
ALTER TABLE users ADD COLUMN timezone TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE users DROP COLUMN timezone;
