//! The bodies of the key endpoints (design.md §4.2) and their checks into the store's types.

use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;
use tollgate_store::{ApiKey, ApiKeyUpdate, NewApiKey, Role, Timestamp};
use utoipa::ToSchema;

use crate::admin::errors::AdminError;
use crate::admin::fields;
use crate::admin::json::nullable;

/// The longest grace a rotated-out secret may keep.
pub const MAX_GRACE: Duration = Duration::from_secs(30 * 24 * 3600);

/// `POST /admin/v1/keys`. Unknown fields are refused (400 naming them), so a typo never silently
/// drops a limit.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateKeyRequest {
    pub name: String,
    /// Public model names the key may call; omit (or `null`) for every model.
    pub models: Option<Vec<String>>,
    /// Requests per minute.
    pub rpm_limit: Option<u32>,
    /// Tokens per minute.
    pub tpm_limit: Option<u64>,
    /// Requests in flight at once.
    pub max_parallel: Option<u32>,
    /// A decimal string (`"12.50"`), never a JSON number; at most nine decimals.
    #[schema(example = "12.50")]
    pub budget_usd: Option<String>,
    /// How often the budget resets; `none` (the default) is a lifetime budget.
    #[schema(value_type = Option<crate::admin::views::BudgetPeriodValue>)]
    pub budget_period: Option<String>,
    /// `hard` (reserve the worst case, refuse a call that might not fit) or `soft` (the call
    /// that crosses the budget completes, later ones are refused); the gateway's default
    /// (config `budgets.mode`) when absent.
    #[schema(value_type = Option<crate::admin::views::BudgetModeValue>)]
    pub budget_mode: Option<String>,
    /// Percent of the budget (1 to 100) at which settled spend raises an alert, once per period;
    /// the gateway's default (config `budgets.alert_at_percent`) when absent.
    #[schema(minimum = 1, maximum = 100, example = 80)]
    pub budget_alert_percent: Option<u32>,
    /// Defaults to the caller's organization (or that of the team or user named).
    pub org_id: Option<String>,
    /// Defaults to the caller's team for a `team_admin`.
    pub team_id: Option<String>,
    pub user_id: Option<String>,
    /// Defaults to `member`; never above the caller's own role.
    #[schema(value_type = Option<crate::admin::views::RoleValue>)]
    pub role: Option<String>,
    /// An RFC 3339 time (`"2026-01-31T12:00:00Z"`, any offset) or whole unix seconds; must be in
    /// the future.
    #[schema(value_type = Option<String>, example = "2026-12-31T23:59:59Z")]
    pub expires_at: Option<Value>,
    /// A JSON object; `tags` inside it (an array of strings) are copied to spend-log rows.
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Value>,
    /// Guardrail overrides: the config's `guardrails:` shape, only the fields that differ from
    /// the level above.
    #[schema(value_type = Option<crate::admin::guardrails::GuardrailsValue>)]
    pub guardrails: Option<Value>,
}

impl CreateKeyRequest {
    /// Checks every field. Ownership (org, team, user) is checked against the caller later.
    pub fn into_new_key(self, now: Timestamp) -> Result<NewApiKey, AdminError> {
        Ok(NewApiKey {
            name: fields::text("name", &self.name)?,
            org_id: fields::optional_text("org_id", self.org_id)?,
            team_id: fields::optional_text("team_id", self.team_id)?,
            user_id: fields::optional_text("user_id", self.user_id)?,
            role: match &self.role {
                Some(role) => fields::role("role", role)?,
                None => Role::Member,
            },
            models: self
                .models
                .map(|models| fields::models("models", models))
                .transpose()?,
            rpm_limit: fields::positive("rpm_limit", self.rpm_limit)?,
            tpm_limit: fields::positive("tpm_limit", self.tpm_limit)?,
            max_parallel: fields::positive("max_parallel", self.max_parallel)?,
            budget: fields::budget(
                self.budget_usd.as_deref(),
                self.budget_period.as_deref(),
                self.budget_mode.as_deref(),
                self.budget_alert_percent,
            )?,
            expires_at: self
                .expires_at
                .as_ref()
                .map(|at| fields::future_time("expires_at", at, now))
                .transpose()?,
            metadata: match self.metadata {
                Some(metadata) => fields::metadata("metadata", metadata)?,
                None => Value::Object(serde_json::Map::new()),
            },
            // Checked by the handler, which knows the gateway's models.
            guardrails: None,
        })
    }
}

