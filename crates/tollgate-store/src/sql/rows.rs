//! Reading rows back into domain types, and the column lists the reads select.

use tollgate_types::{NanoUsd, Usage};

use crate::StoreError;
use crate::driver::SqlRow;
use crate::model::{
    ApiKey, AuditEvent, Budget, BudgetMode, BudgetPeriod, CreditEntry, CreditKind, EndUserBudget,
    Organization, Role, SpendCostSource, SpendRecord, Team, User,
};
use crate::time::Timestamp;

pub(crate) const ORG_COLUMNS: &str = "id, name, tier, budget_nanos, budget_period, budget_mode, budget_alert_percent, \
     credits_enabled, guardrails, created_at";
pub(crate) const TEAM_COLUMNS: &str = "id, org_id, name, budget_nanos, budget_period, budget_mode, \
     budget_alert_percent, rpm_limit, tpm_limit, max_parallel, guardrails, created_at";
pub(crate) const USER_COLUMNS: &str = "id, org_id, team_id, email, name, role, budget_nanos, budget_period, budget_mode, \
     budget_alert_percent, created_at";
pub(crate) const AUDIT_COLUMNS: &str = "id, occurred_at, actor, actor_role, action, target_type, \
     target_id, org_id, team_id, user_id, request_id, changes";
pub(crate) const END_USER_BUDGET_COLUMNS: &str = "org_id, end_user, budget_nanos, budget_period, \
     budget_mode, budget_alert_percent, updated_at";
pub(crate) const CREDIT_COLUMNS: &str = "id, org_id, kind, amount_nanos, reference, created_at";
/// Everything a key shows. The hashes are deliberately absent: no listing can leak them.
pub(crate) const KEY_COLUMNS: &str = "id, name, prefix, org_id, team_id, user_id, role, models, \
     rpm_limit, tpm_limit, max_parallel, budget_nanos, budget_period, budget_mode, budget_alert_percent, \
     expires_at, revoked_at, metadata, guardrails, created_at, updated_at, last_used_at, spend_nanos";
pub(crate) const SPEND_COLUMNS: &str = "request_id, client_request_id, created_at, org_id, \
     team_id, user_id, key_id, end_user, requested_model, deployment, provider, attempts, \
     input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, reasoning_tokens, \
     cost_nanos, cost_source, latency_ms, ttft_ms, status, error_class, tags, guardrails";

pub(crate) fn org(row: &impl SqlRow) -> Result<Organization, StoreError> {
    Ok(Organization {
        id: row.text("id")?,
        name: row.text("name")?,
        tier: row.text("tier")?,
        budget: budget(row)?,
        credits_enabled: row.int("credits_enabled")? != 0,
        guardrails: opt_json(row, "guardrails")?,
        created_at: Timestamp(row.int("created_at")?),
    })
}

pub(crate) fn team(row: &impl SqlRow) -> Result<Team, StoreError> {
    Ok(Team {
        id: row.text("id")?,
        org_id: row.text("org_id")?,
        name: row.text("name")?,
        budget: budget(row)?,
        rpm_limit: opt_narrow(row, "rpm_limit")?,
        tpm_limit: opt_narrow(row, "tpm_limit")?,
        max_parallel: opt_narrow(row, "max_parallel")?,
        guardrails: opt_json(row, "guardrails")?,
        created_at: Timestamp(row.int("created_at")?),
    })
}

pub(crate) fn user(row: &impl SqlRow) -> Result<User, StoreError> {
    Ok(User {
        id: row.text("id")?,
        org_id: row.text("org_id")?,
        team_id: row.opt_text("team_id")?,
        email: row.text("email")?,
        name: row.opt_text("name")?,
        role: role(row)?,
        budget: budget(row)?,
        created_at: Timestamp(row.int("created_at")?),
    })
}

pub(crate) fn end_user_budget(row: &impl SqlRow) -> Result<EndUserBudget, StoreError> {
    let org_id = row.text("org_id")?;
    Ok(EndUserBudget {
        org_id: (!org_id.is_empty()).then_some(org_id),
        end_user: row.text("end_user")?,
        budget: budget(row)?.ok_or_else(|| StoreError::corrupt("budget_nanos", "NULL"))?,
        updated_at: Timestamp(row.int("updated_at")?),
    })
}

pub(crate) fn credit(row: &impl SqlRow) -> Result<CreditEntry, StoreError> {
    let kind = row.text("kind")?;
    Ok(CreditEntry {
        id: row.text("id")?,
        org_id: row.text("org_id")?,
        kind: CreditKind::parse(&kind).ok_or_else(|| StoreError::corrupt("kind", kind))?,
        amount: NanoUsd(row.int("amount_nanos")?),
        reference: row.opt_text("reference")?,
        created_at: Timestamp(row.int("created_at")?),
    })
}

pub(crate) fn audit(row: &impl SqlRow) -> Result<AuditEvent, StoreError> {
    let role = row.text("actor_role")?;
    let changes = match json(row, "changes")? {
        serde_json::Value::Object(changes) => changes,
        other => {
            return Err(StoreError::corrupt(
                "changes",
                format!("not an object: {other}"),
            ));
        }
    };
    Ok(AuditEvent {
        id: row.text("id")?,
        occurred_at: Timestamp(row.int("occurred_at")?),
        actor: row.text("actor")?,
        actor_role: Role::parse(&role).ok_or_else(|| StoreError::corrupt("actor_role", role))?,
        action: row.text("action")?,
        target_type: row.text("target_type")?,
        target_id: row.opt_text("target_id")?,
        org_id: row.opt_text("org_id")?,
        team_id: row.opt_text("team_id")?,
        user_id: row.opt_text("user_id")?,
        request_id: row.opt_text("request_id")?,
        changes,
    })
}

