-- Gateway-wide settings that must survive restarts (e.g. the master key's hash).
-- Equivalent to migrations/sqlite/0001_meta.sql.
CREATE TABLE IF NOT EXISTS meta (
    key        TEXT NOT NULL PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL DEFAULT (to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
);
