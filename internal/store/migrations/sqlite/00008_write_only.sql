-- +goose Up
-- An agent token is bound to one check location: the agent endpoints hand
-- it that location's checks, with their write-only credentials, and take
-- results for that location only. Tokens made before have no location;
-- as agent tokens they are refused until replaced by bound ones.
ALTER TABLE api_tokens ADD COLUMN location TEXT NOT NULL DEFAULT '';

-- Check credentials are write-only, in the audit log too: entries written
-- before show the value of each sensitive header (monitor.SensitiveHeader)
-- as "[set]" from now on.
UPDATE audit_log SET before = json_set(before, '$.headers', json((
    SELECT json_group_object(key, CASE WHEN lower(key) LIKE '%auth%' OR lower(key) LIKE '%token%' OR lower(key) LIKE '%key%'
        OR lower(key) LIKE '%secret%' OR lower(key) LIKE '%password%' OR lower(key) LIKE '%passwd%' OR lower(key) LIKE '%session%'
        OR lower(key) LIKE '%cookie%' OR lower(key) LIKE '%credential%' OR lower(key) LIKE '%signature%' THEN '[set]' ELSE value END)
    FROM json_each(audit_log.before, '$.headers'))))
WHERE object_type = 'check' AND before IS NOT NULL AND json_type(before, '$.headers') = 'object';
UPDATE audit_log SET after = json_set(after, '$.headers', json((
    SELECT json_group_object(key, CASE WHEN lower(key) LIKE '%auth%' OR lower(key) LIKE '%token%' OR lower(key) LIKE '%key%'
        OR lower(key) LIKE '%secret%' OR lower(key) LIKE '%password%' OR lower(key) LIKE '%passwd%' OR lower(key) LIKE '%session%'
        OR lower(key) LIKE '%cookie%' OR lower(key) LIKE '%credential%' OR lower(key) LIKE '%signature%' THEN '[set]' ELSE value END)
    FROM json_each(audit_log.after, '$.headers'))))
WHERE object_type = 'check' AND after IS NOT NULL AND json_type(after, '$.headers') = 'object';

-- +goose Down
ALTER TABLE api_tokens DROP COLUMN location;
