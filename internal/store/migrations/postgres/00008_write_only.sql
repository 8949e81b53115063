-- +goose Up
-- An agent token is bound to one check location: the agent endpoints hand
-- it that location's checks, with their write-only credentials, and take
-- results for that location only. Tokens made before have no location;
-- as agent tokens they are refused until replaced by bound ones.
ALTER TABLE api_tokens ADD COLUMN location TEXT NOT NULL DEFAULT '';

-- Check credentials are write-only, in the audit log too: entries written
-- before show the value of each sensitive header (monitor.SensitiveHeader)
-- as "[set]" from now on.
UPDATE audit_log SET before = jsonb_set(before::jsonb, '{headers}', (
    SELECT jsonb_object_agg(key, CASE WHEN lower(key) ~ '(auth|token|key|secret|password|passwd|session|cookie|credential|signature)' THEN to_jsonb('[set]'::text) ELSE value END)
    FROM jsonb_each(before::jsonb -> 'headers')))::text
WHERE object_type = 'check' AND before IS NOT NULL AND jsonb_typeof(before::jsonb -> 'headers') = 'object' AND before::jsonb -> 'headers' <> '{}'::jsonb;
UPDATE audit_log SET after = jsonb_set(after::jsonb, '{headers}', (
    SELECT jsonb_object_agg(key, CASE WHEN lower(key) ~ '(auth|token|key|secret|password|passwd|session|cookie|credential|signature)' THEN to_jsonb('[set]'::text) ELSE value END)
    FROM jsonb_each(after::jsonb -> 'headers')))::text
WHERE object_type = 'check' AND after IS NOT NULL AND jsonb_typeof(after::jsonb -> 'headers') = 'object' AND after::jsonb -> 'headers' <> '{}'::jsonb;

-- +goose Down
ALTER TABLE api_tokens DROP COLUMN location;
