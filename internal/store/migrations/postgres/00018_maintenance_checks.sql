-- +goose Up
-- When a check was paused (NULL: it runs). A paused check is not run, its
-- results are refused and its timeline input is unknown until it resumes.
ALTER TABLE checks ADD COLUMN paused_at BIGINT;

-- +goose Down
ALTER TABLE checks DROP COLUMN paused_at;
