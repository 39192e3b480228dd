-- Tenants, virtual keys and the spend log.
-- Kept equivalent to migrations/postgres/0002_tenants_keys_spend.sql: same tables, columns,
-- nullability, constraints and index names (a test compares them). Timestamps are unix
-- milliseconds (UTC) and money is integer nano-USD, so range queries and sums are exact and
-- identical in both backends. JSON values are stored as TEXT in both.

CREATE TABLE organizations (
    id         TEXT    NOT NULL PRIMARY KEY,
    name       TEXT    NOT NULL,
    tier       TEXT    NOT NULL DEFAULT 'default',
    created_at INTEGER NOT NULL
);

CREATE TABLE teams (
    id         TEXT    NOT NULL PRIMARY KEY,
    org_id     TEXT    NOT NULL REFERENCES organizations (id),
    name       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (org_id, name),
    -- Lets users and keys reference (team, org) together, so a team of another org is refused.
    UNIQUE (id, org_id)
);

CREATE TABLE users (
    id         TEXT    NOT NULL PRIMARY KEY,
    org_id     TEXT    NOT NULL REFERENCES organizations (id),
    team_id    TEXT,
    email      TEXT    NOT NULL,
    name       TEXT,
    role       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (org_id, email),
    UNIQUE (id, org_id),
    FOREIGN KEY (team_id, org_id) REFERENCES teams (id, org_id)
);

CREATE TABLE api_keys (
    id                   TEXT    NOT NULL PRIMARY KEY,
    name                 TEXT    NOT NULL,
    key_hash             TEXT    NOT NULL UNIQUE,
    prefix               TEXT    NOT NULL,
    previous_key_hash    TEXT,
    previous_valid_until INTEGER,
    org_id               TEXT    REFERENCES organizations (id),
    team_id              TEXT,
    user_id              TEXT,
    role                 TEXT    NOT NULL,
    models               TEXT,
    rpm_limit            INTEGER,
    tpm_limit            INTEGER,
    max_parallel         INTEGER,
    budget_nanos         INTEGER,
    budget_period        TEXT,
    expires_at           INTEGER,
    revoked_at           INTEGER,
    metadata             TEXT    NOT NULL DEFAULT '{}',
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    last_used_at         INTEGER,
    spend_nanos          INTEGER NOT NULL DEFAULT 0,
    FOREIGN KEY (team_id, org_id) REFERENCES teams (id, org_id),
    FOREIGN KEY (user_id, org_id) REFERENCES users (id, org_id),
    CHECK ((team_id IS NULL AND user_id IS NULL) OR org_id IS NOT NULL),
    CHECK ((budget_nanos IS NULL) = (budget_period IS NULL))
);

CREATE INDEX idx_api_keys_previous_hash ON api_keys (previous_key_hash);
CREATE INDEX idx_api_keys_org ON api_keys (org_id, id);
CREATE INDEX idx_teams_org ON teams (org_id, id);
CREATE INDEX idx_users_org ON users (org_id, id);

-- One row per request. No foreign keys: the log outlives the tenants it names.
CREATE TABLE spend_log (
    request_id          TEXT    NOT NULL PRIMARY KEY,
    created_at          INTEGER NOT NULL,
    org_id              TEXT,
    team_id             TEXT,
    user_id             TEXT,
    key_id              TEXT,
    end_user            TEXT,
    requested_model     TEXT    NOT NULL,
    deployment          TEXT,
    provider            TEXT,
    attempts            INTEGER NOT NULL,
    input_tokens        INTEGER NOT NULL,
    output_tokens       INTEGER NOT NULL,
    cached_input_tokens INTEGER NOT NULL,
    cache_write_tokens  INTEGER NOT NULL,
    reasoning_tokens    INTEGER NOT NULL,
    cost_nanos          INTEGER,
    cost_source         TEXT    NOT NULL,
    latency_ms          INTEGER,
    ttft_ms             INTEGER,
    status              INTEGER NOT NULL,
    error_class         TEXT,
    tags                TEXT    NOT NULL,
    guardrails          TEXT
);

CREATE INDEX idx_spend_log_time ON spend_log (created_at, request_id);
CREATE INDEX idx_spend_log_org_time ON spend_log (org_id, created_at);
CREATE INDEX idx_spend_log_team_time ON spend_log (team_id, created_at);
CREATE INDEX idx_spend_log_user_time ON spend_log (user_id, created_at);
CREATE INDEX idx_spend_log_key_time ON spend_log (key_id, created_at);
