-- +goose Up
-- The certificate chain a TLS or HTTPS check last saw: its earliest
-- NotAfter (Unix ms), the location that saw it, and when it was first
-- seen. Written only when it changes (a renewal), so a result costs no
-- statement more; read for the check's status and the "certificates
-- expiring" KPI.
CREATE TABLE check_certificates (
    check_name TEXT PRIMARY KEY REFERENCES checks(name) ON DELETE CASCADE,
    not_after  INTEGER NOT NULL,
    location   TEXT NOT NULL,
    first_seen INTEGER NOT NULL
);

-- +goose Down
DROP TABLE check_certificates;
