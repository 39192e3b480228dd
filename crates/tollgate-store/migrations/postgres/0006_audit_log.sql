-- The admin audit log: one row per successful admin mutation (who did what to which object).
-- Kept equivalent to migrations/sqlite/0006_audit_log.sql (a test compares them).
-- No foreign keys: the log outlives the tenants and keys it names (a deleted team's events stay).
-- org_id/team_id/user_id are the target's tenant, copied at the time of the event, so a listing
-- is narrowed to a caller's tenant without a join. `changes` is a JSON object of the changed
-- fields and their new values; the admin API never puts a secret or a key hash in it.

CREATE TABLE audit_log (
    id          TEXT    NOT NULL PRIMARY KEY,
    occurred_at BIGINT  NOT NULL,
    -- The caller: its key id, or 'master' for the master key.
    actor       TEXT    NOT NULL,
    actor_role  TEXT    NOT NULL,
    -- `key.create`, `org.update`, `credits.purchase`, `config.reload`, ...
    action      TEXT    NOT NULL,
    -- `organization`, `team`, `user`, `key` or `config`.
    target_type TEXT    NOT NULL,
    target_id   TEXT,
    org_id      TEXT,
    team_id     TEXT,
    user_id     TEXT,
    request_id  TEXT,
    changes     TEXT    NOT NULL
);

CREATE INDEX idx_audit_log_time ON audit_log (occurred_at, id);
CREATE INDEX idx_audit_log_org_time ON audit_log (org_id, occurred_at, id);
CREATE INDEX idx_audit_log_team_time ON audit_log (team_id, occurred_at, id);
CREATE INDEX idx_audit_log_target_time ON audit_log (target_id, occurred_at, id);
