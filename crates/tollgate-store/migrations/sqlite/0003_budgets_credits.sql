-- Tenant budgets and limits, and the prepaid credit ledger.
-- Kept equivalent to migrations/postgres/0003_budgets_credits.sql (a test compares them).
-- SQLite cannot add a table constraint to an existing table, so the both-or-neither rule of a
-- budget is a column CHECK on its second column (SQLite lets it read the first).

ALTER TABLE organizations ADD COLUMN budget_nanos INTEGER;
ALTER TABLE organizations ADD COLUMN budget_period TEXT
    CHECK ((budget_nanos IS NULL) = (budget_period IS NULL));
-- 0 or 1: the request path draws this organization's calls from its credit balance.
ALTER TABLE organizations ADD COLUMN credits_enabled INTEGER NOT NULL DEFAULT 0
    CHECK (credits_enabled IN (0, 1));

ALTER TABLE teams ADD COLUMN budget_nanos INTEGER;
ALTER TABLE teams ADD COLUMN budget_period TEXT
    CHECK ((budget_nanos IS NULL) = (budget_period IS NULL));
ALTER TABLE teams ADD COLUMN rpm_limit INTEGER;
ALTER TABLE teams ADD COLUMN tpm_limit INTEGER;
ALTER TABLE teams ADD COLUMN max_parallel INTEGER;

ALTER TABLE users ADD COLUMN budget_nanos INTEGER;
ALTER TABLE users ADD COLUMN budget_period TEXT
    CHECK ((budget_nanos IS NULL) = (budget_period IS NULL));

-- Every movement of an organization's credits; the balance is the sum of amount_nanos (signed:
-- the entry's effect on the balance). Spend entries are written by the spend writer in the
-- transaction that logs the call, with the id `spend-<request_id>`, so a retried batch adds none.
CREATE TABLE credit_ledger (
    id           TEXT    NOT NULL PRIMARY KEY,
    org_id       TEXT    NOT NULL REFERENCES organizations (id),
    kind         TEXT    NOT NULL
        CHECK (kind IN ('purchase', 'fee', 'spend', 'refund', 'adjustment')),
    amount_nanos INTEGER NOT NULL,
    reference    TEXT,
    created_at   INTEGER NOT NULL
);

CREATE INDEX idx_credit_ledger_org_time ON credit_ledger (org_id, created_at, id);
-- Seeding an end user's budget counter after a restart sums its recent spend.
CREATE INDEX idx_spend_log_end_user_time ON spend_log (end_user, created_at);
