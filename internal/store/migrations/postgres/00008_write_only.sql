-- +goose Up
-- An agent token is bound to one check location: the agent endpoints hand
-- it that location's checks, with their write-only credentials, and take
-- results for that location only. Tokens made before have no location;
-- as agent tokens they are refused until replaced by bound ones.
ALTER TABLE api_tokens ADD COLUMN location TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE api_tokens DROP COLUMN location;
