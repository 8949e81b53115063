-- +goose Up
-- Configuration items of the CMDB: the item as declared (JSON, the user's
-- spelling kept) with its name and class pulled out for lookups, and where
-- it came from ("file" items are rewritten from the config file).
CREATE TABLE cmdb_items (
    name       TEXT PRIMARY KEY,
    class      TEXT NOT NULL,
    spec       TEXT NOT NULL,
    source     TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX cmdb_items_class ON cmdb_items(class, name);

-- Relations between items: from_item runs_on / depends_on / connects_to /
-- installed_on / is a member_of to_item; kind (hard, soft) for depends_on.
CREATE TABLE cmdb_relations (
    id         INTEGER PRIMARY KEY,
    from_item  TEXT NOT NULL REFERENCES cmdb_items(name) ON DELETE CASCADE,
    type       TEXT NOT NULL,
    to_item    TEXT NOT NULL REFERENCES cmdb_items(name) ON DELETE CASCADE,
    kind       TEXT NOT NULL DEFAULT '',
    source     TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (from_item, type, to_item)
);
CREATE INDEX cmdb_relations_to ON cmdb_relations(to_item);

-- +goose Down
DROP TABLE cmdb_relations;
DROP TABLE cmdb_items;
