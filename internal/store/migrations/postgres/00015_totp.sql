-- +goose Up
-- A user's second factor: a TOTP secret (sealed with the server's key),
-- enabled once a code from it has been confirmed. last_step is the newest
-- time step a code was accepted for, so no code is accepted twice.
CREATE TABLE user_totp (
    user_id    BIGINT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    secret     TEXT NOT NULL,
    last_step  BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    enabled_at BIGINT
);

-- Recovery codes, stored as digests; each works once.
CREATE TABLE totp_recovery_codes (
    user_id   BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at   BIGINT,
    PRIMARY KEY (user_id, code_hash)
);

-- Sign-ins waiting for their second factor: the password was right, but
-- no session has started. Each dies after a few minutes or after too many
-- wrong codes.
CREATE TABLE pending_logins (
    id_hash    TEXT PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    ip         TEXT NOT NULL,
    failures   BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX pending_logins_user ON pending_logins(user_id);

-- +goose Down
DROP TABLE pending_logins;
DROP TABLE totp_recovery_codes;
DROP TABLE user_totp;
