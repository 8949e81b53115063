-- +goose Up
-- The version of what the CMDB's questions are built from: its items and
-- relations, and the checks that watch items. One row, raised in the same
-- transaction as any such write, by whichever server or tool makes it: a
-- change to an item or a relation is always audited (object types "ci" and
-- "ci_relation"), so the audit row raises it, and a change to a check
-- raises it directly. A server keeps the built graph while the version it
-- read is still the stored one, so the next question after a write, on
-- any replica, sees the write. (The CMDB's own tables come in a later
-- migration, hence the audit log.)
CREATE TABLE cmdb_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO cmdb_version (id, version) VALUES (1, 0);

-- +goose StatementBegin
CREATE FUNCTION cmdb_raise_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE cmdb_version SET version = version + 1;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_log_cmdb_version AFTER INSERT ON audit_log
    FOR EACH ROW WHEN (NEW.object_type IN ('ci', 'ci_relation')) EXECUTE FUNCTION cmdb_raise_version();
CREATE TRIGGER checks_cmdb_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON checks
    FOR EACH STATEMENT EXECUTE FUNCTION cmdb_raise_version();

-- The facts an agent (sextant agent) last reported for an item, and when:
-- last_seen moves on every report, the item itself only when a fact
-- changed. facts (JSON) is what discovery last wrote, so that an attribute
-- whose value still equals it is discovery's to update, and one a person
-- changed is left alone. item_created_at is the item's created_at when the
-- row was written: a row whose item has another one belonged to a removed
-- item of the same name and is not trusted.
CREATE TABLE cmdb_facts (
    item            TEXT PRIMARY KEY,
    item_created_at BIGINT NOT NULL,
    facts           TEXT NOT NULL,
    reported_by     TEXT NOT NULL,
    first_seen      BIGINT NOT NULL,
    last_seen       BIGINT NOT NULL
);

-- +goose Down
DROP TABLE cmdb_facts;
DROP TRIGGER checks_cmdb_version ON checks;
DROP TRIGGER audit_log_cmdb_version ON audit_log;
DROP FUNCTION cmdb_raise_version();
DROP TABLE cmdb_version;
