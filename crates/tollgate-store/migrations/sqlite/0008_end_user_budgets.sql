-- A budget of its own for one end user (the request's `user` field or the configured header),
-- in place of the config's default end-user budget.
-- Kept equivalent to migrations/postgres/0008_end_user_budgets.sql (a test compares them).
-- org_id is the organization of the keys the end user calls through; '' stands for keys outside
-- any organization (a primary key cannot hold NULL).
CREATE TABLE end_user_budgets (
    org_id               TEXT    NOT NULL,
    end_user             TEXT    NOT NULL,
    budget_nanos         INTEGER  NOT NULL CHECK (budget_nanos >= 0),
    budget_period        TEXT    NOT NULL,
    budget_mode          TEXT    CHECK (budget_mode IN ('hard', 'soft')),
    budget_alert_percent INTEGER  CHECK (budget_alert_percent BETWEEN 1 AND 100),
    updated_at           INTEGER  NOT NULL,
    PRIMARY KEY (org_id, end_user)
);
