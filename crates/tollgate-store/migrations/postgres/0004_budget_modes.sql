-- Per-budget mode and alert threshold on keys, users, teams and organizations.
-- Kept equivalent to migrations/sqlite/0004_budget_modes.sql (a test compares them).
-- NULL in either column: the gateway's default from the config's `budgets:` section applies.
-- The store writes both only beside a budget (budget_nanos/budget_period) and clears them with it.

ALTER TABLE api_keys ADD COLUMN budget_mode TEXT
    CHECK (budget_mode IN ('hard', 'soft'));
ALTER TABLE api_keys ADD COLUMN budget_alert_percent BIGINT
    CHECK (budget_alert_percent BETWEEN 1 AND 100);

ALTER TABLE users ADD COLUMN budget_mode TEXT
    CHECK (budget_mode IN ('hard', 'soft'));
ALTER TABLE users ADD COLUMN budget_alert_percent BIGINT
    CHECK (budget_alert_percent BETWEEN 1 AND 100);

ALTER TABLE teams ADD COLUMN budget_mode TEXT
    CHECK (budget_mode IN ('hard', 'soft'));
ALTER TABLE teams ADD COLUMN budget_alert_percent BIGINT
    CHECK (budget_alert_percent BETWEEN 1 AND 100);

ALTER TABLE organizations ADD COLUMN budget_mode TEXT
    CHECK (budget_mode IN ('hard', 'soft'));
ALTER TABLE organizations ADD COLUMN budget_alert_percent BIGINT
    CHECK (budget_alert_percent BETWEEN 1 AND 100);
