-- +goose Up
-- An Alertmanager group's incident lists its alerts: one row per alert,
-- keyed by fingerprint within the incident, holding the alert's own JSON
-- (never the whole webhook body), so a retried webhook updates rows rather
-- than adding them.
CREATE TABLE incident_alerts (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    incident_id BIGINT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    fingerprint TEXT NOT NULL,
    status      TEXT NOT NULL,
    severity    TEXT NOT NULL,
    starts_at   TEXT NOT NULL,
    ends_at     TEXT NOT NULL,
    alert       TEXT NOT NULL,
    first_seen  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    UNIQUE (incident_id, fingerprint)
);
CREATE INDEX incident_alerts_open ON incident_alerts(incident_id, status);

-- Alerts whose service is unknown and whose integration names no service
-- to fall back on: kept for admins rather than refused.
CREATE TABLE unrouted_alerts (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    integration TEXT NOT NULL,
    group_key   TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    service     TEXT NOT NULL,
    status      TEXT NOT NULL,
    alert       TEXT NOT NULL,
    first_seen  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    UNIQUE (integration, group_key, fingerprint)
);

-- The alerts Alertmanager left out of the group's last webhook
-- (truncatedAlerts), as it last reported them.
ALTER TABLE incidents ADD COLUMN truncated_alerts BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE incidents DROP COLUMN truncated_alerts;
DROP TABLE unrouted_alerts;
DROP TABLE incident_alerts;
