-- +goose Up
-- Single sign-on. An account signed in through an OpenID Connect provider
-- is found by (issuer, subject), never by name, so a provider's user can
-- never take over a local account of the same name; local accounts have
-- both columns NULL.
ALTER TABLE users ADD COLUMN sso_issuer TEXT;
ALTER TABLE users ADD COLUMN sso_subject TEXT;
CREATE UNIQUE INDEX users_sso ON users(sso_issuer, sso_subject);

-- The ID token a single sign-on session began with, sent back to the
-- provider as id_token_hint when the user signs out; '' for local logins.
ALTER TABLE sessions ADD COLUMN id_token TEXT NOT NULL DEFAULT '';

-- A sign-in begun at the provider and not yet come back: its state (as a
-- digest), nonce, PKCE verifier and the page to return to. Each is used
-- once and lives a few minutes.
CREATE TABLE sso_states (
    state_hash TEXT PRIMARY KEY,
    nonce      TEXT NOT NULL,
    verifier   TEXT NOT NULL,
    next       TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- +goose Down
DROP TABLE sso_states;
ALTER TABLE sessions DROP COLUMN id_token;
DROP INDEX users_sso;
ALTER TABLE users DROP COLUMN sso_subject;
ALTER TABLE users DROP COLUMN sso_issuer;