pub(crate) fn key(row: &impl SqlRow) -> Result<ApiKey, StoreError> {
    Ok(ApiKey {
        id: row.text("id")?,
        name: row.text("name")?,
        prefix: row.text("prefix")?,
        org_id: row.opt_text("org_id")?,
        team_id: row.opt_text("team_id")?,
        user_id: row.opt_text("user_id")?,
        role: role(row)?,
        models: row
            .opt_text("models")?
            .map(|text| serde_json::from_str(&text).map_err(|e| StoreError::corrupt("models", e)))
            .transpose()?,
        rpm_limit: opt_narrow(row, "rpm_limit")?,
        tpm_limit: opt_narrow(row, "tpm_limit")?,
        max_parallel: opt_narrow(row, "max_parallel")?,
        budget: budget(row)?,
        expires_at: row.opt_int("expires_at")?.map(Timestamp),
        revoked_at: row.opt_int("revoked_at")?.map(Timestamp),
        metadata: json(row, "metadata")?,
        guardrails: opt_json(row, "guardrails")?,
        created_at: Timestamp(row.int("created_at")?),
        updated_at: Timestamp(row.int("updated_at")?),
        last_used_at: row.opt_int("last_used_at")?.map(Timestamp),
        spend: NanoUsd(row.int("spend_nanos")?),
    })
}

pub(crate) fn spend(row: &impl SqlRow) -> Result<SpendRecord, StoreError> {
    let source = row.text("cost_source")?;
    Ok(SpendRecord {
        request_id: row.text("request_id")?,
        client_request_id: row.opt_text("client_request_id")?,
        created_at: Timestamp(row.int("created_at")?),
        org_id: row.opt_text("org_id")?,
        team_id: row.opt_text("team_id")?,
        user_id: row.opt_text("user_id")?,
        key_id: row.opt_text("key_id")?,
        end_user: row.opt_text("end_user")?,
        requested_model: row.text("requested_model")?,
        deployment: row.opt_text("deployment")?,
        provider: row.opt_text("provider")?,
        attempts: narrow(row, "attempts")?,
        usage: Usage {
            input_tokens: narrow(row, "input_tokens")?,
            output_tokens: narrow(row, "output_tokens")?,
            cached_input_tokens: narrow(row, "cached_input_tokens")?,
            cache_write_tokens: narrow(row, "cache_write_tokens")?,
            reasoning_tokens: narrow(row, "reasoning_tokens")?,
        },
        cost: row.opt_int("cost_nanos")?.map(NanoUsd),
        cost_source: SpendCostSource::parse(&source)
            .ok_or_else(|| StoreError::corrupt("cost_source", source))?,
        latency_ms: opt_narrow(row, "latency_ms")?,
        ttft_ms: opt_narrow(row, "ttft_ms")?,
        status: narrow(row, "status")?,
        error_class: row.opt_text("error_class")?,
        tags: serde_json::from_str(&row.text("tags")?)
            .map_err(|e| StoreError::corrupt("tags", e))?,
        guardrails: row
            .opt_text("guardrails")?
            .map(|text| {
                serde_json::from_str(&text).map_err(|e| StoreError::corrupt("guardrails", e))
            })
            .transpose()?,
        charge_credits: false,
    })
}

fn role(row: &impl SqlRow) -> Result<Role, StoreError> {
    let text = row.text("role")?;
    Role::parse(&text).ok_or_else(|| StoreError::corrupt("role", text))
}

fn budget(row: &impl SqlRow) -> Result<Option<Budget>, StoreError> {
    let (Some(amount), Some(period)) =
        (row.opt_int("budget_nanos")?, row.opt_text("budget_period")?)
    else {
        return Ok(None);
    };
    let period =
        BudgetPeriod::parse(&period).ok_or_else(|| StoreError::corrupt("budget_period", period))?;
    let mode = row
        .opt_text("budget_mode")?
        .map(|mode| {
            BudgetMode::parse(&mode).ok_or_else(|| StoreError::corrupt("budget_mode", mode))
        })
        .transpose()?;
    Ok(Some(Budget {
        amount: NanoUsd(amount),
        period,
        mode,
        alert_at_percent: opt_narrow(row, "budget_alert_percent")?,
    }))
}

fn json(row: &impl SqlRow, column: &'static str) -> Result<serde_json::Value, StoreError> {
    serde_json::from_str(&row.text(column)?).map_err(|e| StoreError::corrupt(column, e))
}

fn opt_json(
    row: &impl SqlRow,
    column: &'static str,
) -> Result<Option<serde_json::Value>, StoreError> {
    row.opt_text(column)?
        .map(|text| serde_json::from_str(&text).map_err(|e| StoreError::corrupt(column, e)))
        .transpose()
}

/// A stored `i64` read into the narrower unsigned type the domain uses.
fn narrow<T: TryFrom<i64>>(row: &impl SqlRow, column: &'static str) -> Result<T, StoreError> {
    let value = row.int(column)?;
    T::try_from(value).map_err(|_| StoreError::corrupt(column, format!("{value} out of range")))
}

fn opt_narrow<T: TryFrom<i64>>(
    row: &impl SqlRow,
    column: &'static str,
) -> Result<Option<T>, StoreError> {
    row.opt_int(column)?
        .map(|value| {
            T::try_from(value)
                .map_err(|_| StoreError::corrupt(column, format!("{value} out of range")))
        })
        .transpose()
}
