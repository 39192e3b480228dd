-- The caller's own x-request-id on a spend row. request_id is now always Tollgate's own id
-- (a UUIDv7, unique per call), so two calls sending the same x-request-id both keep their row.
-- Kept equivalent to migrations/sqlite/0007_client_request_id.sql (a test compares them).
-- No index: the column is for reading a row, not for lookups on the hot write path.

ALTER TABLE spend_log ADD COLUMN client_request_id TEXT;
