-- +goose Up
-- Maintenance windows Sextant itself holds on services declared in the
-- config file (an approved change that expects an outage), which cannot
-- take them in their spec: the file wins there. The catalog reads them
-- with the services, beside the windows of their spec; owner says what
-- holds the window ("change:42"), one window per owner and service.
CREATE TABLE held_windows (
    id         INTEGER PRIMARY KEY,
    service    TEXT NOT NULL REFERENCES services(name) ON DELETE CASCADE,
    owner      TEXT NOT NULL,
    spec       TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (service, owner)
);

-- +goose Down
DROP TABLE held_windows;