/// `PATCH /admin/v1/keys/{id}`: absent fields are kept, `null` clears a nullable one. A key's
/// owner and role do not change (create a new key instead).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateKeyRequest {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Vec<String>>, nullable)]
    pub models: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<u32>, nullable)]
    pub rpm_limit: Option<Option<u32>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<u64>, nullable)]
    pub tpm_limit: Option<Option<u64>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<u32>, nullable)]
    pub max_parallel: Option<Option<u32>>,
    /// A decimal string; `null` removes the budget.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable, example = "25.00")]
    pub budget_usd: Option<Option<String>>,
    /// Changes the period of the key's budget (or of the one set beside it).
    #[schema(value_type = Option<crate::admin::views::BudgetPeriodValue>)]
    pub budget_period: Option<String>,
    /// `hard` or `soft`; `null` goes back to the gateway's default.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<crate::admin::views::BudgetModeValue>, nullable)]
    pub budget_mode: Option<Option<String>>,
    /// 1 to 100; `null` goes back to the gateway's default.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<u32>, nullable, minimum = 1, maximum = 100, example = 90)]
    pub budget_alert_percent: Option<Option<u32>>,
    /// RFC 3339 or unix seconds, in the future; `null` removes the expiry.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub expires_at: Option<Option<Value>>,
    /// Replaces the metadata object.
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Value>,
    /// Replaces the guardrail overrides (the config's `guardrails:` shape); `null` removes them.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<crate::admin::guardrails::GuardrailsValue>, nullable)]
    pub guardrails: Option<Option<Value>>,
}

impl UpdateKeyRequest {
    pub fn into_update(self, current: &ApiKey, now: Timestamp) -> Result<ApiKeyUpdate, AdminError> {
        let budget = fields::budget_update(
            fields::BudgetPatch {
                amount: self.budget_usd.as_ref().map(Option::as_deref),
                period: self.budget_period.as_deref(),
                mode: self.budget_mode.as_ref().map(Option::as_deref),
                alert: self.budget_alert_percent,
            },
            current.budget,
        )?;
        Ok(ApiKeyUpdate {
            name: self
                .name
                .map(|name| fields::text("name", &name))
                .transpose()?,
            models: self
                .models
                .map(|models| models.map(|m| fields::models("models", m)).transpose())
                .transpose()?,
            rpm_limit: self
                .rpm_limit
                .map(|limit| fields::positive("rpm_limit", limit))
                .transpose()?,
            tpm_limit: self
                .tpm_limit
                .map(|limit| fields::positive("tpm_limit", limit))
                .transpose()?,
            max_parallel: self
                .max_parallel
                .map(|limit| fields::positive("max_parallel", limit))
                .transpose()?,
            budget,
            expires_at: self
                .expires_at
                .map(|at| {
                    at.map(|at| fields::future_time("expires_at", &at, now))
                        .transpose()
                })
                .transpose()?,
            metadata: self
                .metadata
                .map(|metadata| fields::metadata("metadata", metadata))
                .transpose()?,
            // Checked by the handler, which knows the gateway's models.
            guardrails: None,
        })
    }
}

/// `POST /admin/v1/keys/{id}/rotate` (the body is optional).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateKeyRequest {
    /// How long the old secret keeps working (at most 30 days); without it the old secret stops
    /// at once.
    pub grace_seconds: Option<u64>,
}

impl RotateKeyRequest {
    pub fn grace(&self) -> Result<Option<Duration>, AdminError> {
        match self.grace_seconds {
            None | Some(0) => Ok(None),
            Some(seconds) => {
                let grace = Duration::from_secs(seconds);
                if grace > MAX_GRACE {
                    return Err(AdminError::field(
                        "grace_seconds",
                        format!("must be at most {} (30 days)", MAX_GRACE.as_secs()),
                    ));
                }
                Ok(Some(grace))
            }
        }
    }
}
