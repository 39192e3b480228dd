-- Tenants, virtual keys and the spend log.
-- Kept equivalent to migrations/sqlite/0002_tenants_keys_spend.sql: same tables, columns,
-- nullability, constraints and index names (a test compares them). Timestamps are unix
-- milliseconds (UTC) and money is integer nano-USD, so range queries and sums are exact and
-- identical in both backends. JSON values are stored as TEXT in both.

CREATE TABLE organizations (
    id         TEXT    NOT NULL PRIMARY KEY,
    name       TEXT    NOT NULL,
    tier       TEXT    NOT NULL DEFAULT 'default',
    created_at BIGINT  NOT NULL
);

CREATE TABLE teams (
    id         TEXT    NOT NULL PRIMARY KEY,
    org_id     TEXT    NOT NULL REFERENCES organizations (id),
    name       TEXT    NOT NULL,
    created_at BIGINT  NOT NULL,
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
    created_at BIGINT  NOT NULL,
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
    previous_valid_until BIGINT,
    org_id               TEXT    REFERENCES organizations (id),
    team_id              TEXT,
    user_id              TEXT,
    role                 TEXT    NOT NULL,
    models               TEXT,
    rpm_limit            BIGINT,
    tpm_limit            BIGINT,
    max_parallel         BIGINT,
    budget_nanos         BIGINT,
    budget_period        TEXT,
    expires_at           BIGINT,
    revoked_at           BIGINT,
    metadata             TEXT    NOT NULL DEFAULT '{}',
    created_at           BIGINT  NOT NULL,
    updated_at           BIGINT  NOT NULL,
    last_used_at         BIGINT,
    spend_nanos          BIGINT  NOT NULL DEFAULT 0,
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
    created_at          BIGINT  NOT NULL,
    org_id              TEXT,
    team_id             TEXT,
    user_id             TEXT,
    key_id              TEXT,
    end_user            TEXT,
    requested_model     TEXT    NOT NULL,
    deployment          TEXT,
    provider            TEXT,
    attempts            BIGINT  NOT NULL,
    input_tokens        BIGINT  NOT NULL,
    output_tokens       BIGINT  NOT NULL,
    cached_input_tokens BIGINT  NOT NULL,
    cache_write_tokens  BIGINT  NOT NULL,
    reasoning_tokens    BIGINT  NOT NULL,
    cost_nanos          BIGINT,
    cost_source         TEXT    NOT NULL,
    latency_ms          BIGINT,
    ttft_ms             BIGINT,
    status              BIGINT  NOT NULL,
    error_class         TEXT,
    tags                TEXT    NOT NULL,
    guardrails          TEXT
);

CREATE INDEX idx_spend_log_time ON spend_log (created_at, request_id);
CREATE INDEX idx_spend_log_org_time ON spend_log (org_id, created_at);
CREATE INDEX idx_spend_log_team_time ON spend_log (team_id, created_at);
CREATE INDEX idx_spend_log_user_time ON spend_log (user_id, created_at);
CREATE INDEX idx_spend_log_key_time ON spend_log (key_id, created_at);
