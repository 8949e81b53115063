-- +goose Up
-- Monthly reports frozen when their month closed: the report as sent
-- (JSON) with the digest of the inputs it was computed from. service is ''
-- for the overall report. A later recomputation whose digest differs is
-- kept in kpi_corrections, shown beside the frozen figures.
CREATE TABLE kpi_snapshots (
    month     TEXT NOT NULL,
    service   TEXT NOT NULL,
    digest    TEXT NOT NULL,
    body      TEXT NOT NULL,
    frozen_at INTEGER NOT NULL,
    PRIMARY KEY (month, service)
);

CREATE TABLE kpi_corrections (
    id INTEGER PRIMARY KEY,
    month       TEXT NOT NULL,
    service     TEXT NOT NULL,
    digest      TEXT NOT NULL,
    body        TEXT NOT NULL,
    detected_at INTEGER NOT NULL,
    UNIQUE (month, service, digest)
);

-- The months whose report was e-mailed to the subscribers: one row per
-- month, written in the transaction that enqueues the mails, so that
-- every replica sends each month once.
CREATE TABLE kpi_deliveries (
    month       TEXT PRIMARY KEY,
    recipients  INTEGER NOT NULL,
    enqueued_at INTEGER NOT NULL
);

-- +goose Down
DROP TABLE kpi_deliveries;
DROP TABLE kpi_corrections;
DROP TABLE kpi_snapshots;
