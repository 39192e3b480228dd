-- Guardrail overrides on keys, teams and organizations.
-- Kept equivalent to migrations/sqlite/0005_guardrails.sql (a test compares them).
-- A JSON object of the config's `guardrails:` shape holding only the fields that override the
-- level above (config <- organization <- team <- key); NULL overrides nothing. The admin API
-- validates it; the store only checks that it is an object.

ALTER TABLE api_keys ADD COLUMN guardrails TEXT;
ALTER TABLE teams ADD COLUMN guardrails TEXT;
ALTER TABLE organizations ADD COLUMN guardrails TEXT;
